/**
 * Content codings (src/server/compression.ts): the Accept-Encoding negotiation, ETags and 304s per
 * representation, `Vary`, compressed bodies that decompress to exactly the identity bytes (JSON,
 * CSV, NDJSON, a big answer streamed, history), the fast path serving compressed hits, and a
 * cached answer's prefix compressed once per cache generation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { AnswerCache } from '../../src/gateway/answer-cache';
import { acceptableCodings, chooseCoding, encodedBody, encodedPrefix, ifNoneMatchHits, representationEtag } from '../../src/server/compression';
import { HotAnswers } from '../../src/server/hot-path';
import { CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';
/** The gateway's clock: real time until a test freezes it (after warming), so hits repeat `generatedAt` and ages. */
let frozen: number | undefined;
const now = (): number => frozen ?? Date.now();
const freeze = (): void => {
  frozen = Date.now();
};

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with exactly these headers (node:http sends no Accept-Encoding of its own); the body as received. */
function send(url: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(answer: Raw): Buffer {
  const coding = answer.headers['content-encoding'];
  if (coding === 'gzip') return zlib.gunzipSync(answer.body);
  if (coding === 'br') return zlib.brotliDecompressSync(answer.body);
  expect(coding).toBeUndefined();
  return answer.body;
}

const varyNames = (answer: Raw): string[] =>
  String(answer.headers.vary ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());

describe('Accept-Encoding negotiation (RFC 9110 12.5.3)', () => {
  const big = 10_000;
  test.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['gzip;q=0.2, br;q=0.8', 'br'],
    ['GZIP;Q=0.9', 'gzip'],
    ['gzip;q=0, br;q=0', 'identity'],
    ['br;q=0, *', 'gzip'],
    ['*', 'br'],
    ['*;q=0', 'identity'], // nothing acceptable, identity refused too: sent as it is anyway
    ['identity;q=0', 'identity'], // idem
    ['gzip;q=0.5, identity', 'identity'],
    ['deflate, compress', 'identity'],
    ['gzip;q=abc', 'identity'],
  ])('%p gives %s', (header, expected) => {
    expect(chooseCoding(header, big)).toBe(expected);
  });

  test('a tie between gzip and br goes to the preferred one; small bodies are never compressed', () => {
    expect(chooseCoding('gzip, br', big, 'gzip')).toBe('gzip');
    expect(chooseCoding('br, gzip', big, 'br')).toBe('br');
    expect(chooseCoding('br;q=1, gzip;q=0.9', big, 'gzip')).toBe('br');
    expect(chooseCoding('gzip, br', 1023)).toBe('identity');
    expect(chooseCoding('gzip, br', 1024)).toBe('br');
    expect(chooseCoding('gzip', undefined)).toBe('gzip');
    expect(acceptableCodings('gzip;q=0.3, *;q=0.1')).toEqual({ gzip: 0.3, br: 0.1, identity: 0.1 });
    expect(acceptableCodings('gzip;q=0.3')).toEqual({ gzip: 0.3, br: 0, identity: undefined });
  });

  test('an ETag per representation, If-None-Match compared weakly over a list', () => {
    expect(representationEtag('"abc"', 'identity')).toBe('"abc"');
    expect(representationEtag('"abc"', 'gzip')).toBe('"abc-gzip"');
    expect(representationEtag('"abc"', 'br')).toBe('"abc-br"');
    expect(ifNoneMatchHits('"abc-gzip"', '"abc-gzip"')).toBe(true);
    expect(ifNoneMatchHits('"x", W/"abc-br"', '"abc-br"')).toBe(true);
    expect(ifNoneMatchHits('*', '"abc"')).toBe(true);
    expect(ifNoneMatchHits('"abc"', '"abc-gzip"')).toBe(false);
    expect(ifNoneMatchHits('"abc-gzip"', '"abc"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"abc"')).toBe(false);
  });
});

describe('a prefix compressed once, a tail framed per request', () => {
  /** An answer cache holding `prefix` (in pieces) under one ETag. */
  function held(prefix: Buffer, cut: number): { cache: AnswerCache; serialized: ReturnType<AnswerCache['set']> } {
    const cache = new AnswerCache(64 * 1024 * 1024);
    const pieces = [prefix.subarray(0, cut), prefix.subarray(cut)];
    const serialized = cache.set('"e"', { data: [], totals: {} as never }, { pieces, bytes: prefix.length });
    return { cache, serialized };
  }

  test('gzip and br bodies decompress to exactly prefix + tail, for any bytes (tails past one stored block too)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.nat(), fc.boolean(), async (prefixBytes, tailBytes, cutAt, long) => {
        const prefix = Buffer.from(prefixBytes);
        const tail = long ? Buffer.concat([Buffer.from(tailBytes), Buffer.alloc(140_000, 0x41)]) : Buffer.from(tailBytes);
        const { cache, serialized } = held(prefix, cutAt % prefix.length);
        for (const coding of ['gzip', 'br'] as const) {
          expect(await encodedPrefix(cache, '"e"', serialized, coding)).toBeDefined();
          const json = { pieces: [...serialized.prefix.pieces, tail], bytes: prefix.length + tail.length };
          const body = encodedBody(json, serialized, coding);
          if (!body) throw new Error('no encoded body');
          const whole = Buffer.concat(body.pieces);
          expect(whole.length).toBe(body.bytes);
          const decoded = coding === 'gzip' ? zlib.gunzipSync(whole) : zlib.brotliDecompressSync(whole);
          expect(decoded.equals(Buffer.concat([prefix, tail]))).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('concurrent requests share one compression per coding, each coding its own', async () => {
    const deflate = jest.spyOn(zlib, 'deflateRaw');
    const brotli = jest.spyOn(zlib, 'brotliCompress');
    try {
      const prefix = Buffer.from(`{"data":[${'{"name":"a campaign","sent":120},'.repeat(200)}`);
      const { cache, serialized } = held(prefix, 10);
      const [gzip, br, gzipAgain] = await Promise.all([
        encodedPrefix(cache, '"e"', serialized, 'gzip'),
        encodedPrefix(cache, '"e"', serialized, 'br'),
        encodedPrefix(cache, '"e"', serialized, 'gzip'),
      ]);
      expect(gzipAgain).toBe(gzip);
      expect(br).not.toBe(gzip);
      expect(deflate).toHaveBeenCalledTimes(1);
      expect(brotli).toHaveBeenCalledTimes(1);
      const tail = Buffer.from('{}]}');
      const json = { pieces: [...serialized.prefix.pieces, tail], bytes: prefix.length + tail.length };
      const whole = (coding: 'gzip' | 'br'): Buffer => Buffer.concat((encodedBody(json, serialized, coding)?.pieces ?? []));
      expect(zlib.gunzipSync(whole('gzip')).equals(Buffer.concat([prefix, tail]))).toBe(true);
      expect(zlib.brotliDecompressSync(whole('br')).equals(Buffer.concat([prefix, tail]))).toBe(true);
    } finally {
      jest.restoreAllMocks();
    }
  });

  test('the compressed prefix is kept with the entry and counted in its bound; an entry the cache does not hold is not compressed', async () => {
    const prefix = Buffer.from(JSON.stringify({ data: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `campaign ${i}` })) }).slice(0, -1));
    const { cache, serialized } = held(prefix, 100);
    const before = cache.calculatedBytes;
    const first = await encodedPrefix(cache, '"e"', serialized, 'gzip');
    expect(await encodedPrefix(cache, '"e"', serialized, 'gzip')).toBe(first);
    expect(cache.calculatedBytes).toBe(before + (first?.head.length ?? 0));
    const stranger = new AnswerCache(0).set('"e"', { data: [], totals: {} as never }, { pieces: [prefix], bytes: prefix.length });
    expect(await encodedPrefix(cache, '"e"', stranger, 'br')).toBeUndefined();
  });
});

describe('compressed answers over HTTP', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ campaigns: 30, now });
  });
  afterEach(async () => {
    frozen = undefined;
    jest.restoreAllMocks();
    await stack.close();
  });

  const headers = (more: Record<string, string> = {}): Record<string, string> => ({ 'X-API-Key': CLIENT_KEY, 'X-Request-Id': 'same-id', ...more });

  test('JSON: gzip and br decompress to the identity bytes, with Vary, Content-Encoding, Content-Length and an ETag per coding', async () => {
    for (const coding of ['identity', 'gzip', 'br']) await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': coding })); // warm every coding
    freeze();
    const identity = await send(stack.url, ANALYTICS, headers());
    const gzip = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip' }));
    const br = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'br' }));
    // A browser's header ranks gzip and br alike: a cached answer goes gzip, its prefix already compressed.
    const browser = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip, deflate, br, zstd' }));
    expect(browser.headers['content-encoding']).toBe('gzip');
    expect(identity.body.length).toBeGreaterThan(20_000);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.headers['content-encoding']).toBe('br');
    for (const answer of [identity, gzip, br]) {
      expect(answer.status).toBe(200);
      expect(varyNames(answer)).toContain('accept-encoding');
      expect(answer.headers['content-length']).toBe(String(answer.body.length));
      expect(decode(answer).equals(identity.body)).toBe(true);
    }
    expect(gzip.body.length).toBeLessThan(identity.body.length / 4);
    expect(br.body.length).toBeLessThan(identity.body.length / 4);
    const etag = String(identity.headers.etag);
    expect(gzip.headers.etag).toBe(representationEtag(etag, 'gzip'));
    expect(br.headers.etag).toBe(representationEtag(etag, 'br'));
  });

  test('a 304 per coding: each ETag matches only its own representation', async () => {
    const gzip = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip' }));
    const gzipTag = String(gzip.headers.etag);
    const again = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip', 'If-None-Match': gzipTag }));
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers['content-encoding']).toBe('gzip');
    expect(again.headers.etag).toBe(gzipTag);
    // The gzip tag does not name the br or the identity representation.
    const br = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'br', 'If-None-Match': gzipTag }));
    expect(br.status).toBe(200);
    const brAgain = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) }));
    expect(brAgain.status).toBe(304);
    const identity = await send(stack.url, ANALYTICS, headers({ 'If-None-Match': gzipTag }));
    expect(identity.status).toBe(200);
    expect(identity.headers['content-encoding']).toBeUndefined();
  });

  test('refusals: q=0 codings are not used; identity;q=0 with nothing else acceptable is answered as it is', async () => {
    await send(stack.url, ANALYTICS, headers());
    freeze();
    const plain = await send(stack.url, ANALYTICS, headers());
    const noGzip = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip;q=0, br' }));
    expect(noGzip.headers['content-encoding']).toBe('br');
    const noBr = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'br;q=0, gzip' }));
    expect(noBr.headers['content-encoding']).toBe('gzip');
    const nothing = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'identity;q=0, *;q=0' }));
    expect(nothing.status).toBe(200);
    expect(nothing.headers['content-encoding']).toBeUndefined();
    expect(varyNames(nothing)).toContain('accept-encoding');
    expect(nothing.body.equals(plain.body)).toBe(true);
  });

  test('HEAD: the headers of the compressed GET, no body', async () => {
    await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip' }));
    freeze();
    const get = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip' }));
    const head = await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip' }), 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  test.each([
    ['csv', 'text/csv'],
    ['ndjson', 'application/x-ndjson'],
  ])('%s: gzip and br decompress to the identity bytes', async (format) => {
    const path = `${ANALYTICS}?format=${format}`;
    const identity = await send(stack.url, path, headers());
    expect(identity.body.length).toBeGreaterThan(5000);
    // Each twice: the second request is the one a remembered answer (hot-path.ts) would serve.
    for (const coding of ['gzip', 'br', 'gzip', 'br']) {
      const answer = await send(stack.url, path, headers({ 'Accept-Encoding': coding }));
      expect(answer.headers['content-encoding']).toBe(coding);
      expect(answer.headers.etag).toBe(representationEtag(String(identity.headers.etag), coding as 'gzip'));
      expect(varyNames(answer)).toContain('accept-encoding');
      expect(decode(answer).equals(identity.body)).toBe(true);
    }
    const again = await send(stack.url, path, headers());
    expect(again.headers['content-encoding']).toBeUndefined();
    expect(again.body.equals(identity.body)).toBe(true);
  });

  test('history: JSON and CSV in gzip and br decompress to the identity bytes', async () => {
    await stack.close();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'og-compression-'));
    try {
      stack = await startStack({ campaigns: 30, now, storageDir: dir });
      await send(stack.url, `${ANALYTICS}?workspace_id=ALL`, headers());
      const history = '/v1/campaigns/history?workspace_id=ALL&group_by=campaign';
      // The walk's snapshots are written after the answer.
      let first = await send(stack.url, history, headers());
      for (let i = 0; i < 100 && (first.status !== 200 || first.body.length < 2048); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        first = await send(stack.url, history, headers());
      }
      freeze();
      for (const query of [history, `${history}&format=csv`]) {
        const identity = await send(stack.url, query, headers());
        expect(identity.status).toBe(200);
        expect(identity.body.length).toBeGreaterThan(1024);
        for (const coding of ['gzip', 'br']) {
          const answer = await send(stack.url, query, headers({ 'Accept-Encoding': coding }));
          expect(answer.headers['content-encoding']).toBe(coding);
          expect(varyNames(answer)).toContain('accept-encoding');
          expect(answer.headers['content-length']).toBe(String(answer.body.length));
          expect(decode(answer).equals(identity.body)).toBe(true);
        }
      }
    } finally {
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
      stack = await startStack({ campaigns: 30, now }); // for afterEach
    }
  }, 90_000);

  test('history without a store: its small 503 problem is not compressed', async () => {
    const answer = await send(stack.url, '/v1/campaigns/history', headers({ 'Accept-Encoding': 'gzip' }));
    expect(answer.headers['content-encoding']).toBeUndefined();
  });

  test('the fast path serves compressed hits, per coding, and the prefix is compressed once per cache generation', async () => {
    const tryServe = jest.spyOn(HotAnswers.prototype, 'tryServe');
    const deflate = jest.spyOn(zlib, 'deflateRaw');
    const brotli = jest.spyOn(zlib, 'brotliCompress');
    const served = (): boolean => tryServe.mock.results.at(-1)?.value === true;
    await send(stack.url, ANALYTICS, headers());
    freeze();
    const identity = await send(stack.url, ANALYTICS, headers());
    const answers: Raw[] = [];
    for (let i = 0; i < 4; i += 1) {
      answers.push(await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip' })));
      if (i > 0) expect(served()).toBe(true);
    }
    for (let i = 0; i < 3; i += 1) {
      answers.push(await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'br' })));
      if (i > 0) expect(served()).toBe(true);
    }
    // A browser's header is its own key: the pipeline once, then the fast path, same compressed prefix.
    answers.push(await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip, deflate' })));
    answers.push(await send(stack.url, ANALYTICS, headers({ 'Accept-Encoding': 'gzip, deflate' })));
    expect(served()).toBe(true);
    for (const answer of answers) expect(decode(answer).equals(identity.body)).toBe(true);
    expect(deflate).toHaveBeenCalledTimes(1);
    expect(brotli).toHaveBeenCalledTimes(1);
    // A new cache generation (refresh with new upstream data) is compressed once again.
    const other = await send(stack.url, `${ANALYTICS}?status=active`, headers({ 'Accept-Encoding': 'gzip' }));
    await send(stack.url, `${ANALYTICS}?status=active`, headers({ 'Accept-Encoding': 'gzip' }));
    expect(other.headers['content-encoding']).toBe('gzip');
    expect(deflate).toHaveBeenCalledTimes(2);
  });

  test('a big answer the answer cache does not keep is streamed through the compressor, same bytes', async () => {
    await stack.close();
    stack = await startStack({ campaigns: 1500, now });
    // The answer cache keeps nothing: every answer takes the streaming path.
    jest.spyOn(AnswerCache.prototype, 'get').mockReturnValue(undefined);
    const deflate = jest.spyOn(zlib, 'deflateRaw');
    // Instantly and Seleqt: a few calls per connection whatever the campaign count.
    const path = `${ANALYTICS}?workspace_id=ALL&providers=instantly,seleqt`;
    // Warm until every source answered (a loaded machine can make a first walk miss its deadline).
    for (let i = 0; i < 5 && (await send(stack.url, path, headers())).headers['x-gateway-complete'] !== 'true'; i += 1);
    freeze();
    const identity = await send(stack.url, path, headers());
    expect(identity.headers['x-gateway-complete']).toBe('true');
    expect(identity.body.length).toBeGreaterThan(512 * 1024);
    for (const coding of ['gzip', 'br']) {
      const answer = await send(stack.url, path, headers({ 'Accept-Encoding': coding }));
      expect(answer.headers['content-encoding']).toBe(coding);
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.headers['transfer-encoding']).toBe('chunked');
      expect(decode(answer).equals(identity.body)).toBe(true);
    }
    expect(deflate).not.toHaveBeenCalled();
  }, 60_000);
});
