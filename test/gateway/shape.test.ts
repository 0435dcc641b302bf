/** Sorting, keyset paging, cursors, field selection and grouped totals (pure, no I/O). */
import { GatewayError, type ProblemFieldError } from '../../src/errors';
import { parseAnalyticsQuery, type OutputFormat } from '../../src/gateway/request';
import {
  CAMPAIGN_FIELDS,
  MAX_CURSOR_LENGTH,
  SORT_FIELDS,
  compareDefault,
  decodeCursor,
  encodeCursor,
  groupTotals,
  variantSignature,
  type ShapeRequest,
  type ShapedData,
} from '../../src/gateway/shape';
import { Selection, SourceView } from '../../src/gateway/answer-pieces';
import { finishRecord } from '../../src/providers/shared';
import { CAMPAIGN_STATUSES, METRIC_NAMES, PROVIDER_IDS, emptyMetrics, type CampaignAnalytics, type CampaignStatus } from '../../src/schema/campaign';
import { computeTotals } from '../../src/schema/rates';

/** A deterministic pseudo-random generator, so the "random" data sets are the same on every run. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function campaign(n: number, random: () => number): CampaignAnalytics {
  const provider = PROVIDER_IDS[Math.floor(random() * PROVIDER_IDS.length)] ?? 'instantly';
  const workspace = random() < 0.5 ? 'acme' : 'globex';
  const status: CampaignStatus = CAMPAIGN_STATUSES[Math.floor(random() * CAMPAIGN_STATUSES.length)] ?? 'active';
  // Few distinct names and values, many nulls: ties and null handling are exercised on purpose.
  const maybe = (max: number): number | null => (random() < 0.25 ? null : Math.floor(random() * max));
  const contacted = maybe(50);
  return finishRecord(
    provider,
    { id: `${workspace}-${provider}`, workspace },
    {
      id: `c${n}`,
      name: `Campaign ${Math.floor(random() * 8)}`,
      status,
      vendorStatus: status.toUpperCase(),
      channels: ['email'],
      createdAt: random() < 0.2 ? null : new Date(Date.UTC(2026, 0, 1 + Math.floor(random() * 20))).toISOString(),
      metrics: { ...emptyMetrics(), contacted, replied: contacted === null ? null : Math.floor(random() * (contacted + 1)), opened: maybe(40), sent: maybe(100) },
      averageReplySeconds: maybe(100_000),
      steps: null,
      daily: null,
      leadStatus: null,
    },
    {},
    false,
  );
}

function dataset(count: number, seed = 7): CampaignAnalytics[] {
  const random = lcg(seed);
  return Array.from({ length: count }, (_, n) => campaign(n, random)).sort(compareDefault);
}

/** Shapes the campaigns as the gateway does: one source's view, its selection, the shape. */
function applyShape(data: readonly CampaignAnalytics[], shape: ShapeRequest): ShapedData {
  const shaped = new Selection([{ view: new SourceView(data), workspace: '', provider: '' }], { statuses: undefined, ids: undefined }).shaped(shape);
  return { data: shaped.data, ...(shaped.groups ? { groups: shaped.groups } : {}), ...(shaped.page ? { page: shaped.page } : {}) };
}

/** Parses a query and returns its shape (every test goes through the real parser). */
function shapeOf(query: Record<string, string>): ShapeRequest {
  const shape = parseAnalyticsQuery(query).shape;
  if (!shape) throw new Error('expected a shape');
  return shape;
}

/** Pages through with `limit` and returns every page's keys. */
function pageThrough(data: CampaignAnalytics[], query: Record<string, string>): string[][] {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard += 1) {
    const shaped = applyShape([...data], shapeOf({ ...query, ...(cursor !== undefined ? { cursor } : {}) }));
    pages.push(shaped.data.map((c) => c.key));
    const next = shaped.page?.nextCursor;
    if (next === null || next === undefined) return pages;
    cursor = next;
  }
  throw new Error('paging did not end');
}

function errorsOf(query: Record<string, string>, negotiated?: OutputFormat): ProblemFieldError[] {
  try {
    parseAnalyticsQuery(query, negotiated);
  } catch (error) {
    if (error instanceof GatewayError) return error.errors ?? [];
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

describe('default order', () => {
  test('workspace, provider, name, then key', () => {
    const data = dataset(200);
    for (let i = 1; i < data.length; i += 1) {
      const a = data[i - 1];
      const b = data[i];
      if (!a || !b) throw new Error('unreachable');
      const ka = [a.workspace, a.provider, a.name, a.key];
      const kb = [b.workspace, b.provider, b.name, b.key];
      expect(ka.join('\u0000') < kb.join('\u0000') || ka.every((v, j) => v === kb[j])).toBe(true);
    }
    expect(new Set(data.map((c) => c.key)).size).toBe(200);
  });
});

describe('paging', () => {
  test.each([1, 7, 50, 199, 200, 1000])('limit=%i returns every campaign exactly once, in the default order', (limit) => {
    const data = dataset(200);
    const pages = pageThrough(data, { limit: String(limit) });
    expect(pages.flat()).toEqual(data.map((c) => c.key));
    expect(pages.length).toBe(Math.max(1, Math.ceil(200 / limit)));
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
  });

  test.each(['replied', '-replied', 'name', '-name', 'createdAt', '-createdAt', 'status', '-status', 'replyRate', '-averageReplySeconds'])(
    'sort=%s: paging with limit=9 gives the same list as one sorted answer, each campaign once',
    (sort) => {
      const data = dataset(150, 3);
      const whole = applyShape([...data], shapeOf({ sort })).data.map((c) => c.key);
      const pages = pageThrough(data, { sort, limit: '9' });
      expect(pages.flat()).toEqual(whole);
      expect(new Set(whole).size).toBe(150);
    },
  );

  test('the last page has nextCursor null; an empty data set has one empty page', () => {
    const data = dataset(10);
    const last = applyShape([...data], shapeOf({ limit: '10' }));
    expect(last.page).toEqual({ limit: 10, nextCursor: null });
    expect(applyShape([], shapeOf({ limit: '5' }))).toEqual({ data: [], page: { limit: 5, nextCursor: null } });
  });

  test('a cursor without limit returns the rest of the list; no page object', () => {
    const data = dataset(30);
    const first = applyShape([...data], shapeOf({ limit: '12' }));
    const cursor = first.page?.nextCursor;
    if (!cursor) throw new Error('expected a next page');
    const rest = applyShape([...data], shapeOf({ cursor }));
    expect(rest.page).toBeUndefined();
    expect(rest.data.map((c) => c.key)).toEqual(data.slice(12).map((c) => c.key));
  });

  test('keyset paging continues after a campaign that disappeared between pages', () => {
    const data = dataset(40);
    const first = applyShape([...data], shapeOf({ limit: '10' }));
    const cursor = first.page?.nextCursor;
    if (!cursor) throw new Error('expected a next page');
    const withoutLast = data.filter((_, i) => i !== 9);
    const second = applyShape(withoutLast, shapeOf({ limit: '10', cursor }));
    expect(second.data.map((c) => c.key)).toEqual(data.slice(10, 20).map((c) => c.key));
  });
});

describe('sort', () => {
  test('numbers ascending or descending, nulls last in both directions, ties by key', () => {
    const data = dataset(120);
    for (const descending of [false, true]) {
      const sorted = applyShape([...data], shapeOf({ sort: `${descending ? '-' : ''}replied` })).data;
      const values = sorted.map((c) => c.metrics?.replied ?? null);
      const firstNull = values.indexOf(null);
      expect(firstNull).toBeGreaterThan(0);
      expect(values.slice(firstNull).every((v) => v === null)).toBe(true);
      const numbers = values.slice(0, firstNull).map(Number);
      expect(numbers).toEqual([...numbers].sort((a, b) => (descending ? b - a : a - b)));
      for (let i = 1; i < sorted.length; i += 1) {
        const a = sorted[i - 1];
        const b = sorted[i];
        if (a?.metrics?.replied === b?.metrics?.replied) expect((a?.key ?? '') < (b?.key ?? '')).toBe(true);
      }
    }
  });

  test('status sorts in lifecycle order; createdAt by instant', () => {
    const data = dataset(80);
    const statuses = applyShape([...data], shapeOf({ sort: 'status' })).data.map((c) => CAMPAIGN_STATUSES.indexOf(c.status ?? 'unknown'));
    expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
    const mixed = dataset(3).map((c, i) => ({ ...c, createdAt: ['2026-01-02T00:00:00+02:00', '2026-01-01T23:00:00Z', '2026-01-01T22:30:00.000Z'][i] ?? null }));
    expect(applyShape(mixed, shapeOf({ sort: 'createdAt' })).data.map((c) => c.createdAt)).toEqual([
      '2026-01-02T00:00:00+02:00',
      '2026-01-01T22:30:00.000Z',
      '2026-01-01T23:00:00Z',
    ]);
  });

  test('without sort or paging every campaign comes back in the default order', () => {
    const data = dataset(20);
    expect(applyShape(data, shapeOf({ group_by: 'provider' })).data).toEqual(data);
  });
});

describe('cursor', () => {
  test('a cursor from another query, a garbled one and a hand-made one of the wrong shape are refused', () => {
    const data = dataset(30);
    const cursor = applyShape([...data], shapeOf({ limit: '5', providers: 'instantly,sendkit' })).page?.nextCursor;
    if (!cursor) throw new Error('expected a next page');
    // the same filters in another order are the same query
    expect(parseAnalyticsQuery({ limit: '5', providers: 'sendkit,instantly', cursor }).shape?.after).toBeDefined();
    expect(errorsOf({ limit: '5', providers: 'instantly', cursor })).toEqual([{ parameter: 'cursor', message: expect.stringContaining('another query') }]);
    expect(errorsOf({ limit: '5', providers: 'instantly,sendkit', sort: 'name', cursor })).toEqual([{ parameter: 'cursor', message: expect.stringContaining('another query') }]);
    expect(errorsOf({ cursor: 'not*base64' })[0]?.parameter).toBe('cursor');
    expect(errorsOf({ cursor: Buffer.from('{"b":1}').toString('base64url') })[0]?.parameter).toBe('cursor');
    expect(errorsOf({ cursor: Buffer.from('not json').toString('base64url') })[0]?.parameter).toBe('cursor');
    expect(errorsOf({ cursor: 'A'.repeat(5000) })[0]?.parameter).toBe('cursor');
    expect(errorsOf({ cursor: 'A'.repeat(MAX_CURSOR_LENGTH + 1) })[0]?.message).toMatch(/^not a cursor/);
    const binding = shapeOf({ sort: 'replied' }).binding;
    expect(decodeCursor(encodeCursor([1, 'acme-kakiyo:c1'], binding), binding, { field: 'replied', descending: false })).toEqual({ position: [1, 'acme-kakiyo:c1'] });
    expect(decodeCursor(encodeCursor([null, 'acme-kakiyo:c1'], binding), binding, { field: 'replied', descending: false })).toEqual({ position: [null, 'acme-kakiyo:c1'] });
    expect(decodeCursor(encodeCursor(['x', 'acme-kakiyo:c1'], binding), binding, { field: 'replied', descending: false })).toHaveProperty('error');
    expect(decodeCursor(encodeCursor(['a', 'b', 'c', 'd'], binding), binding, { field: 'replied', descending: false })).toHaveProperty('error');
    expect(decodeCursor(encodeCursor(['a', 'b', 'c', 5], binding), binding, undefined)).toHaveProperty('error');
  });

  test('a campaign with a very long name still pages (its cursor fits the limits)', () => {
    const data = dataset(6).map((c, i) => ({ ...c, workspace: 'acme', provider: 'seleqt' as const, name: `${'N'.repeat(4000)}${i}` }));
    const pages = pageThrough(data, { limit: '2' });
    expect(pages.flat()).toEqual(data.map((c) => c.key));
  });

  test('the cursor is opaque base64url and carries no secret beyond the position', () => {
    const cursor = applyShape(dataset(10), shapeOf({ limit: '3' })).page?.nextCursor ?? '';
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual({ b: expect.any(String), p: expect.any(Array) });
  });
});

describe('validation', () => {
  test('bad limit, sort, fields, group_by and format are 400s naming the parameter', () => {
    for (const limit of ['0', '1001', '-1', '1.5', 'ten', '01', '']) expect(errorsOf({ limit }).map((e) => e.parameter)).toEqual(['limit']);
    for (const sort of ['foo', '--name', 'name,replied', '', 'metrics.replied', 'key']) expect(errorsOf({ sort }).map((e) => e.parameter)).toEqual(['sort']);
    for (const fields of ['foo', 'name,', 'metrics.replied', '']) expect(errorsOf({ fields }).map((e) => e.parameter)).toEqual(['fields']);
    expect(errorsOf({ fields: 'raw' })).toEqual([{ parameter: 'fields', message: 'raw is only present with include=raw' }]);
    expect(parseAnalyticsQuery({ fields: 'raw', include: 'raw' }).shape?.fields).toEqual(['raw']);
    for (const group_by of ['connection', 'provider,status', '']) expect(errorsOf({ group_by }).map((e) => e.parameter)).toEqual(['group_by']);
    for (const format of ['xml', 'CSV', '']) expect(errorsOf({ format }).map((e) => e.parameter)).toEqual(['format']);
    expect(errorsOf({ format: 'csv', group_by: 'provider' }).map((e) => e.parameter)).toEqual(['group_by']);
    expect(errorsOf({ limit: '0', sort: 'x', fields: 'y', group_by: 'z', format: 'w', cursor: '!' }).map((e) => e.parameter).sort()).toEqual(
      ['cursor', 'fields', 'format', 'group_by', 'limit', 'sort'],
    );
  });

  test('an Accept-negotiated format loses to format=, and group_by with a negotiated CSV is refused', () => {
    expect(parseAnalyticsQuery({}, 'csv').format).toBe('csv');
    expect(parseAnalyticsQuery({ format: 'json' }, 'csv').format).toBe('json');
    expect(parseAnalyticsQuery({ group_by: 'status', format: 'json' }, 'ndjson').shape?.groupBy).toBe('status');
    expect(errorsOf({ group_by: 'status' }, 'csv')).toEqual([{ parameter: 'group_by', message: expect.stringContaining('from the Accept header') }]);
  });

  test('the default request carries no shape and no format (nothing extra to do)', () => {
    const request = parseAnalyticsQuery({ workspace_id: 'ALL' });
    expect(request.shape).toBeUndefined();
    expect(request.format).toBeUndefined();
    expect(variantSignature(undefined, undefined)).toBeUndefined();
    expect(variantSignature('json', undefined)).toBeUndefined();
  });

  test('every format and shape has its own variant signature', () => {
    const signatures = [
      variantSignature('csv', undefined),
      variantSignature('ndjson', undefined),
      variantSignature('json', shapeOf({ limit: '5' })),
      variantSignature('json', shapeOf({ limit: '6' })),
      variantSignature('csv', shapeOf({ limit: '5' })),
      variantSignature('json', shapeOf({ sort: 'name' })),
      variantSignature('json', shapeOf({ sort: '-name' })),
      variantSignature('json', shapeOf({ fields: 'name' })),
      variantSignature('json', shapeOf({ group_by: 'status' })),
    ];
    expect(new Set(signatures).size).toBe(signatures.length);
  });

  test('every metric and rate is a sort field', () => {
    expect(SORT_FIELDS).toEqual(expect.arrayContaining([...METRIC_NAMES, 'replyRate', 'inviteAcceptRate', 'name', 'createdAt', 'status']));
  });
});

describe('fields', () => {
  test('keeps only the named top-level fields in schema order, and always key', () => {
    const data = dataset(5);
    const shaped = applyShape([...data], shapeOf({ fields: 'rates,name' })).data;
    expect(shaped).toHaveLength(5);
    for (const [i, row] of shaped.entries()) {
      expect(Object.keys(row)).toEqual(['key', 'name', 'rates']);
      expect(row).toEqual({ key: data[i]?.key, name: data[i]?.name, rates: data[i]?.rates });
    }
    expect(Object.keys(applyShape([...data], shapeOf({ fields: CAMPAIGN_FIELDS.filter((f) => f !== 'raw').join(',') })).data[0] ?? {})).toEqual(
      CAMPAIGN_FIELDS.filter((f) => f !== 'raw'),
    );
  });
});

describe('group_by', () => {
  test.each(['provider', 'workspace', 'status'] as const)('group totals by %s equal the sums of their campaigns and add up to the totals', (by) => {
    const data = dataset(160, 11);
    const groups = groupTotals(data, by);
    expect(groups.reduce((sum, g) => sum + g.totals.campaigns, 0)).toBe(160);
    for (const group of groups) {
      const members = data.filter((c) => (by === 'provider' ? c.provider : by === 'workspace' ? c.workspace : c.status) === group.key);
      expect(group.totals.campaigns).toBe(members.length);
      for (const metric of METRIC_NAMES) {
        const reported = members.map((c) => c.metrics[metric]).filter((v): v is number => v !== null);
        expect(group.totals.metrics[metric]).toBe(reported.length === 0 ? null : reported.reduce((a, b) => a + b, 0));
      }
      expect(group.totals).toEqual(computeTotals(members));
    }
    const all = computeTotals(data);
    const repliedSum = groups.reduce((sum, g) => sum + (g.totals.metrics.replied ?? 0), 0);
    expect(repliedSum).toBe(all.metrics.replied);
    if (by === 'status') {
      const ranks = groups.map((g) => CAMPAIGN_STATUSES.findIndex((status) => status === g.key));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    } else {
      expect(groups.map((g) => g.key)).toEqual(groups.map((g) => g.key).sort());
    }
  });

  test('groups cover the whole set while data is one page', () => {
    const data = dataset(50);
    const shaped = applyShape([...data], shapeOf({ group_by: 'workspace', limit: '4' }));
    expect(shaped.data).toHaveLength(4);
    expect(shaped.groups?.reduce((sum, g) => sum + g.totals.campaigns, 0)).toBe(50);
  });
});
