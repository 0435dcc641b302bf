import { getEventListeners } from 'node:events';
import { linkedController, onAbort, sleep } from '../src/abort-hooks';
import { heapAfterCollection } from './helpers/heap';

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

  test('one EventTarget listener per signal, however many callbacks, and none once they are all removed', () => {
    const controller = new AbortController();
    const add = jest.spyOn(controller.signal, 'addEventListener');
    const removers = Array.from({ length: 50 }, () => onAbort(controller.signal, () => undefined));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const remove of removers.slice(1)) remove();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    removers[0]?.();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(add).toHaveBeenCalledTimes(1);
    const ran: string[] = [];
    onAbort(controller.signal, () => ran.push('again'));
    controller.abort();
    expect(ran).toEqual(['again']);
  });

  test('a combined signal (AbortSignal.any) watched and then unwatched is left to the collector', async () => {
    // Node keeps a combined signal with an abort listener alive until the listener goes (or it
    // aborts), even once the signals it combines are gone.
    const watchAndLeave = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const combined = AbortSignal.any([new AbortController().signal, new AbortController().signal]);
        const removeFirst = onAbort(combined, () => undefined);
        const removeSecond = onAbort(combined, () => undefined);
        removeFirst();
        removeSecond();
      }
    };
    watchAndLeave(2_000);
    const before = await heapAfterCollection();
    watchAndLeave(20_000);
    // With the listener left on, each kept about 1.2 KB.
    expect(((await heapAfterCollection()) - before) / 20_000).toBeLessThan(200);
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

describe('linkedController', () => {
  test('aborts with any of its signals while linked, at once for one already aborted, and leaves them no listener once unlinked', () => {
    const service = new AbortController();
    const walk = new AbortController();
    const first = linkedController(walk.signal, undefined, service.signal);
    const second = linkedController(walk.signal, service.signal);
    expect(getEventListeners(service.signal, 'abort')).toHaveLength(1);
    second.unlink();
    walk.abort();
    expect(first.controller.signal.aborted).toBe(true);
    expect(second.controller.signal.aborted).toBe(false);
    first.unlink();
    first.unlink();
    expect(getEventListeners(service.signal, 'abort')).toHaveLength(0);
    expect(linkedController(walk.signal).controller.signal.aborted).toBe(true);
    const own = linkedController();
    own.controller.abort();
    expect(own.controller.signal.aborted).toBe(true);
  });
});

describe('sleep', () => {
  it('resolves after its time, with or without a signal', async () => {
    const started = performance.now();
    await sleep(20);
    await sleep(5, new AbortController().signal);
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
  });

  it('rejects with an AbortError as soon as the signal aborts, and at once for an aborted one', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(sleep(10_000, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('leaves no timer behind when aborted', async () => {
    const controller = new AbortController();
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const waiting = sleep(10_000, controller.signal);
    expect(timers()).toBe(before + 1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(timers()).toBe(before);
  });
});
