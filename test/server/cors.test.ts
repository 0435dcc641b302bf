/**
 * CORS (src/server/cors.ts) on a real loopback gateway: `server.cors.origins` validation, preflights
 * from allowed and other origins, the CORS headers on every answer to an allowed origin (errors
 * included), nothing on other paths or with no origins configured, the cache-hit fast path never
 * replaying one origin's headers to another, and every CORS header declared in /openapi.json for the
 * status it came with.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { ConfigError, resolveConfig } from '../../src/config';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE_SECONDS } from '../../src/server/cors';
import { buildOpenApi } from '../../src/server/openapi';
import { CLIENT_KEY, OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ALLOWED = 'https://lookerstudio.google.com';
const ALSO_ALLOWED = 'http://127.0.0.1:5173';
const OTHER = 'https://evil.example';
const ANALYTICS = '/v1/campaigns/analytics';
const API_PATHS = [ANALYTICS, '/v1/campaigns/history', '/v1/connections'];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Every answer the tests received, with its method and path, for the document check at the end. */
const received: { method: string; path: string; answer: Answer }[] = [];

function send(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
        const answer = { status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') };
        received.push({ method, path: path.split('?')[0] ?? path, answer });
        resolve(answer);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const preflight = (origin: string, extra: Record<string, string> = {}): Record<string, string> => ({
  Origin: origin,
  'Access-Control-Request-Method': 'GET',
  'Access-Control-Request-Headers': 'x-api-key',
  ...extra,
});

const corsHeaders = (answer: Answer): string[] => Object.keys(answer.headers).filter((name) => name.startsWith('access-control-')).sort();
const varyNames = (answer: Answer): string[] => (answer.headers.vary ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);

function document(origins: unknown): unknown {
  return {
    server: { cors: { origins } },
    clients: [{ id: 'bi', keySha256: createHash('sha256').update('k').digest('hex'), workspaces: ['acme'] }],
    workspaces: [{ id: 'acme', connections: [{ id: 'acme-instantly', provider: 'instantly', apiKey: 'canaryKey000000000001' }] }],
  };
}

function problems(origins: unknown): string[] {
  try {
    resolveConfig(document(origins));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('server.cors.origins in the config', () => {
  test('none by default; exact origins as a browser sends them are kept', () => {
    const plain = resolveConfig({ ...(document([]) as Record<string, unknown>), server: {} });
    expect(plain.server.cors).toBeUndefined();
    const origins = [ALLOWED, ALSO_ALLOWED, 'http://localhost:3000', 'https://[::1]:8443', 'https://xn--bcher-kva.example'];
    expect(resolveConfig(document(origins)).server.cors).toEqual({ origins });
  });

  test.each([
    ['a wildcard', '*', /wildcards \(\*\) are not accepted/],
    ['a wildcard subdomain', 'https://*.google.com', /wildcards/],
    ['a path', 'https://lookerstudio.google.com/reporting', /as a browser sends it/],
    ['a trailing slash', 'https://lookerstudio.google.com/', /as a browser sends it/],
    ['upper case', 'https://LookerStudio.google.com', /lower case/],
    ['a default port', 'https://lookerstudio.google.com:443', /no default port/],
    ['a query', 'https://lookerstudio.google.com?x=1', /as a browser sends it/],
    ['a user name', 'https://user@lookerstudio.google.com', /as a browser sends it/],
    ['another scheme', 'ftp://files.example', /expected a browser origin/],
    ['no scheme', 'reports.acme-tools.example', /expected a browser origin/],
  ])('%s is refused in words, without repeating the value', (_case, origin, message) => {
    const lines = problems([ALLOWED, origin]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^server\.cors\.origins\[1\]: /);
    expect(lines[0]).toMatch(message);
    if (origin !== '*') expect(lines[0]).not.toContain(origin);
  });

  test('origins must be a list of strings, and nothing else goes in the block', () => {
    expect(problems('https://a.example')[0]).toMatch(/^server\.cors\.origins: /);
    expect(problems([42])[0]).toMatch(/^server\.cors\.origins\[0\]: expected a browser origin/);
    expect(() => resolveConfig({ ...(document([ALLOWED]) as Record<string, unknown>), server: { cors: { origins: [ALLOWED], credentials: true } } })).toThrow(ConfigError);
  });
});

describe('CORS on a gateway with allowed origins', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ server: { cors: { origins: [ALLOWED, ALSO_ALLOWED] } }, requestsPerMinute: 1000 });
  });
  afterAll(async () => {
    await stack.close();
  });

  test.each(API_PATHS)('a preflight from an allowed origin on %s: 204 with the methods and headers the API accepts, no credentials', async (path) => {
    const answer = await send(stack.url, 'OPTIONS', path, preflight(ALLOWED, { 'Access-Control-Request-Headers': 'x-api-key, x-request-id' }));
    expect(answer.status).toBe(204);
    expect(answer.body).toBe('');
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(answer.headers['access-control-allow-methods']).toBe('GET, HEAD');
    expect(answer.headers['access-control-allow-headers']).toBe(CORS_ALLOWED_HEADERS.join(', '));
    expect(answer.headers['access-control-allow-headers']).toMatch(/X-API-Key.*Authorization.*X-Request-Id.*If-None-Match.*Cache-Control.*Accept/);
    expect(answer.headers['access-control-max-age']).toBe(String(CORS_MAX_AGE_SECONDS));
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    expect(varyNames(answer)).toContain('origin');
    expect(answer.headers['x-request-id']).toMatch(/\S/);
    // the preflight is counted under its route, not as `unmatched`
    expect(stack.logs.join('')).toContain(`"route":"${path}"`);
  });

  test('each allowed origin gets itself back, never *', async () => {
    const answer = await send(stack.url, 'OPTIONS', ANALYTICS, preflight(ALSO_ALLOWED));
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(ALSO_ALLOWED);
  });

  test('a preflight from another origin, or an OPTIONS without preflight headers, keeps its 405', async () => {
    const other = await send(stack.url, 'OPTIONS', ANALYTICS, preflight(OTHER));
    expect(other.status).toBe(405);
    expect(other.headers.allow).toBe('GET, HEAD');
    expect(corsHeaders(other)).toEqual([]);
    expect(varyNames(other)).toContain('origin');
    // An origin that differs only in scheme, port or case is another origin.
    for (const near of ['http://lookerstudio.google.com', 'https://lookerstudio.google.com:8443', 'https://LOOKERSTUDIO.google.com', 'null']) {
      const answer = await send(stack.url, 'OPTIONS', ANALYTICS, preflight(near));
      expect(`${near}: ${answer.status} ${corsHeaders(answer).join(' ')}`).toBe(`${near}: 405 `);
    }
    const plain = await send(stack.url, 'OPTIONS', ANALYTICS, { Origin: ALLOWED });
    expect(plain.status).toBe(405);
    expect(plain.headers['access-control-allow-methods']).toBeUndefined();
    expect(plain.headers['access-control-allow-origin']).toBe(ALLOWED); // readable 405 for the allowed page
    const bare = await send(stack.url, 'OPTIONS', ANALYTICS);
    expect(bare.status).toBe(405);
    expect(corsHeaders(bare)).toEqual([]);
  });

  test('answers to an allowed origin carry Allow-Origin, Expose-Headers and Vary: Origin, errors included', async () => {
    const ok = await send(stack.url, 'GET', ANALYTICS, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(ok.headers['access-control-expose-headers']).toBe(CORS_EXPOSED_HEADERS.join(', '));
    expect(ok.headers['access-control-expose-headers']).toMatch(/ETag.*X-Request-Id.*RateLimit.*RateLimit-Policy.*Retry-After.*X-Gateway-Complete.*X-Gateway-Sources.*X-Gateway-Next-Cursor.*Link/);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    expect(varyNames(ok)).toEqual(['origin', 'authorization', 'x-api-key', 'accept', 'accept-encoding']);
    expect(JSON.parse(ok.body)).toMatchObject({ meta: { complete: true } });

    const notModified = await send(stack.url, 'GET', ANALYTICS, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY, 'If-None-Match': ok.headers.etag ?? '' });
    const head = await send(stack.url, 'HEAD', ANALYTICS, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    const unauthorized = await send(stack.url, 'GET', ANALYTICS, { Origin: ALLOWED });
    const forbidden = await send(stack.url, 'GET', `${ANALYTICS}?workspace_id=acme`, { Origin: ALLOWED, 'X-API-Key': OTHER_CLIENT_KEY });
    const invalid = await send(stack.url, 'GET', `${ANALYTICS}?limit=0`, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    const refused = await send(stack.url, 'DELETE', ANALYTICS, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    const connections = await send(stack.url, 'GET', '/v1/connections', { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    const history = await send(stack.url, 'GET', '/v1/campaigns/history', { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    const statuses = { notModified, head, unauthorized, forbidden, invalid, refused, connections, history };
    expect(Object.fromEntries(Object.entries(statuses).map(([name, answer]) => [name, answer.status]))).toEqual({
      notModified: 304,
      head: 200,
      unauthorized: 401,
      forbidden: 403,
      invalid: 400,
      refused: 405,
      connections: 200,
      history: 503, // no history store in this stack
    });
    for (const [name, answer] of Object.entries(statuses)) {
      expect(`${name}: ${answer.headers['access-control-allow-origin']} ${answer.headers['access-control-expose-headers'] ?? 'none'}`).toBe(`${name}: ${ALLOWED} ${CORS_EXPOSED_HEADERS.join(', ')}`);
      expect(varyNames(answer)).toContain('origin');
    }
    expect(unauthorized.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test('a 429 is readable by the allowed page: CORS headers with Retry-After and RateLimit exposed', async () => {
    const limited = await startStack({ server: { cors: { origins: [ALLOWED] } }, requestsPerMinute: 1 });
    try {
      await send(limited.url, 'GET', '/v1/connections', { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
      const answer = await send(limited.url, 'GET', '/v1/connections', { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
      expect(answer.status).toBe(429);
      expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(answer.headers['retry-after']).toMatch(/^\d+$/);
      expect(answer.headers['access-control-expose-headers']).toContain('Retry-After');
    } finally {
      await limited.close();
    }
  });

  test('an answer to another origin, or to no origin, carries no CORS header but still names Origin in Vary', async () => {
    const other = await send(stack.url, 'GET', ANALYTICS, { Origin: OTHER, 'X-API-Key': CLIENT_KEY });
    const none = await send(stack.url, 'GET', ANALYTICS, { 'X-API-Key': CLIENT_KEY });
    for (const answer of [other, none]) {
      expect(answer.status).toBe(200);
      expect(corsHeaders(answer)).toEqual([]);
      expect(varyNames(answer)).toEqual(['origin', 'authorization', 'x-api-key', 'accept', 'accept-encoding']);
    }
  });

  test('paths other than the API get no CORS: /healthz, /openapi.json, an unknown /v1 path', async () => {
    for (const path of ['/healthz', '/openapi.json', '/v1/campaigns', '/v1/connections/x']) {
      const get = await send(stack.url, 'GET', path, { Origin: ALLOWED });
      const options = await send(stack.url, 'OPTIONS', path, preflight(ALLOWED));
      expect(`${path}: ${corsHeaders(get).join(' ')}|${options.status} ${corsHeaders(options).join(' ')}`).toBe(`${path}: |405 `);
    }
  });

  test('the cache-hit fast path never replays one origin\'s CORS headers to another request', async () => {
    const query = `${ANALYTICS}?workspace_id=globex`;
    // An answer remembered from a request without Origin...
    await send(stack.url, 'GET', query, { 'X-API-Key': CLIENT_KEY });
    const hit = await send(stack.url, 'GET', query, { 'X-API-Key': CLIENT_KEY });
    expect(corsHeaders(hit)).toEqual([]);
    expect(varyNames(hit)).toContain('origin');
    // ...is not what an allowed origin gets: its request goes through the pipeline.
    const fromPage = await send(stack.url, 'GET', query, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    expect(fromPage.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(fromPage.headers.etag).toBe(hit.headers.etag);
    // An answer to an allowed origin is never remembered for the next request without one.
    const query2 = `${ANALYTICS}?workspace_id=acme&sort=name`;
    await send(stack.url, 'GET', query2, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    await send(stack.url, 'GET', query2, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    const after = await send(stack.url, 'GET', query2, { 'X-API-Key': CLIENT_KEY });
    expect(corsHeaders(after)).toEqual([]);
    const otherPage = await send(stack.url, 'GET', query2, { Origin: ALSO_ALLOWED, 'X-API-Key': CLIENT_KEY });
    expect(otherPage.headers['access-control-allow-origin']).toBe(ALSO_ALLOWED);
  });
});

describe('CORS with no origins configured', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  test('a preflight gets 405 and answers carry no CORS header and no Vary: Origin (as before)', async () => {
    const options = await send(stack.url, 'OPTIONS', ANALYTICS, preflight(ALLOWED));
    expect(options.status).toBe(405);
    expect(corsHeaders(options)).toEqual([]);
    expect(options.headers.vary).toBeUndefined();
    const get = await send(stack.url, 'GET', ANALYTICS, { Origin: ALLOWED, 'X-API-Key': CLIENT_KEY });
    expect(get.status).toBe(200);
    expect(corsHeaders(get)).toEqual([]);
    expect(varyNames(get)).toEqual(['authorization', 'x-api-key', 'accept', 'accept-encoding']);
  });
});

describe('/openapi.json declares the CORS headers', () => {
  type Response = { $ref?: string; headers?: Record<string, unknown> };
  const spec = buildOpenApi('test') as { paths: Record<string, Record<string, { responses: Record<string, Response> }>>; components: { responses: Record<string, Response> } };
  const declared = (path: string, method: string, status: number): string[] => {
    let response = spec.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
    if (response?.$ref) response = spec.components.responses[response.$ref.replace('#/components/responses/', '')];
    return Object.keys(response?.headers ?? {}).map((name) => name.toLowerCase());
  };

  test('every access-control-* and Vary header received above is declared for its path, method and status', () => {
    const checked = received.filter(({ path }) => spec.paths[path] !== undefined && path !== '/openapi.json' && path !== '/healthz');
    expect(checked.length).toBeGreaterThan(30);
    const undeclared = checked.flatMap(({ method, path, answer }) =>
      Object.keys(answer.headers)
        .filter((name) => name.startsWith('access-control-') || name === 'vary')
        .filter((name) => !declared(path, method === 'HEAD' ? 'GET' : method, answer.status).includes(name))
        .map((name) => `${method} ${path} ${answer.status} ${name}`),
    );
    expect(undeclared).toEqual([]);
    // and the preflight's required headers are the ones it sends
    expect(declared(ANALYTICS, 'OPTIONS', 204).sort()).toEqual(['access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin', 'access-control-max-age', 'vary', 'x-request-id']);
  });
});
