import { inspect } from 'node:util';
import nock from 'nock';
import { ProviderError } from '../../../src/errors';
import { createHttpClient, type HttpClientOptions } from '../../../src/http/client';
import { SELEQT_DASHBOARD_PATH, seleqtHeaders } from '../../../src/providers/seleqt/client';
import { createSeleqtProvider } from '../../../src/providers/seleqt';
import { SeleqtDashboardEnvelopeSchema } from '../../../src/providers/seleqt/schema';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';
import { emptyMetrics, type CampaignAnalytics, type CampaignStatus } from '../../../src/schema/campaign';
import { loadFixture, mockFixture } from '../../helpers/fixtures';

const ORIGIN = 'https://app.seleqt.test';
/** The key echoed by fixtures/seleqt/error-401-echoes-key.json. */
const CANARY = 'a1b2c3d4.CANARYs3cretValue0001';
const FORBIDDEN_HEADERS = ['authorization', 'x-workspace-id', 'x-as-workspace', 'cookie'];

const provider = createSeleqtProvider();
const connection: ProviderConnection = { id: 'acme-seleqt', workspace: 'acme', apiKey: CANARY, vendorWorkspaceId: '340' };
const NO_INCLUDE = { steps: false, daily: false, raw: false };

function query(overrides: Partial<AnalyticsQuery> = {}): AnalyticsQuery {
  return { include: NO_INCLUDE, ...overrides };
}

function http(options: Partial<HttpClientOptions> = {}): ReturnType<typeof createHttpClient> {
  return createHttpClient({ provider: 'seleqt', baseUrl: ORIGIN, secrets: [CANARY], random: () => 0, ...options });
}

/** Mocks a fixture and insists on the exact Seleqt auth header and nothing else. */
function mock(name: string, times = 1): nock.Scope {
  return mockFixture(ORIGIN, loadFixture('seleqt', name), { reqheaders: { 'x-api-key': CANARY }, badheaders: FORBIDDEN_HEADERS, times });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const NULL_RATES = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

/** A Seleqt record with the fields every Seleqt record shares. */
function seleqtRecord(fields: Partial<CampaignAnalytics> & Pick<CampaignAnalytics, 'id' | 'name'>): CampaignAnalytics {
  return {
    key: `acme-seleqt:${fields.id}`,
    provider: 'seleqt',
    connection: 'acme-seleqt',
    workspace: 'acme',
    status: 'unknown',
    vendorStatus: '',
    channels: ['email', 'linkedin'],
    createdAt: null,
    metrics: emptyMetrics(),
    rates: NULL_RATES,
    averageReplySeconds: null,
    steps: null,
    daily: null,
    leadStatus: null,
    ...fields,
  };
}

describe('Seleqt provider', () => {
  it('is one call whatever the query', () => {
    expect(provider.id).toBe('seleqt');
    expect(provider.estimateCalls(500, { include: { steps: true, daily: true, raw: true } })).toBe(1);
    expect(provider.estimateCalls(0, { include: NO_INCLUDE, campaignIds: ['1'] })).toBe(1);
    expect(SELEQT_DASHBOARD_PATH).toBe('/api/v1/dashboard/campaign-analytics/');
    expect(seleqtHeaders({ apiKey: 'k.s' })).toEqual({ 'X-API-Key': 'k.s' });
  });

  it('maps the documented example exactly', async () => {
    const scope = mock('dashboard-documented');
    const result = await provider.fetchAnalytics(connection, query(), http());
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({
      warnings: [],
      records: [
        {
          key: 'acme-seleqt:123',
          id: '123',
          provider: 'seleqt',
          connection: 'acme-seleqt',
          workspace: 'acme',
          name: 'My Campaign',
          status: 'active',
          vendorStatus: 'ACTIVE',
          channels: ['email', 'linkedin'],
          createdAt: null,
          metrics: {
            leads: 150,
            contacted: 70,
            sent: 100,
            emailsSent: 45,
            linkedinMessagesSent: 25,
            linkedinInvitesSent: 30,
            linkedinInvitesAccepted: 12,
            opened: null,
            clicked: null,
            replied: 8,
            bounced: null,
            unsubscribed: null,
            completed: null,
            interested: 3,
            won: null,
            opportunityValue: null,
          },
          rates: {
            openRate: null,
            clickRate: null,
            replyRate: 8 / 70,
            bounceRate: null,
            interestedRate: 3 / 70,
            inviteAcceptRate: 0.4,
          },
          averageReplySeconds: 172_800,
          steps: null,
          daily: null,
          leadStatus: null,
        },
      ],
    });
  });

  it('maps every status, unknown ones to unknown, keeping the vendor value as a string', async () => {
    mock('dashboard-statuses');
    const { records, warnings } = await provider.fetchAnalytics(connection, query(), http());
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.id, r.status, r.vendorStatus])).toEqual<[string, CampaignStatus, string][]>([
      ['11', 'unknown', 'SCHEDULED'],
      ['12', 'draft', 'DRAFT'],
      ['13', 'paused', 'PAUSED'],
      ['14', 'active', 'active'],
      ['15', 'completed', 'COMPLETED'],
      ['16', 'archived', 'ARCHIVED'],
      ['17', 'unknown', '3'],
      ['18', 'unknown', ''],
    ]);
    // contacted 0: the rate denominator is 0, so rates are null, not 0 or NaN.
    expect(records[0]?.metrics.contacted).toBe(0);
    expect(records[0]?.rates).toEqual(NULL_RATES);
  });

  it('keeps missing, null and empty values null (not reported), and reported zeros zero', async () => {
    mock('dashboard-missing-optional');
    const { records, warnings } = await provider.fetchAnalytics(connection, query(), http());
    expect(warnings).toEqual([]);
    expect(records).toEqual([
      seleqtRecord({
        id: '21',
        name: 'Only prospects and emails',
        metrics: { ...emptyMetrics(), leads: 20, emailsSent: 0, sent: 0, contacted: 0 },
      }),
      seleqtRecord({ id: '22', name: 'Nulls everywhere', status: 'active', vendorStatus: 'ACTIVE' }),
      seleqtRecord({ id: '23', name: 'Empty analytics', status: 'draft', vendorStatus: 'DRAFT' }),
    ]);
  });

  it('ignores extra fields, reads created_at, and computes rates rather than copying them', async () => {
    mock('dashboard-extra-fields');
    const { records } = await provider.fetchAnalytics(connection, query(), http());
    expect(records).toEqual([
      seleqtRecord({
        id: '31',
        name: 'Extra fields',
        status: 'active',
        vendorStatus: 'ACTIVE',
        createdAt: '2025-09-14T10:21:05.000Z',
        metrics: {
          ...emptyMetrics(),
          leads: 80,
          contacted: 50,
          sent: 90,
          emailsSent: 60,
          linkedinMessagesSent: 10,
          linkedinInvitesSent: 20,
          linkedinInvitesAccepted: 5,
          replied: 10,
          interested: 4,
        },
        rates: { ...NULL_RATES, replyRate: 0.2, interestedRate: 0.08, inviteAcceptRate: 0.25 },
        averageReplySeconds: 10_800,
      }),
    ]);
  });

  it('adds the vendor record as it came with include=raw, extra fields included', async () => {
    const fixture = loadFixture('seleqt', 'dashboard-extra-fields');
    mock('dashboard-extra-fields');
    const { records } = await provider.fetchAnalytics(connection, query({ include: { ...NO_INCLUDE, raw: true } }), http());
    expect(records[0]?.raw).toEqual(SeleqtDashboardEnvelopeSchema.parse(fixture.body).campaigns[0]);
  });

  it('leaves raw out without include=raw', async () => {
    mock('dashboard-documented');
    const { records } = await provider.fetchAnalytics(connection, query(), http());
    expect(records[0] && 'raw' in records[0]).toBe(false);
  });

  it('serves the good records and counts the bad ones with the first failing path', async () => {
    mock('dashboard-one-malformed');
    const { records, warnings } = await provider.fetchAnalytics(connection, query(), http());
    expect(records).toEqual([
      seleqtRecord({
        id: '41',
        name: 'Good one',
        status: 'active',
        vendorStatus: 'ACTIVE',
        metrics: { ...emptyMetrics(), leads: 10, contacted: 10, replied: 1 },
        rates: { ...NULL_RATES, replyRate: 0.1 },
        averageReplySeconds: 2_700,
      }),
      seleqtRecord({
        id: '43',
        name: 'Good two',
        status: 'paused',
        vendorStatus: 'PAUSED',
        metrics: { ...emptyMetrics(), emailsSent: 5, sent: 5 },
      }),
    ]);
    expect(warnings).toEqual([
      {
        code: 'invalid_records',
        message: '2 vendor record(s) failed validation and were left out; first at campaigns.1.analytics.amount_of_replies',
        count: 2,
        path: 'campaigns.1.analytics.amount_of_replies',
      },
    ]);
  });

  it('forwards workspace_id=ALL and accepts loose values (string ids, numeric strings)', async () => {
    mock('dashboard-all-workspaces');
    const { records } = await provider.fetchAnalytics({ ...connection, vendorWorkspaceId: 'ALL' }, query(), http());
    expect(records.map((r) => r.key)).toEqual(['acme-seleqt:301', 'acme-seleqt:302', 'acme-seleqt:303']);
    expect(records[1]).toEqual(
      seleqtRecord({
        id: '302',
        name: 'Acme DE',
        status: 'active',
        vendorStatus: 'ACTIVE',
        metrics: { ...emptyMetrics(), leads: 40, contacted: 25, sent: 30, emailsSent: 30, replied: 5 },
        rates: { ...NULL_RATES, replyRate: 0.2 },
        averageReplySeconds: 100_800,
      }),
    );
  });

  it('sends no workspace_id when the connection has none (the key’s current workspace)', async () => {
    const scope = mock('dashboard-current-workspace');
    const { vendorWorkspaceId: _omit, ...noWorkspace } = connection;
    await expect(provider.fetchAnalytics(noWorkspace, query(), http())).resolves.toEqual({ records: [], warnings: [] });
    expect(scope.isDone()).toBe(true);
  });

  it('filters to the requested campaign ids (numbers and strings alike)', async () => {
    mock('dashboard-all-workspaces');
    const { records, warnings } = await provider.fetchAnalytics(
      { ...connection, vendorWorkspaceId: 'ALL' },
      query({ campaignIds: ['302', '303', '999'] }),
      http(),
    );
    expect(records.map((r) => r.id)).toEqual(['302', '303']);
    expect(warnings).toEqual([]);
  });

  it('returns nothing for an empty id list', async () => {
    mock('dashboard-documented');
    const { records } = await provider.fetchAnalytics(connection, query({ campaignIds: [] }), http());
    expect(records).toEqual([]);
  });

  it.each<[string, Partial<AnalyticsQuery>]>([
    ['start and end', { startDate: '2025-10-01', endDate: '2025-10-31' }],
    ['start only', { startDate: '2025-10-01' }],
    ['end only', { endDate: '2025-10-31' }],
  ])('warns date_range_unsupported for a date range (%s) and sends no date parameter', async (_label, range) => {
    mock('dashboard-documented'); // the fixture's query is exact: a date parameter would not match
    const { records, warnings } = await provider.fetchAnalytics(connection, query(range), http());
    expect(records).toHaveLength(1);
    expect(warnings).toEqual([{ code: 'date_range_unsupported', message: 'Seleqt has no date filter: the numbers are lifetime totals' }]);
  });

  it('puts invalid_records before date_range_unsupported', async () => {
    mock('dashboard-one-malformed');
    const { warnings } = await provider.fetchAnalytics(connection, query({ startDate: '2025-10-01' }), http());
    expect(warnings.map((w) => w.code)).toEqual(['invalid_records', 'date_range_unsupported']);
  });

  it.each<[string, string]>([
    ['dashboard-drifted-envelope', 'campaigns'],
    ['dashboard-bare-array', '(root)'],
  ])('fails a drifted envelope (%s) as upstream_schema at %s', async (name, path) => {
    mock(name);
    const error = await failure(provider.fetchAnalytics(connection, query(), http()));
    expect(error.code).toBe('upstream_schema');
    expect(error.provider).toBe('seleqt');
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`unexpected campaign-analytics reply shape at ${path}: `)).toBe(true);
  });

  it('fails an HTML page with status 200 as upstream_schema', async () => {
    mock('dashboard-html-200');
    const client = http({ retry: { maxAttempts: 3 } });
    const error = await failure(provider.fetchAnalytics(connection, query(), client));
    expect({ code: error.code, status: error.status, message: error.message }).toEqual({
      code: 'upstream_schema',
      status: 200,
      message: 'the vendor answered with a body that is not JSON',
    });
    expect(client.calls).toBe(1);
  });

  it.each<[string, string, number, string]>([
    ['error-401-missing-key', 'unauthorized', 401, 'HTTP 401: Missing API key: Provide X-API-Key header'],
    ['error-403-access-denied', 'forbidden', 403, 'HTTP 403: Access denied'],
    ['error-404', 'not_found', 404, 'HTTP 404: {"detail":"Not found."}'],
  ])('%s fails as %s and is never retried', async (name, code, status, message) => {
    mock(name);
    const client = http({ retry: { maxAttempts: 3 } });
    const error = await failure(provider.fetchAnalytics(connection, query(), client));
    expect({ code: error.code, status: error.status, message: error.message, retryAfterMs: error.retryAfterMs }).toEqual({
      code,
      status,
      message,
      retryAfterMs: undefined,
    });
    expect(client.calls).toBe(1);
  });

  it('429 with Retry-After: rate_limited carrying the wait, no retry past the deadline', async () => {
    mock('error-429-retry-after');
    const client = http({ retry: { maxAttempts: 3 } });
    const error = await failure(provider.fetchAnalytics(connection, query({ deadlineMs: Date.now() + 5_000 }), client));
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Rate limit exceeded', status: 429, retryAfterSeconds: 30 });
    expect(error.retryAfterMs).toBe(30_000);
    expect(client.calls).toBe(1);
  });

  it('429 without Retry-After: rate_limited without a wait when out of attempts', async () => {
    mock('error-429');
    const error = await failure(provider.fetchAnalytics(connection, query(), http({ retry: { maxAttempts: 1 } })));
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Rate limit exceeded', status: 429 });
  });

  it('429 without Retry-After is retried with backoff and then succeeds', async () => {
    mock('error-429');
    mock('dashboard-documented');
    const client = http({ retry: { maxAttempts: 2 } });
    const { records } = await provider.fetchAnalytics(connection, query(), client);
    expect(records.map((r) => r.key)).toEqual(['acme-seleqt:123']);
    expect(client.calls).toBe(2);
  });

  it('500 is retried up to maxAttempts, then fails as upstream_unavailable', async () => {
    mock('error-500', 2);
    const client = http({ retry: { maxAttempts: 2 } });
    const error = await failure(provider.fetchAnalytics(connection, query(), client));
    expect({ code: error.code, status: error.status, message: error.message }).toEqual({
      code: 'upstream_unavailable',
      status: 500,
      message: 'HTTP 500: <h1>Server Error (500)</h1>',
    });
    expect(client.calls).toBe(2);
  });

  it('never lets the key into an error, even when the vendor echoes it', async () => {
    mock('error-401-echoes-key');
    const error = await failure(provider.fetchAnalytics(connection, query(), http()));
    expect(error.message).toBe('HTTP 401: Invalid API key: The key [REDACTED] is not valid');
    for (const rendering of [error.message, String(error), error.stack ?? '', JSON.stringify(error), inspect(error, { showHidden: true, depth: 5 })]) {
      expect(rendering).not.toContain(CANARY);
      expect(rendering).not.toContain('CANARYs3cret');
    }
  });

  it('forwards the caller’s signal and deadline', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(failure(provider.fetchAnalytics(connection, query({ signal: controller.signal }), http()))).resolves.toMatchObject({
      code: 'aborted',
    });
    await expect(failure(provider.fetchAnalytics(connection, query({ deadlineMs: Date.now() - 1 }), http()))).resolves.toMatchObject({
      code: 'upstream_timeout',
      message: 'deadline reached before the call',
    });
  });
});
