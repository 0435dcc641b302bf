/**
 * The process's budget of un-paced vendor calls in flight: places at once up to the limit, then in
 * order; lag shrinks the limit by a quarter (not under `min`) and calm samples grow it back; an
 * abort while waiting takes no place; and the limiter takes a place only for an un-paced call
 * whose token is there at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../src/errors';
import { AccountLimiter } from '../../src/ratelimit/limiter';
import { LoopBudget } from '../../src/ratelimit/loop-budget';

const aborted = (): Error => new ProviderError({ provider: 'kakiyo', code: 'aborted', message: 'the call was cancelled' });

/** A sampling interval no test outlasts: the lag is what the test says it is (`sample`), not what a loaded machine has. */
const MANUAL = 60_000;

/** Lets queued promise reactions run. */
async function settle(): Promise<void> {
  await sleep(5);
}

describe('LoopBudget', () => {
  it('gives places at once up to its limit, then in order as places are given back (each once)', async () => {
    const budget = new LoopBudget({ max: 2, min: 1, intervalMs: MANUAL });
    const first = await budget.enter(undefined, aborted);
    const second = await budget.enter(undefined, aborted);
    const started: string[] = [];
    const third = budget.enter(undefined, aborted).then((leave) => (started.push('third'), leave));
    const fourth = budget.enter(undefined, aborted).then((leave) => (started.push('fourth'), leave));
    await settle();
    expect(budget.counts).toEqual({ active: 2, waiting: 2 });
    expect(started).toEqual([]);
    first();
    first();
    await settle();
    expect(started).toEqual(['third']);
    expect(budget.counts).toEqual({ active: 2, waiting: 1 });
    second();
    (await third)();
    (await fourth)();
    expect(started).toEqual(['third', 'fourth']);
    expect(budget.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('shrinks by a quarter per lagging sample, never under min, and grows back by 4 per calm one up to max', async () => {
    const budget = new LoopBudget({ max: 100, min: 8, lagMs: 30, intervalMs: MANUAL });
    const leave = await budget.enter(undefined, aborted);
    budget.sample(31);
    expect(budget.limit).toBe(75);
    budget.sample(100);
    expect(budget.limit).toBe(56);
    for (let i = 0; i < 20; i += 1) budget.sample(100);
    expect(budget.limit).toBe(8);
    budget.sample(20); // between a third of lagMs and lagMs: unchanged
    expect(budget.limit).toBe(8);
    budget.sample(5);
    expect(budget.limit).toBe(12);
    for (let i = 0; i < 40; i += 1) budget.sample(0);
    expect(budget.limit).toBe(100);
    leave();
  });

  it('holds new calls while more are in flight than the shrunk limit, and starts them as it grows back', async () => {
    const budget = new LoopBudget({ max: 4, min: 1, lagMs: 30, intervalMs: MANUAL });
    const leaves = await Promise.all([1, 2, 3, 4].map(() => budget.enter(undefined, aborted)));
    budget.sample(100);
    expect(budget.limit).toBe(3);
    let started = false;
    const next = budget.enter(undefined, aborted).then((leave) => ((started = true), leave));
    leaves[0]?.();
    await settle();
    expect(started).toBe(false); // 3 in flight, limit 3
    budget.sample(0); // calm: limit 4, room for it
    await settle();
    expect(started).toBe(true);
    for (const leave of leaves.slice(1)) leave();
    (await next)();
    expect(budget.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('rejects a waiting call that is aborted with the caller\'s error, and it takes no place', async () => {
    const budget = new LoopBudget({ max: 1 });
    const held = await budget.enter(undefined, aborted);
    const controller = new AbortController();
    const waiting = budget.enter(controller.signal, aborted);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    expect(budget.counts).toEqual({ active: 1, waiting: 0 });
    held();
    const after = await budget.enter(undefined, aborted);
    expect(budget.counts.active).toBe(1);
    after();
    await expect(budget.enter(AbortSignal.abort(), aborted)).rejects.toMatchObject({ code: 'aborted' });
  });

  it('starts the next walk with the whole budget once nothing is in flight or waiting', async () => {
    const budget = new LoopBudget({ max: 64, min: 8, lagMs: 30, intervalMs: MANUAL });
    const leave = await budget.enter(undefined, aborted);
    budget.sample(100);
    expect(budget.limit).toBe(48);
    leave();
    expect(budget.limit).toBe(64);
  });
});

describe('AccountLimiter with a loop budget', () => {
  it('an un-paced call with its token there takes a place (given back on release); a paced account takes none', async () => {
    const budget = new LoopBudget({ max: 1, min: 1 });
    const unpaced = new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 100, burst: 10, concurrency: 4, budget });
    const paced = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 100, burst: 10, concurrency: 4, windows: [{ requests: 10, seconds: 1 }], budget });
    const first = await unpaced.acquire(undefined, undefined);
    expect(budget.counts.active).toBe(1);
    let secondGot = false;
    const second = unpaced.acquire(undefined, undefined).then((permit) => ((secondGot = true), permit));
    await settle();
    expect(secondGot).toBe(false); // the budget is full
    const pacedPermit = await paced.acquire(undefined, undefined); // windows: no place needed
    pacedPermit.release();
    first.release();
    (await second).release();
    expect(budget.counts).toEqual({ active: 0, waiting: 0 });
  });

  it('a call that waits for its token holds no place meanwhile', async () => {
    const budget = new LoopBudget({ max: 1, min: 1 });
    const limiter = new AccountLimiter({ provider: 'seleqt', requestsPerSecond: 20, burst: 1, concurrency: 4, budget });
    const first = await limiter.acquire(undefined, undefined);
    expect(budget.counts.active).toBe(1);
    first.release();
    expect(budget.counts.active).toBe(0);
    const second = limiter.acquire(undefined, undefined); // the bucket is empty: about 50 ms
    await sleep(10);
    expect(budget.counts).toEqual({ active: 0, waiting: 0 });
    (await second).release();
  });
});
