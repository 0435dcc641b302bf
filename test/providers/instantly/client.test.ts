/**
 * The Instantly client against recorded vendor replies (fixtures/instantly, served by nock): the
 * walk of analytics + list, paging, record-level tolerance, ids, steps/daily, the step numbering,
 * sub-workspaces, errors, the call estimate, the probe, and that every fixture is used.
 */
import { getEventListeners } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { ProviderError } from '../../../src/errors';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../../src/http/client';
import { fetchInstantlyAnalytics, instantlyHeaders, probeInstantly } from '../../../src/providers/instantly/client';
import { createInstantlyProvider, estimateInstantlyCalls } from '../../../src/providers/instantly/index';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';
import { CampaignAnalyticsSchema } from '../../../src/schema/campaign';
import { FIXTURES_DIR, loadFixture, mockFixture, type Fixture } from '../../helpers/fixtures';
import {
  C1,
  C2,
  C3,
  C4,
  C5,
  C7,
  C9,
  CANARY_KEY,
  CONNECTION,
  DOCUMENTED_FIXTURES,
  ORIGIN,
  analyticsItem,
  analyticsQuery,
  documentedRecord,
  listItem,
  metrics,
  stepRow,
} from './helpers';

const AUTH = {
  reqheaders: { authorization: `Bearer ${CANARY_KEY}` },
  // Every auth-ish header Instantly does not use (x-as-workspace is its sub-workspace switch, sent
  // only for a connection with a vendorWorkspaceId, which CONNECTION has not).
  badheaders: ['x-api-key', 'x-workspace-id', 'x-as-workspace', 'cookie'],
};

/** Every fixture a test loads, so the last test can check that none is left untested. */
const used = new Set<string>();

function fixture(name: string): Fixture {
  used.add(name);
  return loadFixture('instantly', name);
}

function mock(name: string, options: { times?: number } = {}): nock.Scope {
  return mockFixture(ORIGIN, fixture(name), { ...AUTH, ...options });
}

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  return createHttpClient({
    provider: 'instantly',
    baseUrl: ORIGIN,
    retry: { baseDelayMs: 1, maxAttempts: 3 },
    random: () => 0,
    ...options,
  });
}

async function fetchWith(
  query: AnalyticsQuery,
  http: HttpClient = client(),
  connection: ProviderConnection = CONNECTION,
): ReturnType<typeof fetchInstantlyAnalytics> {
  const result = await fetchInstantlyAnalytics(connection, query, http);
  // Every record the provider returns must satisfy the normalized contract.
  for (const record of result.records) expect(CampaignAnalyticsSchema.parse(record)).toStrictEqual(record);
  return result;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) {
      // Whatever went wrong, the vendor key is never in the error.
      expect(error.message).not.toContain(CANARY_KEY);
      expect(JSON.stringify(error)).not.toContain(CANARY_KEY);
      return error;
    }
    throw error;
  }
  throw new Error('expected a ProviderError, got a result');
}

const nullRates = {
  openRate: null,
  clickRate: null,
  replyRate: null,
  bounceRate: null,
  interestedRate: null,
  inviteAcceptRate: null,
};

describe('all campaigns (analytics + campaign list)', () => {
  it('maps the documented example whole, with createdAt from the list, and keeps the unsent draft', async () => {
    mock('analytics-documented');
    mock('campaigns-documented');
    const http = client();
    const result = await fetchWith(analyticsQuery(), http);
    expect(result.warnings).toEqual([]);
    expect(result.records).toStrictEqual([
      documentedRecord('2026-08-03T09:15:27.512Z'),
      {
        key: `acme-instantly:${C3}`,
        id: C3,
        provider: 'instantly',
        connection: 'acme-instantly',
        workspace: 'acme',
        name: 'Holiday Draft',
        status: 'draft',
        vendorStatus: '0',
        channels: ['email'],
        createdAt: '2026-09-01T12:00:00.000Z',
        metrics: metrics({}),
        rates: nullRates,
        averageReplySeconds: null,
        steps: null,
        daily: null,
        leadStatus: null,
      },
    ]);
    expect(http.calls).toBe(2);
  });

  it("under a caller's signal: the fetch leaves it no listener once it is over, failed or not", async () => {
    mock('analytics-documented');
    mock('campaigns-documented');
    const walk = new AbortController();
    expect((await fetchWith(analyticsQuery({ signal: walk.signal }))).records).toHaveLength(2);
    expect(getEventListeners(walk.signal, 'abort')).toHaveLength(0);
    nock(ORIGIN).get('/api/v2/campaigns/analytics').query(true).reply(401, { error: 'Unauthorized' });
    nock(ORIGIN).get('/api/v2/campaigns').query(true).reply(200, { items: [], next_starting_after: null });
    await failure(fetchWith(analyticsQuery({ signal: walk.signal })));
    expect(getEventListeners(walk.signal, 'abort')).toHaveLength(0);
  });

  it('walks every list page and stops on the empty page that still carries a cursor', async () => {
    mock('analytics-paged-campaigns');
    mock('campaigns-page-1');
    mock('campaigns-page-2');
    mock('campaigns-page-3-empty');
    const http = client();
    // Three pages with a cap of three: exactly enough.
    const result = await fetchWith(analyticsQuery(), http, { ...CONNECTION, maxPages: 3 });
    expect(result.warnings).toEqual([]);
    expect(result.records.map((r) => [r.id, r.name, r.status, r.vendorStatus, r.createdAt])).toEqual([
      [C1, 'My Test Campaign', 'active', '1', '2026-08-03T09:15:27.512Z'],
      [C2, 'Q3 Founders', 'paused', '2', '2026-07-14T08:00:00.000Z'],
      [C4, 'Spring Webinar', 'completed', '3', '2026-03-20T16:45:00.000Z'],
      [C5, 'Deleted Test', 'paused', '2', null],
      [C3, 'Holiday Draft', 'draft', '0', '2026-09-01T12:00:00.000Z'],
    ]);
    expect(result.records[1]?.metrics).toStrictEqual(
      metrics({
        leads: 400,
        contacted: 400,
        sent: 900,
        emailsSent: 900,
        opened: 210,
        clicked: 25,
        replied: 35,
        bounced: 12,
        unsubscribed: 3,
        completed: 380,
        interested: 4,
        opportunityValue: 2500,
      }),
    );
    expect(result.records[3]?.metrics).toStrictEqual(
      metrics({ leads: 10, contacted: 0, sent: 0, emailsSent: 0, opened: 0, clicked: 0, replied: 0, bounced: 0, unsubscribed: 0, completed: 0, interested: 0, opportunityValue: 0 }),
    );
    expect(result.records[3]?.rates).toStrictEqual(nullRates);
    expect(result.records[4]?.metrics).toStrictEqual(metrics({}));
    expect(http.calls).toBe(4);
  });

  it('fails with too_many_pages when the walk reaches maxPages, never a short list', async () => {
    mock('analytics-paged-campaigns');
    mock('campaigns-page-1');
    mock('campaigns-page-2');
    const error = await failure(fetchWith(analyticsQuery(), client(), { ...CONNECTION, maxPages: 2 }));
    expect(error.code).toBe('too_many_pages');
    expect(error.message).toBe('the campaign list has more than 2 pages (maxPages); raise it for this connection');
  });

  it('stops with upstream_schema when the vendor repeats a cursor', async () => {
    mock('analytics-paged-campaigns');
    mock('campaigns-page-1');
    mock('campaigns-page-2-repeated-cursor');
    const error = await failure(fetchWith(analyticsQuery()));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toBe('the vendor repeated a pagination cursor after page 2; stopped to avoid a loop');
  });

  it('fails with upstream_schema naming `items` when a list page drifts', async () => {
    mock('analytics-documented');
    mock('campaigns-drifted-envelope');
    const error = await failure(fetchWith(analyticsQuery()));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('items');
  });

  it('leaves out a malformed list item and counts it; an unparseable timestamp is a null createdAt named in invalid_fields', async () => {
    mock('analytics-documented');
    mock('campaigns-malformed-item');
    const result = await fetchWith(analyticsQuery());
    expect(result.records.map((r) => [r.id, r.name, r.status, r.createdAt])).toEqual([
      [C1, 'My Test Campaign', 'active', '2026-08-03T09:15:27.512Z'],
      [C4, 'Spring Webinar', 'completed', null],
    ]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '1 vendor record(s) failed validation and were left out; first at campaigns.1.name',
        count: 1,
        path: 'campaigns.1.name',
      },
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: timestamp_created (1)',
        count: 1,
        path: 'timestamp_created',
        fields: { timestamp_created: 1 },
      },
    ]);
  });

  it('fails the source when the list answers 500 after the retries', async () => {
    mock('analytics-documented');
    mock('campaigns-error-500', { times: 3 });
    const http = client();
    const error = await failure(fetchWith(analyticsQuery(), http));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.status).toBe(500);
    expect(http.calls).toBe(4);
  });

  it('cancels the list walk when the analytics call is rejected', async () => {
    const unauthorized = fixture('error-401');
    nock(ORIGIN).get('/api/v2/campaigns/analytics').query({}).reply(401, JSON.stringify(unauthorized.body), { 'content-type': 'application/json' });
    nock(ORIGIN)
      .get('/api/v2/campaigns')
      .query({ limit: '100' })
      .delay(150)
      .reply(200, JSON.stringify(fixture('campaigns-page-1').body), { 'content-type': 'application/json' });
    const http = client();
    const error = await failure(fetchWith(analyticsQuery(), http));
    expect(error.code).toBe('unauthorized');
    // Without the cancel, page 1 would arrive at 150 ms and page 2 would be asked for.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(http.calls).toBe(2);
  });
});

describe('record-level tolerance', () => {
  it('maps every status value, unknown ones to unknown', async () => {
    mock('analytics-statuses');
    mock('campaigns-empty');
    const result = await fetchWith(analyticsQuery());
    expect(result.warnings).toEqual([]);
    expect(result.records.map((r) => [r.vendorStatus, r.status])).toEqual([
      ['0', 'draft'],
      ['1', 'active'],
      ['2', 'paused'],
      ['3', 'completed'],
      ['4', 'active'],
      ['-1', 'error'],
      ['-2', 'error'],
      ['-99', 'error'],
      ['5', 'unknown'],
      ['-3', 'unknown'],
      ['1', 'active'],
      ['paused', 'unknown'],
      ['', 'unknown'],
    ]);
  });

  it('maps records with missing optional fields, nulls and numeric strings; a garbage count is null and named', async () => {
    mock('analytics-missing-optional');
    mock('campaigns-empty');
    const result = await fetchWith(analyticsQuery());
    expect(result.warnings).toEqual([
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: completed_count (1)',
        count: 1,
        path: 'completed_count',
        fields: { completed_count: 1 },
      },
    ]);
    expect(result.records.map((r) => [r.id, r.status, r.metrics])).toEqual([
      [C1, 'unknown', metrics({})],
      [
        C2,
        'active',
        metrics({
          leads: 300,
          contacted: 250,
          sent: 700,
          emailsSent: 700,
          opened: 140,
          clicked: 17,
          replied: 22,
          bounced: 6,
          unsubscribed: 2,
          completed: 90,
          interested: 3,
          opportunityValue: 1500.5,
        }),
      ],
      [C4, 'paused', metrics({ leads: 120, contacted: 100, opened: 50, replied: 7, bounced: 0, interested: 0 })],
    ]);
  });

  it('ignores extra fields in the mapping and keeps them in raw with include=raw', async () => {
    mock('analytics-extra-fields');
    mock('campaigns-empty');
    const result = await fetchWith(analyticsQuery({ include: { steps: false, daily: false, raw: true } }));
    const [record] = result.records;
    expect(record?.metrics).toStrictEqual(documentedRecord(null).metrics);
    expect(record?.raw).toStrictEqual((fixture('analytics-extra-fields').body as unknown[])[0]);
    expect(record?.raw?.tags).toEqual(['q4', 'enterprise']);
  });

  it('leaves out records with a bad identity and names the first failing path; a bad count keeps its record', async () => {
    mock('analytics-malformed-record');
    mock('campaigns-empty');
    const result = await fetchWith(analyticsQuery());
    expect(result.records.map((r) => [r.id, r.name, r.metrics.replied, r.metrics.leads])).toEqual([
      [C1, 'Good One', 7, 100],
      [C2, 'Good Two', 3, 50],
      [C5, 'Object Count', 1, null],
    ]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '2 vendor record(s) failed validation and were left out; first at analytics.1.campaign_id',
        count: 2,
        path: 'analytics.1.campaign_id',
      },
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: leads_count (1)',
        count: 1,
        path: 'leads_count',
        fields: { leads_count: 1 },
      },
    ]);
  });

  it('keeps the first of two records with one campaign_id and counts the second', async () => {
    mock('analytics-duplicate-id');
    mock('campaigns-empty');
    const result = await fetchWith(analyticsQuery());
    expect(result.records.map((r) => [r.key, r.name])).toEqual([[`acme-instantly:${C1}`, 'My Test Campaign']]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: '1 vendor record(s) failed validation and were left out; first at analytics.1.campaign_id',
        count: 1,
        path: 'analytics.1.campaign_id',
      },
    ]);
  });
});

describe('envelope failures', () => {
  it('an object where the array belongs is upstream_schema', async () => {
    mock('analytics-drifted-envelope');
    mock('campaigns-empty');
    const error = await failure(fetchWith(analyticsQuery()));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe('(root)');
    expect(error.message).toMatch(/^unexpected campaigns\/analytics reply shape at \(root\): /);
  });

  it('an HTML page with status 200 is wrong_host (the baseUrl is not the API) and is not retried', async () => {
    mock('analytics-html-200');
    mock('campaigns-empty');
    const http = client();
    const error = await failure(fetchWith(analyticsQuery(), http));
    expect(error.code).toBe('wrong_host');
    expect(error.status).toBe(200);
    expect(error.message).toMatch(/^HTTP 200 from \S+ was an HTML page, not JSON/);
    expect(http.calls).toBe(2);
  });

  it('a steps reply that is not an array is upstream_schema', async () => {
    mock('analytics-c1');
    mock('steps-drifted-envelope');
    const error = await failure(fetchWith(analyticsQuery({ campaignIds: [C1], include: { steps: true, daily: false, raw: false } })));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toMatch(new RegExp(`^unexpected steps analytics reply for campaign ${C1} shape at \\(root\\)`));
  });
});

describe('campaignIds and dates', () => {
  it('sends ids as a repeated parameter with the dates, skips the list, filters the reply and reports missing ids', async () => {
    mock('analytics-by-ids-dated');
    const http = client();
    const result = await fetchWith(
      analyticsQuery({ campaignIds: [C1, C2, C9, C1], startDate: '2026-09-01', endDate: '2026-09-30' }),
      http,
    );
    expect(http.calls).toBe(1);
    expect(result.records.map((r) => [r.id, r.createdAt, r.metrics.contacted, r.metrics.replied])).toEqual([
      [C1, null, 300, 37],
      [C2, null, 80, 5],
    ]);
    expect(result.records.some((r) => r.id === C7)).toBe(false);
    expect(result.warnings).toEqual([
      {
        code: 'campaign_not_found',
        message: `1 requested campaign id(s) are not in Instantly's analytics reply (unknown, or not sent yet): ${C9}`,
        count: 1,
      },
    ]);
  });

  it('names at most ten missing ids', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `019e18e2-dead-7000-8000-${String(i).padStart(12, '0')}`);
    nock(ORIGIN, AUTH).get('/api/v2/campaigns/analytics').query({ ids }).reply(200, '[]', { 'content-type': 'application/json' });
    const result = await fetchWith(analyticsQuery({ campaignIds: ids }));
    expect(result.records).toEqual([]);
    expect(result.warnings).toEqual([
      {
        code: 'campaign_not_found',
        message: `12 requested campaign id(s) are not in Instantly's analytics reply (unknown, or not sent yet): ${ids.slice(0, 10).join(', ')} and 2 more`,
        count: 12,
      },
    ]);
  });

  it('forwards the dates without ids (the list is not dated) and warns about nothing', async () => {
    mock('analytics-dated');
    mock('campaigns-documented');
    const result = await fetchWith(analyticsQuery({ startDate: '2026-09-01', endDate: '2026-09-30' }));
    expect(result.warnings).toEqual([]);
    expect(result.records.map((r) => [r.id, r.metrics.contacted, r.metrics.opened, r.createdAt])).toEqual([
      [C1, 300, 140, '2026-08-03T09:15:27.512Z'],
      [C3, null, null, '2026-09-01T12:00:00.000Z'],
    ]);
  });

  it('never sends an id that is not a UUID: it is dropped with a warning naming it, the others are asked for', async () => {
    nock(ORIGIN, AUTH)
      .get('/api/v2/campaigns/analytics')
      .query({ ids: C1 })
      .reply(200, JSON.stringify(fixture('analytics-c1').body), { 'content-type': 'application/json' });
    const http = client();
    const result = await fetchWith(analyticsQuery({ campaignIds: ['42', C1, 'x&ids=y', '42'] }), http);
    expect(http.calls).toBe(1);
    expect(result.records.map((r) => r.id)).toEqual([C1]);
    expect(result.warnings).toEqual([
      {
        code: 'campaign_not_found',
        message: '2 requested campaign id(s) are not Instantly campaign ids (UUIDs) and were not sent: 42, x&ids=y',
        count: 2,
      },
    ]);
  });

  it('with no UUID among the ids makes no call at all', async () => {
    const http = client();
    const result = await fetchWith(analyticsQuery({ campaignIds: ['campaign_1', ''] }), http);
    expect(http.calls).toBe(0);
    expect(result.records).toEqual([]);
    expect(result.warnings.map((w) => [w.code, w.count])).toEqual([['campaign_not_found', 2]]);
  });

  it('an empty id list asks for nothing and makes no call', async () => {
    const http = client();
    const result = await fetchWith(analyticsQuery({ campaignIds: [] }), http);
    expect(result).toEqual({ records: [], warnings: [] });
    expect(http.calls).toBe(0);
  });
});

describe('include=steps,daily', () => {
  it('fetches steps and daily per campaign, drafts included, and maps them', async () => {
    mock('analytics-documented');
    mock('campaigns-documented');
    mock('steps-c1');
    mock('daily-c1');
    mock('steps-c3-empty');
    mock('daily-c3-empty');
    const http = client();
    const result = await fetchWith(analyticsQuery({ include: { steps: true, daily: true, raw: false } }), http);
    expect(http.calls).toBe(6);
    // The two rows that are not steps (step null and step "null") are skipped and counted.
    expect(result.warnings).toEqual([
      { code: 'skipped_rows', message: '2 row(s) that are not data, skipped: steps.step (2)', count: 2, path: 'steps.step', fields: { 'steps.step': 2 } },
    ]);
    expect(result.records).toStrictEqual([
      {
        ...documentedRecord('2026-08-03T09:15:27.512Z'),
        steps: [
          { step: 1, variant: 'A', sent: 1800, opened: 350, clicked: 250, replied: 100, bounced: null },
          { step: 1, variant: 'B', sent: 1700, opened: 400, clicked: 200, replied: 80, bounced: null },
          { step: 2, variant: 'A', sent: 1500, opened: 300, clicked: 40, replied: 60, bounced: null },
          { step: 3, variant: null, sent: 0, opened: 0, clicked: 0, replied: 0, bounced: null },
        ],
        daily: [
          { date: '2026-09-01', sent: 100, opened: 35, clicked: 4, replied: 5, interested: 0 },
          { date: '2026-09-02', sent: 110, opened: 45, clicked: 5, replied: 6, interested: 1 },
          { date: '2026-09-03', sent: 120, opened: 50, clicked: 6, replied: 8, interested: 1 },
        ],
      },
      expect.objectContaining({ id: C3, status: 'draft', steps: [], daily: [] }),
    ]);
  });

  it('with ids and dates: forwards the dates to steps and daily, shifts 0-based steps and counts bad rows', async () => {
    mock('analytics-c2-dated');
    mock('steps-c2-zero-based-dated');
    mock('daily-c2-dated');
    const http = client();
    const result = await fetchWith(
      analyticsQuery({ campaignIds: [C2], startDate: '2026-09-01', endDate: '2026-09-30', include: { steps: true, daily: true, raw: false } }),
      http,
      { ...CONNECTION, concurrency: 1 },
    );
    expect(http.calls).toBe(3);
    expect(result.records.map((r) => [r.id, r.steps, r.daily])).toEqual([
      [
        C2,
        [
          { step: 1, variant: 'A', sent: 80, opened: 15, clicked: 2, replied: 3, bounced: null },
          { step: 1, variant: 'B', sent: 40, opened: 10, clicked: 1, replied: 2, bounced: null },
          { step: 2, variant: 'B', sent: 40, opened: 9, clicked: 1, replied: 2, bounced: null },
        ],
        [
          { date: '2026-09-01', sent: 90, opened: 16, clicked: 2, replied: 3, interested: 0 },
          { date: '2026-09-02', sent: 70, opened: 12, clicked: 2, replied: 2, interested: 1 },
        ],
      ],
    ]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_records',
        message: `2 vendor record(s) failed validation and were left out; first at steps.${C2}.3.step`,
        count: 2,
        path: `steps.${C2}.3.step`,
      },
    ]);
  });

  it('a 404 on one campaign’s steps leaves its steps null with a partial_detail warning; daily stays null', async () => {
    mock('analytics-documented');
    mock('campaigns-documented');
    mock('steps-c1');
    mock('error-404-steps');
    const http = client();
    const result = await fetchWith(analyticsQuery({ include: { steps: true, daily: false, raw: false } }), http, {
      ...CONNECTION,
      concurrency: 1,
    });
    expect(http.calls).toBe(4);
    expect(result.records.map((r) => [r.id, r.steps?.length ?? null, r.daily])).toEqual([
      [C1, 4, null],
      [C3, null, null],
    ]);
    expect(result.warnings).toEqual([
      { code: 'skipped_rows', message: '2 row(s) that are not data, skipped: steps.step (2)', count: 2, path: 'steps.step', fields: { 'steps.step': 2 } },
      {
        code: 'partial_detail',
        message: '1 steps/daily call(s) answered 404 (campaign gone since the analytics call?); those campaigns have steps/daily null',
        count: 1,
      },
    ]);
  });

  it('any other failure of a detail call (here a 401 on daily) fails the source', async () => {
    mock('analytics-c1');
    mock('error-401-daily');
    const http = client();
    const error = await failure(fetchWith(analyticsQuery({ campaignIds: [C1], include: { steps: false, daily: true, raw: false } }), http));
    expect([error.code, error.status]).toEqual(['unauthorized', 401]);
    expect(http.calls).toBe(2);
  });

  it('without include, steps and daily are null and no detail call is made', async () => {
    mock('analytics-documented');
    mock('campaigns-documented');
    const http = client();
    const result = await fetchWith(analyticsQuery(), http);
    expect(result.records.map((r) => [r.steps, r.daily])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(http.calls).toBe(2);
  });
});

describe('a live account: fewer analytics records than campaigns, no *_unique fields', () => {
  const live = fixture('campaigns-live').body as { items: { id: string; name: string; timestamp_created: string }[] };
  const ids = live.items.map((item) => item.id);

  it('lists all five campaigns; the one without an analytics record has null metrics and its list name, status and createdAt', async () => {
    mock('analytics-live');
    mock('campaigns-live');
    const result = await fetchWith(analyticsQuery());
    expect(result.warnings).toEqual([]);
    expect(result.records.map((r) => [r.id, r.name, r.status, r.createdAt])).toEqual([
      [ids[0], 'Marketing agencies', 'paused', '2025-09-12T10:02:21.146Z'],
      [ids[1], 'SaaS founders', 'active', '2025-09-20T08:30:00.000Z'],
      [ids[2], 'Recruiters EU', 'completed', '2025-10-02T14:12:45.000Z'],
      [ids[3], 'Dental clinics', 'active', '2025-10-15T09:00:00.000Z'],
      [ids[4], 'Logistics (new)', 'draft', '2025-10-31T17:45:10.000Z'],
    ]);
    // Without *_unique fields opened/clicked/replied come from open_count/link_click_count/reply_count.
    expect(result.records[0]?.metrics).toStrictEqual(
      metrics({ leads: 735, contacted: 552, sent: 700, emailsSent: 700, opened: 0, clicked: 0, replied: 4, bounced: 18, unsubscribed: 0, completed: 152, interested: 0, opportunityValue: 0 }),
    );
    expect(result.records[4]?.metrics).toStrictEqual(metrics({}));
    expect(result.records[4]?.rates).toStrictEqual(nullRates);
  });

  it('numbers steps from 1: step 2 of a two-step sequence proves it, and a campaign whose rows prove nothing takes the fetch’s base', async () => {
    mock('analytics-live');
    mock('campaigns-live');
    mock('steps-live-1');
    mock('steps-live-2');
    for (const id of ids.slice(2)) {
      nock(ORIGIN, AUTH).get('/api/v2/campaigns/analytics/steps').query({ campaign_id: id }).reply(200, '[]', { 'content-type': 'application/json' });
    }
    const result = await fetchWith(analyticsQuery({ include: { steps: true, daily: false, raw: false } }));
    expect(result.warnings).toEqual([]);
    expect(result.records.map((r) => r.steps)).toEqual([
      [
        { step: 1, variant: 'A', sent: 500, opened: 0, clicked: 0, replied: 3, bounced: null },
        { step: 2, variant: 'A', sent: 200, opened: 0, clicked: 0, replied: 1, bounced: null },
      ],
      [{ step: 1, variant: 'A', sent: 610, opened: 0, clicked: 0, replied: 9, bounced: null }],
      [],
      [],
      [],
    ]);
  });
});

describe('step numbering from the campaign’s sequence', () => {
  const A = '019e18e2-b001-7a00-8000-00000000000a';
  const B = '019e18e2-b001-7a00-8000-00000000000b';

  function reply(path: string, query: Record<string, string>, body: unknown): void {
    nock(ORIGIN, AUTH).get(path).query(query).reply(200, JSON.stringify(body), { 'content-type': 'application/json' });
  }

  function account(stepsA: unknown[], stepsB: unknown[]): void {
    reply('/api/v2/campaigns/analytics', {}, [analyticsItem(A, 'Alpha'), analyticsItem(B, 'Beta')]);
    reply('/api/v2/campaigns', { limit: '100' }, { items: [listItem(A, 'Alpha', 3), listItem(B, 'Beta', 3)] });
    reply('/api/v2/campaigns/analytics/steps', { campaign_id: A }, stepsA);
    reply('/api/v2/campaigns/analytics/steps', { campaign_id: B }, stepsB);
  }

  const stepsOf = async (): Promise<(number[] | undefined)[]> => {
    const result = await fetchWith(analyticsQuery({ include: { steps: true, daily: false, raw: false } }));
    return result.records.map((r) => r.steps?.map((s) => s.step));
  };

  it('0-based: a window without step-0 sends is not shifted down when another campaign of the fetch proves the base', async () => {
    account([stepRow('0', 10), stepRow('1', 5), stepRow('2', 2)], [stepRow('1', 5), stepRow('2', 2)]);
    expect(await stepsOf()).toEqual([
      [1, 2, 3],
      [2, 3],
    ]);
  });

  it('1-based: step N of an N-step sequence proves it for the campaign and for the fetch', async () => {
    account([stepRow('1', 10), stepRow('2', 5), stepRow('3', 2)], [stepRow('1', 5)]);
    expect(await stepsOf()).toEqual([[1, 2, 3], [1]]);
  });

  it('each campaign’s own proof wins over the fetch’s (here they disagree)', async () => {
    account([stepRow('0', 10)], [stepRow('3', 2), stepRow('1', 4)]);
    expect(await stepsOf()).toEqual([[1], [1, 3]]);
  });

  it('nothing proves a base (rows within 1..N-1 everywhere): 1, the documented reading', async () => {
    account([stepRow('1', 10), stepRow('2', 5)], [stepRow('2', 2)]);
    expect(await stepsOf()).toEqual([[1, 2], [2]]);
  });

  it('reads no sequence when steps are not asked for: a list item’s odd sequences are then not even looked at', async () => {
    reply('/api/v2/campaigns/analytics', {}, [analyticsItem(A, 'Alpha')]);
    reply('/api/v2/campaigns', { limit: '100' }, { items: [{ ...listItem(A, 'Alpha', 3), sequences: 'garbage' }] });
    const result = await fetchWith(analyticsQuery());
    expect(result.warnings).toEqual([]);
    expect(result.records.map((r) => r.steps)).toEqual([null]);
  });
});

describe('probe', () => {
  it('walks the list only (limit=100 pages) and counts the campaigns and the calls', async () => {
    mock('campaigns-page-1');
    mock('campaigns-page-2');
    mock('campaigns-page-3-empty');
    const listed = new Set(
      ['campaigns-page-1', 'campaigns-page-2'].flatMap((name) => (fixture(name).body as { items: { id: string }[] }).items.map((item) => item.id)),
    );
    const http = client();
    const result = await probeInstantly(CONNECTION, http);
    expect(result).toEqual({ campaigns: listed.size, calls: 3, warnings: [] });
    expect(http.calls).toBe(3);
    expect(createInstantlyProvider().probe).toBe(probeInstantly);
  });

  it('counts a malformed item in its warnings, not in the campaigns', async () => {
    mock('campaigns-malformed-item');
    const result = await probeInstantly(CONNECTION, client());
    expect(result.campaigns).toBe((fixture('campaigns-malformed-item').body as { items: unknown[] }).items.length - 1);
    expect(result.warnings.map((w) => [w.code, w.path])).toEqual([['invalid_records', 'campaigns.1.name']]);
  });

  it('a rejected key is the usual unauthorized error, without the key', async () => {
    nock(ORIGIN, AUTH)
      .get('/api/v2/campaigns')
      .query({ limit: '100' })
      .reply(401, JSON.stringify(fixture('error-401').body), { 'content-type': 'application/json' });
    const error = await failure(probeInstantly(CONNECTION, client()));
    expect([error.code, error.status]).toEqual(['unauthorized', 401]);
  });
});

describe('auth headers', () => {
  it('sends exactly `Authorization: Bearer <key>` and no other credential header', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    nock(ORIGIN)
      .get('/api/v2/campaigns/analytics')
      .query({ ids: C1 })
      .reply(function reply() {
        seen.push({ ...this.req.headers });
        return [200, JSON.stringify(fixture('analytics-c1').body), { 'content-type': 'application/json' }];
      });
    await fetchWith(analyticsQuery({ campaignIds: [C1] }));
    expect(seen).toHaveLength(1);
    const headers = seen[0] ?? {};
    expect(headers.authorization).toBe(`Bearer ${CANARY_KEY}`);
    for (const name of ['x-api-key', 'x-workspace-id', 'x-as-workspace', 'cookie', 'proxy-authorization']) {
      expect(headers[name]).toBeUndefined();
    }
  });
});

describe('sub-workspaces (x-as-workspace)', () => {
  const SUB = 'sub-ws-019e18e2-client-a';
  const SUB_CONNECTION: ProviderConnection = { ...CONNECTION, vendorWorkspaceId: SUB };
  const everyCall = { steps: true, daily: true, raw: false };
  /** Requests that do not carry exactly these headers match no interceptor and fail the fetch. */
  const AS_SUB = {
    reqheaders: { authorization: `Bearer ${CANARY_KEY}`, 'x-as-workspace': SUB },
    badheaders: ['x-api-key', 'x-workspace-id', 'cookie'],
  };

  function mockAll(options: Parameters<typeof mockFixture>[2]): void {
    for (const name of ['analytics-documented', 'campaigns-documented', 'steps-c1', 'daily-c1', 'steps-c3-empty', 'daily-c3-empty']) {
      mockFixture(ORIGIN, fixture(name), options);
    }
  }

  it('instantlyHeaders adds the trimmed vendorWorkspaceId, and nothing when it is absent or blank', () => {
    expect(instantlyHeaders({ apiKey: 'k', vendorWorkspaceId: ` ${SUB}\t` })).toEqual({ Authorization: 'Bearer k', 'x-as-workspace': SUB });
    expect(instantlyHeaders({ apiKey: 'k' })).toEqual({ Authorization: 'Bearer k' });
    expect(instantlyHeaders({ apiKey: 'k', vendorWorkspaceId: '   ' })).toEqual({ Authorization: 'Bearer k' });
  });

  it('with a vendorWorkspaceId every call (analytics, list, steps, daily) carries x-as-workspace', async () => {
    mockAll(AS_SUB);
    const http = client();
    const result = await fetchWith(analyticsQuery({ include: everyCall }), http, SUB_CONNECTION);
    expect(http.calls).toBe(6);
    expect(result.records.map((r) => [r.key, r.steps?.length, r.daily?.length])).toEqual([
      [`acme-instantly:${C1}`, 4, 3],
      [`acme-instantly:${C3}`, 0, 0],
    ]);
  });

  it.each([
    ['no vendorWorkspaceId', CONNECTION],
    ['a blank vendorWorkspaceId', { ...CONNECTION, vendorWorkspaceId: '  ' }],
  ])('with %s no call carries x-as-workspace', async (_name, connection) => {
    mockAll(AUTH); // AUTH's badheaders include x-as-workspace
    const http = client();
    const result = await fetchWith(analyticsQuery({ include: everyCall }), http, connection);
    expect(http.calls).toBe(6);
    expect(result.records).toHaveLength(2);
  });

  it.each([
    [403, 'Forbidden', 'forbidden'],
    [401, 'Unauthorized', 'unauthorized'],
  ])('a %i for the sub-workspace (undocumented answer) is %s, never retried, without the key', async (status, error, code) => {
    const message = 'This API key cannot act on the requested workspace';
    nock(ORIGIN, AS_SUB)
      .get('/api/v2/campaigns/analytics')
      .query({ ids: C1 })
      .reply(status, JSON.stringify({ statusCode: status, error, message }), { 'content-type': 'application/json' });
    const http = client({ secrets: [CANARY_KEY] });
    const failed = await failure(fetchWith(analyticsQuery({ campaignIds: [C1] }), http, SUB_CONNECTION));
    expect([failed.code, failed.status, failed.message]).toEqual([code, status, `HTTP ${status}: ${error}: ${message}`]);
    expect(http.calls).toBe(1);
  });
});

describe('errors', () => {
  const ids = analyticsQuery({ campaignIds: [C1] });

  it.each([
    ['error-401', 'unauthorized', 401, 'HTTP 401: Unauthorized: Missing Authorization header'],
    ['error-402', 'payment_required', 402, 'HTTP 402: Payment Required: Workspace does not have an active paid plan'],
    ['error-403', 'forbidden', 403, 'HTTP 403: Forbidden: Insufficient scopes: campaigns:read required'],
    ['error-404', 'not_found', 404, 'HTTP 404: Not Found: Resource not found'],
  ])('%s maps to %s and is never retried', async (name, code, status, message) => {
    mock(name);
    const http = client();
    const error = await failure(fetchWith(ids, http));
    expect([error.code, error.status, error.message]).toEqual([code, status, message]);
    expect(http.calls).toBe(1);
  });

  it('a 400 on analytics is just {message}; bad_request, not retried', async () => {
    mock('error-400-date-range');
    const http = client();
    const error = await failure(fetchWith(analyticsQuery({ campaignIds: [C1], startDate: '2026-09-30', endDate: '2026-09-01' }), http));
    expect([error.code, error.status, error.message]).toEqual([
      'bad_request',
      400,
      'HTTP 400: Start Date must be earlier than End Date',
    ]);
    expect(http.calls).toBe(1);
  });

  it('a 429 with Retry-After: 0 is retried at once and the next attempt succeeds', async () => {
    mock('error-429-retry-after');
    mock('analytics-c1');
    const http = client();
    const result = await fetchWith(ids, http);
    expect(result.records).toStrictEqual([documentedRecord(null)]);
    expect(http.calls).toBe(2);
  });

  it('a 429 that persists is rate_limited after maxAttempts, carrying the Retry-After', async () => {
    mock('error-429-retry-after', { times: 3 });
    const http = client();
    const error = await failure(fetchWith(ids, http));
    expect([error.code, error.status, error.retryAfterMs]).toEqual(['rate_limited', 429, 0]);
    expect(error.toJSON()).toEqual({ code: 'rate_limited', message: 'HTTP 429: Too Many Requests: Rate limit exceeded', status: 429, retryAfterSeconds: 0 });
    expect(http.calls).toBe(3);
  });

  it('a 429 without Retry-After backs off and is rate_limited after maxAttempts', async () => {
    mock('error-429-no-retry-after', { times: 3 });
    const http = client();
    const error = await failure(fetchWith(ids, http));
    expect([error.code, error.status, error.retryAfterMs]).toEqual(['rate_limited', 429, undefined]);
    expect(http.calls).toBe(3);
  });

  it('a 500 is retried and the next attempt succeeds', async () => {
    mock('error-500');
    mock('analytics-c1');
    const http = client();
    const result = await fetchWith(ids, http);
    expect(result.records.map((r) => r.id)).toEqual([C1]);
    expect(http.calls).toBe(2);
  });

  it('a 500 that persists is upstream_unavailable after maxAttempts', async () => {
    mock('error-500', { times: 3 });
    const http = client();
    const error = await failure(fetchWith(ids, http));
    expect([error.code, error.status, error.message]).toEqual([
      'upstream_unavailable',
      500,
      'HTTP 500: Internal Server Error: An internal server error occurred',
    ]);
    expect(http.calls).toBe(3);
  });

  it('a key echoed by the vendor is redacted from the message', async () => {
    mock('error-401-echoes-key');
    const error = await failure(fetchWith(ids, client({ secrets: [CANARY_KEY] })));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('HTTP 401: Unauthorized: Invalid API key [REDACTED]');
  });

  it('a caller that already gave up gets aborted and no call is made', async () => {
    const controller = new AbortController();
    controller.abort();
    const http = client();
    const error = await failure(fetchWith(analyticsQuery({ campaignIds: [C1], signal: controller.signal }), http));
    expect(error.code).toBe('aborted');
  });
});

describe('provider', () => {
  it('is created with id instantly and fetches through the client', async () => {
    const provider = createInstantlyProvider();
    expect(provider.id).toBe('instantly');
    mock('analytics-c1');
    const result = await provider.fetchAnalytics(CONNECTION, analyticsQuery({ campaignIds: [C1] }), client());
    expect(result.records.map((r) => r.key)).toEqual([`acme-instantly:${C1}`]);
  });

  it.each([
    // [campaigns, include, campaignIds, calls]
    [0, { steps: false, daily: false, raw: false }, undefined, 2],
    [1, { steps: false, daily: false, raw: false }, undefined, 3],
    [100, { steps: false, daily: false, raw: false }, undefined, 3],
    [101, { steps: false, daily: false, raw: false }, undefined, 4],
    [250, { steps: true, daily: false, raw: false }, undefined, 1 + 4 + 250],
    [250, { steps: true, daily: true, raw: true }, undefined, 1 + 4 + 500],
    [250, { steps: false, daily: false, raw: false }, [C1, C2, C1], 1],
    [250, { steps: true, daily: true, raw: false }, [C1, C2, C1], 1 + 4],
    [250, { steps: true, daily: true, raw: false }, [], 0],
    // Ids that are not UUIDs are never sent, so they cost nothing.
    [250, { steps: true, daily: false, raw: false }, [C1, 'not-a-uuid'], 1 + 1],
    [250, { steps: true, daily: false, raw: false }, ['not-a-uuid'], 0],
  ])('estimateCalls(%i, %j, ids %j) = %i', (campaigns, include, campaignIds, calls) => {
    expect(estimateInstantlyCalls(campaigns, { include, campaignIds })).toBe(calls);
    expect(createInstantlyProvider().estimateCalls(campaigns, { include, campaignIds })).toBe(calls);
  });

  it('campaign ids are UUIDs, of any version and case', () => {
    const { isCampaignId } = createInstantlyProvider();
    expect([C1, C2, C1.toUpperCase(), 'f9cc070d-8dba-4341-b847-f083c358e460'].map(isCampaignId)).toEqual([true, true, true, true]);
    expect(['', '42', 'campaign_1', `${C1} `, `${C1}x`, C1.replace(/-/g, ''), '5f8a1b2c3d4e5f6a7b8c9d0e'].map(isCampaignId)).toEqual(Array(7).fill(false));
  });

  it('asks steps and daily for every campaign, from the analytics reply and from the list alike', async () => {
    mock('analytics-paged-campaigns');
    mock('campaigns-page-1');
    mock('campaigns-page-2');
    mock('campaigns-page-3-empty');
    for (const id of [C1, C2, C4, C5, C3]) {
      for (const path of ['/api/v2/campaigns/analytics/steps', '/api/v2/campaigns/analytics/daily']) {
        nock(ORIGIN, AUTH).get(path).query({ campaign_id: id }).reply(200, '[]', { 'content-type': 'application/json' });
      }
    }
    const http = client();
    const result = await fetchWith(analyticsQuery({ include: { steps: true, daily: true, raw: false } }), http);
    expect(result.records.map((r) => [r.id, r.steps, r.daily])).toEqual([
      [C1, [], []],
      [C2, [], []],
      [C4, [], []],
      [C5, [], []],
      [C3, [], []],
    ]);
    // The analytics call, three list pages, one steps and one daily call per campaign.
    expect(http.calls).toBe(1 + 3 + 10);
  });
});

describe('fixtures', () => {
  it('every Instantly fixture is exercised by a test in this file or in documented.test.ts', () => {
    for (const name of DOCUMENTED_FIXTURES) used.add(name);
    const files = readdirSync(join(FIXTURES_DIR, 'instantly'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace(/\.json$/, ''))
      .sort();
    expect(files.length).toBeGreaterThan(30);
    expect(files.filter((name) => !used.has(name))).toEqual([]);
  });
});
