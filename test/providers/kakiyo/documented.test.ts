/**
 * Kakiyo as documented: the docs' two analytics examples (the full one and the minimal one,
 * https://docs.kakiyo.com/api-reference/analytics/campaigns) mapped through the real fetch path
 * with exact values; and the simulator's replies, in every list-envelope mode, read with the SAME
 * schemas and functions the client uses for the fixtures (list envelope and items, analytics
 * envelope and record, nested objects, daily rows), mapped with nothing noted, and shaped exactly
 * like the documented example, so the simulator cannot drift from the docs.
 */
import { createHttpClient, type HttpClient } from '../../../src/http/client';
import { createKakiyoProvider } from '../../../src/providers/kakiyo';
import { KAKIYO_LIST_LIMIT, nextKakiyoCursor, readKakiyoListPage } from '../../../src/providers/kakiyo/client';
import { mapKakiyoCampaign } from '../../../src/providers/kakiyo/map';
import {
  KakiyoActivitySchema,
  KakiyoAnalyticsEnvelopeSchema,
  KakiyoCampaignAnalyticsSchema,
  KakiyoDailyRowSchema,
  KakiyoListItemSchema,
  KakiyoMetricsSchema,
  KakiyoStatusDistributionSchema,
} from '../../../src/providers/kakiyo/schema';
import { FieldIssues } from '../../../src/providers/shared';
import type { ProviderConnection } from '../../../src/providers/types';
import { emptyMetrics } from '../../../src/schema/campaign';
import { startSimulator, type KakiyoEnvelope, type VendorSimulator } from '../../../src/simulator';
import { REFERENCE_DATE, kakiyoKey } from '../../simulator/helpers';
import { CONNECTION, documentedRecord, fixture, http, mockAll, query } from './helpers';

const provider = createKakiyoProvider();
const DAILY = { steps: false, daily: true, raw: false };

describe('the documented examples, through the real fetch path', () => {
  it('maps the full example exactly (analytics-documented)', async () => {
    mockAll('analytics-documented', 'analytics-documented');
    const client = http();
    expect(await provider.fetchAnalytics(CONNECTION, query({ campaignIds: ['campaign_123'] }), client)).toEqual({
      records: [documentedRecord()],
      warnings: [],
    });
    expect(await provider.fetchAnalytics(CONNECTION, query({ campaignIds: ['campaign_123'], include: DAILY }), client)).toEqual({
      records: [documentedRecord({ daily: true })],
      warnings: [],
    });
  });

  it('maps the minimal example exactly: leads from totalProspects, everything else not reported (analytics-documented-minimal)', async () => {
    mockAll('analytics-documented-minimal');
    const client = http();
    const result = await provider.fetchAnalytics(CONNECTION, query({ campaignIds: ['campaign_123'], include: DAILY }), client);
    expect(result).toEqual({
      records: [
        {
          key: 'acme-kakiyo:campaign_123',
          id: 'campaign_123',
          provider: 'kakiyo',
          connection: 'acme-kakiyo',
          workspace: 'acme',
          name: 'Q4 Enterprise Outreach',
          status: 'unknown',
          vendorStatus: '',
          channels: ['linkedin'],
          createdAt: null,
          // conversionRate is the vendor's percentage: the gateway computes its own rates.
          metrics: { ...emptyMetrics(), leads: 150 },
          rates: { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null },
          averageReplySeconds: null,
          steps: null,
          daily: null,
          leadStatus: null,
        },
      ],
      warnings: [],
    });
    expect(client.calls).toBe(1);
  });
});

/** Keys of a JSON value, recursively, as dotted paths (arrays: their first element). */
function shape(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [`${prefix}[]`] : shape(value[0], `${prefix}[]`);
  if (value === null || typeof value !== 'object') return [`${prefix}:${typeof value}`];
  return Object.keys(value)
    .sort()
    .flatMap((key) => shape((value as Record<string, unknown>)[key], prefix === '' ? key : `${prefix}.${key}`));
}

const KEY = kakiyoKey('documented');
const ENVELOPES: readonly KakiyoEnvelope[] = ['campaigns', 'array', 'data', 'data-campaigns'];

describe.each(ENVELOPES)("the simulator's replies, envelope '%s'", (envelope) => {
  let sim: VendorSimulator;
  let client: HttpClient;
  const connection: ProviderConnection = { id: 'acme-kakiyo', workspace: 'acme', apiKey: KEY };

  beforeAll(async () => {
    sim = await startSimulator('kakiyo', {
      referenceDate: REFERENCE_DATE,
      accounts: [{ label: 'Acme', apiKey: KEY, seed: 41, campaigns: 23 }],
      envelope,
      rateLimit: { rules: [] },
    });
  });
  beforeEach(() => {
    client = createHttpClient({ provider: 'kakiyo', baseUrl: sim.url, retry: { baseDelayMs: 1 }, random: () => 0, secrets: [KEY] });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Walks the list with the client's own reader and cursor rules; returns every page's items. */
  async function listPages(): Promise<unknown[][]> {
    const pages: unknown[][] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i += 1) {
      const response = await client.getJson({
        path: '/v1/campaigns',
        query: { limit: KAKIYO_LIST_LIMIT, after },
        headers: { Authorization: `Bearer ${KEY}` },
      });
      const page = readKakiyoListPage(response.data);
      pages.push(page.items);
      after = nextKakiyoCursor(page, KAKIYO_LIST_LIMIT);
      if (after === undefined) break;
    }
    return pages;
  }

  it('serves list pages the client reads, every item valid, 20 to a page', async () => {
    const pages = await listPages();
    expect(pages.map((items) => items.length)).toEqual([20, 3]);
    for (const item of pages.flat()) {
      expect(KakiyoListItemSchema.safeParse(item).success).toBe(true);
      // The introduction's example object, field for field: nothing more convenient than the docs.
      expect(Object.keys(item as object)).toEqual(['id', 'name', 'status']);
    }
    expect(new Set(pages.flat().map((item) => (item as { id: string }).id)).size).toBe(23);
  });

  it('serves analytics replies that pass every schema, map with nothing noted, and have the documented shape', async () => {
    const ids = (await listPages()).flat().map((item) => KakiyoListItemSchema.parse(item).id);
    const documentedShape = shape(fixture('analytics-documented').body);
    for (const id of ids) {
      const body = (await client.getJson({ path: `/v1/analytics/campaigns/${id}`, headers: { Authorization: `Bearer ${KEY}` } })).data;
      expect(KakiyoAnalyticsEnvelopeSchema.safeParse(body).success).toBe(true);
      const reply = KakiyoCampaignAnalyticsSchema.parse(body);
      expect(reply.campaign.id).toBe(id);
      expect(KakiyoMetricsSchema.safeParse(reply.metrics).success).toBe(true);
      expect(KakiyoStatusDistributionSchema.safeParse(reply.statusDistribution).success).toBe(true);
      const rows = KakiyoActivitySchema.parse(reply.activity).dailyBreakdown ?? [];
      const daily = rows.map((row) => KakiyoDailyRowSchema.parse(row));
      const issues = new FieldIssues();
      const record = mapKakiyoCampaign(connection, { id: String(id), reply, daily }, DAILY, issues);
      expect(issues.fields()).toEqual({});
      expect(record.metrics.leads).not.toBeNull();
      // A draft has no activity yet: its breakdown is an empty array.
      const expected = rows.length === 0 ? documentedShape.filter((path) => !path.startsWith('activity.dailyBreakdown[].')).concat('activity.dailyBreakdown[]') : documentedShape;
      expect(shape(body).sort()).toEqual([...expected].sort());
    }
  });

  it('is walked by the provider with no warning: one list call per page of 20, one analytics call per campaign', async () => {
    const result = await provider.fetchAnalytics(connection, query(), client);
    expect(result.records).toHaveLength(23);
    expect(result.warnings).toEqual([]);
    expect(client.calls).toBe(2 + 23);
    expect(client.calls).toBeLessThanOrEqual(provider.estimateCalls(23, query()));
  });

  it('is probed with the list walk alone: 23 campaigns for 2 calls', async () => {
    sim.resetStats();
    expect(await provider.probe?.(connection, client)).toEqual({ campaigns: 23, calls: 2, warnings: [] });
    expect(sim.stats().byRoute).toEqual({ 'GET /v1/campaigns': 2 });
  });
});

describe("the simulator's minimal analytics replies (analyticsShape 'minimal')", () => {
  let sim: VendorSimulator;
  beforeAll(async () => {
    sim = await startSimulator('kakiyo', {
      referenceDate: REFERENCE_DATE,
      accounts: [{ label: 'Acme', apiKey: KEY, seed: 44, campaigns: 5 }],
      analyticsShape: 'minimal',
      rateLimit: { rules: [] },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('have exactly the shape of the docs minimal example, and map to leads with everything else not reported', async () => {
    const client = createHttpClient({ provider: 'kakiyo', baseUrl: sim.url, retry: { baseDelayMs: 1 }, random: () => 0, secrets: [KEY] });
    const connection: ProviderConnection = { id: 'acme-kakiyo', workspace: 'acme', apiKey: KEY };
    const result = await provider.fetchAnalytics(connection, query({ include: DAILY }), client);
    expect(result.warnings).toEqual([]);
    expect(result.records).toHaveLength(5);
    for (const record of result.records) {
      const body = (await client.getJson({ path: `/v1/analytics/campaigns/${record.id}`, headers: { Authorization: `Bearer ${KEY}` } })).data;
      expect(shape(body)).toEqual(shape(fixture('analytics-documented-minimal').body));
      const reply = KakiyoCampaignAnalyticsSchema.parse(body);
      expect(record.metrics).toEqual({ ...emptyMetrics(), leads: KakiyoMetricsSchema.parse(reply.metrics).totalProspects });
      expect([record.status, record.vendorStatus, record.createdAt, record.daily, record.leadStatus]).toEqual(['unknown', '', null, null, null]);
    }
  });
});

describe('the simulator at an exact multiple of 20 (40 campaigns)', () => {
  const sims: VendorSimulator[] = [];
  afterAll(async () => {
    await Promise.all(sims.map((sim) => sim.close()));
  });

  it.each<[KakiyoEnvelope, number]>([
    // A cursor (or hasMore) says the second full page is the last.
    ['campaigns', 2],
    ['data', 2],
    ['data-campaigns', 2],
    // A bare array cannot say so: a full page means maybe more, so one more (empty) page is read.
    ['array', 3],
  ])("envelope '%s': the probe spends %i list calls, never more than the estimate allows", async (envelope, calls) => {
    const sim = await startSimulator('kakiyo', {
      referenceDate: REFERENCE_DATE,
      accounts: [{ label: 'Acme', apiKey: KEY, seed: 42, campaigns: 40 }],
      envelope,
      rateLimit: { rules: [] },
    });
    sims.push(sim);
    const client = createHttpClient({ provider: 'kakiyo', baseUrl: sim.url, retry: { baseDelayMs: 1 }, random: () => 0, secrets: [KEY] });
    const connection: ProviderConnection = { id: 'acme-kakiyo', workspace: 'acme', apiKey: KEY };
    expect(await provider.probe?.(connection, client)).toEqual({ campaigns: 40, calls, warnings: [] });
    expect(calls + 40).toBeLessThanOrEqual(provider.estimateCalls(40, query()));
  });

  it('a rejected key fails the probe as unauthorized after one call', async () => {
    const sim = await startSimulator('kakiyo', { accounts: [{ label: 'Acme', apiKey: KEY, seed: 43, campaigns: 3 }], rateLimit: { rules: [] } });
    sims.push(sim);
    const wrong = kakiyoKey('wrong');
    const client = createHttpClient({ provider: 'kakiyo', baseUrl: sim.url, retry: { baseDelayMs: 1 }, random: () => 0, secrets: [wrong] });
    await expect(provider.probe?.({ id: 'acme-kakiyo', workspace: 'acme', apiKey: wrong }, client)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    expect(client.calls).toBe(1);
  });
});
