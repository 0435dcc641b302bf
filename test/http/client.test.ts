import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import nock from 'nock';
import { ProviderError } from '../../src/errors';
import * as httpIndex from '../../src/http';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  buildUrl,
  codeForStatus,
  createHttpClient,
  describeErrorBody,
  looksLikeHtml,
  normalizeBaseUrl,
  pathOf,
  withWrongHostAdvice,
  WRONG_HOST_ADVICE,
  type HttpClientOptions,
  type RequestGate,
  type UpstreamEvent,
} from '../../src/http/client';

const ORIGIN = 'https://api.example.test';
const CANARY = 'sk_live_CANARY_7d1e9b3f0a2c';
const USER_AGENT = 'outreach-gateway/0.1 (+https://github.com/outreach-gateway)';

function client(options: Partial<HttpClientOptions> = {}): ReturnType<typeof createHttpClient> {
  return createHttpClient({ provider: 'seleqt', baseUrl: ORIGIN, secrets: [CANARY], random: () => 0, ...options });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Every way an error could be shown or logged: none of them may carry the key. */
function everyRendering(error: ProviderError): string {
  return [error.message, String(error), error.stack ?? '', JSON.stringify(error), inspect(error, { depth: 5, showHidden: true })].join('\n');
}

/**
 * A connection reset as Node reports it. nock 14 needs an Error instance here: a plain object given
 * to `replyWithError` leaves the request hanging until its timeout instead of failing it.
 */
function socketError(code: string, message = 'socket hang up'): Error {
  return Object.assign(new Error(message), { code });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('createHttpClient: successful replies', () => {
  it('returns parsed JSON, lower-cased headers and the status; the query is encoded exactly', async () => {
    nock(ORIGIN)
      .get('/v1/items')
      .query({ a: '1', tag: ['x', 'y'], on: 'true', q: 'a&b=c d' })
      .reply(200, { items: [1, 2] }, { 'X-Custom': 'v', 'Content-Type': 'application/json' });
    const http = client();
    const response = await http.getJson({
      path: '/v1/items',
      query: { a: 1, tag: ['x', 'y'], on: true, q: 'a&b=c d', skipped: undefined },
      headers: {},
    });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ items: [1, 2] });
    expect(response.headers['x-custom']).toBe('v');
    expect(response.headers['content-type']).toBe('application/json');
    expect(http.calls).toBe(1);
    expect(http.provider).toBe('seleqt');
  });

  it('joins a repeated response header into one string', async () => {
    nock(ORIGIN).get('/v1/items').reply(200, '{}', { 'Set-Cookie': ['a=1', 'b=2'] });
    const response = await client().getJson({ path: '/v1/items', headers: {} });
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
  });

  it('returns null data for an empty 2xx body', async () => {
    nock(ORIGIN).get('/v1/empty').reply(204);
    await expect(client().getJson({ path: '/v1/empty', headers: {} })).resolves.toEqual({ status: 204, headers: {}, data: null });
  });

  it('fails a 200 HTML page as wrong_host naming the status and the host, and does not retry it', async () => {
    nock(ORIGIN).get('/v1/items').query({ key: CANARY }).reply(200, '<!doctype html><html><body>Login</body></html>', { 'Content-Type': 'text/html' });
    const http = client({ retry: { maxAttempts: 3 } });
    const error = await failure(http.getJson({ path: '/v1/items', query: { key: CANARY }, headers: {} }));
    expect(error.code).toBe('wrong_host');
    expect(error.status).toBe(200);
    expect(error.provider).toBe('seleqt');
    expect(error.message).toBe(`HTTP 200 from api.example.test was an HTML page, not JSON: ${WRONG_HOST_ADVICE}`);
    expect(error.message).not.toContain('/v1/items');
    expect(everyRendering(error)).not.toContain(CANARY);
    expect(http.calls).toBe(1);
  });

  it.each<[string, string, Record<string, string>]>([
    ['an HTML content type with a body that is not markup', 'Please sign in', { 'Content-Type': 'text/html; charset=utf-8' }],
    ['an XHTML content type', '<?xml version="1.0"?><html/>', { 'Content-Type': 'application/xhtml+xml' }],
    ['a leading < without a content type', '\uFEFF\n  <html><body>SPA</body></html>', {}],
    ['a leading < labelled as JSON', '<html>oops</html>', { 'Content-Type': 'application/json' }],
  ])('a 2xx with %s is wrong_host', async (_label, body, headers) => {
    nock(ORIGIN).get('/v1/page').reply(203, body, headers);
    const error = await failure(client().getJson({ path: '/v1/page', headers: {} }));
    expect({ code: error.code, status: error.status }).toEqual({ code: 'wrong_host', status: 203 });
  });

  it('a 2xx body that is neither JSON nor HTML is upstream_schema', async () => {
    nock(ORIGIN).get('/v1/cut').reply(200, '{"campaigns": [{"id": 1', { 'Content-Type': 'application/json' });
    nock(ORIGIN).get('/v1/text').reply(200, 'OK', { 'Content-Type': 'text/plain' });
    for (const path of ['/v1/cut', '/v1/text']) {
      const error = await failure(client().getJson({ path, headers: {} }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'upstream_schema', message: 'the vendor answered with a body that is not JSON' });
    }
  });

  it('JSON labelled text/html is still JSON (the body decides, not the label)', async () => {
    nock(ORIGIN).get('/v1/mislabelled').reply(200, '{"campaigns":[]}', { 'Content-Type': 'text/html' });
    await expect(client().getJson({ path: '/v1/mislabelled', headers: {} })).resolves.toMatchObject({ data: { campaigns: [] } });
  });

  it('an HTML error page with a non-2xx status keeps its status code (only 2xx and 3xx say wrong host)', async () => {
    nock(ORIGIN).get('/v1/missing').reply(404, '<html>Not Found</html>', { 'Content-Type': 'text/html' });
    const error = await failure(client().getJson({ path: '/v1/missing', headers: {} }));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'not_found', message: 'HTTP 404: <html>Not Found</html>' });
  });

  it('exposes the configured origin', () => {
    expect(client().origin).toBe(ORIGIN);
  });
});

describe('looksLikeHtml and withWrongHostAdvice', () => {
  it.each<[string | undefined, string, boolean]>([
    ['text/html', '', true],
    ['TEXT/HTML; charset=utf-8', 'x', true],
    ['application/xhtml+xml', 'x', true],
    [undefined, '<!doctype html>', true],
    [undefined, '  \n<div>', true],
    ['application/json', '\uFEFF<html>', true],
    ['application/json', '{"a":', false],
    ['text/plain', 'Forbidden', false],
    ['text/htmlx', 'x', false],
    [undefined, '', false],
  ])('content type %p, body %p -> %p', (contentType, text, expected) => {
    expect(looksLikeHtml(contentType, text)).toBe(expected);
  });

  it('swaps the generic advice of a wrong_host error for the provider’s own and leaves other errors alone', async () => {
    nock(ORIGIN).get('/v1/x').reply(302, '', { Location: 'https://api.vendor.test/v1/x?token=abc' });
    const original = await failure(client().getJson({ path: '/v1/x', headers: {} }));
    const advised = withWrongHostAdvice(original, 'set baseUrl to https://api.vendor.test');
    expect(advised).toBeInstanceOf(ProviderError);
    expect(advised).toMatchObject({
      code: 'wrong_host',
      provider: 'seleqt',
      status: 302,
      message: 'HTTP 302 from api.example.test: redirect not followed (to api.vendor.test): set baseUrl to https://api.vendor.test',
    });
    const other = new ProviderError({ provider: 'seleqt', code: 'forbidden', message: 'HTTP 403' });
    expect(withWrongHostAdvice(other, 'x')).toBe(other);
    const plain = new Error('boom');
    expect(withWrongHostAdvice(plain, 'x')).toBe(plain);
  });
});

describe('createHttpClient: the headers sent', () => {
  function captureHeaders(): { headers: Record<string, string | string[] | undefined> } {
    const seen: { headers: Record<string, string | string[] | undefined> } = { headers: {} };
    nock(ORIGIN)
      .get('/v1/h')
      .reply(function () {
        seen.headers = { ...this.req.headers };
        return [200, '{}'];
      });
    return seen;
  }

  it('sends Accept, User-Agent and the given auth header, nothing else', async () => {
    const seen = captureHeaders();
    await client().getJson({ path: '/v1/h', headers: { 'X-API-Key': CANARY } });
    expect(seen.headers).toEqual({
      accept: 'application/json',
      'user-agent': USER_AGENT,
      'x-api-key': CANARY,
      // The codings the transport decompresses; the rest Node adds itself:
      'accept-encoding': 'gzip, deflate, br',
      connection: 'close',
      host: 'api.example.test',
    });
  });

  it('sends no auth, cookie or authorization header when none is given', async () => {
    const seen = captureHeaders();
    await client().getJson({ path: '/v1/h', headers: {} });
    expect(Object.keys(seen.headers).sort()).toEqual(['accept', 'accept-encoding', 'connection', 'host', 'user-agent']);
  });

  it('sends a bearer header only when it is the given auth header', async () => {
    const seen = captureHeaders();
    await client().getJson({ path: '/v1/h', headers: { Authorization: `Bearer ${CANARY}` } });
    expect(seen.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
  });
});

describe('createHttpClient: status mapping', () => {
  it.each<[number, string]>([
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [402, 'payment_required'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [413, 'upstream_too_large'],
    [422, 'bad_request'],
    [429, 'rate_limited'],
    [500, 'upstream_unavailable'],
    [503, 'upstream_unavailable'],
  ])('maps %i to %s with the vendor message', async (status, code) => {
    nock(ORIGIN).get('/v1/x').reply(status, { error: 'Oops', message: 'details here' });
    const http = client({ retry: { maxAttempts: 1 } });
    const error = await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(error).toBeInstanceOf(ProviderError);
    expect({ code: error.code, status: error.status, message: error.message, retryAfterMs: error.retryAfterMs }).toEqual({
      code,
      status,
      message: `HTTP ${status}: Oops: details here`,
      retryAfterMs: undefined,
    });
  });

  it('keeps a status without a body short', async () => {
    nock(ORIGIN).get('/v1/x').reply(404);
    const error = await failure(client().getJson({ path: '/v1/x', headers: {} }));
    expect(error.message).toBe('HTTP 404');
  });

  it.each([400, 401, 402, 403, 404])('never retries %i', async (status) => {
    nock(ORIGIN).get('/v1/x').reply(status, { error: 'no' });
    const http = client({ retry: { maxAttempts: 3 } });
    const error = await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(error.status).toBe(status);
    expect(http.calls).toBe(1);
  });

  it.each([301, 302, 303, 307, 308])('does not follow a %i redirect, and the target host never sees a request', async (status) => {
    const home = nock(ORIGIN)
      .get('/v1/x')
      .reply(status, `Found. Redirecting to https://evil.example.test/steal?k=${CANARY}`, { Location: `https://evil.example.test/steal?k=${CANARY}` });
    const evil = nock('https://evil.example.test').get('/steal').query(true).reply(200, '{}');
    const http = client({ retry: { maxAttempts: 3 } });
    const error = await failure(http.getJson({ path: '/v1/x', headers: { 'X-API-Key': CANARY } }));
    expect(home.isDone()).toBe(true);
    expect(evil.isDone()).toBe(false);
    expect(nock.pendingMocks()).toEqual(['GET https://evil.example.test:443/steal']);
    nock.cleanAll(); // the target's interceptor stays unused on purpose
    expect(error.code).toBe('wrong_host');
    expect(error.status).toBe(status);
    // The status and both hosts; never the body, the Location's path or its query string.
    expect(error.message).toBe(`HTTP ${status} from api.example.test: redirect not followed (to evil.example.test): ${WRONG_HOST_ADVICE}`);
    expect(http.calls).toBe(1);
    expect(everyRendering(error)).not.toContain(CANARY);
    expect(Object.keys(error).sort()).toEqual(['code', 'name', 'path', 'provider', 'retryAfterMs', 'status']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a relative Location (the same host)', { Location: '/login?next=%2Fapi' }, ' (to api.example.test)'],
    ['a Location on another port', { Location: 'http://127.0.0.1:4104/api/v1/x/?workspace_id=340' }, ' (to 127.0.0.1:4104)'],
    ['credentials in the Location', { Location: 'https://user:pw@other.example.test/x' }, ' (to other.example.test)'],
    ['no Location', {}, ''],
    ['an unparseable Location', { Location: 'http://[::1' }, ''],
  ])('a redirect with %s names only the host it points to', async (_label, headers, to) => {
    nock(ORIGIN).get('/v1/r').reply(302, '', headers);
    const error = await failure(client().getJson({ path: '/v1/r', headers: {} }));
    expect(error.message).toBe(`HTTP 302 from api.example.test: redirect not followed${to}: ${WRONG_HOST_ADVICE}`);
  });

  it('a key in the Location host is removed', async () => {
    const key = 'canaryhostkey0042';
    nock(ORIGIN).get('/v1/r').reply(301, '', { Location: `https://${key}.evil.test/` });
    const error = await failure(client({ secrets: [key] }).getJson({ path: '/v1/r', headers: {} }));
    expect(error.message).toBe(`HTTP 301 from api.example.test: redirect not followed (to [REDACTED].evil.test): ${WRONG_HOST_ADVICE}`);
  });
});

describe('createHttpClient: compressed bodies', () => {
  const body = { campaigns: [{ id: 'é', sent: 3 }] };
  it.each<[string, (text: string) => Buffer]>([
    ['gzip', (text) => gzipSync(text)],
    ['x-gzip', (text) => gzipSync(text)],
    ['deflate', (text) => deflateSync(text)],
    ['br', (text) => brotliCompressSync(text)],
  ])('decompresses a %s body', async (coding, compress) => {
    nock(ORIGIN).get('/v1/z').reply(200, compress(JSON.stringify(body)), { 'Content-Encoding': coding, 'Content-Type': 'application/json' });
    await expect(client().getJson({ path: '/v1/z', headers: {} })).resolves.toMatchObject({ status: 200, data: body });
  });

  it('a body that does not decompress is a network error, retried like one', async () => {
    nock(ORIGIN).get('/v1/z').times(2).reply(200, 'not gzip at all', { 'Content-Encoding': 'gzip' });
    const http = client({ retry: { maxAttempts: 2 } });
    const error = await failure(http.getJson({ path: '/v1/z', headers: {} }));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'network', message: 'network error talking to the vendor (ERR_BAD_ENCODING)' });
    expect(http.calls).toBe(2);
  });

  it('an empty 204 labelled gzip is an empty body, not a broken one', async () => {
    nock(ORIGIN).get('/v1/z').reply(204, '', { 'Content-Encoding': 'gzip' });
    await expect(client().getJson({ path: '/v1/z', headers: {} })).resolves.toMatchObject({ status: 204, data: null });
  });

  it('drops a UTF-8 byte-order mark before parsing', async () => {
    nock(ORIGIN).get('/v1/bom').reply(200, `\uFEFF${JSON.stringify(body)}`);
    await expect(client().getJson({ path: '/v1/bom', headers: {} })).resolves.toMatchObject({ data: body });
  });
});

describe('createHttpClient: response size cap', () => {
  it('fails a body over maxResponseBytes as upstream_too_large and does not retry it', async () => {
    nock(ORIGIN).get('/v1/big').reply(200, JSON.stringify({ pad: 'x'.repeat(4096) }));
    const http = client({ maxResponseBytes: 1024, retry: { maxAttempts: 3 } });
    const error = await failure(http.getJson({ path: '/v1/big', headers: {} }));
    expect(error.code).toBe('upstream_too_large');
    expect(error.message).toBe('response body exceeded the size cap');
    expect(http.calls).toBe(1);
  });

  it('accepts a body just under the cap', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(1000) });
    expect(body.length).toBeLessThan(1024);
    nock(ORIGIN).get('/v1/ok').reply(200, body);
    const response = await client({ maxResponseBytes: 1024 }).getJson({ path: '/v1/ok', headers: {} });
    expect(response.data).toEqual({ pad: 'x'.repeat(1000) });
  });

  it('counts the cap after decompression (a small gzip body that inflates past it fails)', async () => {
    const inflated = JSON.stringify({ pad: 'x'.repeat(64 * 1024) });
    const compressed = gzipSync(inflated);
    expect(compressed.length).toBeLessThan(1024);
    nock(ORIGIN).get('/v1/bomb').reply(200, compressed, { 'Content-Encoding': 'gzip' });
    const error = await failure(client({ maxResponseBytes: 4096 }).getJson({ path: '/v1/bomb', headers: {} }));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'upstream_too_large', message: 'response body exceeded the size cap' });
  });

  it('has documented defaults', () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(20 * 1024 * 1024);
    expect(DEFAULT_TIMEOUT_MS).toBe(10_000);
  });
});

describe('createHttpClient: retries', () => {
  it('honours an HTTP-date Retry-After in place of the backoff', async () => {
    const retryAt = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const fakeNow = Date.parse(retryAt) - 250; // the vendor asks for 250 ms
    nock(ORIGIN).get('/v1/x').reply(429, { error: 'Rate limit exceeded' }, { 'Retry-After': retryAt }).get('/v1/x').reply(200, { ok: true });
    // random 0: without Retry-After the backoff would be 0 ms.
    const http = client({ now: () => fakeNow, retry: { maxAttempts: 2 } });
    const started = performance.now();
    const response = await http.getJson({ path: '/v1/x', headers: {} });
    const elapsed = performance.now() - started;
    expect(response.data).toEqual({ ok: true });
    expect(http.calls).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(245);
    expect(elapsed).toBeLessThan(2000);
  });

  it('honours a delta-seconds Retry-After (1 s)', async () => {
    nock(ORIGIN).get('/v1/x').reply(503, 'busy', { 'Retry-After': '1' }).get('/v1/x').reply(200, '[]');
    const http = client({ retry: { maxAttempts: 2 } });
    const started = performance.now();
    await expect(http.getJson({ path: '/v1/x', headers: {} })).resolves.toMatchObject({ data: [] });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(3000);
    expect(http.calls).toBe(2);
  });

  it('stops at maxAttempts and throws the last error', async () => {
    nock(ORIGIN).get('/v1/x').times(3).reply(503, { error: 'Service Unavailable' });
    const http = client({ retry: { maxAttempts: 3 } });
    const error = await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toBe('HTTP 503: Service Unavailable');
    expect(http.calls).toBe(3);
  });

  it('does not wait for a Retry-After that ends after the deadline', async () => {
    nock(ORIGIN).get('/v1/x').reply(429, { error: 'Rate limit exceeded' }, { 'Retry-After': '30' });
    const http = client({ retry: { maxAttempts: 3 } });
    const started = performance.now();
    const error = await failure(http.getJson({ path: '/v1/x', headers: {}, deadlineMs: Date.now() + 2000 }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Rate limit exceeded', status: 429, retryAfterSeconds: 30 });
    expect(http.calls).toBe(1);
  });

  it('stops retrying when the next backoff would pass the deadline', async () => {
    // Jitter draw 0.999: backoff 199 ms after attempt 1, 399 ms after attempt 2; deadline 500 ms.
    nock(ORIGIN).get('/v1/x').times(2).reply(502, 'bad gateway');
    const http = client({ random: () => 0.999, retry: { maxAttempts: 5, baseDelayMs: 200 } });
    const started = performance.now();
    const error = await failure(http.getJson({ path: '/v1/x', headers: {}, deadlineMs: Date.now() + 500 }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('upstream_unavailable');
    expect(http.calls).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1500);
  });

  it('bounds one attempt by the remaining deadline, not only by timeoutMs', async () => {
    nock(ORIGIN).get('/v1/x').delay(2000).reply(200, '{}');
    // Backoff 500 ms (draw 0.5 of 1000) is past the deadline, so no second attempt.
    const http = client({ timeoutMs: 10_000, random: () => 0.5, retry: { baseDelayMs: 1000 } });
    const started = performance.now();
    const error = await failure(http.getJson({ path: '/v1/x', headers: {}, deadlineMs: Date.now() + 300 }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    expect(http.calls).toBe(1);
  });

  it('does not call at all when the deadline has already passed', async () => {
    const http = client();
    const error = await failure(http.getJson({ path: '/v1/x', headers: {}, deadlineMs: Date.now() - 1 }));
    expect(error.code).toBe('upstream_timeout');
    expect(error.message).toBe('deadline reached before the call');
    expect(http.calls).toBe(0);
  });

  it('times out one attempt (per-attempt timeout) as upstream_timeout', async () => {
    nock(ORIGIN).get('/v1/slow').delay(3000).reply(200, '{}');
    const http = client({ timeoutMs: 100, retry: { maxAttempts: 1 } });
    const started = performance.now();
    const error = await failure(http.getJson({ path: '/v1/slow', headers: {} }));
    expect(error.code).toBe('upstream_timeout');
    expect(error.message).toBe('the vendor did not answer in time');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('retries a timed-out attempt', async () => {
    nock(ORIGIN).get('/v1/slow').delay(1000).reply(200, '{}').get('/v1/slow').reply(200, { second: true });
    const events: UpstreamEvent[] = [];
    const http = client({ timeoutMs: 100, retry: { maxAttempts: 2 }, observer: (event) => events.push(event) });
    const response = await http.getJson({ path: '/v1/slow', headers: {} });
    expect(response.data).toEqual({ second: true });
    expect(events.map((event) => [event.attempt, event.outcome])).toEqual([
      [1, 'upstream_timeout'],
      [2, 'ok'],
    ]);
  });

  it('retries network errors and classifies them as network', async () => {
    nock(ORIGIN)
      .get('/v1/x')
      .replyWithError(socketError('ECONNRESET'))
      .get('/v1/x')
      .replyWithError(socketError('ECONNRESET'))
      .get('/v1/x')
      .reply(200, { ok: 1 });
    const events: UpstreamEvent[] = [];
    const http = client({ observer: (event) => events.push(event) });
    await expect(http.getJson({ path: '/v1/x', headers: {} })).resolves.toMatchObject({ data: { ok: 1 } });
    expect(events.map((event) => [event.attempt, event.status, event.outcome])).toEqual([
      [1, undefined, 'network'],
      [2, undefined, 'network'],
      [3, 200, 'ok'],
    ]);
  });

  it('names the socket error of a refused connection on loopback (the error comes from another realm under jest)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const http = createHttpClient({ provider: 'seleqt', baseUrl: `http://127.0.0.1:${port}`, retry: { maxAttempts: 1 } });
    const error = await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(error.message).toBe('network error talking to the vendor (ECONNREFUSED)');
  });

  it('fails with network after the last network error', async () => {
    nock(ORIGIN).get('/v1/x').times(2).replyWithError(socketError('ECONNRESET'));
    const http = client({ retry: { maxAttempts: 2 } });
    const error = await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(error.code).toBe('network');
    expect(error.message).toBe('network error talking to the vendor (ECONNRESET)');
    expect(error.status).toBeUndefined();
    expect(http.calls).toBe(2);
  });
});

describe('createHttpClient: cancellation', () => {
  it('aborts an attempt in flight with code aborted, and does not retry', async () => {
    nock(ORIGIN).get('/v1/x').delay(3000).reply(200, '{}');
    const controller = new AbortController();
    const http = client({ retry: { maxAttempts: 3 } });
    const started = performance.now();
    const pending = failure(http.getJson({ path: '/v1/x', headers: {}, signal: controller.signal }));
    await sleep(50);
    controller.abort();
    const error = await pending;
    expect(error.code).toBe('aborted');
    expect(error.message).toBe('the call was cancelled');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(http.calls).toBe(1);
  });

  it('aborts while waiting between attempts', async () => {
    nock(ORIGIN).get('/v1/x').reply(503, 'busy', { 'Retry-After': '5' });
    const controller = new AbortController();
    const http = client({ retry: { maxAttempts: 3 } });
    const started = performance.now();
    const pending = failure(http.getJson({ path: '/v1/x', headers: {}, signal: controller.signal }));
    await sleep(100);
    controller.abort();
    const error = await pending;
    expect(error.code).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(2500);
    expect(http.calls).toBe(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const scope = nock(ORIGIN).get('/v1/x').reply(200, '{}');
    const controller = new AbortController();
    controller.abort();
    const error = await failure(client().getJson({ path: '/v1/x', headers: {}, signal: controller.signal }));
    expect(error.code).toBe('aborted');
    expect(scope.isDone()).toBe(false);
    nock.cleanAll(); // left unused on purpose: the request must never be sent
  });
});

describe('createHttpClient: secrets never reach an error', () => {
  it('redacts a key the vendor echoes in a JSON error body', async () => {
    nock(ORIGIN)
      .get('/v1/x')
      .reply(401, { error: `Invalid API key ${CANARY}`, message: `Key "${CANARY}" was revoked`, key: CANARY });
    const error = await failure(client().getJson({ path: '/v1/x', headers: { 'X-API-Key': CANARY } }));
    expect(error.message).toBe('HTTP 401: Invalid API key [REDACTED]: Key "[REDACTED]" was revoked');
    expect(everyRendering(error)).not.toContain(CANARY);
  });

  it('redacts a key echoed in a non-JSON body', async () => {
    nock(ORIGIN).get('/v1/x').reply(403, `<html>forbidden for key=${CANARY}</html>`);
    const error = await failure(client().getJson({ path: '/v1/x', headers: { 'X-API-Key': CANARY } }));
    expect(error.message).toBe('HTTP 403: <html>forbidden for key=[REDACTED]</html>');
    expect(everyRendering(error)).not.toContain(CANARY);
  });

  it('leaves no part of a key that straddles the message length limit', async () => {
    // The message keeps 300 characters; put the key across that boundary.
    const body = `${'e'.repeat(290)}${CANARY} and more text after it`;
    nock(ORIGIN).get('/v1/x').reply(400, body);
    const error = await failure(client().getJson({ path: '/v1/x', headers: { 'X-API-Key': CANARY } }));
    expect(everyRendering(error)).not.toContain(CANARY.slice(0, 10));
    expect(error.message.startsWith(`HTTP 400: ${'e'.repeat(290)}[REDACTED]`)).toBe(true);
  });

  it('redacts a key echoed in a 429 and a 5xx after retries', async () => {
    nock(ORIGIN).get('/v1/x').reply(429, { error: `limit for ${CANARY}` }).get('/v1/x').reply(500, `boom ${CANARY}`);
    const error = await failure(client({ retry: { maxAttempts: 2 } }).getJson({ path: '/v1/x', headers: { 'X-API-Key': CANARY } }));
    expect(error.message).toBe('HTTP 500: boom [REDACTED]');
    expect(everyRendering(error)).not.toContain(CANARY);
  });

  it('keeps no request data on network and timeout errors', async () => {
    nock(ORIGIN).get('/v1/x').replyWithError(socketError('ECONNREFUSED', `connect refused ${CANARY}`));
    const error = await failure(client({ retry: { maxAttempts: 1 } }).getJson({ path: '/v1/x', headers: { 'X-API-Key': CANARY } }));
    expect(error.message).toBe('network error talking to the vendor (ECONNREFUSED)');
    expect(everyRendering(error)).not.toContain(CANARY);
    expect(Object.keys(error).sort()).toEqual(['code', 'name', 'path', 'provider', 'retryAfterMs', 'status']);
  });
});

describe('pathOf', () => {
  it.each<[string, string]>([
    ['../admin', '/v1/campaigns/..%2Fadmin/analytics'],
    ['..%2F..%2Fadmin', '/v1/campaigns/..%252F..%252Fadmin/analytics'],
    ['a/b', '/v1/campaigns/a%2Fb/analytics'],
    ['@evil.example.test', '/v1/campaigns/%40evil.example.test/analytics'],
    ['x\r\nHost: evil.example.test', '/v1/campaigns/x%0D%0AHost%3A%20evil.example.test/analytics'],
    ['https://evil.example.test/steal', '/v1/campaigns/https%3A%2F%2Fevil.example.test%2Fsteal/analytics'],
    ['?admin=1#frag', '/v1/campaigns/%3Fadmin%3D1%23frag/analytics'],
    ['campaign_01 ü', '/v1/campaigns/campaign_01%20%C3%BC/analytics'],
    ['64f0c2a9e1b2c3d4e5f60718', '/v1/campaigns/64f0c2a9e1b2c3d4e5f60718/analytics'],
  ])('keeps %p one segment on the configured origin', async (id, encodedPath) => {
    const path = pathOf`/v1/campaigns/${id}/analytics`;
    expect(path).toBe(encodedPath);
    expect(buildUrl(ORIGIN, path, undefined)).toBe(`${ORIGIN}${encodedPath}`);
    const scope = nock(ORIGIN).get(encodedPath).reply(200, '{}');
    await client().getJson({ path, headers: {} });
    expect(scope.isDone()).toBe(true);
  });

  it('encodes numbers and several values, and leaves the literal parts alone', () => {
    expect(pathOf`/v1/campaigns/${123}/steps/${'a b'}`).toBe('/v1/campaigns/123/steps/a%20b');
    expect(pathOf`/v1/plain`).toBe('/v1/plain');
    expect(pathOf`${'x'}`).toBe('x');
  });

  it.each(['..', '.', ''])('refuses %p, which a URL parser would resolve or drop', (id) => {
    expect(() => pathOf`/v1/campaigns/${id}/analytics`).toThrow('unsafe path segment');
  });
});

describe('buildUrl', () => {
  it.each<[string, string]>([
    ['//evil.example.test/x', 'path must be absolute on the origin'],
    ['relative/path', 'path must be absolute on the origin'],
    ['https://evil.example.test/x', 'path must be absolute on the origin'],
    ['', 'path must be absolute on the origin'],
    ['/\\evil.example.test/x', 'path left the configured origin'],
  ])('rejects %p', (path, message) => {
    expect(() => buildUrl(ORIGIN, path, undefined)).toThrow(message);
  });

  it('getJson refuses such a path before any request', async () => {
    const http = client();
    await expect(http.getJson({ path: '//evil.example.test/x', headers: {} })).rejects.toThrow('path must be absolute on the origin');
    expect(http.calls).toBe(0);
  });

  it('appends the query in order, repeating arrays and skipping undefined', () => {
    expect(buildUrl(ORIGIN, '/v1/x', { b: 'two words', ids: ['1', '2'], n: 0, f: false, gone: undefined })).toBe(
      `${ORIGIN}/v1/x?b=two+words&ids=1&ids=2&n=0&f=false`,
    );
    expect(buildUrl(ORIGIN, '/v1/x', {})).toBe(`${ORIGIN}/v1/x`);
  });
});

describe('normalizeBaseUrl', () => {
  it.each<[string, string]>([
    ['https://api.instantly.ai', 'https://api.instantly.ai'],
    ['https://app.seleqt.ai/', 'https://app.seleqt.ai'],
    ['https://api.example.test/some/path?x=1#y', 'https://api.example.test'],
    ['HTTPS://API.Example.TEST:443/', 'https://api.example.test'],
    ['http://127.0.0.1:4010/v1', 'http://127.0.0.1:4010'],
  ])('%p -> %p', (input, origin) => {
    expect(normalizeBaseUrl(input)).toBe(origin);
  });

  it.each<[string, string | RegExp]>([
    ['https://user:pass@api.example.test', 'baseUrl must not carry credentials'],
    ['https://user@api.example.test', 'baseUrl must not carry credentials'],
    ['ftp://api.example.test', 'baseUrl must be http(s): ftp:'],
    ['file:///etc/passwd', 'baseUrl must be http(s): file:'],
    ['javascript:alert(1)', 'baseUrl must be http(s): javascript:'],
    ['not a url', /Invalid URL/],
  ])('rejects %p', (input, message) => {
    expect(() => normalizeBaseUrl(input)).toThrow(message);
  });

  it('createHttpClient refuses a bad base URL at construction', () => {
    expect(() => createHttpClient({ provider: 'seleqt', baseUrl: 'https://u:p@api.example.test' })).toThrow('baseUrl must not carry credentials');
  });
});

describe('codeForStatus and describeErrorBody', () => {
  it.each<[number, string]>([
    [301, 'wrong_host'],
    [304, 'wrong_host'],
    [408, 'bad_request'],
    [418, 'bad_request'],
    [502, 'upstream_unavailable'],
    [504, 'upstream_unavailable'],
  ])('codeForStatus(%i) = %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });

  it.each<[string, string]>([
    ['{"error":"Missing API key","message":"Provide X-API-Key header"}', 'Missing API key: Provide X-API-Key header'],
    ['{"error":"Access denied"}', 'Access denied'],
    ['{"message":"Only a message"}', 'Only a message'],
    ['{"error":"","message":"empty error"}', 'empty error'],
    ['{"error":{"code":7},"detail":"x"}', '{"error":{"code":7},"detail":"x"}'],
    ['[1,2]', '[1,2]'],
    ['null', 'null'],
    ['plain\n\n  text\twith   space', 'plain text with space'],
  ])('describeErrorBody(%p) = %p', (body, described) => {
    expect(describeErrorBody(body, [])).toBe(described);
  });

  it('truncates long bodies to 300 characters', () => {
    expect(describeErrorBody('a'.repeat(500), [])).toBe(`${'a'.repeat(300)}…`);
  });
});

describe('createHttpClient: gate and observer', () => {
  function recordingGate(log: string[]): RequestGate & { acquired: { aborted: boolean; deadlineMs: number | undefined }[] } {
    const acquired: { aborted: boolean; deadlineMs: number | undefined }[] = [];
    return {
      acquired,
      acquire: async (signal, deadlineMs) => {
        acquired.push({ aborted: signal?.aborted ?? true, deadlineMs });
        log.push('acquire');
        return {
          // When the request reaches its socket is the transport's to tell (tested on loopback).
          sent: () => undefined,
          answered: (headers) => log.push(`answered ${headers['x-ratelimit-remaining'] ?? '-'}`),
          release: () => log.push('release'),
        };
      },
      pause: (ms) => log.push(`pause ${ms}`),
    };
  }

  it('acquires and releases one permit per attempt, and pauses the account on 429', async () => {
    const retryAt = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const fakeNow = Date.parse(retryAt) - 40;
    nock(ORIGIN).get('/v1/x').reply(429, '{}', { 'Retry-After': retryAt }).get('/v1/x').reply(200, '{}');
    const log: string[] = [];
    const gate = recordingGate(log);
    const deadlineMs = fakeNow + 60_000;
    const http = client({ gate, now: () => fakeNow });
    // The gate gets the caller's signal (the attempt's own timeout starts once the permit is held).
    await http.getJson({ path: '/v1/x', headers: {}, deadlineMs, signal: new AbortController().signal });
    expect(log).toEqual(['acquire', 'answered -', 'pause 40', 'release', 'acquire', 'answered -', 'release']);
    expect(gate.acquired).toEqual([
      { aborted: false, deadlineMs },
      { aborted: false, deadlineMs },
    ]);
  });

  it('pauses for the base delay when a 429 has no Retry-After', async () => {
    nock(ORIGIN).get('/v1/x').reply(429, '{}');
    const log: string[] = [];
    const http = client({ gate: recordingGate(log), retry: { maxAttempts: 1, baseDelayMs: 7 } });
    await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(log).toEqual(['acquire', 'answered -', 'pause 7', 'release']);
  });

  it('releases the permit when the attempt throws, and does not pause for a 503', async () => {
    nock(ORIGIN).get('/v1/x').replyWithError(socketError('ECONNRESET')).get('/v1/x').reply(503, 'x');
    const log: string[] = [];
    const http = client({ gate: recordingGate(log), retry: { maxAttempts: 2 } });
    await failure(http.getJson({ path: '/v1/x', headers: {} }));
    expect(log).toEqual(['acquire', 'release', 'acquire', 'answered -', 'release']);
  });

  it('tells the observer about every attempt', async () => {
    nock(ORIGIN).get('/v1/obs').reply(503, 'x').get('/v1/obs').reply(200, '{}', { 'X-RateLimit-Remaining': '7', 'Content-Type': 'application/json' });
    const events: UpstreamEvent[] = [];
    const http = client({ now: () => 1_000, observer: (event) => events.push(event) });
    await http.getJson({ path: '/v1/obs', headers: {} });
    expect(events).toEqual([
      { provider: 'seleqt', path: '/v1/obs', attempt: 1, status: 503, outcome: 'upstream_unavailable', durationMs: 0, socketWaitMs: 0, rateLimitHeaders: {} },
      // Only the rate-limit headers of an answer reach the observer (the probe reports them).
      { provider: 'seleqt', path: '/v1/obs', attempt: 2, status: 200, outcome: 'ok', durationMs: 0, socketWaitMs: 0, rateLimitHeaders: { 'x-ratelimit-remaining': '7' } },
    ]);
  });

  it('numbers attempts per call, not per client', async () => {
    nock(ORIGIN).get('/v1/a').reply(200, '{}').get('/v1/b').reply(200, '{}');
    const events: UpstreamEvent[] = [];
    const http = client({ observer: (event) => events.push(event) });
    await http.getJson({ path: '/v1/a', headers: {} });
    await http.getJson({ path: '/v1/b', headers: {} });
    expect(events.map((event) => [event.path, event.attempt])).toEqual([
      ['/v1/a', 1],
      ['/v1/b', 1],
    ]);
    expect(http.calls).toBe(2);
  });

  it('measures durations with the injected clock', async () => {
    nock(ORIGIN).get('/v1/x').reply(200, '{}');
    let t = 0;
    const events: UpstreamEvent[] = [];
    const http = client({ now: () => (t += 10), observer: (event) => events.push(event) });
    await http.getJson({ path: '/v1/x', headers: {} });
    // `started` is read once after the permit, then once when the request is written, the end once when emitting.
    expect(events).toHaveLength(1);
    expect(events[0]?.socketWaitMs).toBe(10);
    expect(events[0]?.durationMs).toBe(20);
  });
});

describe('http index', () => {
  it('re-exports the client and the retry policy', () => {
    expect(httpIndex.createHttpClient).toBe(createHttpClient);
    expect(typeof httpIndex.decideRetry).toBe('function');
  });
});
