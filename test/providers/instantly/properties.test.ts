/**
 * Property tests of the Instantly fetch path (client.ts and map.ts, with the HTTP layer replaced by
 * canned replies): for generated vendor records, every normalized metric, step and daily count and
 * `createdAt` is the vendor's number, or null because the vendor sent nothing, or null with the
 * field's path named in the `invalid_fields` warning; no campaign is lost over a count; rows that
 * are not steps are counted in `skipped_rows`.
 */
import fc from 'fast-check';
import type { GetJsonRequest, HttpClient, JsonResponse } from '../../../src/http/client';
import {
  INSTANTLY_ANALYTICS_PATH,
  INSTANTLY_CAMPAIGNS_PATH,
  INSTANTLY_DAILY_PATH,
  INSTANTLY_STEPS_PATH,
  fetchInstantlyAnalytics,
} from '../../../src/providers/instantly/client';
import type { SourceWarning } from '../../../src/providers/types';
import { CampaignAnalyticsSchema } from '../../../src/schema/campaign';
import { ABSENT, expectCount, expectedCount, invalidFields, put, vendorCount } from '../../helpers/vendor-values';
import { CONNECTION, analyticsQuery } from './helpers';

const ANALYTICS_COUNTS = [
  'leads_count',
  'contacted_count',
  'emails_sent_count',
  'open_count',
  'open_count_unique',
  'reply_count',
  'reply_count_unique',
  'link_click_count',
  'link_click_count_unique',
  'bounced_count',
  'unsubscribed_count',
  'completed_count',
  'total_opportunities',
  'total_opportunity_value',
] as const;
const STEP_COUNTS = ['sent', 'opened', 'unique_opened', 'replies', 'unique_replies', 'clicks', 'unique_clicks'] as const;
const DAILY_COUNTS = [...STEP_COUNTS, 'opportunities', 'unique_opportunities'] as const;

type Counts<K extends string> = Record<K, unknown>;

const counts = <K extends string>(fields: readonly K[]): fc.Arbitrary<Counts<K>> =>
  fc.record(Object.fromEntries(fields.map((field) => [field, vendorCount])));

/** A vendor timestamp: a real one, nothing, or garbage. */
const vendorDate = fc.oneof(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString()),
  fc.constantFrom<unknown>(ABSENT, null, ''),
  fc.constantFrom<unknown>('not a date', '2026-13-45', {}, true),
);

interface GeneratedCampaign {
  /** Its analytics record's counts; undefined when it has none (not sent yet). */
  analytics: Counts<(typeof ANALYTICS_COUNTS)[number]> | undefined;
  created: unknown;
  /** Steps in the sequence; each gets one row (so step N proves the numbering). */
  steps: Counts<(typeof STEP_COUNTS)[number]>[];
  /** Rows the vendor could not place: `step` null or "null". */
  unplaced: unknown[];
  daily: Counts<(typeof DAILY_COUNTS)[number]>[];
}

const campaignArb: fc.Arbitrary<GeneratedCampaign> = fc.record({
  analytics: fc.option(counts(ANALYTICS_COUNTS), { nil: undefined, freq: 4 }),
  created: vendorDate,
  steps: fc.array(counts(STEP_COUNTS), { minLength: 1, maxLength: 3 }),
  unplaced: fc.array(fc.constantFrom<unknown>(null, 'null'), { maxLength: 2 }),
  daily: fc.array(counts(DAILY_COUNTS), { maxLength: 3 }),
});

function idOf(index: number): string {
  return `019e18e2-b001-7a00-8000-${String(index).padStart(12, '0')}`;
}

function withCounts(target: Record<string, unknown>, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  for (const [key, value] of Object.entries(values)) put(target, key, value);
  return target;
}

/** The replies of one generated account, by path and campaign id. */
function replies(campaigns: readonly GeneratedCampaign[]): HttpClient {
  const analytics = campaigns.flatMap((c, i) =>
    c.analytics === undefined ? [] : [withCounts({ campaign_id: idOf(i), campaign_name: `Campaign ${i}`, campaign_status: 1 }, c.analytics)],
  );
  const items = campaigns.map((c, i) => {
    const item: Record<string, unknown> = { id: idOf(i), name: `Campaign ${i}`, status: 1, sequences: [{ steps: c.steps.map(() => ({ type: 'email', delay: 1, variants: [] })) }] };
    put(item, 'timestamp_created', c.created);
    return item;
  });
  const byId = new Map(campaigns.map((c, i) => [idOf(i), c]));
  let calls = 0;
  const answer = (request: GetJsonRequest): unknown => {
    if (request.path === INSTANTLY_ANALYTICS_PATH) return analytics;
    if (request.path === INSTANTLY_CAMPAIGNS_PATH) return request.query?.starting_after === undefined ? { items } : { items: [] };
    const c = byId.get(String(request.query?.campaign_id));
    if (c === undefined) throw new Error(`unexpected ${request.path}`);
    if (request.path === INSTANTLY_STEPS_PATH) {
      return [
        ...c.steps.map((values, s) => withCounts({ step: String(s + 1), variant: '0' }, values)),
        ...c.unplaced.map((step) => ({ step, variant: null, sent: 1 })),
      ];
    }
    if (request.path === INSTANTLY_DAILY_PATH) return c.daily.map((values, d) => withCounts({ date: `2026-09-${String(d + 1).padStart(2, '0')}` }, values));
    throw new Error(`unexpected ${request.path}`);
  };
  return {
    provider: 'instantly',
    get calls() {
      return calls;
    },
    getJson(request: GetJsonRequest): Promise<JsonResponse> {
      calls += 1;
      return Promise.resolve({ status: 200, headers: {}, data: answer(request) });
    },
  };
}

/** `*_unique` first, the plain count when the unique one is not a count. */
function expectPreferred(actual: number | null, values: Readonly<Record<string, unknown>>, unique: string, plain: string, prefix: string, warnings: readonly SourceWarning[]): void {
  const preferred = expectedCount(values[unique]);
  if (preferred.garbage) expect({ path: prefix + unique, named: (invalidFields(warnings)[prefix + unique] ?? 0) > 0 }).toEqual({ path: prefix + unique, named: true });
  if (preferred.value !== null) expect({ path: prefix + unique, value: actual }).toEqual({ path: prefix + unique, value: preferred.value });
  else expectCount(actual, values[plain], prefix + plain, warnings);
}

describe('Instantly: every metric is the vendor’s number, null because absent, or null with its path named', () => {
  it('holds for generated accounts (analytics, list, steps, daily)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(campaignArb, { minLength: 1, maxLength: 4 }), async (campaigns) => {
        const result = await fetchInstantlyAnalytics(CONNECTION, analyticsQuery({ include: { steps: true, daily: true, raw: false } }), replies(campaigns));
        const { warnings } = result;
        // No campaign is lost over a count or a date; the only record-level warning would be for identity.
        expect(warnings.map((w) => w.code).filter((code) => code !== 'invalid_fields' && code !== 'skipped_rows')).toEqual([]);
        expect(result.records).toHaveLength(campaigns.length);
        const byId = new Map(result.records.map((record) => [record.id, record]));
        let unplaced = 0;
        campaigns.forEach((c, i) => {
          const record = byId.get(idOf(i));
          if (record === undefined) throw new Error(`campaign ${i} missing`);
          expect(CampaignAnalyticsSchema.parse(record)).toStrictEqual(record);
          // createdAt: the list item's timestamp_created.
          const created = expectedDate(c.created);
          expect(record.createdAt).toBe(created.value);
          if (created.garbage) expect(invalidFields(warnings).timestamp_created ?? 0).toBeGreaterThan(0);

          const a = c.analytics;
          const m = record.metrics;
          if (a === undefined) {
            // Listed without an analytics record: every metric null.
            expect(Object.values(m).every((value) => value === null)).toBe(true);
          } else {
            expectCount(m.leads, a.leads_count, 'leads_count', warnings);
            expectCount(m.contacted, a.contacted_count, 'contacted_count', warnings);
            expectCount(m.sent, a.emails_sent_count, 'emails_sent_count', warnings);
            expectCount(m.emailsSent, a.emails_sent_count, 'emails_sent_count', warnings);
            expectPreferred(m.opened, a, 'open_count_unique', 'open_count', '', warnings);
            expectPreferred(m.clicked, a, 'link_click_count_unique', 'link_click_count', '', warnings);
            expectPreferred(m.replied, a, 'reply_count_unique', 'reply_count', '', warnings);
            expectCount(m.bounced, a.bounced_count, 'bounced_count', warnings);
            expectCount(m.unsubscribed, a.unsubscribed_count, 'unsubscribed_count', warnings);
            expectCount(m.completed, a.completed_count, 'completed_count', warnings);
            expectCount(m.interested, a.total_opportunities, 'total_opportunities', warnings);
            expectCount(m.opportunityValue, a.total_opportunity_value, 'total_opportunity_value', warnings);
          }

          // Steps: one per sequence step, numbered 1..N; unplaced rows skipped.
          expect(record.steps?.map((s) => s.step)).toEqual(c.steps.map((_, s) => s + 1));
          c.steps.forEach((values, s) => {
            const step = record.steps?.[s];
            expectCount(step?.sent ?? null, values.sent, 'steps.sent', warnings);
            expectPreferred(step?.opened ?? null, values, 'unique_opened', 'opened', 'steps.', warnings);
            expectPreferred(step?.clicked ?? null, values, 'unique_clicks', 'clicks', 'steps.', warnings);
            expectPreferred(step?.replied ?? null, values, 'unique_replies', 'replies', 'steps.', warnings);
          });
          unplaced += c.unplaced.length;

          expect(record.daily).toHaveLength(c.daily.length);
          c.daily.forEach((values, d) => {
            const day = record.daily?.[d];
            expectCount(day?.sent ?? null, values.sent, 'daily.sent', warnings);
            expectPreferred(day?.opened ?? null, values, 'unique_opened', 'opened', 'daily.', warnings);
            expectPreferred(day?.clicked ?? null, values, 'unique_clicks', 'clicks', 'daily.', warnings);
            expectPreferred(day?.replied ?? null, values, 'unique_replies', 'replies', 'daily.', warnings);
            expectPreferred(day?.interested ?? null, values, 'unique_opportunities', 'opportunities', 'daily.', warnings);
          });
        });
        const skipped = warnings.find((w) => w.code === 'skipped_rows');
        expect(skipped?.fields ?? {}).toEqual(unplaced === 0 ? {} : { 'steps.step': unplaced });
        // Nothing is named that was not unreadable.
        for (const path of Object.keys(invalidFields(warnings))) expect(NAMEABLE.has(path)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('a garbage count ("lots") keeps its campaign with that metric null and a warning naming its path', async () => {
    const campaign: GeneratedCampaign = {
      analytics: { ...(Object.fromEntries(ANALYTICS_COUNTS.map((field) => [field, 1])) as Counts<(typeof ANALYTICS_COUNTS)[number]>), leads_count: 'lots' },
      created: '2026-09-01T00:00:00.000Z',
      steps: [Object.fromEntries(STEP_COUNTS.map((field) => [field, 2])) as Counts<(typeof STEP_COUNTS)[number]>],
      unplaced: [],
      daily: [],
    };
    const result = await fetchInstantlyAnalytics(CONNECTION, analyticsQuery(), replies([campaign]));
    expect(result.records.map((r) => [r.id, r.metrics.leads, r.metrics.contacted])).toEqual([[idOf(0), null, 1]]);
    expect(result.warnings).toEqual([
      { code: 'invalid_fields', message: '1 value(s) present but unreadable, mapped as null: leads_count (1)', count: 1, path: 'leads_count', fields: { leads_count: 1 } },
    ]);
  });
});

/** Every path the mapper may name: the count fields (with their prefixes) and the list's timestamp. */
const NAMEABLE = new Set<string>([
  ...ANALYTICS_COUNTS,
  ...STEP_COUNTS.map((field) => `steps.${field}`),
  ...DAILY_COUNTS.map((field) => `daily.${field}`),
  'timestamp_created',
]);

/** What the mapper must make of a vendor timestamp. */
function expectedDate(value: unknown): { value: string | null; garbage: boolean } {
  if (value === ABSENT || value === null || value === undefined || value === '') return { value: null, garbage: false };
  if (typeof value !== 'string') return { value: null, garbage: true };
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? { value: null, garbage: true } : { value: new Date(ms).toISOString(), garbage: false };
}
