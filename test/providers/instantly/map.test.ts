/**
 * The pure Instantly mapping: records, statuses, the step-numbering rule, variants and daily rows,
 * each with the `FieldIssues` it notes.
 */
import { FieldIssues } from '../../../src/providers/shared';
import {
  INSTANTLY_STATUS,
  instantlyFetchStepBase,
  instantlyStepBase,
  instantlyStepBaseEvidence,
  instantlyStepNumber,
  mapInstantlyCampaign,
  mapInstantlyDaily,
  mapInstantlyMetrics,
  mapInstantlySteps,
  mapVariant,
  variantLetters,
  type InstantlyCampaignSource,
} from '../../../src/providers/instantly/map';
import { instantlySequenceSteps } from '../../../src/providers/instantly/client';
import {
  InstantlyCampaignAnalyticsSchema,
  InstantlyCampaignPageSchema,
  InstantlyCampaignSchema,
  InstantlyDailyRowSchema,
  InstantlyStepRowSchema,
  type InstantlyStepRow,
} from '../../../src/providers/instantly/schema';
import { CampaignAnalyticsSchema } from '../../../src/schema/campaign';
import { loadFixture } from '../../helpers/fixtures';
import { C2, C3, CONNECTION, documentedRecord, metrics } from './helpers';

const NO_INCLUDE = { steps: false, daily: false, raw: false };
const WITH_RAW = { steps: false, daily: false, raw: true };

function bodyArray(name: string): unknown[] {
  const body = loadFixture('instantly', name).body;
  if (!Array.isArray(body)) throw new Error(`${name}: body is not an array`);
  return body;
}

function analyticsRecord(name: string, index: number) {
  return InstantlyCampaignAnalyticsSchema.parse(bodyArray(name)[index]);
}

/** An analytics-only source (no list item, no steps, no daily). */
function analyticsSource(name: string, index: number): InstantlyCampaignSource {
  return { analytics: analyticsRecord(name, index), listed: null, steps: null, daily: null, raw: bodyArray(name)[index] };
}

function stepRows(values: readonly unknown[]): InstantlyStepRow[] {
  return values.map((step) => InstantlyStepRowSchema.parse({ step, variant: '0', sent: 1 }));
}

const nullRates = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

describe('mapInstantlyCampaign', () => {
  it('maps the documented example with its list item to the exact normalized record, noting nothing', () => {
    const issues = new FieldIssues();
    const page = InstantlyCampaignPageSchema.parse(loadFixture('instantly', 'campaigns-documented').body);
    const record = mapInstantlyCampaign(
      CONNECTION,
      { ...analyticsSource('analytics-documented', 0), listed: InstantlyCampaignSchema.parse(page.items[0]) },
      NO_INCLUDE,
      issues,
    );
    expect(record).toStrictEqual(documentedRecord('2026-08-03T09:15:27.512Z'));
    expect(CampaignAnalyticsSchema.parse(record)).toStrictEqual(record);
    expect(issues.warnings()).toEqual([]);
  });

  it('prefers the *_unique counts: opened 750 (not 800), clicked 600 (not 800), replied 280 (not 300)', () => {
    const m = mapInstantlyMetrics(analyticsRecord('analytics-documented', 0), new FieldIssues());
    expect([m.opened, m.clicked, m.replied]).toEqual([750, 600, 280]);
  });

  it('keeps the vendor record as it came, extra fields included, only with include raw', () => {
    const source = analyticsSource('analytics-extra-fields', 0);
    const withRaw = mapInstantlyCampaign(CONNECTION, source, WITH_RAW, new FieldIssues());
    expect(withRaw.raw).toStrictEqual(source.raw);
    expect(withRaw.raw?.ai_reply_rate_score).toEqual({ value: 0.42, model: 'v3' });
    const withoutRaw = mapInstantlyCampaign(CONNECTION, source, NO_INCLUDE, new FieldIssues());
    expect('raw' in withoutRaw).toBe(false);
    expect(withoutRaw.metrics).toStrictEqual(documentedRecord(null).metrics);
  });

  it('maps a record with only its identity to unknown status and every metric null', () => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsSource('analytics-missing-optional', 0), NO_INCLUDE, new FieldIssues());
    expect([record.status, record.vendorStatus, record.createdAt]).toEqual(['unknown', '', null]);
    expect(record.metrics).toStrictEqual(metrics({}));
    expect(record.rates).toStrictEqual(nullRates);
  });

  it('falls back to open_count / link_click_count / reply_count without the *_unique fields (recorded live replies)', () => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsSource('analytics-missing-optional', 1), NO_INCLUDE, new FieldIssues());
    expect(record.metrics).toStrictEqual(
      metrics({ leads: 300, contacted: 250, sent: 700, emailsSent: 700, opened: 140, clicked: 17, replied: 22, bounced: 6, unsubscribed: 2, completed: 90, interested: 3, opportunityValue: 1500.5 }),
    );
  });

  it('reads numeric strings, keeps nulls null and a reported 0 as 0; garbage is null and noted at its path', () => {
    const issues = new FieldIssues();
    const record = mapInstantlyCampaign(CONNECTION, analyticsSource('analytics-missing-optional', 2), NO_INCLUDE, issues);
    expect([record.status, record.vendorStatus]).toEqual(['paused', '2']);
    expect(record.metrics).toStrictEqual(metrics({ leads: 120, contacted: 100, opened: 50, replied: 7, bounced: 0, interested: 0 }));
    expect(issues.fields()).toEqual({ completed_count: 1 });
  });

  it('a garbage *_unique count is noted and the plain count is used', () => {
    const issues = new FieldIssues();
    const a = InstantlyCampaignAnalyticsSchema.parse({ campaign_id: C2, campaign_name: 'x', open_count: 9, open_count_unique: 'lots' });
    expect(mapInstantlyMetrics(a, issues).opened).toBe(9);
    expect(issues.fields()).toEqual({ open_count_unique: 1 });
  });

  it('maps a campaign without an analytics record from its list item: name, status, createdAt, every metric null', () => {
    const page = InstantlyCampaignPageSchema.parse(loadFixture('instantly', 'campaigns-documented').body);
    const raw = page.items[1];
    const record = mapInstantlyCampaign(
      CONNECTION,
      { analytics: null, listed: InstantlyCampaignSchema.parse(raw), steps: { rows: [], base: 1 }, daily: null, raw },
      WITH_RAW,
      new FieldIssues(),
    );
    expect(record).toStrictEqual({
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
      steps: [],
      daily: null,
      leadStatus: null,
      raw,
    });
  });

  it('normalizes a numeric id to a string; an unreadable status or timestamp is noted', () => {
    const issues = new FieldIssues();
    const listed = InstantlyCampaignSchema.parse({ id: 42, name: 'Numeric', status: { code: 1 }, timestamp_created: 'yesterday' });
    const record = mapInstantlyCampaign(CONNECTION, { analytics: null, listed, steps: null, daily: null, raw: null }, NO_INCLUDE, issues);
    expect([record.id, record.key, record.createdAt, record.status, record.vendorStatus]).toEqual(['42', 'acme-instantly:42', null, 'unknown', '']);
    expect(issues.fields()).toEqual({ status: 1, timestamp_created: 1 });
  });
});

describe('status mapping', () => {
  const expected: [string, string, string][] = [
    ['Status s0', '0', 'draft'],
    ['Status s1', '1', 'active'],
    ['Status s2', '2', 'paused'],
    ['Status s3', '3', 'completed'],
    ['Status s4', '4', 'active'],
    ['Status s-1', '-1', 'error'],
    ['Status s-2', '-2', 'error'],
    ['Status s-99', '-99', 'error'],
    ['Status s5', '5', 'unknown'],
    ['Status s-3', '-3', 'unknown'],
    ['Status str1', '1', 'active'],
    ['Status strpaused', 'paused', 'unknown'],
    ['Status null', '', 'unknown'],
  ];
  it.each(expected.map((row, index) => [index, ...row] as const))('record %i (%s): vendorStatus %j → %s', (index, name, vendorStatus, status) => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsSource('analytics-statuses', index), NO_INCLUDE, new FieldIssues());
    expect([record.name, record.vendorStatus, record.status]).toEqual([name, vendorStatus, status]);
  });

  it('covers exactly the documented enum', () => {
    expect(Object.keys(INSTANTLY_STATUS).sort()).toEqual(['-1', '-2', '-99', '0', '1', '2', '3', '4']);
  });
});

describe('step numbering', () => {
  it('a row is a step unless its step is null or the string "null"', () => {
    expect([null, undefined, 'null', '0', '3', 2].map((step) => instantlyStepNumber({ step: step }))).toEqual([null, null, null, 0, 3, 2]);
  });

  it.each<[string, unknown[], number | null, 0 | 1 | null]>([
    ['a step 0 proves 0-based', ['0', '1'], 3, 0],
    ['a step 0 proves 0-based even without a sequence', ['0'], null, 0],
    ['a step 0 proves 0-based even beside step N (sequence edited since)', ['0', '3'], 3, 0],
    ['step N of an N-step sequence proves 1-based', ['1', '2', '3'], 3, 1],
    ['step N alone proves 1-based', ['2'], 2, 1],
    ['rows within 1..N-1 prove nothing', ['1', '2'], 3, null],
    ['no sequence and no step 0: nothing', ['1', '2', '3'], null, null],
    ['a step past the sequence (shortened since): nothing', ['4'], 3, null],
    ['unplaced rows prove nothing', [null, 'null'], 1, null],
    ['no rows: nothing', [], 2, null],
  ])('%s', (_name, steps, sequence, expected) => {
    expect(instantlyStepBaseEvidence(stepRows(steps), sequence)).toBe(expected);
  });

  it('the fetch’s base is the one every proving campaign agrees on, else null', () => {
    expect(instantlyFetchStepBase([null, 0, null, 0])).toBe(0);
    expect(instantlyFetchStepBase([1, null])).toBe(1);
    expect(instantlyFetchStepBase([0, 1])).toBeNull();
    expect(instantlyFetchStepBase([null, null])).toBeNull();
    expect(instantlyFetchStepBase([])).toBeNull();
  });

  it('a campaign’s base: its own proof, else the fetch’s, else 1', () => {
    expect(instantlyStepBase(0, 1)).toBe(0);
    expect(instantlyStepBase(null, 0)).toBe(0);
    expect(instantlyStepBase(null, null)).toBe(1);
  });

  it('reads the sequence length from sequences[0].steps, null when it is not there', () => {
    const items = (loadFixture('instantly', 'campaigns-documented').body as { items: unknown[] }).items;
    expect(items.map(instantlySequenceSteps)).toEqual([3, 1]);
    expect([{}, { sequences: [] }, { sequences: [{ steps: {} }] }, { sequences: 'x' }, null, { sequences: [{ steps: [] }] }].map(instantlySequenceSteps)).toEqual([
      null,
      null,
      null,
      null,
      null,
      0,
    ]);
  });
});

describe('mapInstantlySteps', () => {
  it('maps 1-based steps, sorts them, letters the variants and skips (counting) rows whose step is null or "null"', () => {
    const issues = new FieldIssues();
    const rows = bodyArray('steps-c1').map((row) => InstantlyStepRowSchema.parse(row));
    expect(mapInstantlySteps(rows, 1, issues)).toStrictEqual([
      { step: 1, variant: 'A', sent: 1800, opened: 350, clicked: 250, replied: 100, bounced: null },
      { step: 1, variant: 'B', sent: 1700, opened: 400, clicked: 200, replied: 80, bounced: null },
      { step: 2, variant: 'A', sent: 1500, opened: 300, clicked: 40, replied: 60, bounced: null },
      { step: 3, variant: null, sent: 0, opened: 0, clicked: 0, replied: 0, bounced: null },
    ]);
    expect(issues.warnings()).toEqual([
      { code: 'skipped_rows', message: '2 row(s) that are not data, skipped: steps.step (2)', count: 2, path: 'steps.step', fields: { 'steps.step': 2 } },
    ]);
  });

  it('shifts 0-based steps by one', () => {
    const rows = bodyArray('steps-c2-zero-based-dated')
      .slice(0, 3)
      .map((row) => InstantlyStepRowSchema.parse(row));
    expect(mapInstantlySteps(rows, 0, new FieldIssues())).toStrictEqual([
      { step: 1, variant: 'A', sent: 80, opened: 15, clicked: 2, replied: 3, bounced: null },
      { step: 1, variant: 'B', sent: 40, opened: 10, clicked: 1, replied: 2, bounced: null },
      { step: 2, variant: 'B', sent: 40, opened: 9, clicked: 1, replied: 2, bounced: null },
    ]);
  });

  it('rejects a non-numeric step at the schema (a step row’s identity)', () => {
    expect(InstantlyStepRowSchema.safeParse(bodyArray('steps-c2-zero-based-dated')[3]).success).toBe(false);
    for (const step of ['-1', 1.5, -2, 'one', {}, true]) expect(InstantlyStepRowSchema.safeParse({ step }).success).toBe(false);
    for (const step of ['null', null, undefined, '0', ' 2 ', 3]) expect(InstantlyStepRowSchema.safeParse({ step }).success).toBe(true);
  });

  it('accepts integer steps and variants; garbage counts are null and noted under steps.', () => {
    const issues = new FieldIssues();
    const rows = [InstantlyStepRowSchema.parse({ step: 2, variant: 27, sent: '5', unique_opened: -1, opened: 4, replies: 'n/a' })];
    expect(mapInstantlySteps(rows, 1, issues)).toStrictEqual([{ step: 2, variant: 'AB', sent: 5, opened: 4, clicked: null, replied: null, bounced: null }]);
    expect(issues.fields()).toEqual({ 'steps.unique_opened': 1, 'steps.replies': 1 });
  });

  it('orders a null variant before lettered ones and short letters before long ones', () => {
    const rows = ['26', '1', null, '0'].map((variant) => InstantlyStepRowSchema.parse({ step: '1', variant }));
    expect(mapInstantlySteps(rows, 1, new FieldIssues()).map((s) => s.variant)).toEqual([null, 'A', 'B', 'AA']);
  });
});

describe('variants', () => {
  it.each([
    [0, 'A'],
    [1, 'B'],
    [25, 'Z'],
    [26, 'AA'],
    [27, 'AB'],
    [701, 'ZZ'],
    [702, 'AAA'],
  ])('variantLetters(%i) = %s', (index, letters) => {
    expect(variantLetters(index)).toBe(letters);
  });

  it.each([
    ['0', 'A'],
    ['1', 'B'],
    [2, 'C'],
    ['B', 'B'],
    ['', null],
    ['  ', null],
    ['null', null],
    [null, null],
    [undefined, null],
  ])('mapVariant(%j) = %j', (value, expected) => {
    const issues = new FieldIssues();
    expect(mapVariant(value, issues)).toBe(expected);
    expect(issues.warnings()).toEqual([]);
  });

  it.each([[-1], [1.5], [{}], [true]])('mapVariant(%j) is null and noted', (value) => {
    const issues = new FieldIssues();
    expect(mapVariant(value, issues)).toBeNull();
    expect(issues.fields()).toEqual({ 'steps.variant': 1 });
  });
});

describe('mapInstantlyDaily', () => {
  it('maps daily rows ascending, preferring unique counts and falling back without them', () => {
    const rows = bodyArray('daily-c1').map((row) => InstantlyDailyRowSchema.parse(row));
    expect(mapInstantlyDaily(rows, new FieldIssues())).toStrictEqual([
      { date: '2026-09-01', sent: 100, opened: 35, clicked: 4, replied: 5, interested: 0 },
      { date: '2026-09-02', sent: 110, opened: 45, clicked: 5, replied: 6, interested: 1 },
      { date: '2026-09-03', sent: 120, opened: 50, clicked: 6, replied: 8, interested: 1 },
    ]);
  });

  it('cuts a full timestamp to its date and rejects a row without a date', () => {
    const [timestamped, plain, dateless] = bodyArray('daily-c2-dated');
    expect(InstantlyDailyRowSchema.safeParse(dateless).success).toBe(false);
    const rows = [timestamped, plain].map((row) => InstantlyDailyRowSchema.parse(row));
    expect(mapInstantlyDaily(rows, new FieldIssues())).toStrictEqual([
      { date: '2026-09-01', sent: 90, opened: 16, clicked: 2, replied: 3, interested: 0 },
      { date: '2026-09-02', sent: 70, opened: 12, clicked: 2, replied: 2, interested: 1 },
    ]);
  });

  it('keeps rows of the same day in their order; a garbage count is noted under daily.', () => {
    const issues = new FieldIssues();
    const rows = [
      { date: '2026-09-02', sent: 1 },
      { date: '2026-09-01', sent: 2 },
      { date: '2026-09-02', sent: 'many' },
    ].map((row) => InstantlyDailyRowSchema.parse(row));
    expect(mapInstantlyDaily(rows, issues).map((d) => [d.date, d.sent])).toEqual([
      ['2026-09-01', 2],
      ['2026-09-02', 1],
      ['2026-09-02', null],
    ]);
    expect(issues.fields()).toEqual({ 'daily.sent': 1 });
  });
});

describe('record schema', () => {
  it('requires campaign_id and campaign_name and nothing else; counts of any type pass to the mapper', () => {
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: C2, campaign_name: 'x' }).success).toBe(true);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: C2, campaign_name: 'x', leads_count: {}, campaign_status: [] }).success).toBe(true);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_name: 'x' }).success).toBe(false);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: '', campaign_name: 'x' }).success).toBe(false);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: C2 }).success).toBe(false);
  });
});
