import { WaitQueue } from '../../src/ratelimit/wait-queue';

describe('WaitQueue', () => {
  it('gives its items back in the order they came, then undefined', () => {
    const queue = new WaitQueue<number>();
    expect(queue.shift()).toBeUndefined();
    queue.push(1);
    queue.push(2);
    expect(queue.shift()).toBe(1);
    queue.push(3);
    expect([queue.shift(), queue.shift(), queue.shift()]).toEqual([2, 3, undefined]);
    queue.push(4);
    expect(queue.shift()).toBe(4);
  });

  it('keeps the order across its compactions, with items pushed while it is being taken', () => {
    const queue = new WaitQueue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round += 1) {
      for (let i = 0; i < 100; i += 1) queue.push(next++);
      for (let i = 0; i < 60; i += 1) out.push(queue.shift() as number);
    }
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
