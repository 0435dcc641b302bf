/**
 * The scheduler's rules on their own, with a fake clock: the share gate never hands out more than
 * its share of the account's rate, the daily call budget is never passed (and starts again on a new
 * UTC day), and the timing rules (before the entry goes stale, jittered, backoff doubling to a cap).
 */
import fc from 'fast-check';
import { AccountLimiter } from '../../src/ratelimit/limiter';
import { DailyCallBudget, nextUtcMidnight } from '../../src/scheduler/credit-budget';
import { ShareGate } from '../../src/scheduler/share-gate';
import { BACKOFF_BASE_MS, backoffMs, nextAfterSuccess } from '../../src/scheduler/timing';

describe('DailyCallBudget', () => {
  test('never counts past its limit in a UTC day, and starts again the next day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.array(fc.constantFrom('take', 'refund', 'fits'), { maxLength: 200 }), (limit, ops) => {
        let now = Date.UTC(2026, 11, 6, 23, 59, 0);
        const budget = new DailyCallBudget(limit, () => now);
        let taken = 0;
        for (const op of ops) {
          if (op === 'take') taken += budget.take() ? 1 : 0;
          else if (op === 'refund' && taken > 0 && budget.spent() > 0) {
            budget.refund();
            taken -= 1;
          } else expect(budget.fits(limit - budget.spent())).toBe(true);
          expect(budget.spent()).toBeLessThanOrEqual(limit);
          expect(budget.spent()).toBe(taken);
        }
        expect(budget.fits(limit - budget.spent() + 1)).toBe(false);
        now = nextUtcMidnight(now);
        expect(budget.spent()).toBe(0);
        expect(budget.fits(limit)).toBe(true);
      }),
    );
  });

  test('nextUtcMidnight is the start of the next UTC day', () => {
    expect(new Date(nextUtcMidnight(Date.UTC(2026, 11, 6, 5, 3))).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(new Date(nextUtcMidnight(Date.UTC(2026, 11, 6))).toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });
});

describe('ShareGate', () => {
  function gate(share: number, budget?: DailyCallBudget): { gate: ShareGate; account: AccountLimiter } {
    const account = new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 20, burst: 10, concurrency: 64 });
    return { gate: new ShareGate({ provider: 'kakiyo', account, requestsPerSecond: 20, burst: 10, share, budget }), account };
  }

  test('hands out permits at share × rate after share × burst, while the account itself has room', async () => {
    const { gate: g } = gate(0.5);
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 15 }, async () => {
        const release = await g.acquire(undefined, undefined);
        times.push(Date.now() - started);
        release();
      }),
    );
    times.sort((a, b) => a - b);
    // burst 5 at once, then 10 per second: the 15th permit at about 1 s, never before.
    expect(times.filter((t) => t < 50)).toHaveLength(5);
    expect(times[14]).toBeGreaterThanOrEqual(950);
    for (let i = 0; i < times.length; i++) {
      const within = times.filter((t) => t > (times[i] ?? 0) - 1 && t <= (times[i] ?? 0) + 500).length;
      expect(within).toBeLessThanOrEqual(5 + 5 + 1);
    }
  });

  test('refuses the call past the daily budget, and gives back a permit that never became a call', async () => {
    const budget = new DailyCallBudget(3);
    const { gate: g } = gate(1, budget);
    for (let i = 0; i < 3; i++) (await g.acquire(undefined, undefined))();
    await expect(g.acquire(undefined, undefined)).rejects.toMatchObject({ code: 'aborted', message: expect.stringMatching(/daily call budget/) });
    expect(budget.spent()).toBe(3);
    const fresh = new DailyCallBudget(3);
    const { gate: cancelled } = gate(1, fresh);
    const controller = new AbortController();
    controller.abort();
    await expect(cancelled.acquire(controller.signal, undefined)).rejects.toMatchObject({ code: 'aborted' });
    expect(fresh.spent()).toBe(0);
  });

  test('stop() ends a wait at once', async () => {
    const { gate: g } = gate(0.05);
    (await g.acquire(undefined, undefined))();
    const waiting = g.acquire(undefined, undefined);
    const t0 = Date.now();
    g.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    expect(Date.now() - t0).toBeLessThan(200);
  });
});

describe('timing', () => {
  test('the next walk ends about one period after the last fetch, jittered, never within half a period', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 10_000_000 }), fc.integer({ min: 0, max: 20_000_000 }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }), (period, walk, jitter, r) => {
        const fetchedAt = 1_000_000;
        const next = nextAfterSuccess({ fetchedAt, periodMs: period, lastWalkMs: walk, jitter, random: () => r });
        expect(next).toBeGreaterThanOrEqual(fetchedAt + period / 2);
        expect(next).toBeLessThanOrEqual(fetchedAt + period);
        if (walk === 0) expect(next).toBeGreaterThanOrEqual(fetchedAt + period * (1 - jitter) - 1e-6);
        // Started a walk's duration early, it ends by the period when there is room for it.
        if (period * (1 - jitter) - walk >= period / 2) expect(next + walk).toBeLessThanOrEqual(fetchedAt + period + 1e-6);
      }),
    );
  });

  test('backoff doubles from 1 s up to the cap, each wait in the upper half of its step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1000, max: 86_400_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (failures, cap, r) => {
        const wait = backoffMs(failures, cap, () => r);
        const step = Math.min(cap, BACKOFF_BASE_MS * 2 ** (failures - 1));
        expect(wait).toBeGreaterThanOrEqual(step / 2);
        expect(wait).toBeLessThanOrEqual(step);
        expect(wait).toBeLessThanOrEqual(cap);
      }),
    );
  });
});
