/**
 * Hostile input: wrong, huge and misplaced keys; 10,000 ids; unknown and repeated parameters;
 * absurd ranges and non-dates; a body on GET; ids built to change the vendor's path or host; and a
 * fan-out over the upstream cost cap. Every one is refused before any vendor call (the simulators
 * count calls), and no vendor host other than the configured one is ever contacted (nock scopes
 * on the attacker hosts stay unconsumed).
 */
import nock from 'nock';
import { ALL_SECRETS, CLIENT_KEY, type Stack, type StackOptions } from '../helpers/stack';
import { ANALYTICS, WatchedStack, type TimedAnswer, analyticsBody, problemBody, rawBytes } from '../resilience/harness';

describe('security: hostile input', () => {
  const watched = new WatchedStack();
  const seen = watched.seen;

  const stackWith = (options: StackOptions = {}): Promise<Stack> => watched.start(options);

  const get = (path: string, headers?: Record<string, string>): Promise<TimedAnswer> => watched.get(path, headers);

  /** The parameters a 400 names. */
  function badParameters(body: unknown): string[] {
    const problem = problemBody(body);
    expect(problem.code).toBe('invalid_query');
    return (problem.errors ?? []).map((e) => e.parameter).sort();
  }

  afterEach(async () => {
    await watched.close();
  });

  test('wrong, over-long (10 KB) and query-string keys: 401 and zero vendor calls', async () => {
    const current = await stackWith();
    const long = 'k'.repeat(10 * 1024);
    const refused: Record<string, string>[] = [
      {},
      { 'X-API-Key': `${CLIENT_KEY}x` },
      { 'X-API-Key': CLIENT_KEY.slice(0, -1) },
      { 'X-API-Key': CLIENT_KEY.toUpperCase() },
      { Authorization: `Bearer ${CLIENT_KEY}x` },
      { Authorization: `Basic ${Buffer.from(`agency:${CLIENT_KEY}`).toString('base64')}` },
      { Authorization: CLIENT_KEY },
      { 'X-API-Key': long },
      { 'X-API-Key': `${CLIENT_KEY}${long}` },
      { Authorization: `Bearer ${long}` },
    ];
    for (const headers of refused) {
      const res = await get(ANALYTICS, headers);
      expect(res.status).toBe(401);
      expect(problemBody(res.body).code).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // A key in the URL is refused even next to a valid header key (it is already in someone's logs).
    for (const name of ['api_key', 'apiKey', 'key', 'access_token', 'token']) {
      const res = await get(`${ANALYTICS}?${name}=${CLIENT_KEY}`);
      expect(res.status).toBe(401);
    }
    const connections = await get('/v1/connections', { 'X-API-Key': long });
    expect(connections.status).toBe(401);
    expect(current.upstreamCalls()).toBe(0);
  });

  test('10,000 ids are refused before any vendor call', async () => {
    const current = await stackWith();
    const ids = Array.from({ length: 10_000 }, (_, i) => `acme-kakiyo:c${i}`).join(',');
    // About 170 KB of URL: Node's header limit (16 KB) refuses it before the app sees it.
    const huge = await rawBytes(current.url, `GET ${ANALYTICS}?ids=${ids} HTTP/1.1\r\nHost: gateway\r\nX-API-Key: ${CLIENT_KEY}\r\n\r\n`);
    seen.add(huge.text);
    expect(huge.status).toBe(431);
    expect(huge.text).toMatch(/Content-Type: application\/problem\+json/i);
    expect(huge.text).toContain('"code":"invalid_query"');
    // 101 ids fit in a URL: the app refuses them itself, naming the parameter.
    const justOver = Array.from({ length: 101 }, (_, i) => `acme-kakiyo:c${i}`).join(',');
    const res = await get(`${ANALYTICS}?ids=${justOver}`);
    expect(res.status).toBe(400);
    expect(badParameters(res.body)).toEqual(['ids']);
    expect(current.upstreamCalls()).toBe(0);
    // The server is still fine afterwards.
    expect((await get('/healthz', {})).status).toBe(200);
  });

  test('unknown and repeated parameters: 400 listing each, before any vendor call', async () => {
    const current = await stackWith();
    const res = await get(`${ANALYTICS}?foo=1&providers=instantly&providers=kakiyo&workspace_id=acme&workspace_id=globex&__proto__=x&constructor=y`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(badParameters(res.body)).toEqual(['__proto__', 'constructor', 'foo', 'providers', 'workspace_id'].sort());
    const nested = await get(`${ANALYTICS}?providers[0]=instantly&status[$ne]=active`);
    expect(nested.status).toBe(400);
    expect(current.upstreamCalls()).toBe(0);
  });

  test('a 20-year range: 400 before any vendor call', async () => {
    const current = await stackWith();
    const res = await get(`${ANALYTICS}?start_date=2006-01-01&end_date=2026-01-01`);
    expect(res.status).toBe(400);
    expect(badParameters(res.body)).toEqual(['end_date']);
    const reversed = await get(`${ANALYTICS}?start_date=2026-02-01&end_date=2026-01-01`);
    expect(reversed.status).toBe(400);
    expect(current.upstreamCalls()).toBe(0);
  });

  test('non-date dates: 400 before any vendor call', async () => {
    const current = await stackWith();
    for (const date of ['yesterday', '2026-13-01', '2026-02-30', '20260101', '2026-01-01T00:00:00Z', '1e3', '2026-1-1', '0000-00-00', '２０２６-01-01', '']) {
      const res = await get(`${ANALYTICS}?start_date=${encodeURIComponent(date)}&end_date=2026-03-01`);
      expect(res.status).toBe(400);
      expect(badParameters(res.body)).toContain('start_date');
    }
    expect(current.upstreamCalls()).toBe(0);
  });

  test('a body on GET: 400 before any vendor call', async () => {
    const current = await stackWith();
    const body = '{"workspace_id":"ALL"}';
    const head = `GET ${ANALYTICS} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nX-API-Key: ${CLIENT_KEY}\r\nContent-Type: application/json\r\n`;
    const withLength = await rawBytes(current.url, `${head}Content-Length: ${body.length}\r\n\r\n${body}`);
    const chunked = await rawBytes(current.url, `${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    for (const answer of [withLength, chunked]) {
      seen.add(answer.text);
      expect(answer.status).toBe(400);
      const json = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4);
      expect(problemBody(JSON.parse(json)).code).toBe('invalid_query');
    }
    expect(current.upstreamCalls()).toBe(0);
  });

  test('path and URL injection in ids (../, %2F, CRLF, @host, full URLs): 400 before any vendor call, and the vendor host never changes', async () => {
    const current = await stackWith();
    const attackers = ['https://evil.attacker.test', 'http://evil.attacker.test', 'https://api.instantly.ai.attacker.test'].map((origin) =>
      nock(origin).get(/.*/).reply(200, '[]'),
    );
    const injections = [
      'acme-kakiyo:../../admin',
      'acme-kakiyo:..%2F..%2Fadmin',
      'acme-kakiyo:%2E%2E%2F%2E%2E%2Fadmin',
      'acme-kakiyo:..%252F..%252Fadmin',
      'acme-kakiyo:..%5C..%5Cadmin',
      'acme-kakiyo:x%0D%0AHost:%20evil.attacker.test',
      'acme-kakiyo:x%0AX-Injected:%201',
      'acme-kakiyo:@evil.attacker.test',
      'acme-kakiyo:x@evil.attacker.test',
      'acme-instantly:%2F%2Fevil.attacker.test',
      'acme-kakiyo:https://evil.attacker.test/v1/campaigns',
      'https://evil.attacker.test/v1/analytics/campaigns/1',
      '//evil.attacker.test',
      'acme-seleqt:1%3Fworkspace_id%3D341',
      'acme-kakiyo:x%23fragment',
      'acme-kakiyo:x%00',
      'acme-kakiyo:%E2%80%AEevil',
      'acme-kakiyo:..',
      'acme-kakiyo:.',
      'acme-kakiyo:',
      '../acme-kakiyo:1',
    ];
    for (const id of injections) {
      const res = await get(`${ANALYTICS}?ids=${id}`);
      expect(res.status).toBe(400);
      expect(badParameters(res.body)).toEqual(['ids']);
    }
    expect(current.upstreamCalls()).toBe(0);

    // A raw CRLF in the request line ends the line there: what follows only becomes the caller's
    // own headers (a Host the gateway ignores), and the id before it is an ordinary one.
    const raw = await rawBytes(current.url, `GET ${ANALYTICS}?ids=acme-kakiyo:x\r\nHost: evil.attacker.test HTTP/1.1\r\nX-API-Key: ${CLIENT_KEY}\r\n\r\n`);
    seen.add(raw.text);
    expect(current.upstreamCalls()).toBeLessThanOrEqual(1);
    expect(current.upstreamCalls()).toBe(current.sims.kakiyo.stats().byRoute['GET /v1/analytics/campaigns/:id'] ?? 0);
    for (const scope of attackers) expect(scope.isDone()).toBe(false);
    nock.cleanAll(); // the attacker scopes are meant to stay unconsumed
    current.resetCounts();

    // A well-formed id goes to the configured vendor, one encoded path segment on its own host.
    const fine = await get(`${ANALYTICS}?ids=acme-kakiyo:campaign_-1`);
    expect(fine.status).toBe(200);
    expect(current.sims.kakiyo.stats().byRoute['GET /v1/analytics/campaigns/:id']).toBe(1);
    expect(current.upstreamCalls()).toBe(1);
  });

  test('a fan-out whose upstream cost exceeds the configured cap is refused before any call', async () => {
    // Cold estimates (50 campaigns per connection until one walk has counted them): one
    // workspace with steps and daily is about 256 calls, over the cap of 250.
    const current = await stackWith({ server: { maxUpstreamCalls: 250 } });
    for (const path of [`${ANALYTICS}?include=steps,daily`, `${ANALYTICS}?workspace_id=ALL&include=steps,daily`, `${ANALYTICS}?workspace_id=ALL&include=steps,daily&refresh=true`]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(problemBody(res.body).code).toBe('too_expensive');
    }
    expect(current.upstreamCalls()).toBe(0);
    // Under the cap the same kind of request goes through.
    const cheaper = await get(`${ANALYTICS}?include=steps,daily&providers=instantly,seleqt`);
    expect(cheaper.status).toBe(200);
    expect(analyticsBody(cheaper.body).meta.complete).toBe(true);
    expect(current.upstreamCalls()).toBeGreaterThan(0);
  });

  test('canary secrets are absent from every answer, log line and /metrics above', () => {
    expect(seen.size).toBeGreaterThan(50);
    expect(seen.leaks(ALL_SECRETS)).toEqual([]);
  });
});
