/**
 * The gateway against the four vendor simulators on real loopback sockets. Vendor calls are counted
 * by the simulators, so "zero calls" and "the calls of one request" are measured, not assumed.
 */
import { PROVIDER_IDS } from '../../src/schema/campaign';
import { ALL_SECRETS, CLIENT_KEY, OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

interface Body {
  data: { key: string; provider: string; workspace: string; status: string; name: string }[];
  totals: { campaigns: number; metrics: Record<string, number | null> };
  sources: { connection: string; provider: string; status: string; cache: string; error: { code: string } | null; ageSeconds: number | null }[];
  meta: { complete: boolean; workspaces: string[]; requestId: string };
}

const ANALYTICS = '/v1/campaigns/analytics';

describe('gateway against the simulators', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });

  test('the default workspace answers 200 with campaigns from all four providers', async () => {
    const res = await stack.get(ANALYTICS);
    expect(res.status).toBe(200);
    const body = res.body as Body;
    expect(new Set(body.data.map((c) => c.provider))).toEqual(new Set(PROVIDER_IDS));
    expect(new Set(body.data.map((c) => c.workspace))).toEqual(new Set(['acme']));
    expect(body.sources.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(body.meta.complete).toBe(true);
    expect(body.totals.campaigns).toBe(body.data.length);
    expect(res.headers.get('x-gateway-complete')).toBe('true');
    expect(res.headers.get('etag')).toMatch(/^"/);
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(res.headers.get('x-request-id')).toBe(body.meta.requestId);
    // sorted by workspace, provider, name
    const order = body.data.map((c) => `${c.workspace}|${c.provider}|${c.name}`);
    expect(order).toEqual([...order].sort());
  });

  test('workspace_id=ALL covers both workspaces, each campaign key once', async () => {
    const res = await stack.get(`${ANALYTICS}?workspace_id=ALL`);
    expect(res.status).toBe(200);
    const body = res.body as Body;
    expect(body.meta.workspaces).toEqual(['acme', 'globex']);
    expect(new Set(body.data.map((c) => c.workspace))).toEqual(new Set(['acme', 'globex']));
    expect(body.sources).toHaveLength(8);
    expect(new Set(body.data.map((c) => c.key)).size).toBe(body.data.length);
  });

  test('an unlinked workspace is 403 problem+json with zero vendor calls, cached or not', async () => {
    const cold = await stack.get(`${ANALYTICS}?workspace_id=acme`, { 'X-API-Key': OTHER_CLIENT_KEY });
    expect(cold.status).toBe(403);
    expect(cold.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(cold.body).toMatchObject({ status: 403, code: 'access_denied' });
    expect(stack.upstreamCalls()).toBe(0);
    await stack.get(`${ANALYTICS}?workspace_id=acme`); // warms acme for the linked client
    stack.resetCounts();
    const warm = await stack.get(`${ANALYTICS}?workspace_id=acme`, { 'X-API-Key': OTHER_CLIENT_KEY });
    expect(warm.status).toBe(403);
    expect(warm.text).toBe(cold.text.replace((cold.body as { requestId: string }).requestId, (warm.body as { requestId: string }).requestId));
    expect(stack.upstreamCalls()).toBe(0);
  });

  test('no key is 401; a key in the query string is 401; a bad parameter is 400 naming it', async () => {
    const none = await stack.get(ANALYTICS, {});
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'unauthorized' });
    const inQuery = await stack.get(`${ANALYTICS}?api_key=${CLIENT_KEY}`, {});
    expect(inQuery.status).toBe(401);
    const bad = await stack.get(`${ANALYTICS}?providers=instantly,mailchimp&start_date=2026-02-30&foo=1`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const params = (bad.body as { errors: { parameter: string }[] }).errors.map((e) => e.parameter).sort();
    expect(params).toEqual(['end_date', 'foo', 'providers', 'start_date']);
    expect(stack.upstreamCalls()).toBe(0);
  });

  test('a repeated request is a cache hit with zero vendor calls, and a matching ETag gives 304', async () => {
    const first = await stack.get(ANALYTICS);
    const callsOfOne = stack.upstreamCalls();
    expect(callsOfOne).toBeGreaterThan(0);
    stack.resetCounts();
    const second = await stack.get(ANALYTICS);
    expect(stack.upstreamCalls()).toBe(0);
    expect((second.body as Body).sources.map((s) => s.cache)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect((second.body as Body).data).toEqual((first.body as Body).data);
    const etag = second.headers.get('etag') ?? '';
    const notModified = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'If-None-Match': etag });
    expect(notModified.status).toBe(304);
    expect(stack.upstreamCalls()).toBe(0);
    // A forced refresh that brings the same vendor data keeps the ETag (it is a content digest).
    const refreshed = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'If-None-Match': etag, 'Cache-Control': 'no-cache' });
    expect(refreshed.status).toBe(304);
    expect(stack.upstreamCalls()).toBe(callsOfOne);
  });

  test('200 concurrent identical cold requests cause exactly the vendor calls of one', async () => {
    await stack.get(ANALYTICS);
    const callsOfOne = stack.upstreamCalls();
    await stack.close();
    stack = await startStack();
    const answers = await Promise.all(Array.from({ length: 200 }, () => stack.get(ANALYTICS)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(stack.upstreamCalls()).toBe(callsOfOne);
  });

  test('refresh=true and Cache-Control: no-cache call the vendors again', async () => {
    await stack.get(ANALYTICS);
    const callsOfOne = stack.upstreamCalls();
    stack.resetCounts();
    const refreshed = await stack.get(`${ANALYTICS}?refresh=true`);
    expect((refreshed.body as Body).sources.map((s) => s.cache)).toEqual(['bypass', 'bypass', 'bypass', 'bypass']);
    expect(stack.upstreamCalls()).toBe(callsOfOne);
    stack.resetCounts();
    await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'Cache-Control': 'no-cache' });
    expect(stack.upstreamCalls()).toBe(callsOfOne);
  });

  test('a failing vendor gives 200 with that source error and the others ok; stale when it had data', async () => {
    stack.sims.sendkit.setFaults({ down: true });
    const res = await stack.get(ANALYTICS);
    expect(res.status).toBe(200);
    const body = res.body as Body;
    const bySource = Object.fromEntries(body.sources.map((s) => [s.provider, s]));
    expect(bySource.sendkit?.status).toBe('error');
    expect(bySource.sendkit?.error?.code).toBe('upstream_unavailable');
    expect(['instantly', 'kakiyo', 'seleqt'].map((p) => bySource[p]?.status)).toEqual(['ok', 'ok', 'ok']);
    expect(body.meta.complete).toBe(false);
    expect(res.headers.get('x-gateway-complete')).toBe('false');
    expect(body.data.some((c) => c.provider === 'sendkit')).toBe(false);

    // With data cached, the same failure serves it as stale.
    stack.sims.sendkit.setFaults({ down: false });
    await stack.get(`${ANALYTICS}?refresh=true`);
    stack.sims.sendkit.setFaults({ down: true });
    const stale = await stack.get(`${ANALYTICS}?refresh=true`);
    const sendkit = (stale.body as Body).sources.find((s) => s.provider === 'sendkit');
    expect(sendkit?.status).toBe('stale');
    expect(sendkit?.error?.code).toBe('upstream_unavailable');
    expect((stale.body as Body).data.some((c) => c.provider === 'sendkit')).toBe(true);
    expect((stale.body as Body).meta.complete).toBe(true);
  });

  test('every vendor failing gives 502 with the same body shape; require=all gives 502 on one failure', async () => {
    for (const p of PROVIDER_IDS) stack.sims[p].setFaults({ down: true });
    const all = await stack.get(ANALYTICS);
    expect(all.status).toBe(502);
    expect((all.body as Body).sources.every((s) => s.status === 'error')).toBe(true);
    expect((all.body as Body).data).toEqual([]);
    expect(all.headers.get('content-type')).toMatch(/^application\/json/);
    for (const p of PROVIDER_IDS) stack.sims[p].setFaults({ down: p === 'seleqt' });
    const one = await stack.get(`${ANALYTICS}?require=all`);
    expect(one.status).toBe(502);
    expect((one.body as Body).sources.filter((s) => s.status === 'ok')).toHaveLength(3);
    expect((await stack.get(ANALYTICS)).status).toBe(200);
  });

  test('an unlinked id filter makes no calls; an ids filter calls only its connection', async () => {
    await stack.get(ANALYTICS);
    const body = (await stack.get(ANALYTICS)).body as Body;
    const some = body.data.filter((c) => c.provider === 'instantly').slice(0, 2).map((c) => c.key);
    stack.resetCounts();
    const filtered = await stack.get(`${ANALYTICS}?ids=${some.join(',')}`);
    expect((filtered.body as Body).data.map((c) => c.key).sort()).toEqual([...some].sort());
    expect((filtered.body as Body).sources.map((s) => s.provider)).toEqual(['instantly']);
    expect(stack.sims.sendkit.stats().total + stack.sims.kakiyo.stats().total + stack.sims.seleqt.stats().total).toBe(0);
  });

  test('/v1/connections lists the caller\'s connections without a secret', async () => {
    await stack.get(ANALYTICS);
    const res = await stack.get('/v1/connections');
    expect(res.status).toBe(200);
    const data = (res.body as { data: { id: string; breaker: string; lastSuccessAt: string | null }[] }).data;
    expect(data.map((c) => c.id).sort()).toEqual(
      ['acme', 'globex'].flatMap((w) => PROVIDER_IDS.map((p) => `${w}-${p}`)).sort(),
    );
    expect(data.find((c) => c.id === 'acme-instantly')?.lastSuccessAt).not.toBeNull();
    for (const secret of ALL_SECRETS) expect(res.text).not.toContain(secret);
  });
});

describe('deadlines, rate limits and breakers', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  test('a vendor that never answers costs at most the deadline', async () => {
    // Room for the other sources' cold first walk on a machine loaded by other test files (a 700 ms
    // deadline in a test like this one once ran every source out in CI).
    const deadlineMs = 2000;
    stack = await startStack({ server: { deadlineMs }, providerSettings: { kakiyo: { timeoutMs: 5000 } } });
    stack.sims.kakiyo.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    const res = await stack.get(ANALYTICS);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    const kakiyo = (res.body as Body).sources.find((s) => s.provider === 'kakiyo');
    expect(kakiyo?.status).toBe('error');
    expect(kakiyo?.error?.code).toBe('upstream_timeout');
    expect(elapsed).toBeLessThan(deadlineMs + 700);
  });

  test('a 429 with Retry-After is waited out inside the deadline', async () => {
    stack = await startStack({ server: { deadlineMs: 5000 }, simulator: { instantly: { rateLimit: { retryAfter: 'seconds' } } } });
    stack.sims.instantly.setFaults({ rateLimitBurst: 1 });
    const started = Date.now();
    const res = await stack.get(`${ANALYTICS}?providers=instantly`);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect((res.body as Body).sources[0]?.status).toBe('ok');
    expect(stack.sims.instantly.stats().byStatus['429']).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(900); // Retry-After: 1 was honoured
    expect(elapsed).toBeLessThan(5000);
  });

  test("the gateway's own outbound rate never exceeds the configured one (and the vendor sees no 429)", async () => {
    stack = await startStack({
      campaigns: 12,
      server: { deadlineMs: 20_000 },
      providerSettings: { sendkit: { requestsPerSecond: 10, burst: 2, concurrency: 4 } },
      simulator: { sendkit: { rateLimit: { rules: [{ limit: 12, windowMs: 1000 }] } } },
    });
    const started = Date.now();
    const res = await stack.get(`${ANALYTICS}?providers=sendkit`);
    const elapsed = (Date.now() - started) / 1000;
    expect(res.status).toBe(200);
    const calls = stack.sims.sendkit.stats();
    expect(calls.byStatus['429']).toBeUndefined();
    // burst 2 then 10/s: n calls need at least (n - 2) / 10 seconds.
    expect(elapsed).toBeGreaterThanOrEqual((calls.total - 2) / 10 - 0.05);
  });

  test('an open breaker makes no calls', async () => {
    stack = await startStack({ providerSettings: { seleqt: { breakerThreshold: 2, breakerCooldownSeconds: 60, maxAttempts: 1 } } });
    stack.sims.seleqt.setFaults({ down: true });
    await stack.get(`${ANALYTICS}?providers=seleqt&refresh=true`);
    await stack.get(`${ANALYTICS}?providers=seleqt&refresh=true`);
    stack.resetCounts();
    const res = await stack.get(`${ANALYTICS}?providers=seleqt&refresh=true`);
    expect((res.body as Body).sources[0]?.error?.code).toBe('circuit_open');
    expect(stack.sims.seleqt.stats().total).toBe(0);
  });
});
