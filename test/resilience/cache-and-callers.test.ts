/**
 * What the cache keeps when vendors fail (stale-if-error inside `staleSeconds`, nothing beyond it,
 * never a failed or half-finished walk), and what happens to shared upstream work when a caller
 * hangs up in the middle of a fan-out. Calls are counted by the simulators.
 */
import { get as httpGet } from 'node:http';
import type { ProviderId } from '../../src/schema/campaign';
import { CLIENT_KEY, type Stack, type StackOptions } from '../helpers/stack';
import { ANALYTICS, WatchedStack, type TimedAnswer, analyticsBody, sleep, sourceOf, startRecordingProxy, type RawVendor } from './harness';

const SELEQT_ONLY = `${ANALYTICS}?providers=seleqt`;

describe('resilience: cache under failure, callers that leave', () => {
  const watched = new WatchedStack();
  const seen = watched.seen;
  let proxy: RawVendor | undefined;

  const stackWith = (options: StackOptions = {}): Promise<Stack> => watched.start(options);

  const get = (path: string): Promise<TimedAnswer> => watched.get(path);

  afterEach(async () => {
    await watched.close();
    await proxy?.stop();
    proxy = undefined;
  });

  /** A clock the test moves forward: `ttlSeconds`/`staleSeconds` pass without real waiting. */
  function movableClock(): { now: () => number; advance: (ms: number) => void } {
    let offset = 0;
    return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
  }

  const staleSettings = { seleqt: { ttlSeconds: 10, staleSeconds: 20, maxAttempts: 1, breakerThreshold: 100 } };

  test('stale-if-error within staleSeconds: the cached data is served, marked stale, with the vendor error', async () => {
    const clock = movableClock();
    const { sims } = await stackWith({ now: clock.now, providerSettings: staleSettings });
    const fresh = await get(SELEQT_ONLY);
    expect(sourceOf(fresh.body, 'acme-seleqt')).toMatchObject({ status: 'ok', cache: 'miss' });
    const records = analyticsBody(fresh.body).data;
    expect(records.length).toBeGreaterThan(0);

    sims.seleqt.setFaults({ down: true });
    clock.advance(15_000); // past ttl (10 s), inside ttl + stale (30 s)
    sims.seleqt.resetStats();
    const swr = await get(SELEQT_ONLY);
    expect(sourceOf(swr.body, 'acme-seleqt')).toMatchObject({ status: 'stale', cache: 'stale' });
    expect(analyticsBody(swr.body).data).toEqual(records);
    await sleep(100); // the background revalidation hits the 503 and fails; nothing is replaced
    expect(sims.seleqt.stats().byStatus['503']).toBe(1);

    const refreshed = await get(`${SELEQT_ONLY}&refresh=true`);
    expect(refreshed.status).toBe(200);
    const source = sourceOf(refreshed.body, 'acme-seleqt');
    expect(source).toMatchObject({ status: 'stale', cache: 'stale', error: { code: 'upstream_unavailable' } });
    expect(source.ageSeconds).toBeGreaterThanOrEqual(15);
    expect(analyticsBody(refreshed.body).data).toEqual(records);
  });

  test('stale-if-error beyond staleSeconds: the old data is not served, the source answers its error', async () => {
    const clock = movableClock();
    const { sims } = await stackWith({ now: clock.now, providerSettings: staleSettings });
    const fresh = await get(SELEQT_ONLY);
    expect(sourceOf(fresh.body, 'acme-seleqt').status).toBe('ok');
    sims.seleqt.setFaults({ down: true });
    clock.advance(31_000); // past ttl + stale (30 s)
    for (const path of [SELEQT_ONLY, `${SELEQT_ONLY}&refresh=true`]) {
      const res = await get(path);
      expect(res.status).toBe(502);
      expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'upstream_unavailable' } });
      expect(analyticsBody(res.body).data).toEqual([]);
    }
  });

  test('one of four vendors failing: only complete per-connection results are cached, and the next request re-fetches only the missing one', async () => {
    let failing = true;
    let analyticsCalls = 0;
    // Kakiyo fails half-way through its walk: the list and two campaigns succeed, the third 500s.
    proxy = await startRecordingProxy(() => watched.current?.sims.kakiyo.url ?? 'http://127.0.0.1:9', (req, res) => {
      if (!failing || !(req.url ?? '').startsWith('/v1/analytics/campaigns/')) return false;
      analyticsCalls += 1;
      if (analyticsCalls <= 2) return false;
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal_error', message: 'Internal server error' }));
      return true;
    });
    await stackWith({ providerSettings: { kakiyo: { maxAttempts: 1 } }, connections: { 'acme-kakiyo': { baseUrl: proxy.origin } } });
    const current = watched.current;
    if (!current) throw new Error('no stack');

    const first = await get(ANALYTICS);
    expect(first.status).toBe(200);
    expect(sourceOf(first.body, 'acme-kakiyo')).toMatchObject({ status: 'error', error: { code: 'upstream_unavailable' } });
    expect(analyticsBody(first.body).sources.filter((s) => s.status === 'ok').map((s) => s.provider).sort()).toEqual(['instantly', 'seleqt', 'sendkit']);
    expect(analyticsBody(first.body).data.some((c) => c.provider === 'kakiyo')).toBe(false); // no half list

    failing = false;
    current.resetCounts();
    const second = await get(ANALYTICS);
    expect(analyticsBody(second.body).meta.complete).toBe(true);
    const calls = (p: ProviderId): number => current.sims[p].stats().total;
    expect([calls('instantly'), calls('sendkit'), calls('seleqt')]).toEqual([0, 0, 0]);
    // The whole Kakiyo walk again (list + 6 campaigns): the partial one was never cached.
    expect(calls('kakiyo')).toBe(7);
    expect(sourceOf(second.body, 'acme-kakiyo')).toMatchObject({ status: 'ok', cache: 'miss' });
    for (const provider of ['instantly', 'sendkit', 'seleqt']) expect(sourceOf(second.body, `acme-${provider}`).cache).toBe('hit');
  });

  test('a caller that disconnects mid-fan-out: the shared upstream work continues for the others, fills the cache, no write-after-end', async () => {
    const latency = { faults: { latencyMs: 300 } };
    const current = await stackWith({ simulator: { instantly: latency, sendkit: latency, kakiyo: latency, seleqt: latency } });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      /** Starts a request and hangs up after `ms`, before any vendor has answered. */
      const leaveAfter = (path: string, ms: number): Promise<string> =>
        new Promise((resolve) => {
          const req = httpGet(`${current.url}${path}`, { headers: { 'X-API-Key': CLIENT_KEY }, agent: false }, () => resolve('answered'));
          req.on('error', () => resolve('left'));
          setTimeout(() => req.destroy(), ms);
        });

      // Two callers, the same query: one leaves, the other gets everything.
      const [left, stayed] = await Promise.all([leaveAfter(ANALYTICS, 150), get(ANALYTICS)]);
      expect(left).toBe('left');
      expect(stayed.status).toBe(200);
      expect(analyticsBody(stayed.body).sources.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
      const callsOfOneWalk = current.upstreamCalls();

      // The only caller leaves: the walk still finishes and fills the cache.
      current.resetCounts();
      expect(await leaveAfter(`${ANALYTICS}?workspace_id=globex`, 150)).toBe('left');
      await sleep(1500);
      expect(current.upstreamCalls()).toBe(callsOfOneWalk); // the whole walk ran, once
      current.resetCounts();
      const cached = await get(`${ANALYTICS}?workspace_id=globex`);
      expect(analyticsBody(cached.body).sources.map((s) => s.cache)).toEqual(['hit', 'hit', 'hit', 'hit']);
      expect(current.upstreamCalls()).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    const lines = current.logs.join('');
    expect(lines).not.toMatch(/"level":"error"/);
    expect(lines).not.toMatch(/write after end|ERR_STREAM|ERR_HTTP_HEADERS_SENT/);
  });

  test('canary secrets are absent from every answer, log line and /metrics above', () => {
    expect(seen.size).toBeGreaterThan(10);
    expect(seen.leaks()).toEqual([]);
  });
});
