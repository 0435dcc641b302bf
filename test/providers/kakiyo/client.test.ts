/**
 * The Kakiyo client: end to end against nock (auth headers, list walks in every envelope,
 * per-campaign calls counted exactly since every Kakiyo call costs the customer a credit, daily-row
 * validation, warnings, errors, retries, secrets, the probe), the list envelope reader and
 * next-cursor rules as pure functions, the call estimate, and the fixture inventory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { ProviderError } from '../../../src/errors';
import type { GetJsonRequest, HttpClient, JsonResponse } from '../../../src/http/client';
import { createKakiyoProvider } from '../../../src/providers/kakiyo';
import {
  KAKIYO_LIST_LIMIT,
  kakiyoDailyRows,
  listKakiyoCampaignIds,
  nextKakiyoCursor,
  readKakiyoListPage,
  type KakiyoListPage,
} from '../../../src/providers/kakiyo/client';
import { KakiyoCampaignAnalyticsSchema } from '../../../src/providers/kakiyo/schema';
import { FieldIssues, RecordValidator } from '../../../src/providers/shared';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';
import { FIXTURES_DIR } from '../../helpers/fixtures';
import { AUTH, CONNECTION, KEY, ORIGIN, documentedRecord, fixture, http, mock, mockAll, query } from './helpers';

const provider = createKakiyoProvider();

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected the fetch to fail');
}

function fetch(client: HttpClient, q: Partial<AnalyticsQuery> = {}, connection: Partial<ProviderConnection> = {}) {
  return provider.fetchAnalytics({ ...CONNECTION, ...connection }, query(q), client);
}

function schemaError(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

const detail = (id: string): { request: { path: string } } => ({ request: { path: `/v1/analytics/campaigns/${id}` } });

describe('auth headers', () => {
  it('sends exactly Authorization: Bearer <key> on list and analytics calls, and no other auth header', async () => {
    // `mock` registers every interceptor with reqheaders {authorization} and badheaders
    // [x-api-key, x-workspace-id, x-as-workspace, cookie, api-key]: a request that breaks either does not match.
    mockAll('list-array', 'analytics-documented', 'analytics-extra-fields');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.key)).toEqual(['acme-kakiyo:campaign_123', 'acme-kakiyo:4711']);
    expect(client.calls).toBe(3);
  });

  it('does not match a request without the bearer header (the check can fail)', async () => {
    mockAll('list-array');
    const client = http();
    const error = await failure(fetch(client, {}, { apiKey: 'another-key-0000000000' }));
    expect(error.code).toBe('network');
    nock.cleanAll();
  });
});

describe('campaign list walk (no campaignIds)', () => {
  it('reads a bare array shorter than the limit as the only page (list-array)', async () => {
    mockAll('list-array', 'analytics-documented', 'analytics-extra-fields');
    const client = http();
    const result = await fetch(client);
    expect(result.records[0]).toEqual(documentedRecord());
    expect(result.records[1]?.id).toBe('4711');
    expect(result.records[1]?.status).toBe('completed');
    // analytics-extra-fields has a non-count value among its lead states.
    expect(result.warnings).toEqual([
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: statusDistribution.note (1)',
        count: 1,
        path: 'statusDistribution.note',
        fields: { 'statusDistribution.note': 1 },
      },
    ]);
    expect(client.calls).toBe(3);
  });

  it('reads the nested {data: {campaigns, nextCursor, hasMore}} envelope (list-data-campaigns-page1/2)', async () => {
    mockAll('list-data-campaigns-page1', 'list-data-campaigns-page2', 'analytics-documented', 'analytics-paused', 'analytics-unknown-status');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', 'campaign_paused', 'campaign_unknown']);
    expect(result.warnings).toEqual([]);
    expect(client.calls).toBe(5);
  });

  it('follows nextCursor until it is null (list-campaigns-page1/2)', async () => {
    mockAll('list-campaigns-page1', 'list-campaigns-page2', 'analytics-documented', 'analytics-paused', 'analytics-unknown-status');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => [r.id, r.status, r.vendorStatus])).toEqual([
      ['campaign_123', 'active', 'active'],
      ['campaign_paused', 'paused', 'PAUSED'],
      ['campaign_unknown', 'unknown', 'warming_up'],
    ]);
    expect(result.warnings).toEqual([]);
    expect(client.calls).toBe(5);
  });

  it('follows pagination.next_cursor through a sparse page and stops on has_more false (list-data-pagination-page1/2/3)', async () => {
    mockAll('list-data-pagination-page1', 'list-data-pagination-page2', 'list-data-pagination-page3', 'analytics-documented', 'analytics-paused');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', 'campaign_paused']);
    expect(client.calls).toBe(5);
  });

  it('follows a top-level "after" cursor and stops on an empty page (list-results-after, list-results-after-end)', async () => {
    mockAll('list-results-after', 'list-results-after-end', 'analytics-documented', 'analytics-unknown-status');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', 'campaign_unknown']);
    expect(client.calls).toBe(4);
  });

  it('uses the last id as cursor when hasMore is true without a cursor field (list-items-has-more, list-items-has-more-end)', async () => {
    mockAll('list-items-has-more', 'list-items-has-more-end', 'analytics-documented', 'analytics-paused');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', 'campaign_paused']);
    expect(client.calls).toBe(4);
  });

  it('pages a full bare array of 20 by its last id and stops on the short page (list-full-page1/2)', async () => {
    mockAll('list-full-page1', 'list-full-page2');
    const client = http();
    const validator = new RecordValidator();
    const ids = await listKakiyoCampaignIds(CONNECTION, {}, client, validator);
    expect(ids).toHaveLength(21);
    expect(ids.slice(0, 2)).toEqual(['camp_001', 'camp_002']);
    expect(ids.slice(-2)).toEqual(['camp_020', 'camp_021']);
    expect(validator.warnings()).toEqual([]);
    expect(client.calls).toBe(2);
  });

  it('spends exactly the estimated calls on an exactly full last page (list-full-page1, list-empty-after-full)', async () => {
    mockAll('list-full-page1', 'list-empty-after-full');
    const template = fixture('analytics-documented').body as { campaign: Record<string, unknown> };
    nock(ORIGIN, AUTH)
      .get(/^\/v1\/analytics\/campaigns\/camp_\d{3}$/)
      .times(20)
      .reply(200, (uri) => {
        const id = uri.split('/').pop() ?? '';
        return { ...template, campaign: { ...template.campaign, id, name: `Campaign ${id}` } };
      });
    const client = http();
    const result = await fetch(client);
    expect(result.records).toHaveLength(20);
    expect(result.records[19]?.key).toBe('acme-kakiyo:camp_020');
    expect(result.records[19]?.name).toBe('Campaign camp_020');
    expect(client.calls).toBe(22);
    expect(provider.estimateCalls(20, query())).toBe(22);
  });

  it('stops with an error on a repeated cursor, before any analytics call (list-repeated-cursor-page1/2)', async () => {
    mockAll('list-repeated-cursor-page1', 'list-repeated-cursor-page2');
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toBe('the vendor repeated a pagination cursor after page 2; stopped to avoid a loop');
    expect(client.calls).toBe(2);
  });

  it('fails with too_many_pages at maxPages, never a short list (maxPages 1)', async () => {
    mockAll('list-campaigns-page1');
    const client = http();
    const error = await failure(fetch(client, {}, { maxPages: 1 }));
    expect(error.code).toBe('too_many_pages');
    expect(error.message).toBe('the campaign list has more than 1 pages (maxPages); raise it for this connection');
    expect(client.calls).toBe(1);
  });

  it('fails with too_many_pages at maxPages 2 (list-data-pagination-page1/2)', async () => {
    mockAll('list-data-pagination-page1', 'list-data-pagination-page2');
    const client = http();
    const error = await failure(fetch(client, {}, { maxPages: 2 }));
    expect(error.code).toBe('too_many_pages');
    expect(client.calls).toBe(2);
  });

  it('leaves out list items without an id, counts them, and calls each distinct id once (list-malformed-item)', async () => {
    mockAll('list-malformed-item', 'analytics-documented', 'analytics-paused');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', 'campaign_paused']);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '2 vendor record(s) failed validation and were left out; first at campaigns.1.id',
        count: 2,
        path: 'campaigns.1.id',
      },
    ]);
    expect(client.calls).toBe(3);
  });

  it('fails when the vendor says hasMore but gives no way to continue (list-has-more-no-cursor)', async () => {
    mockAll('list-has-more-no-cursor');
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toBe(
      'the campaign list says there are more pages but it has no cursor and no item with an id; stopped rather than return a short list',
    );
    expect(client.calls).toBe(1);
  });

  it('fails with upstream_schema when campaigns is an object (list-drift-object)', async () => {
    mockAll('list-drift-object');
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('campaigns');
    expect(error.message).toBe('unexpected campaign list reply shape: no array under campaigns, data, items, results or data.campaigns');
    expect(client.calls).toBe(1);
  });

  it('fails with upstream_schema when the reply is a JSON string (list-drift-string)', async () => {
    mockAll('list-drift-string');
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('(root)');
    expect(error.message).toBe('unexpected campaign list reply shape at (root): Invalid input: expected object, received string');
    expect(client.calls).toBe(1);
  });

  it('fails with wrong_host, not retried, on an HTML page with status 200 (list-html-200)', async () => {
    mockAll('list-html-200');
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('wrong_host');
    expect(error.status).toBe(200);
    expect(error.message).toMatch(/^HTTP 200 from \S+ was an HTML page, not JSON/);
    expect(client.calls).toBe(1);
  });
});

describe('campaignIds given', () => {
  it('skips the list and maps the documented example exactly (analytics-documented)', async () => {
    mockAll('analytics-documented');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123'] });
    expect(result).toEqual({ records: [documentedRecord()], warnings: [] });
    expect(client.calls).toBe(1);
  });

  it('calls a repeated id once, and nothing for an empty list', async () => {
    mockAll('analytics-documented');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123', 'campaign_123'] });
    expect(result.records).toHaveLength(1);
    expect(client.calls).toBe(1);
    const idle = http();
    expect(await fetch(idle, { campaignIds: [] })).toEqual({ records: [], warnings: [] });
    expect(idle.calls).toBe(0);
  });

  it('keeps the id order and maps each reply (analytics-missing-optional, analytics-unknown-status, analytics-paused)', async () => {
    mockAll('analytics-missing-optional', 'analytics-unknown-status', 'analytics-paused');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_bare', 'campaign_unknown', 'campaign_paused'] });
    expect(result.records.map((r) => [r.key, r.name, r.status, r.metrics.leads])).toEqual([
      ['acme-kakiyo:campaign_bare', 'Bare Campaign', 'unknown', null],
      ['acme-kakiyo:campaign_unknown', 'Warm-up Batch', 'unknown', 40],
      ['acme-kakiyo:campaign_paused', 'Paused Follow-up', 'paused', 0],
    ]);
    expect(client.calls).toBe(3);
  });

  it('turns a 404 into a campaign_not_found warning, not retried (error-404-not_found)', async () => {
    mockAll('analytics-documented', 'error-404-not_found');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123', 'campaign_gone'] });
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123']);
    expect(result.warnings).toEqual([{ code: 'campaign_not_found', message: 'Kakiyo has no campaign "campaign_gone"', count: 1 }]);
    expect(client.calls).toBe(2);
  });

  it('names at most ten missing ids in the warning', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `gone_${i + 1}`);
    nock(ORIGIN, AUTH).get(/^\/v1\/analytics\/campaigns\/gone_\d+$/).times(12).reply(404, { error: 'not_found', message: 'Campaign not found' });
    const client = http();
    const result = await fetch(client, { campaignIds: ids });
    expect(result.warnings).toEqual([
      {
        code: 'campaign_not_found',
        message: `Kakiyo has no campaign ${ids.slice(0, 10).map((id) => `"${id}"`).join(', ')} and 2 more`,
        count: 12,
      },
    ]);
    expect(client.calls).toBe(12);
  });

  it('encodes the id as one path segment', async () => {
    nock(ORIGIN, AUTH).get('/v1/analytics/campaigns/..%2Fcampaigns%3Flimit%3D1').reply(404, { error: 'not_found', message: 'Campaign not found' });
    const client = http();
    const result = await fetch(client, { campaignIds: ['../campaigns?limit=1'] });
    expect(result.warnings).toEqual([{ code: 'campaign_not_found', message: 'Kakiyo has no campaign "../campaigns?limit=1"', count: 1 }]);
    expect(client.calls).toBe(1);
  });

  it('spends no call on ids that cannot be one path segment', async () => {
    const client = http();
    const result = await fetch(client, { campaignIds: ['', '.', '..'] });
    expect(result).toEqual({ records: [], warnings: [{ code: 'campaign_not_found', message: 'Kakiyo has no campaign "", ".", ".."', count: 3 }] });
    expect(client.calls).toBe(0);
  });

  it('leaves out a record that fails its schema and keeps the others (analytics-malformed)', async () => {
    mockAll('analytics-documented', 'analytics-malformed', 'analytics-paused');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123', 'campaign_broken', 'campaign_paused'] });
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', 'campaign_paused']);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '1 vendor record(s) failed validation and were left out; first at analytics.campaign_broken.campaign.name',
        count: 1,
        path: 'analytics.campaign_broken.campaign.name',
      },
    ]);
    expect(client.calls).toBe(3);
  });

  it('unwraps a {data: …} reply (analytics-data-wrapped)', async () => {
    mockAll('analytics-data-wrapped');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_wrapped'], include: { steps: false, daily: false, raw: true } });
    expect(result.records.map((r) => [r.key, r.name, r.status, r.createdAt, r.metrics.leads, r.metrics.contacted])).toEqual([
      ['acme-kakiyo:campaign_wrapped', 'Wrapped Reply', 'draft', '2024-06-01T10:00:00.000Z', 5, 0],
    ]);
    expect(result.records[0]?.raw).toEqual((fixture('analytics-data-wrapped').body as { data: unknown }).data);
  });

  it('fails with upstream_schema on an array reply and drops the queued calls (analytics-drift-array)', async () => {
    mockAll('analytics-drift-array');
    const client = http();
    const error = await failure(fetch(client, { campaignIds: ['campaign_drift', 'campaign_123', 'campaign_paused'] }, { concurrency: 1 }));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('(root)');
    expect(error.message).toBe('unexpected analytics reply for campaign campaign_drift shape at (root): Invalid input: expected object, received array');
    expect(client.calls).toBe(1);
  });

  it('fails with upstream_schema when the campaign object is missing (analytics-drift-no-campaign)', async () => {
    mockAll('analytics-drift-no-campaign');
    const client = http();
    const error = await failure(fetch(client, { campaignIds: ['campaign_drift'] }));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('campaign');
    expect(client.calls).toBe(1);
  });

  it('fails with wrong_host on an HTML analytics reply (list-html-200 body on the analytics path)', async () => {
    mock('list-html-200', { request: { path: '/v1/analytics/campaigns/campaign_123', query: {} } });
    const client = http();
    const error = await failure(fetch(client, { campaignIds: ['campaign_123'] }));
    expect(error.code).toBe('wrong_host');
    expect(client.calls).toBe(1);
  });
});

describe('include and date range', () => {
  const DAILY = { steps: false, daily: true, raw: false };

  it('filters daily rows to the range, keeps lifetime totals and warns (analytics-daily)', async () => {
    // The fixture's request has no query: nock matches only if no date parameter is sent.
    mockAll('analytics-daily');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_daily'], include: DAILY, startDate: '2024-05-02', endDate: '2024-05-03' });
    expect(result.records[0]?.daily).toEqual([
      { date: '2024-05-02', sent: 20, opened: null, clicked: null, replied: 3, interested: 0 },
      { date: '2024-05-03', sent: 30, opened: null, clicked: null, replied: null, interested: null },
    ]);
    expect(result.records[0]?.metrics.sent).toBe(60);
    expect(result.records[0]?.metrics.contacted).toBe(30);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '1 vendor record(s) failed validation and were left out; first at analytics.campaign_daily.activity.dailyBreakdown.2.date',
        count: 1,
        path: 'analytics.campaign_daily.activity.dailyBreakdown.2.date',
      },
      {
        code: 'date_range_unsupported',
        message: 'Kakiyo has no date filter: the numbers are lifetime totals (daily rows are filtered to the range)',
      },
    ]);
    expect(client.calls).toBe(1);
  });

  it('warns about a range even without include.daily, and then reads no daily rows', async () => {
    mockAll('analytics-daily');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_daily'], endDate: '2024-05-03' });
    expect(result.records[0]?.daily).toBeNull();
    expect(result.warnings.map((w) => w.code)).toEqual(['date_range_unsupported']);
  });

  it('returns every daily row ascending without a range, and no warning about dates', async () => {
    mockAll('analytics-documented');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123'], include: DAILY });
    expect(result).toEqual({ records: [documentedRecord({ daily: true })], warnings: [] });
  });

  it('has no steps: include.steps costs no call and gives null', async () => {
    mockAll('analytics-documented');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123'], include: { steps: true, daily: false, raw: false } });
    expect(result.records[0]?.steps).toBeNull();
    expect(client.calls).toBe(1);
  });

  it('returns the vendor reply under raw only with include.raw', async () => {
    mockAll('analytics-documented', 'analytics-documented');
    const client = http();
    const withRaw = await fetch(client, { campaignIds: ['campaign_123'], include: { steps: false, daily: false, raw: true } });
    expect(withRaw.records[0]?.raw).toEqual(fixture('analytics-documented').body);
    const without = await fetch(client, { campaignIds: ['campaign_123'] });
    expect(without.records[0]).toEqual(documentedRecord());
    expect(without.records[0] && 'raw' in without.records[0]).toBe(false);
  });
});

describe('errors', () => {
  it.each([
    ['error-400-validation_error', 'bad_request', 400, 'HTTP 400: validation_error: limit must be between 1 and 100'],
    ['error-401-missing_api_key', 'unauthorized', 401, 'HTTP 401: missing_api_key: API key is required'],
    ['error-401-invalid_api_key_format', 'unauthorized', 401, 'HTTP 401: invalid_api_key_format: API key must be 40 characters'],
    ['error-401-invalid_api_key', 'unauthorized', 401, 'HTTP 401: invalid_api_key: API key [REDACTED] is not valid'],
    ['error-402-insufficient_credits', 'payment_required', 402, 'HTTP 402: insufficient_credits: No credits left on this account'],
    ['error-403-forbidden', 'forbidden', 403, 'HTTP 403: forbidden: You do not have access to this resource'],
    ['error-403-subscription_inactive', 'forbidden', 403, 'HTTP 403: subscription_inactive: Your subscription is not active'],
  ])('%s fails the fetch as %s, never retried', async (name, code, status, message) => {
    mockAll(name);
    const client = http();
    const error = await failure(fetch(client));
    expect(error.toJSON()).toEqual({ code, message, status });
    expect(client.calls).toBe(1);
  });

  it('a 404 on the list fails as not_found, never retried (error-404-not_found body)', async () => {
    mock('error-404-not_found', { request: { path: '/v1/campaigns', query: { limit: '20' } } });
    const client = http();
    const error = await failure(fetch(client));
    expect(error.toJSON()).toEqual({ code: 'not_found', message: 'HTTP 404: not_found: Campaign not found', status: 404 });
    expect(client.calls).toBe(1);
  });

  it('a 404 on an analytics call after the list is a campaign_not_found warning', async () => {
    mockAll('list-array', 'analytics-documented');
    mock('error-404-not_found', detail('4711'));
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123']);
    expect(result.warnings).toEqual([{ code: 'campaign_not_found', message: 'Kakiyo has no campaign "4711"', count: 1 }]);
    expect(client.calls).toBe(3);
  });

  it('a 403 on an analytics call fails the fetch and drops the queued calls', async () => {
    mock('error-403-subscription_inactive', { request: { path: '/v1/analytics/campaigns/campaign_123', query: {} } });
    const client = http();
    const error = await failure(fetch(client, { campaignIds: ['campaign_123', 'campaign_paused', 'campaign_unknown'] }, { concurrency: 1 }));
    expect(error.code).toBe('forbidden');
    expect(client.calls).toBe(1);
  });

  it('retries a 429 without Retry-After up to maxAttempts, then fails as rate_limited (error-429-rate_limit_exceeded)', async () => {
    mock('error-429-rate_limit_exceeded', { times: 3 });
    const client = http();
    const error = await failure(fetch(client));
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: rate_limit_exceeded: Too many requests, 60 per minute per endpoint', status: 429 });
    expect(error.retryAfterMs).toBeUndefined();
    expect(client.calls).toBe(3);
  });

  it('recovers when a retried 429 is followed by the page', async () => {
    mockAll('error-429-rate_limit_exceeded', 'list-array', 'analytics-documented', 'analytics-extra-fields');
    const client = http();
    const result = await fetch(client);
    expect(result.records).toHaveLength(2);
    expect(client.calls).toBe(4);
  });

  it('honours Retry-After: 0 and recovers (error-429-retry-after-0)', async () => {
    mockAll('error-429-retry-after-0', 'list-array', 'analytics-documented', 'analytics-extra-fields');
    const client = http();
    const result = await fetch(client);
    expect(result.records.map((r) => r.id)).toEqual(['campaign_123', '4711']);
    expect(client.calls).toBe(4);
  });

  it('reports Retry-After: 0 on the error when every attempt is rate limited', async () => {
    mock('error-429-retry-after-0', { times: 3 });
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(0);
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: rate_limit_exceeded: Too many requests', status: 429, retryAfterSeconds: 0 });
    expect(client.calls).toBe(3);
  });

  it('retries a 500 up to maxAttempts, then fails as upstream_unavailable (error-500-internal_error)', async () => {
    mock('error-500-internal_error', { times: 3 });
    const client = http();
    const error = await failure(fetch(client));
    expect(error.toJSON()).toEqual({ code: 'upstream_unavailable', message: 'HTTP 500: internal_error: An unexpected error occurred', status: 500 });
    expect(client.calls).toBe(3);
  });

  it('recovers when an analytics call answers 500 once', async () => {
    mock('error-500-internal_error', { request: { path: '/v1/analytics/campaigns/campaign_123', query: {} } });
    mockAll('analytics-documented');
    const client = http();
    const result = await fetch(client, { campaignIds: ['campaign_123'] });
    expect(result.records).toEqual([documentedRecord()]);
    expect(client.calls).toBe(2);
  });
});

describe('secrets', () => {
  it.each([
    ['with the key configured as a secret of the HTTP client', [KEY]],
    ['even when the HTTP client was given no secrets', []],
  ])('never puts the API key in an error, %s (error-401-invalid_api_key)', async (_label, secrets) => {
    mockAll('error-401-invalid_api_key');
    expect(JSON.stringify(fixture('error-401-invalid_api_key').body)).toContain(KEY);
    const client = http({ secrets });
    const error = await failure(fetch(client));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('HTTP 401: invalid_api_key: API key [REDACTED] is not valid');
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(String(error)).not.toContain(KEY);
    expect(error.stack ?? '').not.toContain(KEY);
  });

  it('passes other failures through untouched', async () => {
    const boom = new Error('not a provider error');
    const client: HttpClient = {
      provider: 'kakiyo',
      calls: 0,
      getJson: () => Promise.reject(boom),
    };
    await expect(fetch(client, { campaignIds: ['campaign_123'] })).rejects.toBe(boom);
  });
});

describe('bounded per-campaign calls', () => {
  function countingHttp(): { client: HttpClient; maxInFlight: () => number; requests: GetJsonRequest[] } {
    let inFlight = 0;
    let max = 0;
    const requests: GetJsonRequest[] = [];
    const client: HttpClient = {
      provider: 'kakiyo',
      get calls() {
        return requests.length;
      },
      async getJson(request: GetJsonRequest): Promise<JsonResponse> {
        requests.push(request);
        inFlight += 1;
        max = Math.max(max, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        const id = decodeURIComponent(request.path.split('/').pop() ?? '');
        return { status: 200, headers: {}, data: { campaign: { id, name: `Campaign ${id}` } } };
      },
    };
    return { client, maxInFlight: () => max, requests };
  }

  it('keeps at most connection.concurrency calls in flight and the id order', async () => {
    const { client, maxInFlight } = countingHttp();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const result = await fetch(client, { campaignIds: ids }, { concurrency: 2 });
    expect(result.records.map((r) => r.id)).toEqual(ids);
    expect(maxInFlight()).toBe(2);
    expect(client.calls).toBe(5);
  });

  it('defaults to 4 in flight', async () => {
    const { client, maxInFlight } = countingHttp();
    await fetch(client, { campaignIds: ['a', 'b', 'c', 'd', 'e', 'f'] });
    expect(maxInFlight()).toBe(4);
  });

  it('passes only the auth header, the signal and the deadline; no query on analytics calls', async () => {
    const { client, requests } = countingHttp();
    const controller = new AbortController();
    await fetch(client, { campaignIds: ['x/y'], signal: controller.signal, deadlineMs: 1234 });
    expect(requests).toEqual([
      { path: '/v1/analytics/campaigns/x%2Fy', headers: { Authorization: `Bearer ${KEY}` }, signal: controller.signal, deadlineMs: 1234 },
    ]);
  });
});

describe('kakiyoDailyRows (daily rows are validated by the client, analytics-daily)', () => {
  const DAILY_QUERY = { include: { steps: false, daily: true, raw: false } };
  const reply = KakiyoCampaignAnalyticsSchema.parse(fixture('analytics-daily').body);

  function rows(q: Pick<AnalyticsQuery, 'include' | 'startDate' | 'endDate'>, body = reply) {
    const validator = new RecordValidator();
    const issues = new FieldIssues();
    const kept = kakiyoDailyRows(body, 'analytics.campaign_daily', q, validator, issues);
    return { kept, invalid: validator.warnings(), fields: issues.fields() };
  }

  it('keeps the rows with a real day (an ISO timestamp cut to its day), counting a bad date as an invalid record', () => {
    const { kept, invalid, fields } = rows(DAILY_QUERY);
    expect(kept?.map((row) => row.date)).toEqual(['2024-05-04', '2024-05-02', '2024-05-03', '2024-05-01']);
    expect(kept?.[1]).toEqual({ date: '2024-05-02', messages: '20', responses: '3', qualified: '0' });
    expect(invalid).toEqual([
      {
        code: 'invalid_records',
        message: '1 vendor record(s) failed validation and were left out; first at analytics.campaign_daily.activity.dailyBreakdown.2.date',
        count: 1,
        path: 'analytics.campaign_daily.activity.dailyBreakdown.2.date',
      },
    ]);
    expect(fields).toEqual({});
  });

  it('filters to an inclusive date range', () => {
    const dates = (startDate?: string, endDate?: string): string[] => (rows({ ...DAILY_QUERY, startDate, endDate }).kept ?? []).map((row) => row.date);
    expect(dates('2024-05-02', '2024-05-03')).toEqual(['2024-05-02', '2024-05-03']);
    expect(dates('2024-05-03')).toEqual(['2024-05-04', '2024-05-03']);
    expect(dates(undefined, '2024-05-01')).toEqual(['2024-05-01']);
    expect(dates('2024-06-01', '2024-06-30')).toEqual([]);
  });

  it('reads nothing without include.daily', () => {
    expect(rows(query())).toEqual({ kept: null, invalid: [], fields: {} });
  });

  it('refuses a date that is not a day of the calendar and a row that is not an object, by index', () => {
    const body = { ...reply, activity: { dailyBreakdown: [5, { date: '2024-02-30', messages: 1 }, { date: '2024-02-29', messages: 1 }] } };
    const { kept, invalid } = rows(DAILY_QUERY, body);
    expect(kept).toEqual([{ date: '2024-02-29', messages: 1 }]);
    expect(invalid[0]?.count).toBe(2);
    expect(invalid[0]?.path).toBe('analytics.campaign_daily.activity.dailyBreakdown.0');
  });

  it('is null when not reported, and null with a note when activity or its rows are not what they should be', () => {
    expect(rows(DAILY_QUERY, { ...reply, activity: undefined })).toEqual({ kept: null, invalid: [], fields: {} });
    expect(rows(DAILY_QUERY, { ...reply, activity: { last7Days: {} } })).toEqual({ kept: null, invalid: [], fields: {} });
    expect(rows(DAILY_QUERY, { ...reply, activity: 'none' }).fields).toEqual({ activity: 1 });
    expect(rows(DAILY_QUERY, { ...reply, activity: { dailyBreakdown: { '2024-05-01': 3 } } })).toEqual({
      kept: null,
      invalid: [],
      fields: { 'activity.dailyBreakdown': 1 },
    });
  });
});

describe('probe (the list walk only: every call is a credit)', () => {
  it('counts the campaigns and the calls of a two-page walk, and calls no analytics endpoint (list-campaigns-page1/2)', async () => {
    mockAll('list-campaigns-page1', 'list-campaigns-page2');
    const client = http();
    const result = await provider.probe?.(CONNECTION, client);
    expect(result).toEqual({ campaigns: 3, calls: 2, warnings: [] });
    expect(client.calls).toBe(2);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('counts a full page of 20 and the page after it (list-full-page1, list-empty-after-full)', async () => {
    mockAll('list-full-page1', 'list-empty-after-full');
    const client = http();
    expect(await provider.probe?.(CONNECTION, client)).toEqual({ campaigns: 20, calls: 2, warnings: [] });
  });

  it('counts retries as calls spent, and reports list items it left out (error-429-retry-after-0, list-malformed-item)', async () => {
    mockAll('error-429-retry-after-0', 'list-malformed-item');
    const client = http();
    const result = await provider.probe?.(CONNECTION, client);
    expect(result?.campaigns).toBe(2);
    expect(result?.calls).toBe(2);
    expect(result?.warnings.map((w) => [w.code, w.count, w.path])).toEqual([['invalid_records', 2, 'campaigns.1.id']]);
  });

  it('fails as the fetch would on a rejected key, without the key in the error (error-401-invalid_api_key)', async () => {
    mockAll('error-401-invalid_api_key');
    const client = http({ secrets: [] });
    const error = await failure(provider.probe?.(CONNECTION, client) ?? Promise.resolve());
    expect(error.code).toBe('unauthorized');
    expect(JSON.stringify(error.toJSON())).not.toContain(KEY);
    expect(client.calls).toBe(1);
  });

  it('passes the signal to the list call', async () => {
    const requests: GetJsonRequest[] = [];
    const client: HttpClient = {
      provider: 'kakiyo',
      get calls() {
        return requests.length;
      },
      getJson(request) {
        requests.push(request);
        return Promise.resolve({ status: 200, headers: {}, data: [] });
      },
    };
    const controller = new AbortController();
    expect(await provider.probe?.(CONNECTION, client, controller.signal)).toEqual({ campaigns: 0, calls: 1, warnings: [] });
    expect(requests).toEqual([
      { path: '/v1/campaigns', query: { limit: 20, after: undefined }, headers: { Authorization: `Bearer ${KEY}` }, signal: controller.signal, deadlineMs: undefined },
    ]);
  });
});

describe('readKakiyoListPage', () => {
  it('accepts a bare array', () => {
    expect(readKakiyoListPage([{ id: 'a' }])).toEqual({ items: [{ id: 'a' }], cursor: { present: false, value: undefined }, hasMore: undefined });
  });

  it.each([
    ['campaigns', { campaigns: [{ id: 'a' }], nextCursor: 'n1' }, 'n1', undefined],
    ['data', { data: [{ id: 'a' }], next_cursor: 7 }, '7', undefined],
    ['items', { items: [{ id: 'a' }], cursor: 'c1', hasMore: true }, 'c1', true],
    ['results', { results: [{ id: 'a' }], after: 'a1', has_more: false }, 'a1', false],
    ['pagination.nextCursor', { data: [{ id: 'a' }], pagination: { nextCursor: 'p1', hasMore: true } }, 'p1', true],
    ['pagination.next_cursor', { data: [{ id: 'a' }], pagination: { next_cursor: 'p2', has_more: false } }, 'p2', false],
    ['pagination.cursor', { data: [{ id: 'a' }], pagination: { cursor: 'p3' } }, 'p3', undefined],
    ['pagination.after', { data: [{ id: 'a' }], pagination: { after: 'p4' } }, 'p4', undefined],
    ['data.campaigns with its cursor inside', { data: { campaigns: [{ id: 'a' }], nextCursor: 'd1', hasMore: true } }, 'd1', true],
    ['data.items with data.pagination', { data: { items: [{ id: 'a' }], pagination: { next_cursor: 'd2', has_more: false } } }, 'd2', false],
    ['data.results with the cursor outside', { data: { results: [{ id: 'a' }] }, nextCursor: 'o1', hasMore: true }, 'o1', true],
  ])('reads the array and cursor from %s', (_label, body, cursor, hasMore) => {
    expect(readKakiyoListPage(body)).toEqual({ items: [{ id: 'a' }], cursor: { present: true, value: cursor }, hasMore });
  });

  it('reads {data: {campaigns}} without a cursor as a page without one', () => {
    expect(readKakiyoListPage({ data: { campaigns: [{ id: 'a' }] } })).toEqual({ items: [{ id: 'a' }], cursor: { present: false, value: undefined }, hasMore: undefined });
  });

  it('takes the first array in the order campaigns, data, items, results, then inside data', () => {
    expect(readKakiyoListPage({ data: { total: 2 }, items: [{ id: 'i' }], results: [{ id: 'r' }] }).items).toEqual([{ id: 'i' }]);
    expect(readKakiyoListPage({ data: { campaigns: [{ id: 'inner' }] }, results: [{ id: 'outer' }] }).items).toEqual([{ id: 'outer' }]);
    expect(readKakiyoListPage({ data: { campaigns: [{ id: 'c' }], items: [{ id: 'i' }] } }).items).toEqual([{ id: 'c' }]);
  });

  it('treats a null or empty cursor as a present "no next page"', () => {
    expect(readKakiyoListPage({ campaigns: [], nextCursor: null }).cursor).toEqual({ present: true, value: undefined });
    expect(readKakiyoListPage({ campaigns: [], pagination: { next_cursor: '' } }).cursor).toEqual({ present: true, value: undefined });
    expect(readKakiyoListPage({ data: { campaigns: [], nextCursor: null, hasMore: false } })).toEqual({
      items: [],
      cursor: { present: true, value: undefined },
      hasMore: false,
    });
  });

  it('prefers the top-level cursor and hasMore over pagination and over data', () => {
    const read = readKakiyoListPage({ campaigns: [], nextCursor: 'top', hasMore: true, pagination: { nextCursor: 'nested', hasMore: false } });
    expect(read.cursor.value).toBe('top');
    expect(read.hasMore).toBe(true);
    const nested = readKakiyoListPage({ data: { campaigns: [], nextCursor: 'inner', hasMore: false }, nextCursor: 'outer', hasMore: true });
    expect(nested.cursor.value).toBe('outer');
    expect(nested.hasMore).toBe(true);
    const paged = readKakiyoListPage({ data: { campaigns: [], nextCursor: 'inner' }, pagination: { nextCursor: 'outer', hasMore: false } });
    expect(paged.cursor.value).toBe('outer');
    expect(paged.hasMore).toBe(false);
  });

  it.each([
    ['an object without an array', { total: 3 }, 'campaigns'],
    ['data as an object without an array', { data: { total: 3 } }, 'campaigns'],
    ['data nested twice', { data: { data: [{ id: 'a' }] } }, 'campaigns'],
    ['a string', 'campaigns', '(root)'],
    ['null (an empty body)', null, '(root)'],
    ['a cursor that is an object', { campaigns: [], nextCursor: { id: 'x' } }, 'nextCursor'],
    ['a cursor inside data that is an object', { data: { campaigns: [], nextCursor: { id: 'x' } } }, 'data.nextCursor'],
  ])('fails with upstream_schema for %s', (_label, body, path) => {
    const error = schemaError(() => readKakiyoListPage(body));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe(path);
  });
});

describe('nextKakiyoCursor', () => {
  const L = KAKIYO_LIST_LIMIT;

  function page(items: number, cursor?: string | null, hasMore?: boolean): KakiyoListPage {
    return {
      items: Array.from({ length: items }, (_, i) => ({ id: `c${i + 1}` })),
      cursor: cursor === undefined ? { present: false, value: undefined } : { present: true, value: cursor ?? undefined },
      hasMore,
    };
  }

  it("uses 20 as the page size (the vendor's own n8n node default)", () => {
    expect(L).toBe(20);
  });

  it.each<[string, KakiyoListPage, string | undefined]>([
    ['hasMore false stops even with a cursor', page(20, 'next', false), undefined],
    ['a cursor is followed on a full page', page(20, 'next'), 'next'],
    ['a cursor is followed on a short page (the vendor may cap the page size)', page(3, 'next'), 'next'],
    ['an empty page with a cursor and no hasMore stops', page(0, 'next'), undefined],
    ['an empty page with a cursor and hasMore true is followed', page(0, 'next', true), 'next'],
    ['a null cursor stops, even on a full page', page(20, null), undefined],
    ['no cursor field and a full page of 20 (maybe more): the last id', page(20), 'c20'],
    ['no cursor field and a page of more than 20 (the vendor ignored limit): the last id', page(25), 'c25'],
    ['no cursor field and a short page of 19: stop', page(19), undefined],
    ['no cursor field and an empty page: stop', page(0), undefined],
    ['no cursor field, short page, hasMore true: the last id', page(2, undefined, true), 'c2'],
  ])('%s', (_label, input, expected) => {
    expect(nextKakiyoCursor(input, L)).toBe(expected);
  });

  it('skips trailing items without an id when falling back to the last id', () => {
    const input: KakiyoListPage = { items: [{ id: 'a' }, { id: 42 }, { name: 'no id' }], cursor: { present: false, value: undefined }, hasMore: true };
    expect(nextKakiyoCursor(input, L)).toBe('42');
  });

  it.each<[string, KakiyoListPage]>([
    ['hasMore true with an empty cursor', page(5, null, true)],
    ['hasMore true on an empty page without a cursor', page(0, undefined, true)],
    ['a full page where no item has an id', { items: Array.from({ length: 20 }, () => ({ name: 'x' })), cursor: { present: false, value: undefined }, hasMore: undefined }],
  ])('fails with upstream_schema rather than a short list: %s', (_label, input) => {
    const error = schemaError(() => nextKakiyoCursor(input, L));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toMatch(/^the campaign list says there are more pages but .+; stopped rather than return a short list$/);
  });
});

describe('createKakiyoProvider', () => {
  const include = { steps: false, daily: false, raw: false };

  it('is the kakiyo provider, with a probe', () => {
    expect(provider.id).toBe('kakiyo');
    expect(typeof provider.probe).toBe('function');
  });

  it.each([
    [0, 1],
    [1, 2],
    [19, 20],
    [20, 22],
    [21, 23],
    [99, 104],
    [100, 106],
    [250, 263],
  ])('estimates %i campaigns without ids as list pages of 20 + one call each = %i', (campaigns, calls) => {
    expect(provider.estimateCalls(campaigns, { include })).toBe(calls);
  });

  it('estimates one call per distinct id when ids are given, whatever include asks', () => {
    expect(provider.estimateCalls(500, { include, campaignIds: ['a', 'b', 'a'] })).toBe(2);
    expect(provider.estimateCalls(500, { include: { steps: true, daily: true, raw: true }, campaignIds: ['a'] })).toBe(1);
    expect(provider.estimateCalls(500, { include, campaignIds: [] })).toBe(0);
    expect(provider.estimateCalls(10, { include: { steps: true, daily: true, raw: true } })).toBe(11);
  });

  it.each([
    ['campaign_123', true],
    ['campaign_1a2b000001', true],
    ['4711', true],
    ['camp-001', true],
    ['', false],
    ['../campaigns', false],
    ['a b', false],
    ['x'.repeat(129), false],
  ])('isCampaignId(%j) is %s', (id, ok) => {
    expect(provider.isCampaignId(id)).toBe(ok);
  });
});

describe('fixtures/kakiyo', () => {
  it('every fixture is used by a Kakiyo test', () => {
    const names = readdirSync(join(FIXTURES_DIR, 'kakiyo')).map((file) => file.replace(/\.json$/, ''));
    const tests = readdirSync(__dirname)
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => readFileSync(join(__dirname, file), 'utf8'))
      .join('\n');
    expect(names.length).toBe(46);
    expect(names.filter((name) => !tests.includes(`'${name}'`))).toEqual([]);
  });
});
