/**
 * A vendor that says "slow down" (429 with every kind of Retry-After) or is down for minutes (503
 * until the circuit breaker opens). Exact replies come from nock; the breaker cases use the Seleqt
 * simulator, whose call counter is the proof of "zero calls while open" and "one probe".
 */
import nock from 'nock';
import type { Stack, StackOptions } from '../helpers/stack';
import { ANALYTICS, WatchedStack, type TimedAnswer, sleep, sourceOf } from './harness';

const ORIGIN = 'https://seleqt.vendor.test';
const SELEQT_PATH = '/api/v1/dashboard/campaign-analytics/';
const SELEQT_OK = {
  campaigns: [
    {
      id: 123,
      name: 'Acme Limited Campaign',
      status: 'ACTIVE',
      workspace_id: 340,
      analytics: { amount_of_prospects: 10, amount_of_prospects_contacted: 5, amount_of_replies: 1 },
    },
  ],
};
const SELEQT_ONLY = `${ANALYTICS}?providers=seleqt`;

/**
 * One 429 with the given Retry-After, then (optionally) the healthy reply. The 429 echoes the key it
 * was sent, as careless vendors do: the canary scan at the end proves it never gets further.
 */
function rateLimitedThenOk(retryAfter: string | undefined, thenOk: boolean, times = 1): nock.Scope {
  const scope = nock(ORIGIN)
    .get(SELEQT_PATH)
    .query({ workspace_id: '340' })
    .times(times)
    .reply(
      429,
      function echo() {
        return { error: 'Rate limit exceeded', message: `too many requests for key ${String(this.req.headers['x-api-key'])}` };
      },
      retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
    );
  if (thenOk) scope.get(SELEQT_PATH).query({ workspace_id: '340' }).reply(200, SELEQT_OK);
  return scope;
}

describe('resilience: rate limits and breakers', () => {
  const watched = new WatchedStack();
  const seen = watched.seen;

  const stackWith = (options: StackOptions = {}): Promise<Stack> => watched.start(options);

  const get = (path: string): Promise<TimedAnswer> => watched.get(path);

  afterEach(async () => {
    await watched.close();
  });

  const viaNock = (server: Record<string, unknown> = {}): Promise<Stack> =>
    stackWith({ server: { deadlineMs: 3000, ...server }, connections: { 'acme-seleqt': { baseUrl: ORIGIN, maxAttempts: 3 } } });

  test('429 with Retry-After in seconds: waited out, then the retry succeeds', async () => {
    const scope = rateLimitedThenOk('1', true);
    await viaNock();
    const res = await get(SELEQT_ONLY);
    expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'ok' });
    expect(res.ms).toBeGreaterThanOrEqual(950); // not the 0–250 ms backoff
    expect(res.ms).toBeLessThan(2500);
    expect(scope.isDone()).toBe(true);
  });

  test('429 with Retry-After as an HTTP date: waited out until that time, then the retry succeeds', async () => {
    // HTTP dates have whole seconds: 2 s ahead is at least 1 s from now.
    const scope = rateLimitedThenOk(new Date(Date.now() + 2000).toUTCString(), true);
    await viaNock();
    const res = await get(SELEQT_ONLY);
    expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'ok' });
    expect(res.ms).toBeGreaterThanOrEqual(900);
    expect(res.ms).toBeLessThan(2900);
    expect(scope.isDone()).toBe(true);
  });

  test('429 with Retry-After larger than the deadline: fails at once as rate_limited, and the paused account is not called again', async () => {
    const scope = rateLimitedThenOk('30', false);
    await viaNock({ deadlineMs: 1500 });
    const first = await get(SELEQT_ONLY);
    expect(sourceOf(first.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'rate_limited', retryAfterSeconds: 30 } });
    expect(first.ms).toBeLessThan(1000); // at once, not at the deadline
    expect(scope.isDone()).toBe(true);
    // The account is paused for 30 s: the next request makes no call (nock would answer a call
    // with a network error) and again answers at once.
    const second = await get(`${SELEQT_ONLY}&refresh=true`);
    const source = sourceOf(second.body, 'acme-seleqt');
    expect(source).toMatchObject({ status: 'error', error: { code: 'rate_limited' } });
    expect(source.error?.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(second.ms).toBeLessThan(1000);
  });

  test('429 with an absurd Retry-After (86400): the pause is capped at 60 s', async () => {
    const scope = rateLimitedThenOk('86400', false);
    await viaNock({ deadlineMs: 1500 });
    const res = await get(SELEQT_ONLY);
    const source = sourceOf(res.body, 'acme-seleqt');
    expect(source).toMatchObject({ status: 'error', error: { code: 'rate_limited' } });
    expect(source.error?.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(res.ms).toBeLessThan(1000);
    expect(scope.isDone()).toBe(true);
    const limiter = [...(watched.current?.service.gateway.limiters.values() ?? [])].find((l) => l.bucket.pausedForMs() > 0);
    expect(limiter?.bucket.pausedForMs()).toBeGreaterThan(50_000);
    expect(limiter?.bucket.pausedForMs()).toBeLessThanOrEqual(60_000);
  });

  test('429 with a garbage Retry-After: ignored, the normal short backoff applies and the retry succeeds', async () => {
    await viaNock();
    for (const garbage of ['soon', '1e9', '-5', '12abc', 'Tomorrow 99:99']) {
      const scope = rateLimitedThenOk(garbage, true);
      const res = await get(`${SELEQT_ONLY}&refresh=true`);
      expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'ok' });
      expect(res.ms).toBeLessThan(900);
      expect(scope.isDone()).toBe(true);
    }
    // 429 on every attempt: the cached data is served stale with the vendor's message, the echoed
    // key cut out.
    const scope = rateLimitedThenOk('soon', false, 3);
    const res = await get(`${SELEQT_ONLY}&refresh=true`);
    const source = sourceOf(res.body, 'acme-seleqt');
    expect(source).toMatchObject({ status: 'stale', error: { code: 'rate_limited' } });
    expect(source.error?.message).toMatch(/too many requests for key \[REDACTED\]/);
    expect(scope.isDone()).toBe(true);
  });

  test('a vendor returning 503 for minutes: the breaker opens, zero calls while open, one probe when half-open (50 concurrent requests send one)', async () => {
    await stackWith({
      server: { deadlineMs: 2000 },
      providerSettings: { seleqt: { breakerThreshold: 3, breakerCooldownSeconds: 1, maxAttempts: 1 } },
    });
    const sims = watched.current?.sims;
    if (!sims) throw new Error('no stack');
    sims.seleqt.setFaults({ down: true });
    for (let i = 0; i < 3; i += 1) {
      const res = await get(`${SELEQT_ONLY}&refresh=true`);
      expect(sourceOf(res.body, 'acme-seleqt').error?.code).toBe('upstream_unavailable');
    }
    expect(sims.seleqt.stats().total).toBe(3);

    // Open: distinct upstream queries (so nothing coalesces) and not one call.
    sims.seleqt.resetStats();
    for (let day = 1; day <= 10; day += 1) {
      const res = await get(`${SELEQT_ONLY}&start_date=2026-01-01&end_date=2026-01-${String(day).padStart(2, '0')}`);
      expect(sourceOf(res.body, 'acme-seleqt').error?.code).toBe('circuit_open');
    }
    expect(sims.seleqt.stats().total).toBe(0);

    // Half-open: 50 concurrent requests, each a different upstream query, send exactly one probe.
    await sleep(1100);
    const dates = Array.from({ length: 50 }, (_, i) => new Date(Date.UTC(2026, 1, 1) + i * 86_400_000).toISOString().slice(0, 10));
    const answers = await Promise.all(dates.map((end) => get(`${SELEQT_ONLY}&start_date=2026-02-01&end_date=${end}`)));
    expect(sims.seleqt.stats().total).toBe(1);
    const codes = answers.map((a) => sourceOf(a.body, 'acme-seleqt').error?.code);
    expect(codes.filter((c) => c === 'upstream_unavailable')).toHaveLength(1); // the probe
    expect(codes.filter((c) => c === 'circuit_open')).toHaveLength(49);

    // The probe failed, so the breaker is open again; once the vendor is back, the next probe closes it.
    sims.seleqt.resetStats();
    const stillOpen = await get(`${SELEQT_ONLY}&refresh=true`);
    expect(sourceOf(stillOpen.body, 'acme-seleqt').error?.code).toBe('circuit_open');
    expect(sims.seleqt.stats().total).toBe(0);
    sims.seleqt.setFaults({ down: false });
    await sleep(1100);
    const healed = await get(`${SELEQT_ONLY}&refresh=true`);
    expect(sourceOf(healed.body, 'acme-seleqt').status).toBe('ok');
    const connections = await watched.current?.get('/v1/connections');
    const seleqt = (connections?.body as { data: { id: string; breaker: string }[] }).data.find((c) => c.id === 'acme-seleqt');
    expect(seleqt?.breaker).toBe('closed');
  });

  test('a walk queued behind the outbound rate limit waits for its tokens past timeoutMs instead of cancelling itself', async () => {
    // 7 Kakiyo calls (list + 6 campaigns) at 3/s with a burst of 1: the last call waits about
    // 2 s for its token, 2.5 times the 800 ms attempt timeout, and all of it inside the deadline.
    // (The attempt timeout is generous so that a slow loopback reply on a loaded CI machine does
    // not time out and retry, which would make the call count 8.)
    await stackWith({
      campaigns: 6,
      server: { deadlineMs: 6000 },
      providerSettings: { kakiyo: { requestsPerSecond: 3, burst: 1, timeoutMs: 800, concurrency: 4 } },
    });
    const res = await get(`${ANALYTICS}?providers=kakiyo`);
    expect(sourceOf(res.body, 'acme-kakiyo')).toMatchObject({ status: 'ok', error: null });
    expect(watched.current?.sims.kakiyo.stats().total).toBe(7);
    expect(res.ms).toBeGreaterThanOrEqual(1600); // it really did wait for the rate, past twice the timeout
  });

  test('canary secrets are absent from every answer, log line and /metrics above', () => {
    expect(seen.size).toBeGreaterThan(20);
    expect(seen.leaks()).toEqual([]);
  });
});
