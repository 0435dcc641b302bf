/**
 * A vendor's bad day, socket by socket: never answering, dripping, resetting, refusing, cutting a
 * body short, sending garbage or an endless body, redirecting, paging in circles. Each case points
 * one connection at a raw loopback server (or a nock origin) and checks that the request still
 * answers in time, the other sources are untouched, nothing bad is cached and memory stays bounded.
 */
import { gzipSync, createGzip } from 'node:zlib';
import nock from 'nock';
import type { Stack, StackOptions } from '../helpers/stack';
import {
  ANALYTICS,
  WatchedStack, type TimedAnswer,
  analyticsBody,
  refusedOrigin,
  sleep,
  sourceOf,
  startRawSocketServer,
  startRawVendor,
  type RawSocketServer,
  type RawVendor,
} from './harness';

const SELEQT_PATH = '/api/v1/dashboard/campaign-analytics/';
const SELEQT_OK = JSON.stringify({
  campaigns: [
    {
      id: 123,
      name: 'Acme Raw Campaign',
      status: 'ACTIVE',
      workspace_id: 340,
      analytics: { amount_of_prospects: 10, amount_of_prospects_contacted: 5, amount_of_replies: 1 },
    },
  ],
});

describe('resilience: upstream faults', () => {
  const watched = new WatchedStack();
  const seen = watched.seen;
  let vendor: RawVendor | undefined;
  let socketServer: RawSocketServer | undefined;

  const stackWith = (options: StackOptions = {}): Promise<Stack> => watched.start(options);

  const get = (path: string): Promise<TimedAnswer> => watched.get(path);

  afterEach(async () => {
    await watched.close();
    await vendor?.stop();
    await socketServer?.stop();
    vendor = undefined;
    socketServer = undefined;
  });

  test('a vendor that never answers: that source fails with upstream_timeout by the deadline, the others answer', async () => {
    vendor = await startRawVendor(() => undefined); // reads the request, never answers
    // The deadline leaves the other sources' cold first walk room on a machine loaded by other
    // test files (at 700 ms all of them ran out once in CI, and the answer was a 502).
    const deadlineMs = 2000;
    await stackWith({ server: { deadlineMs }, connections: { 'acme-seleqt': { baseUrl: vendor.origin, timeoutMs: 10_000 } } });
    const res = await get(ANALYTICS);
    expect(res.status).toBe(200);
    expect(res.ms).toBeGreaterThanOrEqual(deadlineMs - 50);
    expect(res.ms).toBeLessThan(deadlineMs + 600);
    expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'upstream_timeout' } });
    const others = analyticsBody(res.body).sources.filter((s) => s.connection !== 'acme-seleqt');
    expect(others.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    expect(analyticsBody(res.body).meta.complete).toBe(false);
    expect(vendor.requests).toHaveLength(1);
  });

  test('a body dripped one byte a second: the attempt timeout covers the whole body and the socket is hung up', async () => {
    const timers = new Set<NodeJS.Timeout>();
    vendor = await startRawVendor((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"campaigns":[');
      const timer = setInterval(() => res.write(' '), 1000);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    });
    // A deadline far away, and a byte every second keeps a socket idle timeout (1.5 s) from ever
    // firing: only the timeout on the whole attempt can end this early.
    await stackWith({ server: { deadlineMs: 5000 }, connections: { 'acme-seleqt': { baseUrl: vendor.origin, timeoutMs: 1500, maxAttempts: 1 } } });
    const res = await get(`${ANALYTICS}?providers=seleqt`);
    for (const timer of timers) clearInterval(timer);
    expect(res.ms).toBeGreaterThanOrEqual(1400);
    expect(res.ms).toBeLessThan(2600);
    expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'upstream_timeout' } });
    expect(res.status).toBe(502); // the only source failed
    await sleep(50);
    expect(vendor.closedSockets()).toBeGreaterThanOrEqual(1);
  });

  test('a connection reset: a network error, retried up to maxAttempts, the other sources unaffected', async () => {
    socketServer = await startRawSocketServer((socket) => socket.resetAndDestroy());
    await stackWith({ connections: { 'acme-seleqt': { baseUrl: socketServer.origin, maxAttempts: 2 } } });
    const res = await get(ANALYTICS);
    expect(res.status).toBe(200);
    expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'network' } });
    expect(socketServer.connections()).toBe(2);
    expect(analyticsBody(res.body).sources.filter((s) => s.status === 'ok')).toHaveLength(3);
    expect(res.ms).toBeLessThan(1500);
  });

  test('a refused port: a network error at once, the other sources unaffected', async () => {
    await stackWith({ connections: { 'acme-seleqt': { baseUrl: await refusedOrigin(), maxAttempts: 2 } } });
    const res = await get(ANALYTICS);
    expect(res.status).toBe(200);
    expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'network' } });
    expect(analyticsBody(res.body).sources.filter((s) => s.status === 'ok')).toHaveLength(3);
    expect(res.ms).toBeLessThan(1500);
  });

  test('malformed JSON with status 200: upstream_schema, not retried, not cached', async () => {
    const origin = 'https://seleqt.vendor.test';
    const scope = nock(origin)
      .get(SELEQT_PATH)
      .query({ workspace_id: '340' })
      .times(2)
      .reply(200, '{"campaigns": [{"id": 1, "name": "Acme', { 'Content-Type': 'application/json' });
    await stackWith({ connections: { 'acme-seleqt': { baseUrl: origin, maxAttempts: 3 } } });
    for (let i = 0; i < 2; i += 1) {
      // A retry would take the second reply inside the first request; the second request would
      // then find no reply at all (a nock network error), so both answering upstream_schema means
      // exactly one call each, and the second call means nothing was cached.
      const res = await get(`${ANALYTICS}?providers=seleqt`);
      expect(res.status).toBe(502);
      expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', cache: 'miss', error: { code: 'upstream_schema' } });
    }
    expect(scope.isDone()).toBe(true);
  });

  test('a truncated body: the source fails (short of Content-Length, or JSON cut off at close) and nothing is cached', async () => {
    let mode: 'short' | 'close' | 'ok' = 'short';
    vendor = await startRawVendor((_req, res) => {
      if (mode === 'ok') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(SELEQT_OK);
        return;
      }
      const half = SELEQT_OK.slice(0, Math.floor(SELEQT_OK.length / 2));
      if (mode === 'short') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(SELEQT_OK.length) });
        res.write(half, () => res.socket?.destroy());
      } else {
        // No length: the body ends where the connection ends.
        res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
        res.socket?.end(half);
        res.socket?.destroySoon();
      }
    });
    await stackWith({ connections: { 'acme-seleqt': { baseUrl: vendor.origin, maxAttempts: 1 } } });
    const short = await get(`${ANALYTICS}?providers=seleqt`);
    expect(sourceOf(short.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'network' } });
    mode = 'close';
    const cut = await get(`${ANALYTICS}?providers=seleqt`);
    expect(sourceOf(cut.body, 'acme-seleqt').status).toBe('error');
    expect(['upstream_schema', 'network']).toContain(sourceOf(cut.body, 'acme-seleqt').error?.code);
    mode = 'ok';
    const healthy = await get(`${ANALYTICS}?providers=seleqt`);
    // Neither broken reply was cached: the third request went to the vendor and got the data.
    expect(sourceOf(healthy.body, 'acme-seleqt')).toMatchObject({ status: 'ok', cache: 'miss' });
    expect(vendor.requests).toHaveLength(3);
  });

  test('a 500 MB or endless body: the size cap stops it early and memory stays bounded', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    let kind: 'declared' | 'endless' | 'gzip' = 'declared';
    vendor = await startRawVendor((_req, res) => {
      let stopped = false;
      res.on('close', () => (stopped = true));
      if (kind === 'gzip') {
        // A gzip bomb: a few hundred KB on the wire that inflate to 500 MB of spaces.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        const gzip = createGzip();
        gzip.pipe(res);
        let produced = 0;
        const pump = (): void => {
          while (!stopped && produced < 500 * 1024 * 1024) {
            produced += chunk.length;
            written += chunk.length;
            if (!gzip.write(chunk)) return void gzip.once('drain', pump);
          }
          gzip.end();
        };
        res.on('close', () => gzip.destroy());
        pump();
        return;
      }
      res.writeHead(200, kind === 'declared' ? { 'Content-Type': 'application/json', 'Content-Length': String(500 * 1024 * 1024) } : { 'Content-Type': 'application/json' });
      res.write('{"campaigns":[');
      const pump = (): void => {
        while (!stopped) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const cap = 1024 * 1024;
    await stackWith({ connections: { 'acme-seleqt': { baseUrl: vendor.origin, maxResponseBytes: cap, timeoutMs: 10_000, maxAttempts: 3 } } });
    expect(gzipSync(chunk).length).toBeLessThan(chunk.length / 100); // the bomb really is one

    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    for (const variant of ['declared', 'endless', 'gzip'] as const) {
      kind = variant;
      written = 0;
      const res = await get(`${ANALYTICS}?providers=seleqt&refresh=true`);
      expect(sourceOf(res.body, 'acme-seleqt')).toMatchObject({ status: 'error', error: { code: 'upstream_too_large' } });
      expect(res.ms).toBeLessThan(3000); // the cap ended it, not the 10 s timeout
      // The gateway hung up after little more than the cap (plus socket buffers).
      expect(written).toBeLessThan(64 * 1024 * 1024);
    }
    expect(vendor.requests).toHaveLength(3); // an oversized body is never retried
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
    expect(rssGrowth).toBeLessThan(128 * 1024 * 1024);
  });

  test('a redirect to another host is not followed and the key never reaches that host', async () => {
    const origin = 'https://seleqt.vendor.test';
    const vendorScope = nock(origin)
      .get(SELEQT_PATH)
      .query({ workspace_id: '340' })
      .reply(302, '', { Location: 'https://collector.attacker.test/steal' });
    const attacker = nock('https://collector.attacker.test').get(/.*/).reply(200, SELEQT_OK, { 'Content-Type': 'application/json' });
    await stackWith({ connections: { 'acme-seleqt': { baseUrl: origin, maxAttempts: 3 } } });
    const res = await get(`${ANALYTICS}?providers=seleqt`);
    const source = sourceOf(res.body, 'acme-seleqt');
    expect(source).toMatchObject({ status: 'error', error: { code: 'wrong_host' } });
    expect(source.error?.message).toMatch(/redirect not followed/);
    expect(vendorScope.isDone()).toBe(true); // called once, not retried
    expect(attacker.isDone()).toBe(false); // the other host was never called
    nock.cleanAll(); // the attacker's scope is meant to stay unconsumed
  });

  test('a cursor that repeats forever: the walk stops at the repeat with upstream_schema', async () => {
    let page = 0;
    vendor = await startRawVendor((_req, res) => {
      page += 1;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ campaigns: [{ id: `campaign_${page}`, name: `Loop ${page}`, status: 'active' }], nextCursor: 'loop', hasMore: true }));
    });
    await stackWith({ connections: { 'acme-kakiyo': { baseUrl: vendor.origin } } });
    const res = await get(`${ANALYTICS}?providers=kakiyo`);
    expect(sourceOf(res.body, 'acme-kakiyo')).toMatchObject({ status: 'error', error: { code: 'upstream_schema' } });
    expect(sourceOf(res.body, 'acme-kakiyo').error?.message).toMatch(/repeated a pagination cursor/);
    // Page 1, page 2 (which repeats the cursor), and not one call more (no analytics calls either).
    expect(vendor.requests.map((r) => r.url)).toEqual(['/v1/campaigns?limit=20', '/v1/campaigns?limit=20&after=loop']);
  });

  test('a cursor that changes forever: the walk stops at maxPages with too_many_pages', async () => {
    let page = 0;
    vendor = await startRawVendor((_req, res) => {
      page += 1;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ campaigns: [{ id: `campaign_${page}`, name: `Endless ${page}`, status: 'active' }], nextCursor: `c${page}`, hasMore: true }));
    });
    await stackWith({ connections: { 'acme-kakiyo': { baseUrl: vendor.origin, maxPages: 5 } } });
    const res = await get(`${ANALYTICS}?providers=kakiyo`);
    expect(sourceOf(res.body, 'acme-kakiyo')).toMatchObject({ status: 'error', error: { code: 'too_many_pages' } });
    expect(vendor.requests).toHaveLength(5);
  });

  test('canary secrets are absent from every answer, log line and /metrics above', () => {
    expect(seen.size).toBeGreaterThan(20);
    expect(seen.leaks()).toEqual([]);
  });
});
