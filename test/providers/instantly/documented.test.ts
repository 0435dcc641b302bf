/**
 * Instantly against its documentation: fixtures built from the spec's examples are mapped to exact
 * records, and the simulator's replies pass the very schemas the client parses those fixtures with,
 * field for field of the same JSON types, so the simulator cannot drift from the docs unnoticed.
 */
import type { z } from 'zod';
import { createHttpClient, type HttpClient } from '../../../src/http/client';
import { fetchInstantlyAnalytics, instantlySequenceSteps, probeInstantly } from '../../../src/providers/instantly/client';
import {
  InstantlyAnalyticsEnvelopeSchema,
  InstantlyCampaignAnalyticsSchema,
  InstantlyCampaignPageSchema,
  InstantlyCampaignSchema,
  InstantlyDailyRowSchema,
  InstantlyRowsEnvelopeSchema,
  InstantlyStepRowSchema,
} from '../../../src/providers/instantly/schema';
import { CampaignAnalyticsSchema } from '../../../src/schema/campaign';
import { startSimulator, type SimulatorOptions, type VendorSimulator } from '../../../src/simulator';
import { loadFixture, mockFixture } from '../../helpers/fixtures';
import { C3, CANARY_KEY, CONNECTION, DOCUMENTED_FIXTURES, ORIGIN, analyticsQuery, documentedRecord, metrics } from './helpers';

type Json = ReturnType<typeof JSON.parse>;

const body = (name: string): Json => loadFixture('instantly', name).body;

/** The JSON type of a value as the drift check compares it. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Each field of `keys` that `record` holds, with its JSON type. */
function fieldTypes(record: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => key in record).map((key) => [key, jsonType(record[key])]));
}

/** The field names a zod object schema declares. */
function keysOf(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

describe('the documented examples, mapped exactly', () => {
  it.each(DOCUMENTED_FIXTURES)('%s parses with the client’s schemas', (name) => {
    const data = body(name);
    if (name === 'campaigns-documented') {
      const page = InstantlyCampaignPageSchema.parse(data);
      for (const item of page.items) {
        expect(InstantlyCampaignSchema.safeParse(item).success).toBe(true);
        expect(instantlySequenceSteps(item)).toBeGreaterThan(0);
      }
      return;
    }
    const rows = (name === 'analytics-documented' ? InstantlyAnalyticsEnvelopeSchema : InstantlyRowsEnvelopeSchema).parse(data);
    const schema = { 'analytics-documented': InstantlyCampaignAnalyticsSchema, 'steps-documented': InstantlyStepRowSchema, 'daily-documented': InstantlyDailyRowSchema }[name];
    for (const row of rows) expect(schema.safeParse(row).success).toBe(true);
  });

  it('analytics, list, steps and daily of the spec’s examples give these two whole records', async () => {
    for (const name of [...DOCUMENTED_FIXTURES, 'steps-c3-empty', 'daily-c3-empty']) {
      mockFixture(ORIGIN, loadFixture('instantly', name), { reqheaders: { authorization: `Bearer ${CANARY_KEY}` } });
    }
    const http = createHttpClient({ provider: 'instantly', baseUrl: ORIGIN, retry: { baseDelayMs: 1, maxAttempts: 1 } });
    const result = await fetchInstantlyAnalytics({ ...CONNECTION, concurrency: 1 }, analyticsQuery({ include: { steps: true, daily: true, raw: false } }), http);
    expect(result.warnings).toEqual([]);
    expect(result.records).toStrictEqual([
      {
        ...documentedRecord('2026-08-03T09:15:27.512Z'),
        // The spec's row: step "1" of a three-step sequence proves no base; 1 applies. Unique counts preferred.
        steps: [{ step: 1, variant: 'A', sent: 5421, opened: 60, clicked: 60, replied: 60, bounced: null }],
        daily: [{ date: '1970-01-01', sent: 5421, opened: 60, clicked: 60, replied: 60, interested: 3 }],
      },
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
        rates: { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null },
        averageReplySeconds: null,
        steps: [],
        daily: [],
        leadStatus: null,
      },
    ]);
    expect(http.calls).toBe(6);
  });
});

describe('the simulator serves what the docs describe', () => {
  const KEY = 'instantly-documented-key';
  const ACCOUNT = { label: 'Docs', apiKey: KEY, seed: 31, campaigns: 60 };
  const auth = { authorization: `Bearer ${KEY}` };
  const documented = {
    analytics: (body('analytics-documented') as Json[])[0] as Record<string, unknown>,
    item: (body('campaigns-documented')).items[0] as Record<string, unknown>,
    step: (body('steps-documented') as Json[])[0] as Record<string, unknown>,
    daily: (body('daily-documented') as Json[])[0] as Record<string, unknown>,
  };

  async function getJson(sim: VendorSimulator, path: string): Promise<Json> {
    const response = await fetch(`${sim.url}${path}`, { headers: auth });
    expect(response.status).toBe(200);
    return response.json();
  }

  /** Every record passes `schema` and holds each declared field with the documented example's JSON type (null allowed where the spec allows it). */
  function expectDocumented(records: readonly Json[], schema: z.ZodObject, example: Record<string, unknown>, nullable: readonly string[] = []): void {
    expect(records.length).toBeGreaterThan(0);
    const keys = keysOf(schema);
    const expected = fieldTypes(example, keys);
    for (const record of records) {
      expect(schema.safeParse(record).success).toBe(true);
      const types = fieldTypes(record, keys);
      for (const field of nullable) if (types[field] === 'null') types[field] = expected[field] ?? 'null';
      expect(types).toEqual(Object.fromEntries(Object.keys(types).map((key) => [key, expected[key]])));
    }
  }

  describe.each<[string, Partial<SimulatorOptions>]>([
    ['default modes', {}],
    ['instantlyAnalytics live, instantlyStepBase 0', { instantlyAnalytics: 'live', instantlyStepBase: 0 }],
  ])('%s', (_name, modes) => {
    let sim: VendorSimulator;
    let http: HttpClient;

    beforeAll(async () => {
      // Unlimited: this is about shapes; 100 calls/s would otherwise answer 429 to a fast walk.
      sim = await startSimulator('instantly', { referenceDate: '2026-06-30', accounts: [ACCOUNT], rateLimit: { rules: [] }, ...modes });
    });

    beforeEach(() => {
      http = createHttpClient({ provider: 'instantly', baseUrl: sim.url, retry: { baseDelayMs: 1, maxAttempts: 1 } });
    });

    afterAll(async () => {
      await sim.close();
    });

    it('analytics records, list items, steps and daily rows have the documented fields and types', async () => {
      const analytics = InstantlyAnalyticsEnvelopeSchema.parse(await getJson(sim, '/api/v2/campaigns/analytics'));
      expectDocumented(analytics, InstantlyCampaignAnalyticsSchema, documented.analytics);
      const page = InstantlyCampaignPageSchema.parse(await getJson(sim, '/api/v2/campaigns?limit=100'));
      expectDocumented(page.items, InstantlyCampaignSchema, documented.item);
      for (const item of page.items) expect(instantlySequenceSteps(item)).toBeGreaterThan(0);
      for (const record of analytics.slice(0, 8) as Json[]) {
        const steps = InstantlyRowsEnvelopeSchema.parse(await getJson(sim, `/api/v2/campaigns/analytics/steps?campaign_id=${record.campaign_id}`));
        // `step` and `variant` are `string | null` in the spec; "null" is a string too.
        expectDocumented(steps, InstantlyStepRowSchema, documented.step, ['step', 'variant']);
        const daily = InstantlyRowsEnvelopeSchema.parse(await getJson(sim, `/api/v2/campaigns/analytics/daily?campaign_id=${record.campaign_id}`));
        expectDocumented(daily, InstantlyDailyRowSchema, documented.daily);
      }
    });

    it('the provider maps every campaign of it without an unreadable field; unplaced step rows are the only thing skipped', async () => {
      const result = await fetchInstantlyAnalytics(
        { ...CONNECTION, apiKey: KEY },
        analyticsQuery({ include: { steps: true, daily: true, raw: false }, startDate: '2026-05-01', endDate: '2026-06-30' }),
        http,
      );
      expect(result.records).toHaveLength(ACCOUNT.campaigns);
      expect(result.warnings.map((w) => w.code).filter((code) => code !== 'skipped_rows')).toEqual([]);
      expect(result.warnings.find((w) => w.code === 'skipped_rows')?.fields).toEqual({ 'steps.step': expect.any(Number) });
      const items = (await getJson(sim, '/api/v2/campaigns?limit=100')).items.concat(
        (await getJson(sim, `/api/v2/campaigns?limit=100&starting_after=${(await getJson(sim, '/api/v2/campaigns?limit=100')).next_starting_after}`)).items,
      );
      const sequence = new Map<string, number | null>(items.map((item: Json) => [item.id, instantlySequenceSteps(item)]));
      for (const record of result.records) {
        expect(CampaignAnalyticsSchema.parse(record)).toStrictEqual(record);
        // Whatever base the simulator numbers from, the normalized steps run 1..N of the sequence.
        for (const step of record.steps ?? []) expect(step.step).toBeGreaterThanOrEqual(1);
        for (const step of record.steps ?? []) expect(step.step).toBeLessThanOrEqual(sequence.get(record.id) ?? 0);
        if ((record.steps ?? []).length > 0) expect(record.steps?.[0]?.step).toBe(1);
      }
      // Campaigns that have not sent are listed with null metrics.
      expect(result.records.some((r) => r.status === 'draft' && r.metrics.sent === null)).toBe(true);
    });

    it('probe: the list walk alone counts every campaign', async () => {
      const result = await probeInstantly({ ...CONNECTION, apiKey: KEY }, http);
      expect(result).toEqual({ campaigns: ACCOUNT.campaigns, calls: Math.ceil(ACCOUNT.campaigns / 100) + 1, warnings: [] });
    });
  });
});
