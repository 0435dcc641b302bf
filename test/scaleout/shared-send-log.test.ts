/**
 * The vendor's windows shared by several instances (RedisSendLog, Lua scripts on a real Redis):
 * reservations from two "instances" of one account share each window; a call is counted from when
 * it was sent, a dropped one frees its place; end to end, two limiters on one Redis keep a walk of
 * both under Kakiyo's simulator at 4 per second (no rate-limit headers to fall back on) where two
 * limiters with only their own logs meet 429s; without Redis the local log paces alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../src/errors';
import { createHttpClient } from '../../src/http/client';
import { AccountLimiter, OUTBOUND_PACING_MARGIN } from '../../src/ratelimit/limiter';
import { RedisSendLog } from '../../src/scaleout/shared-send-log';
import { perSecond, startSimulator, type VendorSimulator } from '../../src/simulator';
import { freePort, useTestRedis } from '../helpers/redis';

const SECRET = 'shared-secret-of-every-instance-0123456789';
const PACE = Math.ceil(1000 * (1 + OUTBOUND_PACING_MARGIN));


describe('RedisSendLog', () => {
  const { connection, group } = useTestRedis('kakiyo');
  async function log(g: string, requests: number, url?: string): Promise<RedisSendLog> {
    return new RedisSendLog(await connection(url), { keySecret: SECRET, group: g, windows: [{ requests, seconds: 1 }], margin: OUTBOUND_PACING_MARGIN });
  }

  it('two instances share one window: the third call of a 2-per-second window waits a paced second, from either instance', async () => {
    const g = group();
    const a = await log(g, 2);
    const b = await log(g, 2);
    const first = await a.reserve(0, Number.POSITIVE_INFINITY);
    const second = await b.reserve(0, Number.POSITIVE_INFINITY);
    expect([first?.waitMs, second?.waitMs]).toEqual([0, 0]);
    a.sent(first?.id ?? '');
    b.sent(second?.id ?? '');
    const third = await a.reserve(0, Number.POSITIVE_INFINITY);
    expect(third?.waitMs).toBeGreaterThan(PACE - 50);
    expect(third?.waitMs).toBeLessThanOrEqual(PACE);
    // Past the max wait: refused, and nothing logged.
    const refused = await b.reserve(0, 100);
    expect(refused?.waitMs).toBeUndefined();
  });

  it('a dropped reservation frees its place; one not yet sent counts as starting now', async () => {
    // The drop script's first use meets NOSCRIPT and is sent again as EVAL after that reply, so a
    // reserve made meanwhile would go first. It is loaded here, in another group, until a refused
    // reserve gets its place back; from then on a drop is one command, ahead of the next reserve.
    const warm = await log(group(), 1);
    warm.drop((await warm.reserve(0, Number.POSITIVE_INFINITY))?.id ?? '');
    let loaded = false;
    for (let tries = 0; tries < 250 && !loaded; tries += 1) {
      loaded = (await warm.reserve(0, 0))?.waitMs !== undefined;
      if (!loaded) await sleep(20);
    }
    expect(loaded).toBe(true);
    const g = group();
    const a = await log(g, 1);
    const first = await a.reserve(0, Number.POSITIVE_INFINITY);
    a.drop(first?.id ?? '');
    await sleep(20);
    expect((await a.reserve(0, Number.POSITIVE_INFINITY))?.waitMs).toBe(0);
    // That one is still pending: the next waits a paced window from now at least.
    await sleep(200);
    expect((await a.reserve(0, Number.POSITIVE_INFINITY))?.waitMs).toBeGreaterThan(PACE - 50);
  });

  it('answers undefined without Redis, and the limiter keeps the window with its local log', async () => {
    const port = await freePort();
    const offline = await log(group(), 2, `redis://127.0.0.1:${port}`);
    expect(await offline.reserve(0, Number.POSITIVE_INFINITY)).toBeUndefined();
    const limiter = new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 1000, burst: 1000, concurrency: 4, windows: [{ requests: 2, seconds: 1 }], sharedLog: offline });
    for (let i = 0; i < 2; i += 1) {
      const permit = await limiter.acquire(undefined, Date.now() + 100);
      permit.sent();
      permit.release();
    }
    await expect(limiter.acquire(undefined, Date.now() + 100)).rejects.toMatchObject({ code: 'rate_limited' });
  });

  describe('two limiters against Kakiyo\'s simulator at 4 per second', () => {
    let sim: VendorSimulator;
    // Kakiyo keys are 40 characters.
    const apiKey = 'kk_shared_windows_test_0123456789abcdefg';
    beforeAll(async () => {
      sim = await startSimulator('kakiyo', { accounts: [{ apiKey, seed: 5, campaigns: 3, label: 'Shared' }], rateLimit: { rules: [perSecond(4)], perEndpoint: false } });
    });
    afterAll(async () => {
      await sim.close();
    });

    async function walkBoth(make: () => Promise<AccountLimiter>): Promise<Record<string, number>> {
      await sleep(1100);
      sim.resetStats();
      const limiters = [await make(), await make()];
      await Promise.all(
        limiters.map(async (gate) => {
          const http = createHttpClient({ provider: 'kakiyo', baseUrl: sim.url, gate, retry: { maxAttempts: 1 } });
          await Promise.all(
            Array.from({ length: 6 }, () =>
              http.getJson({ path: '/v1/campaigns', headers: { Authorization: `Bearer ${apiKey}` } }).catch((error: unknown) => {
                if (!(error instanceof ProviderError && error.code === 'rate_limited')) throw error;
              }),
            ),
          );
        }),
      );
      return sim.stats().byStatus;
    }

    it('sharing the log through Redis: 12 calls, no 429', async () => {
      const g = group();
      const statuses = await walkBoth(async () => new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 1000, burst: 1000, concurrency: 4, windows: [{ requests: 4, seconds: 1 }], sharedLog: await log(g, 4) }));
      expect(statuses).toEqual({ '200': 12 });
    }, 20_000);

    it('each with only its own log: the vendor answers 429 (the test can fail)', async () => {
      const statuses = await walkBoth(() => Promise.resolve(new AccountLimiter({ provider: 'kakiyo', requestsPerSecond: 1000, burst: 1000, concurrency: 4, windows: [{ requests: 4, seconds: 1 }] })));
      expect(statuses['429']).toBeGreaterThan(0);
    }, 20_000);
  });
});
