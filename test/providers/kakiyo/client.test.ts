/**
 * The Kakiyo client end to end against nock: auth headers, list walks, per-campaign calls (counted
 * exactly: every Kakiyo call costs the customer a credit), warnings, errors, retries and secrets.
 */
import nock from 'nock';
import { ProviderError } from '../../../src/errors';
import type { GetJsonRequest, HttpClient, JsonResponse } from '../../../src/http/client';
import { createKakiyoProvider } from '../../../src/providers/kakiyo';
import { listKakiyoCampaignIds } from '../../../src/providers/kakiyo/client';
import { RecordValidator } from '../../../src/providers/shared';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';
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
    expect(result.warnings).toEqual([]);
    expect(client.calls).toBe(3);
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

  it('pages a full bare array by its last id and stops on the short page (list-full-page1/2)', async () => {
    mockAll('list-full-page1', 'list-full-page2');
    const client = http();
    const validator = new RecordValidator();
    const ids = await listKakiyoCampaignIds(CONNECTION, {}, client, validator);
    expect(ids).toHaveLength(101);
    expect(ids.slice(0, 2)).toEqual(['camp_001', 'camp_002']);
    expect(ids.slice(-2)).toEqual(['camp_100', 'camp_101']);
    expect(validator.warnings()).toEqual([]);
    expect(client.calls).toBe(2);
  });

  it('spends exactly the estimated calls on an exactly full last page (list-full-page1, list-empty-after-full)', async () => {
    mockAll('list-full-page1', 'list-empty-after-full');
    const template = fixture('analytics-documented').body as { campaign: Record<string, unknown> };
    nock(ORIGIN, AUTH)
      .get(/^\/v1\/analytics\/campaigns\/camp_\d{3}$/)
      .times(100)
      .reply(200, (uri) => {
        const id = uri.split('/').pop() ?? '';
        return { ...template, campaign: { ...template.campaign, id, name: `Campaign ${id}` } };
      });
    const client = http();
    const result = await fetch(client);
    expect(result.records).toHaveLength(100);
    expect(result.records[99]?.key).toBe('acme-kakiyo:camp_100');
    expect(result.records[99]?.name).toBe('Campaign camp_100');
    expect(client.calls).toBe(102);
    expect(provider.estimateCalls(100, query())).toBe(102);
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
    expect(error.message).toBe('unexpected campaign list reply shape: no array under campaigns, data, items or results');
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

  it('fails with upstream_schema, not retried, on an HTML page with status 200 (list-html-200)', async () => {
    mockAll('list-html-200');
    const client = http();
    const error = await failure(fetch(client));
    expect(error.code).toBe('upstream_schema');
    expect(error.status).toBe(200);
    expect(error.message).toBe('the vendor answered with a body that is not JSON');
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

  it('fails with upstream_schema on an HTML analytics reply (list-html-200 body on the analytics path)', async () => {
    mock('list-html-200', { request: { path: '/v1/analytics/campaigns/campaign_123', query: {} } });
    const client = http();
    const error = await failure(fetch(client, { campaignIds: ['campaign_123'] }));
    expect(error.code).toBe('upstream_schema');
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
    mock('error-404-not_found', { request: { path: '/v1/campaigns', query: { limit: '100' } } });
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
