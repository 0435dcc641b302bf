/**
 * Tenant isolation: a workspace the key is not linked to is a 403 whether or not its data is
 * cached; two tenants with different vendor keys asking the same query never see each other's
 * records; nothing the caller sends (identity, host or forwarding headers, cookies) reaches a
 * vendor; and one tenant's vendor answering 429 forever does not slow another tenant down.
 */
import { ALL_SECRETS, CLIENT_KEY, OTHER_CLIENT_KEY, VENDOR_KEYS, type Stack, type StackOptions } from '../helpers/stack';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import {
  ANALYTICS,
  WatchedStack, type TimedAnswer,
  analyticsBody,
  problemBody,
  sourceOf,
  startRawVendor,
  startRecordingProxy,
  type RawVendor,
} from '../resilience/harness';

describe('security: tenant isolation', () => {
  const watched = new WatchedStack();
  const seen = watched.seen;
  const servers: RawVendor[] = [];

  const stackWith = (options: StackOptions = {}): Promise<Stack> => watched.start(options);

  const get = (path: string, headers?: Record<string, string>): Promise<TimedAnswer> => watched.get(path, headers);

  afterEach(async () => {
    await watched.close();
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  test('an unlinked workspace, cached and uncached: the same 403 and zero vendor calls', async () => {
    const current = await stackWith();
    const other = { 'X-API-Key': OTHER_CLIENT_KEY }; // linked to globex only
    const cold = await get(`${ANALYTICS}?workspace_id=acme`, other);
    expect(cold.status).toBe(403);
    expect(problemBody(cold.body).code).toBe('access_denied');
    expect(current.upstreamCalls()).toBe(0);

    const warm = await get(`${ANALYTICS}?workspace_id=acme`); // the linked client fills acme's cache
    expect(warm.status).toBe(200);
    current.resetCounts();
    for (const path of [`${ANALYTICS}?workspace_id=acme`, `${ANALYTICS}?workspace_id=acme&ids=acme-seleqt:8395001`, `${ANALYTICS}?workspace_id=nope`]) {
      const cached = await get(path, other);
      expect(cached.status).toBe(403);
      // Byte for byte the same answer (but the request id): the cache says nothing.
      const requestId = (text: string): string => (JSON.parse(text) as { requestId: string }).requestId;
      expect(cached.text.replace(requestId(cached.text), '')).toBe(cold.text.replace(requestId(cold.text), ''));
    }
    // ids naming another tenant's connection, without workspace_id: nothing of acme is called or shown.
    const sneaky = await get(`${ANALYTICS}?ids=acme-seleqt:8395001,acme-instantly:x`, other);
    expect(sneaky.status).toBe(200);
    expect(analyticsBody(sneaky.body).sources).toEqual([]); // not one of acme's connections is planned
    expect(analyticsBody(sneaky.body).data).toEqual([]);
    expect(JSON.stringify(sneaky.body)).not.toMatch(/Acme/);
    expect(current.upstreamCalls()).toBe(0);
  });

  test("two tenants with different vendor keys and the same query never see each other's records", async () => {
    const current = await stackWith();
    // Cold and concurrent, so the walks run side by side; then again from the cache.
    for (let round = 0; round < 2; round += 1) {
      const [acme, globex, globexOnly] = await Promise.all([
        get(`${ANALYTICS}?workspace_id=acme`),
        get(`${ANALYTICS}?workspace_id=globex`),
        get(ANALYTICS, { 'X-API-Key': OTHER_CLIENT_KEY }),
      ]);
      for (const [res, mine, theirs] of [
        [acme, 'acme', 'Globex'],
        [globex, 'globex', 'Acme'],
        [globexOnly, 'globex', 'Acme'],
      ] as const) {
        expect(res.status).toBe(200);
        const body = analyticsBody(res.body);
        expect(body.sources.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
        expect(body.data.length).toBeGreaterThanOrEqual(4 * 6 - 2);
        for (const record of body.data) {
          expect(record.workspace).toBe(mine);
          expect(record.connection.startsWith(`${mine}-`)).toBe(true);
          expect(record.name).not.toContain(theirs);
        }
        expect(res.text).not.toContain(theirs);
        if (round === 1) expect(body.sources.map((s) => s.cache)).toEqual(['hit', 'hit', 'hit', 'hit']);
      }
      expect(analyticsBody(globex.body).data).toEqual(analyticsBody(globexOnly.body).data);
    }
    // Each vendor saw both accounts, each with its own key (the simulators count per account).
    for (const provider of PROVIDER_IDS) {
      const byKey = current.sims[provider].stats().byKey;
      expect(byKey.Acme).toBeGreaterThan(0);
      expect(byKey.Globex).toBeGreaterThan(0);
    }
  });

  test('caller headers (X-Workspace-Id, x-as-workspace, Authorization, X-API-Key, Host, X-Forwarded-Host, Cookie) never reach a vendor', async () => {
    const proxies = {} as Record<ProviderId, RawVendor>;
    for (const provider of PROVIDER_IDS) {
      proxies[provider] = await startRecordingProxy(() => watched.current?.sims[provider].url ?? 'http://127.0.0.1:9');
      servers.push(proxies[provider]);
    }
    const connections: Record<string, Record<string, unknown>> = {};
    for (const workspace of ['acme', 'globex'] as const) {
      for (const provider of PROVIDER_IDS) connections[`${workspace}-${provider}`] = { baseUrl: proxies[provider].origin };
    }
    await stackWith({ connections });
    const injected = {
      'X-Workspace-Id': 'injected-workspace-65f0a1b2c3d4e5f6a7b8c9a1',
      'x-as-workspace': 'injected-as-workspace',
      Host: 'injected-host.attacker.test',
      'X-Forwarded-Host': 'injected-forwarded.attacker.test',
      'X-Forwarded-For': '203.0.113.66',
      Cookie: 'session=injected-cookie',
      'X-Request-Id': 'injected-request-id',
    };
    const byHeader = await get(`${ANALYTICS}?workspace_id=ALL&include=steps,daily`, { ...injected, 'X-API-Key': CLIENT_KEY, Authorization: 'Bearer injected-authorization' });
    expect(byHeader.status).toBe(200);
    const byBearer = await get(`${ANALYTICS}?workspace_id=ALL&refresh=true`, { ...injected, Authorization: `Bearer ${CLIENT_KEY}` });
    expect(byBearer.status).toBe(200);
    expect(analyticsBody(byBearer.body).meta.complete).toBe(true);

    // What each vendor is allowed to receive: its own auth header with this connection's key.
    const allowed = new Set(['accept', 'user-agent', 'accept-encoding', 'connection', 'host', 'authorization', 'x-api-key']);
    const authHeader: Record<ProviderId, string> = { instantly: 'authorization', kakiyo: 'authorization', sendkit: 'x-api-key', seleqt: 'x-api-key' };
    let recorded = 0;
    for (const provider of PROVIDER_IDS) {
      const vendorKeys = [VENDOR_KEYS.acme[provider], VENDOR_KEYS.globex[provider]];
      for (const request of proxies[provider].requests) {
        recorded += 1;
        const names = Object.keys(request.headers);
        for (const name of names) expect(allowed.has(name) ? name : `unexpected header ${name}`).toBe(name);
        const other = authHeader[provider] === 'authorization' ? 'x-api-key' : 'authorization';
        expect(names).not.toContain(other);
        const auth = request.headers[authHeader[provider]];
        const expected = vendorKeys.map((key) => (provider === 'instantly' || provider === 'kakiyo' ? `Bearer ${key}` : key));
        expect(expected).toContain(auth);
        expect(request.headers.host).toBe(new URL(proxies[provider].origin).host);
        const flat = JSON.stringify(request.rawHeaders) + request.url;
        expect(flat).not.toMatch(/injected|attacker|203\.0\.113/);
        expect(flat).not.toContain(CLIENT_KEY);
      }
    }
    expect(recorded).toBeGreaterThan(30);
  });

  test('a noisy tenant whose vendor answers 429 forever does not slow another tenant', async () => {
    const noisy = await startRawVendor((_req, res) => {
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
      res.end(JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded' }));
    });
    servers.push(noisy);
    await stackWith({
      server: { deadlineMs: 3000 },
      // The breaker would soon stop the noise at the gateway; keep it closed so the 429s go on.
      connections: { 'globex-instantly': { baseUrl: noisy.origin, breakerThreshold: 1000 } },
    });
    const measure = async (): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const res = await get(`${ANALYTICS}?workspace_id=acme&refresh=true`);
        expect(analyticsBody(res.body).meta.complete).toBe(true);
        times.push(res.ms);
      }
      return times.sort((a, b) => a - b)[2] ?? Number.NaN; // the median
    };
    await get(`${ANALYTICS}?workspace_id=acme`); // warm-up (connections, JIT)
    const baseline = await measure();

    // The noise: 20 globex requests at a time, each a different upstream query, for as long as we measure.
    let stop = false;
    let noiseAnswers = 0;
    const noise = (async () => {
      for (let wave = 0; !stop; wave += 1) {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => {
            const day = String((i % 28) + 1).padStart(2, '0');
            const month = String((wave % 12) + 1).padStart(2, '0');
            return get(`${ANALYTICS}?providers=instantly&refresh=true&start_date=2025-${month}-01&end_date=2025-${month}-${day}`, { 'X-API-Key': OTHER_CLIENT_KEY }).then((res) => {
              noiseAnswers += 1;
              // Rate limited, or still queued behind the paused account when its deadline came.
              expect(['rate_limited', 'upstream_timeout']).toContain(sourceOf(res.body, 'globex-instantly').error?.code);
            });
          }),
        );
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the account is paused by now
    const during = await measure();
    stop = true;
    await noise;
    expect(noisy.requests.length).toBeGreaterThanOrEqual(2); // few: the 429s pause that account at the gateway
    expect(noiseAnswers).toBeGreaterThanOrEqual(20);
    // The other tenant stays near its baseline: nowhere near the 1 s pause or the 3 s deadline.
    expect(during).toBeLessThan(Math.max(3 * baseline, baseline + 300));
    process.stdout.write(`noisy tenant: baseline ${baseline.toFixed(0)} ms, during noise ${during.toFixed(0)} ms\n`);
  });

  test('canary secrets are absent from every answer, log line and /metrics above', () => {
    expect(seen.size).toBeGreaterThan(20);
    expect(seen.leaks(ALL_SECRETS)).toEqual([]);
  });
});
