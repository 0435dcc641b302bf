/**
 * The vendor's own sliding windows (`windows`): the log of sends says when the next call may start
 * (counted from when each call was written to its socket, a call not yet written as now), and the
 * account limiter keeps to it; a vendor reply saying nothing remains holds the account for the
 * vendor's whole-second reset only when the vendor counts more calls than the log. End to end
 * against the SendKit simulator (10 per second, to the millisecond): no 429, and no hold.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ProviderError } from '../../src/errors';
import { createHttpClient } from '../../src/http/client';
import { AccountLimiter, OUTBOUND_PACING_MARGIN } from '../../src/ratelimit/limiter';
import { SendLog } from '../../src/ratelimit/send-log';
import { perSecond, startSimulator, type VendorSimulator } from '../../src/simulator';

const NOW = 1_767_225_600_000;
const PACE = 1000 * (1 + OUTBOUND_PACING_MARGIN);

describe('SendLog', () => {
  test('a window of 3 per second: three calls start at once, the fourth one paced window after the first was sent', () => {
    const log = new SendLog([{ requests: 3, seconds: 1 }], OUTBOUND_PACING_MARGIN);
    const calls = [0, 1, 2].map(() => log.reserve(log.earliest(NOW, NOW)));
    expect(calls.map((call) => call.at)).toEqual([NOW, NOW, NOW]);
    calls.forEach((call, i) => log.sent(call, NOW + 10 * i));
    expect(log.earliest(NOW + 20, NOW + 20)).toBe(NOW + PACE);
    // Later than that, from the second call on.
    expect(log.earliest(NOW + 2000, NOW + 2000)).toBe(NOW + 2000);
  });

  test('a call that waited for a socket counts from when it was written, and one not yet written as now', () => {
    const log = new SendLog([{ requests: 1, seconds: 1 }], OUTBOUND_PACING_MARGIN);
    const first = log.reserve(log.earliest(NOW, NOW));
    // Not on the wire yet at NOW + 300: it cannot count as earlier than that.
    expect(log.earliest(NOW + 300, NOW + 300)).toBe(NOW + 300 + PACE);
    log.sent(first, NOW + 400);
    expect(log.earliest(NOW + 500, NOW + 500)).toBe(NOW + 400 + PACE);
  });

  test('a call dropped before it was sent frees its place; sends out of order are kept in order', () => {
    const log = new SendLog([{ requests: 2, seconds: 1 }], OUTBOUND_PACING_MARGIN);
    const a = log.reserve(NOW);
    const b = log.reserve(NOW);
    log.drop(b);
    expect(log.earliest(NOW, NOW)).toBe(NOW);
    const c = log.reserve(NOW);
    log.sent(c, NOW + 50);
    log.sent(a, NOW + 20);
    expect(log.earliest(NOW + 60, NOW + 60)).toBe(NOW + 20 + PACE);
  });

  test('every window holds: 2 per second and 3 per 10 seconds', () => {
    const log = new SendLog(
      [
        { requests: 2, seconds: 1 },
        { requests: 3, seconds: 10 },
      ],
      OUTBOUND_PACING_MARGIN,
    );
    let now = NOW;
    const starts: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const at = log.earliest(now, now);
      log.sent(log.reserve(at), at);
      starts.push(at - NOW);
      now = at;
    }
    expect(starts).toEqual([0, 0, PACE, 10 * PACE, 10 * PACE]);
  });

  test('leftAfter: what the vendor should still allow after counting a call, later calls included', () => {
    const log = new SendLog([{ requests: 5, seconds: 1 }], OUTBOUND_PACING_MARGIN);
    const calls = [0, 1, 2].map(() => log.reserve(NOW));
    calls.forEach((call, i) => log.sent(call, NOW + i));
    expect(log.leftAfter(calls[0]!, NOW + 5)).toBe(2);
    // A window later the first call's elders are out of its window, not the calls after it.
    const late = log.reserve(NOW + 2000);
    log.sent(late, NOW + 2000);
    expect(log.leftAfter(late, NOW + 2000)).toBe(4);
  });
});

describe('AccountLimiter with windows', () => {
  function windowed(now: () => number): AccountLimiter {
    return new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1000, burst: 1000, concurrency: 4, now, windows: [{ requests: 2, seconds: 1 }] });
  }

  test('the window refuses a call whose deadline comes before its turn, with the wait as retryAfterMs', async () => {
    const now = (): number => NOW;
    const limiter = windowed(now);
    for (let i = 0; i < 2; i += 1) {
      const permit = await limiter.acquire(undefined, NOW + 100);
      permit.sent();
      permit.release();
    }
    const error = await limiter.acquire(undefined, NOW + 100).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: Math.ceil(PACE) });
  });

  test('remaining=0 that the log agrees with holds nothing; fewer left than the log counts holds until the reset', async () => {
    const limiter = windowed(() => NOW);
    const first = await limiter.acquire(undefined, undefined);
    first.sent();
    const second = await limiter.acquire(undefined, undefined);
    second.sent();
    const reset = String(NOW / 1000 + 1);
    // The vendor counted both calls: its window of 2 is full, as the log says (for the first call
    // the log counts the second too, which may have reached the vendor before it).
    second.answered({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    first.answered({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    expect(limiter.bucket.pausedForMs()).toBe(0);
    first.release();
    second.release();
  });

  test('a vendor that counts more calls than the log holds the account until its reset', async () => {
    const limiter = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1000, burst: 1000, concurrency: 4, now: () => NOW, windows: [{ requests: 3, seconds: 1 }] });
    const first = await limiter.acquire(undefined, undefined);
    first.sent();
    const second = await limiter.acquire(undefined, undefined);
    second.sent();
    // By the log one is left in the window; the vendor says none: something else spends this key.
    first.answered({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 1) });
    expect(limiter.bucket.pausedForMs()).toBe(1000);
    first.release();
    second.release();
  });
});

describe('against the SendKit simulator at 10 per second', () => {
  let sim: VendorSimulator;
  const apiKey = 'sk_send_log_test_0123456789abcdef';
  beforeAll(async () => {
    sim = await startSimulator('sendkit', { accounts: [{ apiKey, seed: 11, campaigns: 3, label: 'Windows' }], rateLimit: { rules: [perSecond(10)] } });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function walk(limiter: AccountLimiter, calls: number): Promise<void> {
    const http = createHttpClient({ provider: 'sendkit', baseUrl: sim.url, gate: limiter, retry: { maxAttempts: 1 } });
    await Promise.all(
      Array.from({ length: calls }, () =>
        http.getJson({ path: '/v1/campaigns', headers: { 'X-Api-Key': apiKey } }).catch((error: unknown) => {
          if (!(error instanceof ProviderError && error.code === 'rate_limited')) throw error;
        }),
      ),
    );
  }

  test('the window at the vendor\'s 10/s: 25 calls, no 429, and the headers never hold the account', async () => {
    // The pacing margin (5 %: 50 ms per second of window) covers a call that reaches the vendor up
    // to 50 ms after it was written. A test process stalled for longer than that (a collection or
    // a loaded CI machine: the simulator answers on this event loop) voids that premise, so such a
    // run is measured again, at most twice; a 429 without such a stall fails at once.
    for (let run = 1; ; run += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the vendor's window is empty
      sim.resetStats();
      const limiter = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1000, burst: 1000, concurrency: 4, windows: [{ requests: 10, seconds: 1 }] });
      const pause = jest.spyOn(limiter, 'pause');
      const lag = monitorEventLoopDelay({ resolution: 5 });
      lag.enable();
      await walk(limiter, 25);
      lag.disable();
      const stalledMs = lag.max / 1e6 - 5;
      if (sim.stats().byStatus['429'] !== undefined && stalledMs > 50 && run < 3) continue;
      expect(sim.stats().byStatus).toEqual({ '200': 25 });
      expect(pause).not.toHaveBeenCalled();
      return;
    }
  }, 30_000);

  test('a window set above the vendor\'s (12/s against 10/s): the vendor counts more than the log, and the headers hold it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    sim.resetStats();
    const limiter = new AccountLimiter({ provider: 'sendkit', requestsPerSecond: 1000, burst: 1000, concurrency: 1, windows: [{ requests: 12, seconds: 1 }] });
    const pause = jest.spyOn(limiter, 'pause');
    await walk(limiter, 14);
    expect(pause).toHaveBeenCalled();
    expect(sim.stats().byStatus).toEqual({ '200': 14 });
  }, 20_000);
});
