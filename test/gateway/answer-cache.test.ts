/**
 * The serialized-answer cache: the bytes sent are exactly `JSON.stringify(body)`, whatever the
 * body carries, and the cache stays within its byte bound.
 */
import { AnswerCache, answerChunks, type AnswerBody, type AnswerContent, type SerializedContent } from '../../src/gateway/answer-cache';
import { computeTotals } from '../../src/schema/rates';
import type { AnalyticsResponse, Source } from '../../src/schema/envelope';
import type { CampaignAnalytics } from '../../src/schema/campaign';
import { emptyMetrics } from '../../src/schema/campaign';
import { computeRates } from '../../src/schema/rates';

function campaign(id: string, name: string, sent: number | null): CampaignAnalytics {
  const metrics = { ...emptyMetrics(), sent, contacted: sent === null ? null : sent / 2, replied: 3 };
  return {
    key: `acme-instantly:${id}`,
    provider: 'instantly',
    connection: 'acme-instantly',
    workspace: 'acme',
    id,
    name,
    status: 'active',
    vendorStatus: '1',
    channels: ['email'],
    createdAt: '2026-01-02T03:04:05.000Z',
    metrics,
    rates: computeRates(metrics),
    averageReplySeconds: null,
    steps: null,
    daily: null,
    leadStatus: null,
  };
}

const SOURCE: Source = {
  workspace: 'acme',
  connection: 'acme-instantly',
  provider: 'instantly',
  status: 'ok',
  cache: 'hit',
  fetchedAt: '2026-11-20T10:00:00.000Z',
  ageSeconds: 12,
  durationMs: 0,
  campaigns: 2,
  warnings: [{ code: 'invalid_records', message: 'quote " and \u2028 separator', count: 1, path: 'analytics.3' }],
  error: null,
};

function bodyOf(content: AnswerContent, requestId: string): AnalyticsResponse {
  return { ...content, sources: [SOURCE], meta: { requestId, generatedAt: '2026-11-20T10:00:12.000Z', complete: true, workspaces: ['acme'] } };
}

/** The content and its prefix made the plain way (one `JSON.stringify`), as one piece. */
function serializeContent(content: AnswerContent): SerializedContent {
  const ordered: AnswerContent = { data: content.data, totals: content.totals };
  if (content.groups !== undefined) ordered.groups = content.groups;
  if (content.page !== undefined) ordered.page = content.page;
  const whole = Buffer.from(JSON.stringify(ordered).slice(0, -1), 'utf8');
  return { content: ordered, prefix: { pieces: [whole], bytes: whole.length } };
}

function store(cache: AnswerCache, etag: string, content: AnswerContent): SerializedContent {
  return cache.set(etag, content, serializeContent(content).prefix);
}

const text = (body: AnswerBody): string => {
  const whole = Buffer.concat(body.pieces);
  expect(whole.length).toBe(body.bytes);
  return whole.toString('utf8');
};

describe('answerChunks', () => {
  const data = [campaign('c1', 'Ünïcödé "quoted" name', 10), campaign('c2', 'Second', null)];
  const content: AnswerContent = { data, totals: computeTotals(data) };

  it('sends exactly JSON.stringify(body): the cached prefix, then sources and meta', () => {
    const serialized = serializeContent(content);
    const body = bodyOf(serialized.content, 'req-1');
    const chunks = answerChunks(body, serialized);
    expect(chunks.pieces).toHaveLength(2);
    expect(chunks.pieces[0]).toBe(serialized.prefix.pieces[0]);
    expect(text(chunks)).toBe(JSON.stringify(body));
  });

  it('keeps groups and page in their place', () => {
    const shaped: AnswerContent = {
      data: [data[0] ?? campaign('x', 'x', 1)],
      totals: computeTotals(data),
      groups: [{ key: 'instantly', totals: computeTotals(data) }],
      page: { limit: 1, nextCursor: 'eyJwIjpbMV19' },
    };
    const serialized = serializeContent(shaped);
    const body = bodyOf(serialized.content, 'req-2');
    expect(Object.keys(body)).toEqual(['data', 'totals', 'groups', 'page', 'sources', 'meta']);
    expect(text(answerChunks(body, serialized))).toBe(JSON.stringify(body));
  });

  it('serializes the body whole when it does not carry the cached content (or there is none)', () => {
    const serialized = serializeContent(content);
    const other = bodyOf({ data: [...data], totals: serialized.content.totals }, 'req-3');
    const chunks = answerChunks(other, serialized);
    expect(chunks.pieces).toHaveLength(1);
    expect(text(chunks)).toBe(JSON.stringify(other));
    expect(text(answerChunks(bodyOf(content, 'req-4'), undefined))).toBe(JSON.stringify(bodyOf(content, 'req-4')));
  });
});

describe('AnswerCache', () => {
  const contentOf = (n: number): AnswerContent => {
    const data = Array.from({ length: n }, (_, i) => campaign(`c${i}`, `Campaign ${i}`, i));
    return { data, totals: computeTotals(data) };
  };

  it('serializes once per key and returns the same bytes after', () => {
    const cache = new AnswerCache(1_000_000);
    const stored = store(cache, '"etag-1"', contentOf(3));
    expect(cache.get('"etag-1"')).toBe(stored);
    expect(cache.get('"etag-2"')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.calculatedBytes).toBeGreaterThan(stored.prefix.bytes);
  });

  it('stays within its byte bound under a stream of distinct answers, least recently used out first', () => {
    const one = serializeContent(contentOf(20)).prefix.bytes;
    const cache = new AnswerCache(one * 3 + 1000);
    for (let i = 0; i < 50; i += 1) {
      store(cache, `"e${i}"`, contentOf(20));
      expect(cache.calculatedBytes).toBeLessThanOrEqual(cache.maxBytes);
    }
    expect(cache.size).toBe(3);
    expect([47, 48, 49].map((i) => cache.get(`"e${i}"`) !== undefined)).toEqual([true, true, true]);
    expect(cache.get('"e46"')).toBeUndefined();
    expect(cache.get('"e0"')).toBeUndefined();
  });

  it('serves but does not keep an answer larger than the whole bound, and 0 turns it off', () => {
    const small = new AnswerCache(100);
    const big = store(small, '"big"', contentOf(5));
    expect(big.prefix.bytes).toBeGreaterThan(100);
    expect(small.get('"big"')).toBeUndefined();
    const off = new AnswerCache(0);
    store(off, '"x"', contentOf(1));
    expect(off.get('"x"')).toBeUndefined();
    expect(off.size).toBe(0);
    expect(off.calculatedBytes).toBe(0);
  });
});
