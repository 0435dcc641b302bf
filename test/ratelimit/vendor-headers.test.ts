/**
 * The vendor's quota from its rate-limit headers (`parseRateLimitHeaders`), and the outbound
 * limiter keeping to it: a reply that says nothing remains holds the account until the reset; one
 * that says N remain lets N more calls (less those already in flight) go before it does. End to end,
 * against the SendKit simulator's `X-RateLimit-*` headers: a limiter whose own bucket would overrun
 * the vendor gets no 429.
 */
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../src/errors';
import { createHttpClient } from '../../src/http/client';
import { AccountLimiter, MAX_VENDOR_RESET_WAIT_MS } from '../../src/ratelimit/limiter';
import { parseRateLimitHeaders } from '../../src/ratelimit/vendor-headers';
import { perSecond, startSimulator, type VendorSimulator } from '../../src/simulator';

const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z

describe('parseRateLimitHeaders', () => {
  test('reads X-RateLimit-* with the reset as epoch seconds, epoch ms or seconds from now', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 2) }, NOW)).toEqual({
      remaining: 0,
      resetAtMs: NOW + 2000,
    });
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(NOW + 1500) }, NOW)).toEqual({ remaining: 3, resetAtMs: NOW + 1500 });
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '30' }, NOW)).toEqual({ remaining: 3, resetAtMs: NOW + 30_000 });
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': '7' }, NOW)).toEqual({ remaining: 7, resetAtMs: undefined });
  });

  test('reads the IETF drafts: RateLimit-Remaining/-Reset and the RateLimit field (draft 7 and 8+)', () => {
    expect(parseRateLimitHeaders({ 'ratelimit-remaining': '0', 'ratelimit-reset': '4' }, NOW)).toEqual({ remaining: 0, resetAtMs: NOW + 4000 });
    expect(parseRateLimitHeaders({ ratelimit: 'limit=10, remaining=2, reset=5' }, NOW)).toEqual({ remaining: 2, resetAtMs: NOW + 5000 });
    expect(parseRateLimitHeaders({ ratelimit: '"per-key";r=0;t=9' }, NOW)).toEqual({ remaining: 0, resetAtMs: NOW + 9000 });
  });

  test('several windows count as the tightest; garbage or no header is no information', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': '10, 2', 'x-ratelimit-reset': '1, 60' }, NOW)).toEqual({ remaining: 2, resetAtMs: NOW + 60_000 });
    for (const remaining of ['', 'lots', '-1', '1e3', '0x10']) {
      expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': remaining, 'x-ratelimit-reset': '5' }, NOW)).toBeUndefined();
    }
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': 'soon' }, NOW)).toEqual({ remaining: 2, resetAtMs: undefined });
    expect(parseRateLimitHeaders({ 'content-type': 'application/json' }, NOW)).toBeUndefined();
  });

  test('any remaining count and reset delay round-trips through every header form', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.integer({ min: 0, max: 86_400 }), (remaining, seconds) => {
        const expected = { remaining, resetAtMs: NOW + seconds * 1000 };
        expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(NOW / 1000 + seconds) }, NOW)).toEqual(expected);
        expect(parseRateLimitHeaders({ 'ratelimit-remaining': String(remaining), 'ratelimit-reset': String(seconds) }, NOW)).toEqual(expected);
        expect(parseRateLimitHeaders({ ratelimit: `"default";r=${remaining};t=${seconds}` }, NOW)).toEqual(expected);
      }),
    );
  });
});

/** A limiter on a hand-moved clock, with a bucket that never holds anything back by itself. */
function generousLimiter(now: () => number, concurrency = 4): AccountLimiter {
  return new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1000, burst: 1000, concurrency, now });
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = NOW;
  return { now: () => t, advance: (ms) => (t += ms) };
}

async function refused(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected rate_limited');
}

describe('AccountLimiter follows the vendor headers', () => {
  test('remaining=0 with a reset: no call starts before the reset', async () => {
    const time = clock();
    const limiter = generousLimiter(time.now);
    const { release } = await limiter.acquire(undefined, undefined);
    limiter.observe({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 3) });
    release();
    expect(limiter.bucket.pausedForMs()).toBe(3000);
    // A caller whose deadline is before the reset is told at once, with the wait.
    const error = await refused(limiter.acquire(undefined, NOW + 2000));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(3000);
    time.advance(3000);
    (await limiter.acquire(undefined, NOW + 3100)).release();
  });

  test('remaining=N lets N more calls go, the calls already in flight counted, then waits for the reset', async () => {
    const time = clock();
    const limiter = generousLimiter(time.now);
    const { release: first } = await limiter.acquire(undefined, undefined);
    const { release: second } = await limiter.acquire(undefined, undefined);
    // `first` answers: 3 left when it was counted; `second` is still in flight and will take one.
    limiter.observe({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(NOW / 1000 + 1) });
    first();
    second();
    (await limiter.acquire(undefined, NOW + 10)).release();
    expect(limiter.bucket.pausedForMs()).toBe(0);
    (await limiter.acquire(undefined, NOW + 10)).release();
    // That was the last one the vendor would take before its reset.
    expect(limiter.bucket.pausedForMs()).toBe(1000);
    expect((await refused(limiter.acquire(undefined, NOW + 10))).code).toBe('rate_limited');
  });

  test('an answer that arrives late with a higher count does not raise what is left in the window', async () => {
    const time = clock();
    const limiter = generousLimiter(time.now, 1);
    const reset = String(NOW / 1000 + 1);
    limiter.observe({ 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': reset });
    limiter.observe({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': reset });
    (await limiter.acquire(undefined, NOW + 10)).release();
    expect(limiter.bucket.pausedForMs()).toBe(1000);
  });

  test('a reset far away holds the account for at most the cap; a reset in the past or no reset holds nothing', () => {
    const time = clock();
    const limiter = generousLimiter(time.now);
    limiter.observe({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 86_400) });
    expect(limiter.bucket.pausedForMs()).toBe(MAX_VENDOR_RESET_WAIT_MS);
    const other = generousLimiter(time.now);
    other.observe({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 - 5) });
    other.observe({ 'x-ratelimit-remaining': '0' });
    other.observe({});
    expect(other.bucket.pausedForMs()).toBe(0);
  });
});

describe('against the SendKit simulator', () => {
  let sim: VendorSimulator;
  const apiKey = 'sk_vendor_headers_test_0123456789abcdef';
  beforeAll(async () => {
    sim = await startSimulator('sendkit', { accounts: [{ apiKey, seed: 7, campaigns: 3, label: 'Headers' }], rateLimit: { rules: [perSecond(4)] } });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function run(gate: AccountLimiter, calls: number): Promise<void> {
    const http = createHttpClient({ provider: 'sendkit', baseUrl: sim.url, gate, retry: { maxAttempts: 1 } });
    for (let i = 0; i < calls; i += 1) {
      await http.getJson({ path: '/v1/campaigns', headers: { 'X-Api-Key': apiKey } }).catch((error: unknown) => {
        if (!(error instanceof ProviderError && error.code === 'rate_limited')) throw error;
      });
    }
  }

  test('a bucket that would overrun the vendor (100/s against its 4/s) gets no 429: the headers hold it', async () => {
    sim.resetStats();
    await sleep(1100);
    await run(new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 100, burst: 100, concurrency: 1 }), 10);
    expect(sim.stats().byStatus).toEqual({ '200': 10 });
  }, 20_000);

  test('the same calls with the headers ignored do get 429 (the test can fail)', async () => {
    sim.resetStats();
    await sleep(1100);
    const deaf = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 100, burst: 100, concurrency: 1 });
    deaf.observe = () => undefined;
    await run(deaf, 10);
    expect(sim.stats().byStatus['429']).toBeGreaterThan(0);
  }, 20_000);
});
