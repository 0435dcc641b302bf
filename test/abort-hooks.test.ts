import { onAbort } from '../src/abort-hooks';

describe('onAbort', () => {
  test('every callback still registered runs once, in the order added; removed ones do not', () => {
    const controller = new AbortController();
    const ran: string[] = [];
    onAbort(controller.signal, () => ran.push('a'));
    const removeB = onAbort(controller.signal, () => ran.push('b'));
    onAbort(controller.signal, () => ran.push('c'));
    removeB();
    removeB();
    controller.abort();
    controller.abort();
    expect(ran).toEqual(['a', 'c']);
  });

  test('one EventTarget listener per signal, however many callbacks', () => {
    const controller = new AbortController();
    const add = jest.spyOn(controller.signal, 'addEventListener');
    const removers = Array.from({ length: 50 }, () => onAbort(controller.signal, () => undefined));
    for (const remove of removers) remove();
    onAbort(controller.signal, () => undefined);
    expect(add).toHaveBeenCalledTimes(1);
  });

  test('signals are independent', () => {
    const first = new AbortController();
    const second = new AbortController();
    const ran: string[] = [];
    onAbort(first.signal, () => ran.push('first'));
    onAbort(second.signal, () => ran.push('second'));
    second.abort();
    expect(ran).toEqual(['second']);
    first.abort();
    expect(ran).toEqual(['second', 'first']);
  });

  test('a callback that throws does not stop the others; its error is thrown again on the next tick', () => {
    const controller = new AbortController();
    const ran: string[] = [];
    const deferred: (() => void)[] = [];
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- process.nextTick's own parameter type
    const nextTick = jest.spyOn(process, 'nextTick').mockImplementation((callback: Function) => {
      deferred.push(() => (callback as () => void)());
    });
    try {
      onAbort(controller.signal, () => {
        throw new Error('boom');
      });
      onAbort(controller.signal, () => ran.push('after'));
      controller.abort();
    } finally {
      nextTick.mockRestore();
    }
    expect(ran).toEqual(['after']);
    expect(deferred).toHaveLength(1);
    expect(() => deferred[0]?.()).toThrow('boom');
  });
});
