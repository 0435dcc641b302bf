/**
 * The cache-hit fast path (src/server/hot-path.ts) against the simulators: a repeated request is
 * answered before Express with the same status, headers and body as the full pipeline (only the
 * per-request parts differ), counted in the metrics and logged like any request, and everything
 * it cannot answer exactly as the pipeline would goes to the pipeline.
 */
import fc from 'fast-check';
import { restJson } from '../../src/gateway/answer-cache';
import * as logging from '../../src/logger';
import type { AnalyticsResponse, Source } from '../../src/schema/envelope';
import * as hotPath from '../../src/server/hot-path';
import { fillTail, HotAnswers, MAX_HELD_ANSWERS, tailTemplate } from '../../src/server/hot-path';
import { PROVIDER_IDS } from '../../src/schema/campaign';
import { CLIENT_KEY, OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';
const PER_REQUEST = new Set(['x-request-id', 'ratelimit', 'date', 'cache-control', 'content-length']);

interface Body {
  data: unknown[];
  sources: { connection: string; status: string; cache: string; ageSeconds: number | null; durationMs: number }[];
  meta: { requestId: string; generatedAt: string };
}

/**
 * The body's JSON with its per-request parts blanked in place (every key keeps its position), for
 * comparing two answers byte for byte. The text must be what `JSON.stringify` makes of it.
 */
function stable(text: string): string {
  const body = JSON.parse(text) as Body;
  expect(JSON.stringify(body)).toBe(text);
  for (const source of body.sources) Object.assign(source, { cache: 'hit', ageSeconds: 0, durationMs: 0 });
  Object.assign(body.meta, { requestId: '', generatedAt: '' });
  return JSON.stringify(body);
}

function stableHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!PER_REQUEST.has(name)) out[name] = value;
  });
  return out;
}

describe('the cache-hit fast path', () => {
  let stack: Stack;
  let served: jest.SpyInstance<boolean, Parameters<HotAnswers['tryServe']>>;
  /** Whether the fast path answered the last request. */
  const lastServed = (): boolean => served.mock.results.at(-1)?.value === true;

  beforeEach(async () => {
    stack = await startStack();
    served = jest.spyOn(HotAnswers.prototype, 'tryServe');
  });
  afterEach(async () => {
    served.mockRestore();
    await stack.close();
  });

  test('a repeated hit is answered by the fast path with the pipeline answer, per-request parts renewed', async () => {
    // Cold: the pipeline walks the vendors; the answer is fresh data, so it is remembered.
    const viaPipeline = await stack.get(ANALYTICS);
    expect(lastServed()).toBe(false);
    stack.resetCounts();
    const viaFastPath = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'X-Request-Id': 'trace-123' });
    expect(lastServed()).toBe(true);
    expect(stack.upstreamCalls()).toBe(0);

    expect(viaFastPath.status).toBe(200);
    expect(viaFastPath.text.length).toBeGreaterThan(1000);
    expect(stable(viaFastPath.text)).toBe(stable(viaPipeline.text));
    expect(stableHeaders(viaFastPath.headers)).toEqual(stableHeaders(viaPipeline.headers));
    expect(viaFastPath.headers.get('content-length')).toBe(String(Buffer.byteLength(viaFastPath.text)));
    expect(viaFastPath.headers.get('x-request-id')).toBe('trace-123');
    expect(viaFastPath.headers.get('ratelimit')).toMatch(/^"per-key";r=\d+;t=[1-9]\d*$/);
    expect(viaFastPath.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    // helmet's headers come along with the rest of the remembered ones
    expect(viaFastPath.headers.get('x-content-type-options')).toBe('nosniff');

    const body = JSON.parse(viaFastPath.text) as Body;
    expect(body.meta.requestId).toBe('trace-123');
    expect(body.meta.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(body.sources.every((s) => s.cache === 'hit' && s.status === 'ok' && s.durationMs === 0)).toBe(true);

    const log = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.requestId === 'trace-123');
    expect(log).toMatchObject({ message: 'request', client: 'agency', route: ANALYTICS, status: 200, method: 'GET' });
    expect(String(log?.sources)).toMatch(/^acme-instantly:ok:hit/);
  });

  test('a replayed hit\'s request line is made from its template: the fields, sorted, of the pipeline\'s line', async () => {
    const made = jest.spyOn(logging, 'lineTemplate');
    const filled = jest.spyOn(logging, 'logLine');
    const full = jest.spyOn(stack.service.logger, 'log');
    try {
      await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'X-Request-Id': 'via-pipeline' });
      expect(made.mock.results.at(-1)?.value).toBeDefined();
      full.mockClear();
      await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'X-Request-Id': 'via-template' });
      expect(lastServed()).toBe(true);
      expect(filled).toHaveBeenCalledTimes(1);
      expect(full).not.toHaveBeenCalled();
      await new Promise((resolve) => setImmediate(resolve));
      const lines = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      const pipeline = lines.find((line) => line.requestId === 'via-pipeline');
      const template = lines.find((line) => line.requestId === 'via-template');
      expect(Object.keys(template ?? {})).toEqual(Object.keys(pipeline ?? {}));
      expect(Object.keys(template ?? {})).toEqual(Object.keys(template ?? {}).sort());
      expect(template).toMatchObject({ ...pipeline, requestId: 'via-template', ms: expect.any(Number) as number, timestamp: expect.any(String) as string, sources: expect.stringMatching(/:ok:hit/) as string });
    } finally {
      made.mockRestore();
      filled.mockRestore();
      full.mockRestore();
    }
  });

  test('CSV and NDJSON answers are replayed with the pipeline\'s bytes and headers (their bodies hold no per-request part)', async () => {
    await stack.get(`${ANALYTICS}?workspace_id=acme`); // the sources cached
    for (const [i, query] of ['format=csv', 'format=ndjson', 'format=ndjson&fields=name,metrics', 'format=csv&fields=name&limit=5'].entries()) {
      const viaPipeline = await stack.get(`${ANALYTICS}?${query}`);
      expect(lastServed()).toBe(false);
      stack.resetCounts();
      const viaFastPath = await stack.get(`${ANALYTICS}?${query}`, { 'X-API-Key': CLIENT_KEY, 'X-Request-Id': `trace-${i}` });
      expect(lastServed()).toBe(true);
      expect(stack.upstreamCalls()).toBe(0);
      expect(viaFastPath.status).toBe(200);
      expect(viaFastPath.text.length).toBeGreaterThan(100);
      expect(viaFastPath.text).toBe(viaPipeline.text);
      expect(stableHeaders(viaFastPath.headers)).toEqual(stableHeaders(viaPipeline.headers));
      // Framed as the pipeline frames it (a one-chunk body gets its length from end()).
      expect(viaFastPath.headers.get('content-length')).toBe(viaPipeline.headers.get('content-length'));
      expect(viaFastPath.headers.get('transfer-encoding')).toBe(viaPipeline.headers.get('transfer-encoding'));
      expect(viaFastPath.headers.get('x-request-id')).toBe(`trace-${i}`);
    }
  });

  test('fast-path answers are counted in the metrics like the pipeline counts a hit', async () => {
    await stack.get(ANALYTICS);
    const metric = async (pattern: RegExp): Promise<number> => Number(pattern.exec((await stack.get('/metrics')).text)?.[1] ?? 0);
    const hits = /gateway_cache_events_total\{provider="kakiyo",event="hit"\} (\d+)/;
    const requests = /gateway_http_requests_total\{route="\/v1\/campaigns\/analytics",status="200"\} (\d+)/;
    const ok = /gateway_source_outcomes_total\{provider="seleqt",status="ok"\} (\d+)/;
    const before = { hits: await metric(hits), requests: await metric(requests), ok: await metric(ok) };
    served.mockClear();
    await stack.get(ANALYTICS);
    await stack.get(ANALYTICS);
    expect(served.mock.results.filter((r) => r.value === true)).toHaveLength(2);
    expect(await metric(hits)).toBe(before.hits + 2);
    expect(await metric(requests)).toBe(before.requests + 2);
    expect(await metric(ok)).toBe(before.ok + 2);
    // The hits are tallied and added when the metrics are read: once, not on every read.
    expect(await metric(hits)).toBe(before.hits + 2);
    expect(await metric(ok)).toBe(before.ok + 2);
  });

  test('whatever it cannot answer exactly goes to the pipeline', async () => {
    await stack.get(ANALYTICS);
    const warm = await stack.get(ANALYTICS);
    const etag = warm.headers.get('etag') ?? '';

    const conditional = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'If-None-Match': etag });
    expect(conditional.status).toBe(304);
    expect(lastServed()).toBe(false);

    const noCache = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'Cache-Control': 'no-cache' });
    expect(lastServed()).toBe(false);
    expect((JSON.parse(noCache.text) as Body).sources.every((s) => s.cache === 'bypass')).toBe(true);

    const unknownKey = await stack.get(ANALYTICS, { 'X-API-Key': 'not-a-client-key' });
    expect(unknownKey.status).toBe(401);
    expect(lastServed()).toBe(false);

    // Another client is another entry, even for the same URL (its default workspace differs).
    const other = await stack.get(ANALYTICS, { 'X-API-Key': OTHER_CLIENT_KEY });
    expect(lastServed()).toBe(false);
    expect((JSON.parse(other.text) as Body).sources.map((s) => s.connection)).toEqual(['globex-instantly', 'globex-kakiyo', 'globex-seleqt', 'globex-sendkit']);

    const refresh = await stack.get(`${ANALYTICS}?refresh=true`);
    expect(refresh.status).toBe(200);
    expect(lastServed()).toBe(false);
  });

  test('a refresh that renews the cache entries retires the remembered answer', async () => {
    await stack.get(ANALYTICS);
    await stack.get(ANALYTICS);
    expect(lastServed()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a new fetchedAt
    await stack.get(`${ANALYTICS}?refresh=true`);
    const after = await stack.get(ANALYTICS);
    expect(lastServed()).toBe(false); // the entries it was made from were replaced
    expect((JSON.parse(after.text) as Body).sources.every((s) => s.cache === 'hit')).toBe(true);
    await stack.get(ANALYTICS);
    expect(lastServed()).toBe(true); // remembered again from the new generation
  });

  test('an answer over many sources is remembered when its request comes again; the pages of a cursor walk never are', async () => {
    // Four sources are remembered at once; an agency's eight only the second time the pipeline answers them.
    const threshold = jest.replaceProperty(hotPath, 'REMEMBER_AT_ONCE_MAX_SOURCES', 4);
    try {
      await stack.get(ANALYTICS);
      await stack.get(ANALYTICS);
      expect(lastServed()).toBe(true);
      const hot = served.mock.contexts.at(-1) as HotAnswers;
      const all = `${ANALYTICS}?workspace_id=ALL`;
      const first = await stack.get(all);
      expect((JSON.parse(first.text) as Body).sources).toHaveLength(8);
      await stack.get(all);
      expect(lastServed()).toBe(false); // answered by the pipeline again, and remembered now
      const replayed = await stack.get(all);
      expect(lastServed()).toBe(true);
      expect(stable(replayed.text)).toBe(stable(first.text));
      // Each page of a walk is a URL of its own, answered once: none of them is remembered.
      const remembered = hot.size;
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await stack.get(`${all}&limit=7&sort=-replyRate${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(lastServed()).toBe(false);
        cursor = (JSON.parse(page.text) as { page: { nextCursor: string | null } }).page.nextCursor;
        pages += 1;
      } while (cursor !== null);
      expect(pages).toBeGreaterThan(2);
      expect(hot.size).toBe(remembered);
    } finally {
      threshold.restore();
    }
  });

  test('a client over its limit gets the pipeline 429 (the fast path took nothing from it)', async () => {
    await stack.close();
    stack = await startStack({ requestsPerMinute: 3 });
    await stack.get(ANALYTICS);
    await stack.get(ANALYTICS);
    await stack.get(ANALYTICS);
    expect(lastServed()).toBe(true);
    const limited = await stack.get(ANALYTICS);
    expect(limited.status).toBe(429);
    expect(lastServed()).toBe(false);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  test('an answer past its sources freshness is not replayed (stale-while-revalidate runs in the pipeline)', async () => {
    await stack.close();
    stack = await startStack({ providerSettings: { instantly: { ttlSeconds: 1 } } });
    await stack.get(ANALYTICS);
    await stack.get(ANALYTICS);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await stack.get(ANALYTICS);
    expect(lastServed()).toBe(false);
    const sources = (JSON.parse(stale.text) as Body).sources;
    expect(sources.find((s) => s.connection === 'acme-instantly')?.cache).toBe('stale');
  });
});

describe('the fast path for answers too big for the answer cache', () => {
  // An eighth of the cache bound holds answers (50 KB here): a workspace's answer of 30 campaigns a
  // vendor (about 100 KB, 66 KB with status=active) is past it, while both workspaces' sources fit
  // their providers' shares.
  let stack: Stack;
  let served: jest.SpyInstance<boolean, Parameters<HotAnswers['tryServe']>>;
  const lastServed = (): boolean => served.mock.results.at(-1)?.value === true;

  beforeEach(async () => {
    stack = await startStack({ campaigns: 30, cache: { maxBytes: 400_000 } });
    served = jest.spyOn(HotAnswers.prototype, 'tryServe');
  });
  afterEach(async () => {
    served.mockRestore();
    await stack.close();
  });

  test('are replayed from the pieces the remembered entry holds, the same bytes as the pipeline', async () => {
    const viaPipeline = await stack.get(ANALYTICS);
    expect(lastServed()).toBe(false);
    expect(viaPipeline.text.length).toBeGreaterThan(50_000);
    stack.resetCounts();
    const viaFastPath = await stack.get(ANALYTICS);
    expect(lastServed()).toBe(true);
    expect(stack.upstreamCalls()).toBe(0);
    expect(stable(viaFastPath.text)).toBe(stable(viaPipeline.text));
    expect(stableHeaders(viaFastPath.headers)).toEqual(stableHeaders(viaPipeline.headers));
    expect(viaFastPath.headers.get('content-length')).toBe(String(Buffer.byteLength(viaFastPath.text)));
  });

  test('only the most recent few hold their pieces (each keeps a generation of campaigns alive)', async () => {
    const urls = ['acme', 'globex', 'acme&status=active', 'globex&status=active'].map((query) => `${ANALYTICS}?workspace_id=${query}`);
    expect(urls.length).toBe(MAX_HELD_ANSWERS + 1);
    for (const url of urls) await stack.get(url);
    const hot = served.mock.contexts.at(-1) as HotAnswers;
    expect(hot.holdingContent).toBe(MAX_HELD_ANSWERS);
    // The most recent are replayed; the first was let go and goes through the pipeline again.
    for (const url of urls.slice(1).reverse()) {
      await stack.get(url);
      expect(lastServed()).toBe(true);
    }
    await stack.get(urls[0] as string);
    expect(lastServed()).toBe(false);
    expect(hot.holdingContent).toBe(MAX_HELD_ANSWERS);
  });

  test('an entry whose sources changed is let go when another is remembered, and each goes when its sources stop being fresh', async () => {
    await stack.close();
    const fresh = 2;
    stack = await startStack({ campaigns: 30, cache: { maxBytes: 400_000 }, providerSettings: Object.fromEntries(PROVIDER_IDS.map((p) => [p, { ttlSeconds: fresh }])) });
    const acme = `${ANALYTICS}?workspace_id=acme`;
    await stack.get(acme);
    const hot = served.mock.contexts.at(-1) as HotAnswers;
    expect(hot.holdingContent).toBe(1);
    await stack.get(`${acme}&refresh=true`); // acme's sources renewed: its entry can no longer be served
    expect(hot.holdingContent).toBe(1);
    await stack.get(`${ANALYTICS}?workspace_id=globex`);
    expect(hot.holdingContent).toBe(1); // globex's; acme's went when it was remembered
    await new Promise((resolve) => setTimeout(resolve, fresh * 1000 + 300));
    expect(hot.holdingContent).toBe(0);
  });

  test('a refresh retires the entry and its pieces', async () => {
    await stack.get(ANALYTICS);
    await stack.get(`${ANALYTICS}?refresh=true`);
    await stack.get(ANALYTICS);
    expect(lastServed()).toBe(false);
  });
});

describe('a replayed body\'s tail template', () => {
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  const source = fc.record({
    workspace: text,
    connection: text,
    provider: fc.constantFrom('instantly' as const, 'sendkit' as const, 'kakiyo' as const, 'seleqt' as const),
    status: fc.constant('ok' as const),
    cache: fc.constantFrom('hit' as const, 'miss' as const),
    fetchedAt: fc.option(text, { nil: null }),
    ageSeconds: fc.option(fc.nat(), { nil: null }),
    durationMs: fc.nat(),
    campaigns: fc.nat(),
    warnings: fc.array(fc.record({ code: text, message: text, count: fc.option(fc.nat(), { nil: undefined }) }, { requiredKeys: ['code', 'message'] }), { maxLength: 2 }),
    error: fc.constant(null),
  });
  const meta = fc.record({ requestId: text, generatedAt: text, complete: fc.boolean(), workspaces: fc.array(text, { maxLength: 3 }), demo: fc.option(fc.constant(true), { nil: undefined }) }, { requiredKeys: ['requestId', 'generatedAt', 'complete', 'workspaces'] });

  test('filled, it is the JSON of the body made per request (sources as hits, this request\'s ages, id and time)', () => {
    fc.assert(
      fc.property(fc.array(source, { maxLength: 5 }), meta, fc.array(fc.nat({ max: 10 ** 7 }), { minLength: 5, maxLength: 5 }), text, text, (sources: Source[], m, ages, requestId, generatedAt) => {
        const rest: Omit<AnalyticsResponse, 'data' | 'totals' | 'groups' | 'page'> = { sources, meta: m };
        const perRequest = {
          ...rest,
          sources: sources.map((s, i) => ({ ...s, cache: 'hit' as const, ageSeconds: ages[i] ?? 0, durationMs: 0 })),
          meta: { ...m, requestId, generatedAt },
        };
        const filled = fillTail(tailTemplate(rest), { ageSeconds: (i) => ages[i] ?? 0, requestId, generatedAt });
        expect(filled).toBe(restJson(JSON.stringify(perRequest)));
      }),
      { numRuns: 300 },
    );
  });
});

