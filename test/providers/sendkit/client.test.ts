/**
 * SendKit provider against nock: auth headers, list paging (both doc generations), the per-campaign
 * fan-out, requested ids, date ranges, include options, step rows, error codes, retries, key redaction
 * and the probe.
 */
import { getEventListeners } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { ProviderError, isProviderError } from '../../../src/errors';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../../src/http/client';
import {
  SENDKIT_LIST_LIMIT,
  estimateSendkitCalls,
  fetchSendkitAnalytics,
  nextSendkitListToken,
  probeSendkit,
  sendkitHeaders,
  sendkitListQuery,
} from '../../../src/providers/sendkit/client';
import { createSendkitProvider } from '../../../src/providers/sendkit';
import { SendkitListEnvelopeSchema } from '../../../src/providers/sendkit/schema';
import type { AnalyticsQuery, ProviderConnection, ProviderResult } from '../../../src/providers/types';
import { FIXTURES_DIR, loadFixture, mockFixture, type Fixture } from '../../helpers/fixtures';
import { DOCUMENTED_ID } from './helpers';

const ORIGIN = 'https://api.sendkit.ai';
const KEY = 'canary-sendkit-key-1234567890';
const PLATFORM_KEY = 'sk_user_canary-sendkit-key-1234567890';

const DOC = DOCUMENTED_ID;
const A = '665a1b2c3d4e5f6a7b8c9d01';
const B = '665a1b2c3d4e5f6a7b8c9d02';
const C = '665a1b2c3d4e5f6a7b8c9d03';
const BAD = '665a1b2c3d4e5f6a7b8c9d04';
const DRIFT = '665a1b2c3d4e5f6a7b8c9d05';
const NF = '665a1b2c3d4e5f6a7b8c9dff';

/** Headers a workspace-key call must carry, and every auth header it must not. */
const WORKSPACE_AUTH = {
  reqheaders: { 'x-api-key': KEY },
  badheaders: ['authorization', 'x-workspace-id', 'x-as-workspace', 'cookie'],
};

const CONNECTION: ProviderConnection = { id: 'acme-sendkit', workspace: 'acme', apiKey: KEY, concurrency: 1 };

function client(overrides: Partial<HttpClientOptions> = {}): HttpClient {
  return createHttpClient({ provider: 'sendkit', baseUrl: ORIGIN, retry: { baseDelayMs: 1, maxAttempts: 3 }, random: () => 0, ...overrides });
}

function query(partial: Partial<AnalyticsQuery> = {}): AnalyticsQuery {
  return { include: { steps: false, daily: false, raw: false }, ...partial };
}

function mock(name: string, options: Parameters<typeof mockFixture>[2] = WORKSPACE_AUTH): nock.Scope {
  return mockFixture(ORIGIN, loadFixture('sendkit', name), options);
}

function withQuery(name: string, q: Record<string, string>): Fixture {
  const fixture = loadFixture('sendkit', name);
  return { ...fixture, request: { ...fixture.request, query: q } };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
  throw new Error('expected the fetch to fail');
}

function expectNoKey(error: ProviderError): void {
  expect(error.message).not.toContain(KEY);
  expect(JSON.stringify(error)).not.toContain(KEY);
  expect(JSON.stringify(error.toJSON())).not.toContain(KEY);
}

function ids(result: ProviderResult): string[] {
  return result.records.map((record) => record.id);
}

describe('auth headers', () => {
  it('a workspace key sends X-Api-Key only (no Authorization, no X-Workspace-Id)', async () => {
    mock('list-documented');
    mock('analytics-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, query(), client());
    expect(ids(result)).toEqual([DOC]);
  });

  it('a workspace key never sends X-Workspace-Id, even when a vendor workspace is configured', async () => {
    mock('list-documented');
    mock('analytics-documented');
    const result = await fetchSendkitAnalytics({ ...CONNECTION, vendorWorkspaceId: 'ws_42' }, query(), client());
    expect(result.records).toHaveLength(1);
  });

  it('a platform key sends X-Api-Key and X-Workspace-Id on every call', async () => {
    const options = {
      reqheaders: { 'x-api-key': PLATFORM_KEY, 'x-workspace-id': 'ws_42' },
      badheaders: ['authorization', 'x-as-workspace', 'cookie'],
    };
    mock('list-documented', options);
    mock('analytics-documented', options);
    mock('daily-documented', options);
    const connection = { ...CONNECTION, apiKey: PLATFORM_KEY, vendorWorkspaceId: 'ws_42' };
    const result = await fetchSendkitAnalytics(connection, query({ include: { steps: false, daily: true, raw: false } }), client());
    expect(ids(result)).toEqual([DOC]);
  });

  it.each([undefined, '', '   '])('a platform key without a vendor workspace (%p) fails with bad_request before any call', async (vendorWorkspaceId) => {
    const http = client();
    const error = await failure(fetchSendkitAnalytics({ ...CONNECTION, apiKey: PLATFORM_KEY, vendorWorkspaceId }, query(), http));
    expect(error.code).toBe('bad_request');
    expect(error.provider).toBe('sendkit');
    expect(error.message).toBe(
      'this connection uses a SendKit platform key (sk_user_…), which needs vendorWorkspaceId: SendKit requires X-Workspace-Id on campaign and analytics endpoints',
    );
    expect(error.message).not.toContain(PLATFORM_KEY);
    expect(JSON.stringify(error)).not.toContain(PLATFORM_KEY);
    expect(http.calls).toBe(0);
  });

  it('sendkitHeaders builds exactly these headers', () => {
    expect(sendkitHeaders({ apiKey: KEY })).toEqual({ 'X-Api-Key': KEY });
    expect(sendkitHeaders({ apiKey: KEY, vendorWorkspaceId: 'ws' })).toEqual({ 'X-Api-Key': KEY });
    expect(sendkitHeaders({ apiKey: PLATFORM_KEY, vendorWorkspaceId: 'ws' })).toEqual({ 'X-Api-Key': PLATFORM_KEY, 'X-Workspace-Id': 'ws' });
  });
});

describe('the documented example end to end', () => {
  it('without include options: steps and daily are null and no daily call is made', async () => {
    mock('list-documented');
    mock('analytics-documented');
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query(), http);
    expect(result.records[0]?.steps).toBeNull();
    expect(result.records[0]?.daily).toBeNull();
    expect(result.records[0]?.metrics.contacted).toBe(150);
    expect(http.calls).toBe(2);
  });

  it("under a caller's signal: the fetch leaves it no listener once it is over", async () => {
    mock('list-documented');
    mock('analytics-documented');
    const walk = new AbortController();
    const result = await fetchSendkitAnalytics(CONNECTION, query({ signal: walk.signal }), client());
    expect(result.records).toHaveLength(1);
    expect(getEventListeners(walk.signal, 'abort')).toHaveLength(0);
  });

  it('include.raw carries the list item, the analytics data and the daily rows as they came', async () => {
    mock('list-documented');
    mock('analytics-documented');
    mock('daily-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, query({ include: { steps: false, daily: true, raw: true } }), client());
    const list = loadFixture('sendkit', 'list-documented').body as { data: unknown[] };
    const analytics = loadFixture('sendkit', 'analytics-documented').body as { data: unknown };
    const daily = loadFixture('sendkit', 'daily-documented').body as { data: unknown[] };
    expect(result.records[0]?.raw).toEqual({ listItem: list.data[0], analytics: analytics.data, daily: daily.data });
    expect(result.records[0]?.steps).toBeNull();
  });

  it('include.raw without a list (requested ids) carries the analytics data only', async () => {
    mock('analytics-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC], include: { steps: false, daily: false, raw: true } }), client());
    const analytics = loadFixture('sendkit', 'analytics-documented').body as { data: unknown };
    expect(result.records[0]?.raw).toEqual({ analytics: analytics.data });
  });
});

describe('list paging', () => {
  it('current generation: three pages, the second one sparse, all campaigns served in order', async () => {
    mock('list-cursor-page1');
    mock('list-cursor-page2-sparse');
    mock('list-cursor-page3');
    mock('analytics-extra-fields');
    mock('analytics-missing-optional');
    mock('analytics-unknown-status');
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query(), http);
    expect(ids(result)).toEqual([A, B, C]);
    expect(result.records.map((r) => [r.name, r.status, r.vendorStatus, r.createdAt])).toEqual([
      ['Newer Docs Campaign', 'active', 'active', '2026-02-01T08:00:00.000Z'],
      ['Sparse Fields Campaign', 'paused', 'paused', '2026-02-02T08:00:00.000Z'],
      ['Unknown Status Campaign', 'unknown', 'warming_up', '2026-02-03T08:00:00.000Z'],
    ]);
    expect(result.records.map((r) => r.metrics.sent)).toEqual([800, 42, 0]);
    expect(result.warnings).toEqual([]);
    expect(http.calls).toBe(6);
  });

  it('a walk of exactly maxPages pages completes', async () => {
    mock('list-cursor-page1');
    mock('list-cursor-page2-sparse');
    mock('list-cursor-page3');
    mock('analytics-extra-fields');
    mock('analytics-missing-optional');
    mock('analytics-unknown-status');
    const result = await fetchSendkitAnalytics({ ...CONNECTION, maxPages: 3 }, query(), client());
    expect(ids(result)).toEqual([A, B, C]);
  });

  it('hitting maxPages is a too_many_pages error, never a short list (and no analytics call is made)', async () => {
    mock('list-cursor-page1');
    mock('list-cursor-page2-sparse');
    const http = client();
    const error = await failure(fetchSendkitAnalytics({ ...CONNECTION, maxPages: 2 }, query(), http));
    expect(error.code).toBe('too_many_pages');
    expect(error.message).toBe('the campaign list has more than 2 pages (maxPages); raise it for this connection');
    expect(http.calls).toBe(2);
  });

  it('a repeated cursor stops the walk with an error', async () => {
    mock('list-cursor-page1');
    mock('list-cursor-repeat');
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client()));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toBe('the vendor repeated a pagination cursor after page 2; stopped to avoid a loop');
  });

  it('older generation: {page, pages} → page=2 with the same limit', async () => {
    mock('list-paged-page1');
    mock('list-paged-page2');
    mock('analytics-documented');
    mock('analytics-extra-fields');
    const result = await fetchSendkitAnalytics(CONNECTION, query(), client());
    expect(ids(result)).toEqual([DOC, A]);
    expect(result.records.map((r) => r.metrics.replied)).toEqual([18, 33]);
  });

  it('no pagination metadata: a full page continues from the last _id, a short page ends the walk', async () => {
    mock('list-full-page');
    mock('list-after-full-page');
    nock(ORIGIN, WORKSPACE_AUTH)
      .get(/^\/v1\/analytics\/campaigns\/667a[0-9a-f]{20}$/)
      .times(101)
      .reply((uri) => [200, { success: true, data: { campaign: { id: uri.slice(-24) }, stats: { sent: 10, totalLeads: 5 } } }]);
    const http = client();
    const provider = createSendkitProvider();
    const result = await provider.fetchAnalytics({ ...CONNECTION, concurrency: 4 }, query(), http);
    expect(result.records).toHaveLength(101);
    expect(result.records[0]).toMatchObject({ id: '667a00000000000000000001', name: 'Bulk 001', status: 'active' });
    expect(result.records[99]).toMatchObject({ id: '667a00000000000000000064', name: 'Bulk 100' });
    expect(result.records[100]).toMatchObject({ id: '667a00000000000000000065', name: 'Bulk 101', status: 'paused' });
    expect(result.records[100]?.metrics.sent).toBe(10);
    expect(http.calls).toBe(103);
    expect(provider.estimateCalls(101, query())).toBe(http.calls);
  });

  it('a list page that says hasMore but has no items and no cursor fails instead of ending short', async () => {
    nock(ORIGIN, WORKSPACE_AUTH).get('/v1/campaigns').query({ limit: '100' }).reply(200, { success: true, data: [], pagination: { hasMore: true } });
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client()));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('pagination');
    expect(error.message).toBe('the campaign list says hasMore but gives no way to ask for the next page; stopped rather than return a short list');
  });

  it('a campaign listed on two pages is served once', async () => {
    const item = { _id: DOC, name: 'Q1 Outreach', status: 'active' };
    nock(ORIGIN, WORKSPACE_AUTH)
      .get('/v1/campaigns')
      .query({ limit: '100' })
      .reply(200, { success: true, data: [item], pagination: { nextCursor: 'c2', hasMore: true } })
      .get('/v1/campaigns')
      .query({ limit: '100', cursor: 'c2' })
      .reply(200, { success: true, data: [item], pagination: { nextCursor: null, hasMore: false } });
    mock('analytics-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, query(), client());
    expect(ids(result)).toEqual([DOC]);
  });
});

describe('paging rules (nextSendkitListToken, sendkitListQuery)', () => {
  const next = (body: unknown) => nextSendkitListToken(SendkitListEnvelopeSchema.parse(body));
  const full = Array.from({ length: SENDKIT_LIST_LIMIT }, (_, i) => ({ _id: `id${i}`, name: `n${i}` }));

  it.each([
    ['pagination.nextCursor', { data: [], pagination: { nextCursor: 'abc' } }, 'cursor:abc'],
    ['top-level nextCursor', { data: [], nextCursor: 'abc' }, 'cursor:abc'],
    ['numeric cursor', { data: [], nextCursor: 7 }, 'cursor:7'],
    ['hasMore false wins over a cursor', { data: full, pagination: { nextCursor: 'abc', hasMore: false } }, undefined],
    ['hasMore false on an empty page with a cursor', { data: [], nextCursor: 'abc', pagination: { hasMore: false } }, undefined],
    ['hasMore "false" as a string', { data: full, hasMore: 'false' }, undefined],
    ['hasMore true without a cursor: last _id', { data: [{ _id: 'x1' }, { _id: 'x2' }], pagination: { hasMore: 'true' } }, 'cursor:x2'],
    ['explicit nextCursor null ends even a full page', { data: full, pagination: { nextCursor: null } }, undefined],
    ['empty nextCursor string is no cursor', { data: [], nextCursor: '' }, undefined],
    ['older generation, more pages', { data: [], pagination: { page: 1, pages: 3 } }, 'page:2'],
    ['older generation, last page', { data: full, pagination: { page: 3, pages: 3 } }, undefined],
    ['no metadata, full page: last _id', { data: full }, 'cursor:id99'],
    ['no metadata, short page: end', { data: full.slice(1) }, undefined],
    ['no metadata, empty page: end', { data: [] }, undefined],
    ['pagination null, short page: end', { data: [], pagination: null }, undefined],
  ])('%s', (_name, body, expected) => {
    expect(next(body)).toBe(expected);
  });

  it('a full page whose last item has no usable _id fails rather than end short', () => {
    expect(() => next({ data: [...full.slice(1), { name: 'no id' }] })).toThrow(
      'the campaign list page is full but gives no way to ask for the next page; stopped rather than return a short list',
    );
  });

  it('builds the list query for each token kind, always with limit', () => {
    expect(sendkitListQuery(undefined)).toEqual({ limit: 100 });
    expect(sendkitListQuery('cursor:665a')).toEqual({ limit: 100, cursor: '665a' });
    expect(sendkitListQuery('cursor:page:9')).toEqual({ limit: 100, cursor: 'page:9' });
    expect(sendkitListQuery('page:4')).toEqual({ limit: 100, page: '4' });
  });
});

describe('records that fail their schema, envelopes that drift', () => {
  it('one malformed list item is left out and counted; the others are served', async () => {
    mock('list-malformed-record');
    mock('analytics-documented');
    mock('analytics-extra-fields');
    const result = await fetchSendkitAnalytics(CONNECTION, query(), client());
    expect(ids(result)).toEqual([DOC, A]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '1 vendor record(s) failed validation and were left out; first at list.page1.data.1._id',
        count: 1,
        path: 'list.page1.data.1._id',
      },
    ]);
  });

  it('a malformed analytics record is left out and counted; the others are served', async () => {
    mock('analytics-malformed');
    mock('analytics-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [BAD, DOC] }), client());
    expect(ids(result)).toEqual([DOC]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: `1 vendor record(s) failed validation and were left out; first at analytics.${BAD}.data.campaign`,
        count: 1,
        path: `analytics.${BAD}.data.campaign`,
      },
    ]);
  });

  describe('step rows are checked only when they are read', () => {
    const badSteps = {
      success: true,
      data: { campaign: { name: 'Odd steps' }, stats: { sent: 9 }, stepStats: [{ _id: 0, sent: 5 }, 'not a row', { _id: 2, sent: true }] },
    };

    it('steps not asked for: odd step rows are not read and hide nothing', async () => {
      nock(ORIGIN, WORKSPACE_AUTH).get(`/v1/analytics/campaigns/${DOC}`).reply(200, badSteps);
      const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC] }), client());
      expect(result.warnings).toEqual([]);
      expect(result.records.map((record) => [record.id, record.metrics.contacted, record.metrics.sent, record.steps])).toEqual([[DOC, null, 9, null]]);
    });

    it('include=steps: a row that is not an object is left out and counted, an unreadable count is named; the campaign is kept', async () => {
      nock(ORIGIN, WORKSPACE_AUTH).get(`/v1/analytics/campaigns/${DOC}`).reply(200, badSteps);
      const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC], include: { steps: true, daily: false, raw: false } }), client());
      expect(result.records[0]?.steps).toEqual([
        { step: 1, variant: null, sent: 5, opened: null, clicked: null, replied: null, bounced: null },
        { step: 3, variant: null, sent: null, opened: null, clicked: null, replied: null, bounced: null },
      ]);
      expect(result.warnings).toEqual([
        expect.objectContaining({ code: 'invalid_records', count: 1, path: `analytics.${DOC}.data.stepStats.1` }),
        expect.objectContaining({ code: 'invalid_fields', count: 1, fields: { 'analytics.stepStats.sent': 1 } }),
      ]);
    });

    it('stepStats that is not an array is named as a whole when read; steps are null', async () => {
      nock(ORIGIN, WORKSPACE_AUTH)
        .get(`/v1/analytics/campaigns/${DOC}`)
        .reply(200, { success: true, data: { campaign: { name: 'x' }, stats: { sent: 1 }, stepStats: 'n/a' } });
      const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC], include: { steps: true, daily: false, raw: false } }), client());
      expect(result.records[0]?.steps).toBeNull();
      expect(result.warnings).toEqual([expect.objectContaining({ code: 'invalid_fields', path: 'analytics.stepStats', fields: { 'analytics.stepStats': 1 } })]);
    });
  });

  it('a requested campaign whose reply has no name anywhere is invalid (no daily call for it)', async () => {
    nock(ORIGIN, WORKSPACE_AUTH).get(`/v1/analytics/campaigns/${DOC}`).reply(200, { success: true, data: { stats: { sent: 1 } } });
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC], include: { steps: false, daily: true, raw: false } }), http);
    expect(result.records).toEqual([]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: `1 vendor record(s) failed validation and were left out; first at analytics.${DOC}.data.campaign.name`,
        count: 1,
        path: `analytics.${DOC}.data.campaign.name`,
      },
    ]);
    expect(http.calls).toBe(1);
  });

  it('a daily row without a day is left out and counted; the record keeps the other rows', async () => {
    mock('analytics-extra-fields');
    mock('daily-bad-row');
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [A], include: { steps: false, daily: true, raw: false } }), client());
    expect(result.records[0]?.daily).toEqual([
      { date: '2026-02-04', sent: 400, opened: 150, clicked: 20, replied: 18, interested: 7 },
      { date: '2026-02-05', sent: 400, opened: 150, clicked: 20, replied: 17, interested: 5 },
    ]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: `1 vendor record(s) failed validation and were left out; first at daily.${A}.data.1._id`,
        count: 1,
        path: `daily.${A}.data.1._id`,
      },
    ]);
  });

  it('a drifted list envelope (array under another key) is upstream_schema naming data', async () => {
    mock('list-drifted-envelope');
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client()));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('data');
    expect(error.message).toBe('unexpected campaign list reply shape at data: Invalid input: expected array, received undefined');
  });

  it('a drifted analytics envelope (array where an object is expected) fails the fetch', async () => {
    mock('analytics-drifted-envelope');
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DRIFT] }), client()));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('data');
    expect(error.message).toBe(`unexpected analytics reply for campaign ${DRIFT} shape at data: Invalid input: expected record, received array`);
  });

  it('a drifted daily envelope fails the fetch', async () => {
    mock('analytics-documented');
    mock('daily-drifted-envelope');
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC], include: { steps: false, daily: true, raw: false } }), client()));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('data');
    expect(error.message).toBe(`unexpected daily reply for campaign ${DOC} shape at data: Invalid input: expected array, received object`);
  });

  it('an HTML page with status 200 is wrong_host (the baseUrl is not the API), not retried', async () => {
    mock('list-html-200');
    const http = client();
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), http));
    expect(error.code).toBe('wrong_host');
    expect(error.status).toBe(200);
    expect(error.message).toMatch(/^HTTP 200 from \S+ was an HTML page, not JSON/);
    expect(http.calls).toBe(1);
  });
});

describe('requested campaign ids', () => {
  it('skips the list, de-duplicates ids, and turns a 404 into campaign_not_found', async () => {
    mock('analytics-documented');
    mock('error-404');
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC, NF, DOC] }), http);
    expect(ids(result)).toEqual([DOC]);
    expect(result.records[0]?.createdAt).toBeNull();
    expect(result.records[0]?.name).toBe('Webinar Attendee Nurture');
    expect(result.warnings).toEqual([{ code: 'campaign_not_found', message: `SendKit has no campaign with id ${NF}`, count: 1 }]);
    expect(http.calls).toBe(2);
  });

  it('an empty id list makes no call and returns nothing', async () => {
    const http = client();
    expect(await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [] }), http)).toEqual({ records: [], warnings: [] });
    expect(http.calls).toBe(0);
  });

  it('ids are encoded as one path segment', async () => {
    nock(ORIGIN, WORKSPACE_AUTH).get('/v1/analytics/campaigns/..%2Fv1%2Faccount').reply(404, { success: false, error: 'Campaign not found' });
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: ['../v1/account'] }), client());
    expect(result.warnings).toEqual([{ code: 'campaign_not_found', message: 'SendKit has no campaign with id ../v1/account', count: 1 }]);
  });

  it('ids that cannot be a path segment are not found, without a call', async () => {
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: ['..', '.', ''] }), http);
    expect(result).toEqual({ records: [], warnings: [{ code: 'campaign_not_found', message: 'SendKit has no campaign with id .., ., ', count: 3 }] });
    expect(http.calls).toBe(0);
  });

  it('a listed campaign whose _id cannot be a path segment is an invalid record', async () => {
    nock(ORIGIN, WORKSPACE_AUTH)
      .get('/v1/campaigns')
      .query({ limit: '100' })
      .reply(200, { success: true, data: [{ _id: '..', name: 'Dots' }, { _id: DOC, name: 'Q1 Outreach' }] });
    mock('analytics-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, query(), client());
    expect(ids(result)).toEqual([DOC]);
    expect(result.warnings).toEqual([
      { code: 'invalid_records', message: '1 vendor record(s) failed validation and were left out; first at analytics...', count: 1, path: 'analytics...' },
    ]);
  });

  it('a 404 for a listed campaign fails the fetch (a listed campaign must have analytics)', async () => {
    nock(ORIGIN, WORKSPACE_AUTH)
      .get('/v1/campaigns')
      .query({ limit: '100' })
      .reply(200, { success: true, data: [{ _id: NF, name: 'Gone', status: 'active' }] });
    mock('error-404');
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client()));
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('HTTP 404: Not Found: The requested resource was not found');
  });
});

describe('date range and include', () => {
  it('forwards startDate/endDate as from/to to the analytics and daily calls; requested ids: no lead counts, no date warning', async () => {
    mock('analytics-date-range');
    mock('daily-date-range');
    const result = await fetchSendkitAnalytics(
      CONNECTION,
      query({ campaignIds: [DOC], startDate: '2026-01-01', endDate: '2026-01-31', include: { steps: true, daily: true, raw: false } }),
      client(),
    );
    expect(result.warnings).toEqual([]);
    const record = result.records[0];
    expect(record?.metrics).toMatchObject({ leads: null, contacted: null, sent: 300, opened: 150, replied: 15, interested: 6, completed: 250 });
    expect(record?.steps).toEqual([
      { step: 1, variant: null, sent: 200, opened: 110, clicked: 22, replied: null, bounced: 6 },
      { step: 2, variant: null, sent: 100, opened: 40, clicked: 8, replied: null, bounced: 3 },
    ]);
    expect(record?.daily).toEqual([
      { date: '2026-01-05', sent: 120, opened: 70, clicked: 14, replied: null, interested: null },
      { date: '2026-01-06', sent: 180, opened: 80, clicked: 16, replied: null, interested: null },
    ]);
  });

  it('with the list walked, leads and contacted are the lifetime list counts, and a warning says so', async () => {
    mock('list-documented');
    mock('analytics-date-range');
    const result = await fetchSendkitAnalytics(CONNECTION, query({ startDate: '2026-01-01', endDate: '2026-01-31' }), client());
    expect(result.records[0]?.metrics).toMatchObject({ leads: 200, contacted: 150, sent: 300 });
    expect(result.warnings).toEqual([
      {
        code: 'date_range_unsupported',
        message:
          'SendKit reports leads and contacted only in the campaign list, which takes no date range: they are lifetime counts, while the other metrics cover the range',
      },
    ]);
  });

  it('forwards only the bound that is given', async () => {
    mockFixture(ORIGIN, withQuery('analytics-documented', { from: '2026-01-01' }), WORKSPACE_AUTH);
    const result = await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [DOC], startDate: '2026-01-01' }), client());
    expect(ids(result)).toEqual([DOC]);
  });
});

describe('errors: codes, retries, redaction', () => {
  it.each([
    ['error-401', 'unauthorized', 401, 'HTTP 401: Unauthorized: Invalid API key'],
    ['error-402', 'payment_required', 402, 'HTTP 402: Payment Required: Your SendKit subscription is not active'],
    ['error-403-key-type', 'forbidden', 403, 'HTTP 403: Forbidden: This endpoint requires a platform API key (sk_user_)'],
    ['error-403-workspace', 'forbidden', 403, 'HTTP 403: Forbidden: You do not have access to this workspace'],
  ])('%s → %s, not retried', async (name, code, status, message) => {
    mock(name);
    const http = client();
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), http));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.message).toBe(message);
    expect(http.calls).toBe(1);
    expectNoKey(error);
  });

  it('a 403 for a platform key on the wrong workspace is forbidden, not retried', async () => {
    mock('error-403-workspace', { reqheaders: { 'x-api-key': PLATFORM_KEY, 'x-workspace-id': 'ws_other' }, badheaders: ['authorization'] });
    const http = client();
    const error = await failure(fetchSendkitAnalytics({ ...CONNECTION, apiKey: PLATFORM_KEY, vendorWorkspaceId: 'ws_other' }, query(), http));
    expect(error.code).toBe('forbidden');
    expect(http.calls).toBe(1);
    expect(JSON.stringify(error)).not.toContain(PLATFORM_KEY);
  });

  it('a 404 on a requested id is not retried', async () => {
    mock('error-404');
    const http = client();
    await fetchSendkitAnalytics(CONNECTION, query({ campaignIds: [NF] }), http);
    expect(http.calls).toBe(1);
  });

  it('429 with Retry-After, retries exhausted: rate_limited with retryAfterSeconds', async () => {
    mock('error-429-retry-after');
    const http = client({ retry: { baseDelayMs: 1, maxAttempts: 1 } });
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), http));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Too Many Requests: Too many requests, please try again later.', status: 429, retryAfterSeconds: 30 });
    expectNoKey(error);
  });

  it('429 with Retry-After is retried and the walk then succeeds', async () => {
    mock('error-429-retry-after');
    mock('list-documented');
    mock('analytics-documented');
    const http = client({ retry: { baseDelayMs: 1, maxAttempts: 3, maxRetryAfterMs: 1 } });
    const result = await fetchSendkitAnalytics(CONNECTION, query(), http);
    expect(ids(result)).toEqual([DOC]);
    expect(http.calls).toBe(3);
  });

  it('429 with Retry-After: 0 is retried at once', async () => {
    mock('error-429-retry-after-zero');
    mock('list-documented');
    mock('analytics-documented');
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query(), http);
    expect(ids(result)).toEqual([DOC]);
    expect(http.calls).toBe(3);
  });

  it('429 without Retry-After: retried up to maxAttempts, then rate_limited', async () => {
    mock('error-429', { ...WORKSPACE_AUTH, times: 3 });
    const http = client();
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), http));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).toBe('HTTP 429: Too Many Requests: Rate limit exceeded');
    expect(http.calls).toBe(3);
    expectNoKey(error);
  });

  it('500 on a campaign is retried, then fails the whole fetch', async () => {
    mock('list-documented');
    mock('error-500', { ...WORKSPACE_AUTH, times: 3 });
    const http = client();
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), http));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toBe('HTTP 500: Internal Server Error: Internal server error');
    expect(http.calls).toBe(4);
    expectNoKey(error);
  });

  it('500 once, then the analytics reply: success', async () => {
    mock('list-documented');
    mock('error-500');
    mock('analytics-documented');
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, query(), http);
    expect(result.records[0]?.metrics.replied).toBe(18);
    expect(http.calls).toBe(3);
  });

  it('a 502 with a plain-text body keeps the raw text as the message', async () => {
    mock('error-502-text', { ...WORKSPACE_AUTH, times: 3 });
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client()));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.status).toBe(502);
    expect(error.message).toBe('HTTP 502: Bad Gateway');
  });

  it('one failing campaign fails the fetch and the campaigns still queued are not called', async () => {
    mock('list-cursor-page1');
    mock('list-cursor-page2-sparse');
    mock('list-cursor-page3');
    mock('analytics-extra-fields');
    nock(ORIGIN, WORKSPACE_AUTH).get(`/v1/analytics/campaigns/${B}`).times(3).reply(503, { success: false, error: 'Service unavailable' });
    const http = client();
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), http));
    expect(error.code).toBe('upstream_unavailable');
    // three list pages, A once, B three times; C (queued behind B) is never called
    expect(http.calls).toBe(3 + 1 + 3);
  });

  it('a failure cancels the campaign calls still in flight', async () => {
    nock(ORIGIN, WORKSPACE_AUTH)
      .get('/v1/campaigns')
      .query({ limit: '100' })
      .reply(200, { success: true, data: [{ _id: A, name: 'Slow' }, { _id: B, name: 'Rejected' }] })
      .get(`/v1/analytics/campaigns/${A}`)
      .delay(300)
      .reply(200, { success: true, data: {} })
      .get(`/v1/analytics/campaigns/${B}`)
      .reply(401, { success: false, error: 'Invalid API key' });
    const events: [string, string][] = [];
    const http = client({ observer: (event) => events.push([event.path, event.outcome]) });
    const error = await failure(fetchSendkitAnalytics({ ...CONNECTION, concurrency: 2 }, query(), http));
    expect(error.code).toBe('unauthorized');
    for (let i = 0; i < 100 && events.length < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(events).toEqual([
      ['/v1/campaigns', 'ok'],
      [`/v1/analytics/campaigns/${B}`, 'unauthorized'],
      [`/v1/analytics/campaigns/${A}`, 'aborted'],
    ]);
  });

  it('a vendor message that echoes the key is redacted even when the HTTP client was not told the secret', async () => {
    nock(ORIGIN, WORKSPACE_AUTH)
      .get('/v1/campaigns')
      .query({ limit: '100' })
      .reply(401, { success: false, error: `Invalid API key ${KEY}` });
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client()));
    expect(error.code).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(error.message).toBe('HTTP 401: Invalid API key [REDACTED]');
    expectNoKey(error);
  });

  it('the same echo is redacted by the HTTP client when it knows the secret', async () => {
    nock(ORIGIN, WORKSPACE_AUTH)
      .get('/v1/campaigns')
      .query({ limit: '100' })
      .reply(403, { success: false, message: `key ${KEY} cannot do this` });
    const error = await failure(fetchSendkitAnalytics(CONNECTION, query(), client({ secrets: [KEY] })));
    expect(error.message).toBe('HTTP 403: key [REDACTED] cannot do this');
    expectNoKey(error);
  });

  it('errors that are not ProviderErrors pass through untouched', async () => {
    const broken: HttpClient = {
      provider: 'sendkit',
      calls: 0,
      getJson: () => Promise.reject(new TypeError('boom')),
    };
    await expect(fetchSendkitAnalytics(CONNECTION, query(), broken)).rejects.toThrow(new TypeError('boom'));
  });
});

describe('probe', () => {
  it('walks the whole list (sparse page included) and counts the campaigns, with no per-campaign call', async () => {
    mock('list-cursor-page1');
    mock('list-cursor-page2-sparse');
    mock('list-cursor-page3');
    const http = client();
    expect(await probeSendkit(CONNECTION, http)).toEqual({ campaigns: 3, calls: 3, warnings: [] });
    expect(http.calls).toBe(3);
  });

  it('counts only valid list items and reports the others', async () => {
    mock('list-malformed-record');
    const result = await probeSendkit(CONNECTION, client());
    expect(result.campaigns).toBe(2);
    expect(result.calls).toBe(1);
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'invalid_records', path: 'list.page1.data.1._id' })]);
  });

  it('a refused key is unauthorized with the vendor message, never the key', async () => {
    mock('error-401');
    const error = await failure(probeSendkit(CONNECTION, client()));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('HTTP 401: Unauthorized: Invalid API key');
    expectNoKey(error);
  });

  it('an HTML host is wrong_host; a platform key without a workspace fails before any call', async () => {
    mock('list-html-200');
    expect((await failure(probeSendkit(CONNECTION, client()))).code).toBe('wrong_host');
    const http = client();
    expect((await failure(probeSendkit({ ...CONNECTION, apiKey: PLATFORM_KEY }, http))).code).toBe('bad_request');
    expect(http.calls).toBe(0);
  });

  it('is the provider\'s probe', () => {
    expect(createSendkitProvider().probe).toBe(probeSendkit);
  });
});

describe('provider factory and call estimate', () => {
  it('is the sendkit provider', () => {
    const provider = createSendkitProvider();
    expect(provider.id).toBe('sendkit');
    expect(provider.fetchAnalytics).toBe(fetchSendkitAnalytics);
    expect(provider.estimateCalls).toBe(estimateSendkitCalls);
  });

  it.each([
    [0, { steps: false, daily: false, raw: false }, undefined, 1],
    [1, { steps: true, daily: false, raw: true }, undefined, 2],
    [99, { steps: false, daily: false, raw: false }, undefined, 100],
    [100, { steps: false, daily: false, raw: false }, undefined, 102],
    [150, { steps: false, daily: true, raw: false }, undefined, 302],
    [5, { steps: false, daily: false, raw: false }, ['a', 'b', 'a'], 2],
    [5, { steps: false, daily: true, raw: false }, ['a', 'b', 'a'], 4],
    [0, { steps: false, daily: true, raw: false }, [], 0],
  ])('%i campaigns, include %j, ids %j → %i calls', (campaigns, include, campaignIds, expected) => {
    expect(estimateSendkitCalls(campaigns, { include, campaignIds })).toBe(expected);
  });
});

describe('fixtures', () => {
  it('every SendKit fixture is used by a test in this folder', () => {
    const sources = readdirSync(__dirname)
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => readFileSync(join(__dirname, file), 'utf8'))
      .join('\n');
    const unused = readdirSync(join(FIXTURES_DIR, 'sendkit'))
      .map((file) => file.replace(/\.json$/, ''))
      .filter((name) => !sources.includes(`'${name}'`));
    expect(unused).toEqual([]);
  });
});
