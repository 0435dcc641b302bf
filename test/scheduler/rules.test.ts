/**
 * The scheduler's rules on their own, with a fake clock: the share gate never hands out more than
 * its share of the account's rate, the daily call budget is never passed (and starts again on a new
 * UTC day), nor by instances sharing its count whatever is unreachable or restarted, and the timing rules (before the entry goes stale, jittered, backoff doubling to a cap).
 */
import fc from 'fast-check';
import { abortAfter } from '../../src/deadline';
import { AccountLimiter } from '../../src/ratelimit/limiter';
import { DailyCallBudget, nextUtcMidnight, type CallTally } from '../../src/scheduler/credit-budget';
import { ShareGate } from '../../src/scheduler/share-gate';
import { BACKOFF_BASE_MS, backoffMs, nextAfterSuccess } from '../../src/scheduler/timing';
import { heapAfterCollection } from '../helpers/heap';

/** An in-memory tally for the rules: `down` makes it unreachable; `wipe()` is a restarted, empty Redis. */
class FakeTally implements CallTally {
  down = false;
  private readonly counts = new Map<string, number>();
  constructor(readonly scope: 'shared' | 'local') {}
  private get(account: string, day: string): number {
    return this.counts.get(`${account}|${day}`) ?? 0;
  }
  private set(account: string, day: string, used: number): void {
    this.counts.set(`${account}|${day}`, used);
  }
  wipe(): void {
    this.counts.clear();
  }
  take(account: string, day: string, limit: number, floor: number): Promise<{ taken: boolean; used: number } | undefined> {
    if (this.down) return Promise.resolve(undefined);
    const used = Math.max(this.get(account, day), floor);
    if (used >= limit) {
      this.set(account, day, used);
      return Promise.resolve({ taken: false, used });
    }
    this.set(account, day, used + 1);
    return Promise.resolve({ taken: true, used: used + 1 });
  }
  refund(account: string, day: string): Promise<boolean> {
    if (this.down) return Promise.resolve(false);
    this.set(account, day, Math.max(0, this.get(account, day) - 1));
    return Promise.resolve(true);
  }
  raise(account: string, day: string, used: number): Promise<boolean> {
    if (this.down) return Promise.resolve(false);
    this.set(account, day, Math.max(this.get(account, day), used));
    return Promise.resolve(true);
  }
  read(account: string, day: string): Promise<number | undefined> {
    return Promise.resolve(this.down ? undefined : this.get(account, day));
  }
}

describe('DailyCallBudget', () => {
  test('never counts past its limit in a UTC day, and starts again the next day', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 50 }), fc.array(fc.constantFrom('take', 'refund', 'check'), { maxLength: 200 }), async (limit, ops) => {
        let now = Date.UTC(2026, 11, 6, 23, 59, 0);
        const budget = new DailyCallBudget(limit, 'kakiyo:acct', [], () => now);
        let taken = 0;
        for (const op of ops) {
          if (op === 'take') taken += (await budget.take()) === 'taken' ? 1 : 0;
          else if (op === 'refund' && taken > 0 && budget.spent() > 0) {
            await budget.refund();
            taken -= 1;
          } else expect(await budget.check(limit - budget.spent())).toBe('fits');
          expect(budget.spent()).toBeLessThanOrEqual(limit);
          expect(budget.spent()).toBe(taken);
        }
        expect(await budget.check(limit - budget.spent() + 1)).toBe('over');
        now = nextUtcMidnight(now);
        expect(budget.spent()).toBe(0);
        expect(await budget.check(limit)).toBe('fits');
      }),
    );
  });

  test('instances sharing a tally never pass the limit together, whatever is unreachable or restarted when', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('take', 'take', 'take', 'refund', 'check', 'redis-down', 'redis-up', 'redis-wiped', 'restart')), { maxLength: 300 }),
        async (limit, ops) => {
          const now = (): number => Date.UTC(2026, 11, 6, 12);
          // Redis (shared) and a PostgreSQL server (shared) as three instances see them.
          const redis = new FakeTally('shared');
          const server = new FakeTally('shared');
          const make = (): DailyCallBudget => new DailyCallBudget(limit, 'kakiyo:acct', [redis, server], now);
          const instances = [make(), make(), make()];
          /** Per instance, calls counted whose fate is open (a refund gives one back: it never went out). */
          const open = [0, 0, 0];
          let wentOut = 0;
          for (const [i, op] of ops) {
            const budget = instances[i] as DailyCallBudget;
            if (op === 'take' && (await budget.take()) === 'taken') {
              wentOut += 1;
              open[i] = (open[i] ?? 0) + 1;
            } else if (op === 'refund' && (open[i] ?? 0) > 0) {
              await budget.refund();
              wentOut -= 1;
              open[i] = (open[i] ?? 0) - 1;
            } else if (op === 'check') await budget.check(1);
            else if (op === 'redis-down') redis.down = true;
            else if (op === 'redis-up') redis.down = false;
            else if (op === 'redis-wiped') redis.wipe();
            else if (op === 'restart') {
              instances[i] = make();
              open[i] = 0;
            }
            expect(wentOut).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });

  test('a shared tally unreachable: no budgeted call goes out (the others\' calls are unknown); a local one falls back to memory', async () => {
    const now = (): number => Date.UTC(2026, 11, 6, 12);
    const redis = new FakeTally('shared');
    redis.down = true;
    const embedded = new FakeTally('local');
    const withRedis = new DailyCallBudget(10, 'kakiyo:acct', [redis, embedded], now);
    expect(await withRedis.take()).toBe('unknown');
    expect(await withRedis.check(1)).toBe('unknown');
    redis.down = false;
    expect(await withRedis.take()).toBe('taken');
    // What Redis counted is copied to the store.
    expect(await embedded.read('kakiyo:acct', '2026-12-06')).toBe(1);

    embedded.down = true;
    const alone = new DailyCallBudget(2, 'kakiyo:acct', [embedded], now);
    expect(await alone.take()).toBe('taken');
    expect(await alone.take()).toBe('taken');
    expect(await alone.take()).toBe('spent');
  });

  test('a restart reads the day\'s count from the store; a Redis restarted empty starts from the highest count seen', async () => {
    const now = (): number => Date.UTC(2026, 11, 6, 12);
    const embedded = new FakeTally('local');
    const before = new DailyCallBudget(5, 'kakiyo:acct', [embedded], now);
    for (let i = 0; i < 4; i++) expect(await before.take()).toBe('taken');
    const after = new DailyCallBudget(5, 'kakiyo:acct', [embedded], now);
    expect(await after.check(2)).toBe('over');
    expect(after.spent()).toBe(4);
    expect(await after.take()).toBe('taken');
    expect(await after.take()).toBe('spent');

    const redis = new FakeTally('shared');
    const budget = new DailyCallBudget(5, 'kakiyo:acct', [redis], now);
    for (let i = 0; i < 3; i++) await budget.take();
    redis.wipe();
    expect(await budget.check(1)).toBe('fits');
    expect(budget.spent()).toBe(3);
    await budget.take();
    expect(await redis.read('kakiyo:acct', '2026-12-06')).toBe(4);
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
        const { release } = await g.acquire(undefined, undefined);
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
    const budget = new DailyCallBudget(3, 'kakiyo:acct');
    const { gate: g } = gate(1, budget);
    for (let i = 0; i < 3; i++) (await g.acquire(undefined, undefined)).release();
    await expect(g.acquire(undefined, undefined)).rejects.toMatchObject({ code: 'aborted', message: expect.stringMatching(/daily call budget/) });
    expect(budget.spent()).toBe(3);
    const fresh = new DailyCallBudget(3, 'kakiyo:acct');
    const { gate: cancelled } = gate(1, fresh);
    const controller = new AbortController();
    controller.abort();
    await expect(cancelled.acquire(controller.signal, undefined)).rejects.toMatchObject({ code: 'aborted' });
    expect(fresh.spent()).toBe(0);
  });

  test('keeps nothing of a call once it has its permit, however long the gate lives', async () => {
    // A scheduled walk's calls as the scheduler makes them: each walk's signal linked to the
    // scheduler's (which lives as long as the process), every call through the gate and the account.
    const account = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1e6, burst: 1e6, concurrency: 4 });
    const g = new ShareGate({ provider: 'sendkit', account, requestsPerSecond: 1e6, burst: 1e6, share: 0.5 });
    const scheduler = new AbortController();
    const walks = async (count: number): Promise<void> => {
      for (let w = 0; w < count; w++) {
        const walk = abortAfter(60_000, { linked: scheduler.signal });
        await Promise.all(Array.from({ length: 100 }, async () => (await g.acquire(walk.signal, undefined)).release()));
        walk.clear();
      }
    };
    await walks(20);
    const before = await heapAfterCollection();
    await walks(200);
    const retainedPerCall = ((await heapAfterCollection()) - before) / 20_000;
    // Combined with the gate's stop signal by AbortSignal.any, each call kept about 2.4 KB for good.
    expect(retainedPerCall).toBeLessThan(200);
  });

  test('stop() ends a wait at once', async () => {
    const { gate: g } = gate(0.05);
    (await g.acquire(undefined, undefined)).release();
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
