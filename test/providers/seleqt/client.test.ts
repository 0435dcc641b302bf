/**
 * The Seleqt client through nock fixtures and the simulator: the one call, record validation,
 * warnings, errors (a wrong host above all), the call estimate and the probe.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  SELEQT_API_ORIGIN,
  SELEQT_APP_ORIGIN,
  SELEQT_DASHBOARD_PATH,
  estimateSeleqtCalls,
  fetchSeleqtAnalytics,
  probeSeleqt,
  seleqtHeaders,
  seleqtWrongHostAdvice,
} from '../../../src/providers/seleqt/client';
import { SELEQT_DEFAULTS, createSeleqtProvider } from '../../../src/providers/seleqt';
import { SeleqtDashboardEnvelopeSchema } from '../../../src/providers/seleqt/schema';
import type { AnalyticsQuery } from '../../../src/providers/types';
import { emptyMetrics, type CampaignStatus } from '../../../src/schema/campaign';
import { startSimulator, type SeleqtHostMode, type VendorSimulator } from '../../../src/simulator';
import { FIXTURES_DIR, loadFixture } from '../../helpers/fixtures';
import { CANARY, NO_INCLUDE, NULL_RATES, connection, failure, http, mock, query, seleqtRecord } from './helpers';

const provider = createSeleqtProvider();

describe('Seleqt provider wiring', () => {
  it('is one call whatever the query, with its own defaults and id syntax', () => {
    expect(provider.id).toBe('seleqt');
    expect(provider.defaults).toBe(SELEQT_DEFAULTS);
    expect(provider.estimateCalls).toBe(estimateSeleqtCalls);
    expect(provider.fetchAnalytics).toBe(fetchSeleqtAnalytics);
    expect(provider.probe).toBe(probeSeleqt);
    expect(estimateSeleqtCalls(500, { include: { steps: true, daily: true, raw: true } })).toBe(1);
    expect(estimateSeleqtCalls(0, { include: NO_INCLUDE, campaignIds: ['1'] })).toBe(1);
    expect(SELEQT_DASHBOARD_PATH).toBe('/api/v1/dashboard/campaign-analytics/');
    expect(seleqtHeaders({ apiKey: 'k.s' })).toEqual({ 'X-API-Key': 'k.s' });
  });

  it.each<[string, boolean]>([
    ['123', true],
    ['8395001', true],
    ['0', true],
    ['', false],
    ['12a', false],
    ['-5', false],
    ['1.5', false],
    ['1234567890123456789', false],
  ])('isCampaignId(%p) = %p', (id, ok) => {
    expect(provider.isCampaignId(id)).toBe(ok);
  });
});

describe('fetchSeleqtAnalytics: records', () => {
  it('maps every status, unknown ones to unknown, keeping the vendor value as a string', async () => {
    mock('dashboard-statuses');
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
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

  it('keeps missing, null and empty values null (not reported) without a warning, and reported zeros zero', async () => {
    mock('dashboard-missing-optional');
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
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

  it('keeps a campaign with analytics: null or without analytics, metrics null and no warning', async () => {
    mock('dashboard-analytics-null');
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
    expect(warnings).toEqual([]);
    expect(records).toEqual([
      seleqtRecord({ id: '51', name: 'Brand new', status: 'draft', vendorStatus: 'DRAFT' }),
      seleqtRecord({
        id: '52',
        name: 'Running',
        status: 'active',
        vendorStatus: 'ACTIVE',
        metrics: {
          ...emptyMetrics(),
          leads: 12,
          contacted: 9,
          sent: 9,
          emailsSent: 9,
          linkedinMessagesSent: 0,
          linkedinInvitesSent: 0,
          linkedinInvitesAccepted: 0,
          replied: 3,
          interested: 1,
        },
        rates: { ...NULL_RATES, replyRate: 3 / 9, interestedRate: 1 / 9 },
        averageReplySeconds: 86_400,
      }),
      seleqtRecord({ id: '53', name: 'No analytics key', status: 'draft', vendorStatus: 'DRAFT' }),
    ]);
  });

  it('keeps campaigns with unreadable values, those fields null, and names every path in invalid_fields', async () => {
    mock('dashboard-unreadable-values');
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
    expect(records).toEqual([
      seleqtRecord({
        id: '61',
        name: 'Garbage counts',
        status: 'active',
        vendorStatus: 'ACTIVE',
        // `sent` adds emails, messages and invites; invites are unreadable, so the sum is unknown.
        metrics: { ...emptyMetrics(), emailsSent: 40, linkedinMessagesSent: 5, interested: 2 },
      }),
      seleqtRecord({
        id: '62',
        name: 'Odd status and reply time',
        metrics: { ...emptyMetrics(), leads: 30, contacted: 20 },
      }),
      seleqtRecord({ id: '63', name: 'Analytics is text', status: 'draft', vendorStatus: 'DRAFT' }),
    ]);
    const fields = {
      'analytics.amount_of_invites_sent': 1,
      'analytics.amount_of_prospects': 1,
      'analytics.amount_of_prospects_contacted': 1,
      'analytics.amount_of_invites_accepted': 1,
      'analytics.amount_of_replies': 2,
      'analytics.average_reply_time': 2,
      status: 1,
      analytics: 1,
    };
    expect(warnings).toEqual([
      {
        code: 'invalid_fields',
        count: 10,
        path: 'analytics.amount_of_invites_sent',
        fields,
        message: `10 value(s) present but unreadable, mapped as null: ${Object.entries(fields)
          .map(([path, n]) => `${path} (${n})`)
          .join(', ')}`,
      },
    ]);
  });

  it('reads no created_at and computes rates rather than copying them; extra fields stay in raw', async () => {
    const fixture = loadFixture('seleqt', 'dashboard-extra-fields');
    mock('dashboard-extra-fields', 2);
    const { records } = await fetchSeleqtAnalytics(connection, query(), http());
    expect(records).toEqual([
      seleqtRecord({
        id: '31',
        name: 'Extra fields',
        status: 'active',
        vendorStatus: 'ACTIVE',
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
    const withRaw = await fetchSeleqtAnalytics(connection, query({ include: { ...NO_INCLUDE, raw: true } }), http());
    expect(withRaw.records[0]?.raw).toEqual(SeleqtDashboardEnvelopeSchema.parse(fixture.body).campaigns[0]);
  });

  it('serves the good records and counts those without a usable id or name, with the first failing path', async () => {
    mock('dashboard-malformed-records');
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
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
      seleqtRecord({ id: '43', name: 'Good two', status: 'draft', vendorStatus: 'DRAFT', metrics: { ...emptyMetrics(), emailsSent: 5, sent: 5 } }),
      seleqtRecord({ id: '45', name: 'Good three', status: 'active', vendorStatus: 'ACTIVE', metrics: { ...emptyMetrics(), replied: 0 } }),
    ]);
    expect(warnings).toEqual([
      {
        code: 'invalid_records',
        message: '2 vendor record(s) failed validation and were left out; first at campaigns.1.name',
        count: 2,
        path: 'campaigns.1.name',
      },
    ]);
  });

  it('forwards workspace_id=ALL and accepts loose values (string ids, numeric strings)', async () => {
    mock('dashboard-all-workspaces');
    const { records } = await fetchSeleqtAnalytics({ ...connection, vendorWorkspaceId: 'ALL' }, query(), http());
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
    await expect(fetchSeleqtAnalytics(noWorkspace, query(), http())).resolves.toEqual({ records: [], warnings: [] });
    expect(scope.isDone()).toBe(true);
  });

  it('filters to the requested campaign ids (numbers and strings alike); an empty list gives nothing', async () => {
    mock('dashboard-all-workspaces');
    const { records, warnings } = await fetchSeleqtAnalytics({ ...connection, vendorWorkspaceId: 'ALL' }, query({ campaignIds: ['302', '303', '999'] }), http());
    expect(records.map((r) => r.id)).toEqual(['302', '303']);
    expect(warnings).toEqual([]);
    mock('dashboard-documented');
    await expect(fetchSeleqtAnalytics(connection, query({ campaignIds: [] }), http())).resolves.toEqual({ records: [], warnings: [] });
  });

  it('leaves raw out without include=raw', async () => {
    mock('dashboard-documented');
    const { records } = await fetchSeleqtAnalytics(connection, query(), http());
    expect(records[0] && 'raw' in records[0]).toBe(false);
  });

  it.each<[string, Partial<AnalyticsQuery>]>([
    ['start and end', { startDate: '2025-10-01', endDate: '2025-10-31' }],
    ['start only', { startDate: '2025-10-01' }],
    ['end only', { endDate: '2025-10-31' }],
  ])('warns date_range_unsupported for a date range (%s) and sends no date parameter', async (_label, range) => {
    mock('dashboard-documented'); // the fixture's query is exact: a date parameter would not match
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(range), http());
    expect(records).toHaveLength(1);
    expect(warnings).toEqual([{ code: 'date_range_unsupported', message: 'Seleqt has no date filter: the numbers are lifetime totals' }]);
  });

  it('puts invalid_records, then invalid_fields, then date_range_unsupported', async () => {
    mock('dashboard-malformed-records');
    const first = await fetchSeleqtAnalytics(connection, query({ startDate: '2025-10-01' }), http());
    expect(first.warnings.map((w) => w.code)).toEqual(['invalid_records', 'date_range_unsupported']);
    mock('dashboard-unreadable-values');
    const second = await fetchSeleqtAnalytics(connection, query({ endDate: '2025-10-01' }), http());
    expect(second.warnings.map((w) => w.code)).toEqual(['invalid_fields', 'date_range_unsupported']);
  });
});

describe('fetchSeleqtAnalytics: failures', () => {
  it.each<[string, string]>([
    ['dashboard-drifted-envelope', 'campaigns'],
    ['dashboard-bare-array', '(root)'],
  ])('fails a drifted envelope (%s) as upstream_schema at %s', async (name, path) => {
    mock(name);
    const error = await failure(fetchSeleqtAnalytics(connection, query(), http()));
    expect(error.code).toBe('upstream_schema');
    expect(error.provider).toBe('seleqt');
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`unexpected campaign-analytics reply shape at ${path}: `)).toBe(true);
  });

  it.each<[string, string, string]>([
    [SELEQT_APP_ORIGIN, 'app.seleqt.ai', SELEQT_API_ORIGIN],
    [SELEQT_API_ORIGIN, 'api.seleqt.ai', SELEQT_APP_ORIGIN],
    ['https://app.seleqt.test', 'app.seleqt.test', `${SELEQT_API_ORIGIN} (or ${SELEQT_APP_ORIGIN})`],
  ])('an HTML page with status 200 on %s is wrong_host naming the other host, never retried', async (origin, host, other) => {
    mock('dashboard-html-200', 1, origin);
    const client = http({ baseUrl: origin, retry: { maxAttempts: 3 } });
    const error = await failure(fetchSeleqtAnalytics(connection, query(), client));
    expect({ code: error.code, status: error.status, message: error.message }).toEqual({
      code: 'wrong_host',
      status: 200,
      message: `HTTP 200 from ${host} was an HTML page, not JSON: this host served HTML, not Seleqt's JSON API; set baseUrl to ${other}`,
    });
    expect(client.calls).toBe(1);
  });

  it('a redirect is wrong_host naming the Location host (never its path or query), not followed, never retried', async () => {
    mock('dashboard-redirect-302', 1, SELEQT_APP_ORIGIN);
    const client = http({ baseUrl: SELEQT_APP_ORIGIN, retry: { maxAttempts: 3 } });
    const error = await failure(fetchSeleqtAnalytics(connection, query(), client));
    expect(error.toJSON()).toEqual({
      code: 'wrong_host',
      status: 302,
      message:
        "HTTP 302 from app.seleqt.ai: redirect not followed (to api.seleqt.ai): this host served a redirect, not Seleqt's JSON API; set baseUrl to https://api.seleqt.ai",
    });
    expect(error.message).not.toMatch(/workspace_id|next=|dashboard/);
    expect(client.calls).toBe(1);
  });

  it('seleqtWrongHostAdvice: HTML or a redirect, and the other documented host', () => {
    expect(seleqtWrongHostAdvice(SELEQT_APP_ORIGIN, 301)).toBe("this host served a redirect, not Seleqt's JSON API; set baseUrl to https://api.seleqt.ai");
    expect(seleqtWrongHostAdvice(SELEQT_API_ORIGIN, 200)).toBe("this host served HTML, not Seleqt's JSON API; set baseUrl to https://app.seleqt.ai");
    expect(seleqtWrongHostAdvice(undefined, undefined)).toBe(
      "this host served HTML, not Seleqt's JSON API; set baseUrl to https://api.seleqt.ai (or https://app.seleqt.ai)",
    );
  });

  it.each<[string, string, number, string]>([
    ['error-401-missing-key', 'unauthorized', 401, 'HTTP 401: Missing API key: Provide X-API-Key header'],
    ['error-403-access-denied', 'forbidden', 403, 'HTTP 403: Access denied'],
    ['error-404', 'not_found', 404, 'HTTP 404: {"detail":"Not found."}'],
  ])('%s fails as %s and is never retried', async (name, code, status, message) => {
    mock(name);
    const client = http({ retry: { maxAttempts: 3 } });
    const error = await failure(fetchSeleqtAnalytics(connection, query(), client));
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
    const error = await failure(fetchSeleqtAnalytics(connection, query({ deadlineMs: Date.now() + 5_000 }), client));
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Rate limit exceeded', status: 429, retryAfterSeconds: 30 });
    expect(error.retryAfterMs).toBe(30_000);
    expect(client.calls).toBe(1);
  });

  it('429 without Retry-After: rate_limited without a wait when out of attempts', async () => {
    mock('error-429');
    const error = await failure(fetchSeleqtAnalytics(connection, query(), http({ retry: { maxAttempts: 1 } })));
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Rate limit exceeded', status: 429 });
  });

  it('429 without Retry-After is retried with backoff and then succeeds', async () => {
    mock('error-429');
    mock('dashboard-documented');
    const client = http({ retry: { maxAttempts: 2 } });
    const { records } = await fetchSeleqtAnalytics(connection, query(), client);
    expect(records.map((r) => r.key)).toEqual(['acme-seleqt:123']);
    expect(client.calls).toBe(2);
  });

  it('500 is retried up to maxAttempts, then fails as upstream_unavailable', async () => {
    mock('error-500', 2);
    const client = http({ retry: { maxAttempts: 2 } });
    const error = await failure(fetchSeleqtAnalytics(connection, query(), client));
    expect({ code: error.code, status: error.status, message: error.message }).toEqual({
      code: 'upstream_unavailable',
      status: 500,
      message: 'HTTP 500: <h1>Server Error (500)</h1>',
    });
    expect(client.calls).toBe(2);
  });

  it('never lets the key into an error, even when the vendor echoes it', async () => {
    mock('error-401-echoes-key');
    const error = await failure(fetchSeleqtAnalytics(connection, query(), http()));
    expect(error.message).toBe('HTTP 401: Invalid API key: The key [REDACTED] is not valid');
    for (const rendering of [error.message, String(error), error.stack ?? '', JSON.stringify(error), inspect(error, { showHidden: true, depth: 5 })]) {
      expect(rendering).not.toContain(CANARY);
      expect(rendering).not.toContain('CANARYs3cret');
    }
  });

  it('forwards the caller’s signal and deadline', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(failure(fetchSeleqtAnalytics(connection, query({ signal: controller.signal }), http()))).resolves.toMatchObject({
      code: 'aborted',
    });
    await expect(failure(fetchSeleqtAnalytics(connection, query({ deadlineMs: Date.now() - 1 }), http()))).resolves.toMatchObject({
      code: 'upstream_timeout',
      message: 'deadline reached before the call',
    });
  });
});

describe('probeSeleqt', () => {
  it('is the one dashboard call: valid campaigns counted, warnings as the fetch gives them', async () => {
    mock('dashboard-malformed-records');
    const client = http();
    await expect(probeSeleqt(connection, client)).resolves.toEqual({
      campaigns: 3,
      calls: 1,
      warnings: [
        {
          code: 'invalid_records',
          message: '2 vendor record(s) failed validation and were left out; first at campaigns.1.name',
          count: 2,
          path: 'campaigns.1.name',
        },
      ],
    });
    mock('dashboard-unreadable-values');
    const unreadable = await probeSeleqt(connection, client);
    expect({ campaigns: unreadable.campaigns, calls: unreadable.calls, codes: unreadable.warnings.map((w) => w.code) }).toEqual({
      campaigns: 3,
      calls: 1,
      codes: ['invalid_fields'],
    });
  });

  it('counts retries as calls and forwards the signal', async () => {
    mock('error-429');
    mock('dashboard-documented');
    await expect(probeSeleqt(connection, http({ retry: { maxAttempts: 2 } }))).resolves.toEqual({ campaigns: 1, calls: 2, warnings: [] });
    const controller = new AbortController();
    controller.abort();
    await expect(failure(probeSeleqt(connection, http(), controller.signal))).resolves.toMatchObject({ code: 'aborted' });
  });

  describe('against the simulator', () => {
    const KEY = 'c0ffee00.probeSecretForTests';
    const sims: VendorSimulator[] = [];
    async function sim(host: SeleqtHostMode): Promise<VendorSimulator> {
      const started = await startSimulator('seleqt', { accounts: [{ apiKey: KEY, seed: 7, campaigns: 12, vendorWorkspaceId: '340' }], seleqtHost: host });
      sims.push(started);
      return started;
    }
    const probeOn = (target: VendorSimulator, apiKey = KEY): Promise<unknown> =>
      probeSeleqt({ ...connection, apiKey }, http({ baseUrl: target.url, secrets: [apiKey], retry: { maxAttempts: 1 } }));

    afterAll(async () => {
      await Promise.all(sims.map((s) => s.close()));
    });

    it('a good key on the API host: every campaign, one call, no warning', async () => {
      const api = await sim('api');
      await expect(probeOn(api)).resolves.toEqual({ campaigns: 12, calls: 1, warnings: [] });
    });

    it('a wrong key: unauthorized, the key never shown', async () => {
      const api = await sim('api');
      const error = await failure(probeOn(api, 'c0ffee00.wrongSecret'));
      expect(error.toJSON()).toEqual({ code: 'unauthorized', status: 401, message: 'HTTP 401: Invalid API key' });
    });

    it('the SPA host (HTML with 200): wrong_host saying which baseUrl to set', async () => {
      const spa = await sim('spa');
      const error = await failure(probeOn(spa));
      const host = new URL(spa.url).host;
      expect(error.toJSON()).toEqual({
        code: 'wrong_host',
        status: 200,
        message: `HTTP 200 from ${host} was an HTML page, not JSON: this host served HTML, not Seleqt's JSON API; set baseUrl to https://api.seleqt.ai (or https://app.seleqt.ai)`,
      });
      expect(spa.stats().byStatus).toEqual({ '200': 1 });
    });

    it('a redirecting host (302): wrong_host naming where it points, the redirect not followed', async () => {
      const redirect = await sim('redirect');
      const error = await failure(probeOn(redirect));
      const host = new URL(redirect.url).host;
      expect(error.toJSON()).toEqual({
        code: 'wrong_host',
        status: 302,
        message: `HTTP 302 from ${host}: redirect not followed (to api.seleqt.ai): this host served a redirect, not Seleqt's JSON API; set baseUrl to https://api.seleqt.ai (or https://app.seleqt.ai)`,
      });
      expect(redirect.stats().total).toBe(1);
    });
  });
});

describe('fixtures/seleqt', () => {
  it('every fixture is used by a Seleqt test', () => {
    const names = readdirSync(join(FIXTURES_DIR, 'seleqt')).map((file) => file.replace(/\.json$/, ''));
    const tests = readdirSync(__dirname)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(__dirname, file), 'utf8'))
      .join('\n');
    expect(names.length).toBe(20);
    expect(names.filter((name) => !tests.includes(`'${name}'`))).toEqual([]);
  });
});
