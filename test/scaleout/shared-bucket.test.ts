/**
 * The shared token bucket (Lua script in Redis) and AccountLimiter on top of it: several
 * "instances" (connections) draw from one bucket, a 429 pause from one holds all, and without
 * Redis the limiter falls back to its local bucket.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { redisKeyTag } from '../../src/scaleout/redis';
import { AccountLimiter } from '../../src/ratelimit/limiter';
import { RedisTokenBucket } from '../../src/scaleout/shared-bucket';
import { ProviderError } from '../../src/errors';
import { freePort, useTestRedis } from '../helpers/redis';

const SECRET = 'shared-secret-of-every-instance-0123456789';


describe('RedisTokenBucket', () => {
  /** A fresh group per test, so buckets start full. */
  const testRedis = useTestRedis('instantly');
  const { connection, group } = testRedis;

  it('hands out the burst at once, then one token every 1/rate, across instances sharing the group', async () => {
    const g = group();
    const a = new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 10, burst: 3 });
    const b = new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 10, burst: 3 });
    const waits: number[] = [];
    // When each reservation was sent and answered: Redis takes the token somewhere in between.
    const sent: number[] = [];
    const answered: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      sent.push(performance.now());
      const reservation = await (i % 2 === 0 ? a : b).reserve(Number.POSITIVE_INFINITY);
      answered.push(performance.now());
      waits.push(reservation?.waitMs ?? -1);
    }
    // 3 from the burst, then 100 ms apart: the two instances together get the rate of one.
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    const first = { sent: sent[0] as number, answered: answered[0] as number };
    for (let i = 3; i < 8; i += 1) {
      const expected = (i - 2) * 100;
      // When the token is granted, after the first draw: the reservation's time (a busy test
      // process may ask late) plus its wait. Never early; at its time, or at once when asked later.
      const earliest = (sent[i] as number) - first.answered + (waits[i] as number);
      const latest = (answered[i] as number) - first.sent + (waits[i] as number);
      expect(latest).toBeGreaterThanOrEqual(expected - 25);
      expect(earliest).toBeLessThanOrEqual(Math.max(expected, (answered[i] as number) - first.sent) + 5);
    }
  });

  it('a reservation over maxWait takes nothing and says so', async () => {
    const g = group();
    const bucket = new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 2, burst: 1 });
    expect(await bucket.reserve(0)).toEqual({ waitMs: 0, pausedForMs: 0 });
    expect(await bucket.reserve(100)).toEqual({ waitMs: undefined, pausedForMs: 0 });
    // Nothing was taken by the refusal: the next token is still ~500 ms away, not ~1000.
    const next = await bucket.reserve(Number.POSITIVE_INFINITY);
    expect(next?.waitMs).toBeGreaterThan(400);
    expect(next?.waitMs).toBeLessThanOrEqual(500);
  });

  it("a 429 pause from one instance holds the other's reservations; a shorter pause never shortens it", async () => {
    const g = group();
    const a = new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 100, burst: 10 });
    const b = new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 100, burst: 10 });
    a.pause(800);
    a.pause(100);
    await sleep(50);
    const reservation = await b.reserve(Number.POSITIVE_INFINITY);
    expect(reservation?.waitMs).toBeGreaterThan(600);
    expect(reservation?.waitMs).toBeLessThanOrEqual(800);
    expect(reservation?.pausedForMs).toBe(reservation?.waitMs);
    expect(await b.reserve(200)).toMatchObject({ waitMs: undefined });
  });

  it('different groups (or secrets) are different buckets, and the key never holds the group', async () => {
    const c = await connection();
    const g = group();
    const a = new RedisTokenBucket(c, { keySecret: SECRET, group: g, ratePerSecond: 1, burst: 1 });
    const other = new RedisTokenBucket(c, { keySecret: SECRET, group: group(), ratePerSecond: 1, burst: 1 });
    const otherSecret = new RedisTokenBucket(c, { keySecret: `${SECRET}-x`, group: g, ratePerSecond: 1, burst: 1 });
    expect((await a.reserve(Number.POSITIVE_INFINITY))?.waitMs).toBe(0);
    expect((await other.reserve(Number.POSITIVE_INFINITY))?.waitMs).toBe(0);
    expect((await otherSecret.reserve(Number.POSITIVE_INFINITY))?.waitMs).toBe(0);
    expect(a.key).toBe(`og:v1:rl:${redisKeyTag(SECRET, g)}`);
    expect(a.key).not.toContain('instantly');
    // The hash expires once it would be full again.
    const ttl = Number((await testRedis.redis.command('PTTL', a.key)).slice(1));
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
  });

  it('answers undefined when Redis is unreachable (the limiter then uses its local bucket)', async () => {
    const port = await freePort();
    const bucket = new RedisTokenBucket(await connection(`redis://127.0.0.1:${port}`), { keySecret: SECRET, group: group(), ratePerSecond: 1, burst: 1 });
    expect(await bucket.reserve(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(() => bucket.pause(1000)).not.toThrow();
  });

  describe('AccountLimiter with a shared bucket', () => {
    it('two limiters (two instances) together keep the configured rate', async () => {
      const g = group();
      const limiters = await Promise.all(
        [0, 1].map(async () => {
          const shared = new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 20, burst: 1 });
          return new AccountLimiter({ provider: 'instantly', requestsPerSecond: 20, burst: 1, concurrency: 8, shared });
        }),
      );
      const started = Date.now();
      const times: number[] = [];
      await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const permit = await (limiters[i % 2] ?? limiters[0])?.acquire(undefined, undefined);
          times.push(Date.now() - started);
          permit?.release();
        }),
      );
      // 12 permits at 20/s with a burst of 1 take at least 11 × 50 ms, whichever instance asks.
      expect(Math.max(...times)).toBeGreaterThanOrEqual(500);
      expect(Math.max(...times)).toBeLessThan(1200);
    });

    it('a pause from one limiter (a vendor 429) makes the other refuse a call whose deadline it would pass', async () => {
      const g = group();
      const make = async (): Promise<AccountLimiter> =>
        new AccountLimiter({
          provider: 'kakiyo',
          requestsPerSecond: 100,
          burst: 10,
          concurrency: 4,
          shared: new RedisTokenBucket(await connection(), { keySecret: SECRET, group: g, ratePerSecond: 100, burst: 10 }),
        });
      const a = await make();
      const b = await make();
      a.pause(2000);
      await sleep(50);
      const error = await b.acquire(undefined, Date.now() + 300).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect(error instanceof ProviderError ? error.code : '').toBe('rate_limited');
      // The pause is now known locally too (the fast-fail checks read the local bucket).
      expect(b.bucket.pausedForMs()).toBeGreaterThan(1500);
    });

    it('falls back to the local bucket when Redis is unreachable', async () => {
      const port = await freePort();
      const shared = new RedisTokenBucket(await connection(`redis://127.0.0.1:${port}`), { keySecret: SECRET, group: group(), ratePerSecond: 10, burst: 2 });
      const limiter = new AccountLimiter({ provider: 'instantly', requestsPerSecond: 10, burst: 2, concurrency: 4, shared });
      const started = Date.now();
      for (let i = 0; i < 4; i += 1) (await limiter.acquire(undefined, undefined)).release();
      const elapsed = Date.now() - started;
      // Burst 2, then 100 ms per token: the local bucket paced the calls.
      expect(elapsed).toBeGreaterThanOrEqual(180);
      expect(elapsed).toBeLessThan(600);
    });
  });
});
