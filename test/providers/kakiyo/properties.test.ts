/**
 * Property tests of the Kakiyo provider: generated analytics replies (every count from
 * `vendorCount`: a number, a numeric string, nothing, or garbage; nested objects sometimes absent or
 * not objects) go through the real fetch path (list walk, analytics calls, client validation,
 * mapping) on an in-memory HTTP client. Every normalized metric must be the vendor's number, or
 * null because the vendor sent nothing, or null with its field path in the `invalid_fields`
 * warning; and the warning names exactly the paths that deserve it, with their counts.
 */
import fc from 'fast-check';
import { createKakiyoProvider } from '../../../src/providers/kakiyo';
import type { CampaignAnalytics } from '../../../src/schema/campaign';
import { ABSENT, expectCount, expectedCount, invalidFields, put, vendorCount } from '../../helpers/vendor-values';
import { CONNECTION, memoryHttp, query } from './helpers';
import { KakiyoDailyRowSchema } from '../../../src/providers/kakiyo/schema';

const provider = createKakiyoProvider();
const DAILY = { steps: false, daily: true, raw: false };

const METRIC_FIELDS = ['totalProspects', 'totalMessages', 'totalQualified', 'totalAnswers', 'totalClosed'] as const;
type MetricField = (typeof METRIC_FIELDS)[number];
const DAILY_FIELDS = ['messages', 'responses', 'qualified'] as const;

/** A nested object as a vendor may send it: the object, nothing, or something that is not an object. */
function nested<T>(object: fc.Arbitrary<T>): fc.Arbitrary<T | typeof ABSENT | null | string | number | unknown[]> {
  return fc.oneof(
    { weight: 8, arbitrary: object },
    { weight: 1, arbitrary: fc.constantFrom(ABSENT, null) },
    { weight: 1, arbitrary: fc.constantFrom('n/a', 3, [1, 2]) },
  );
}

function countObject<K extends string>(fields: readonly K[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(...fields.map(() => vendorCount)).map((values) => {
    const out: Record<string, unknown> = {};
    fields.forEach((field, i) => put(out, field, values[i]));
    return out;
  });
}

const dailyRows = fc
  .uniqueArray(fc.integer({ min: 0, max: 90 }), { maxLength: 4 })
  .chain((days) =>
    fc.tuple(...days.map(() => countObject(DAILY_FIELDS))).map((counts) =>
      days.map((day, i) => ({ date: new Date(Date.UTC(2024, 0, 1 + day)).toISOString().slice(0, 10), ...counts[i] })),
    ),
  );

const campaign: fc.Arbitrary<Generated> = fc.record({
  metrics: nested(countObject(METRIC_FIELDS)),
  statusDistribution: nested(countObject(['pending', 'contacted', 'closed'])),
  activity: nested(dailyRows.map((rows) => ({ dailyBreakdown: rows }))),
});
type Nested = Record<string, unknown> | typeof ABSENT | null | string | number | unknown[];
interface Generated {
  metrics: Nested;
  statusDistribution: Nested;
  activity: Nested;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Present but not an object: the mapper must note it at its path. */
function notObject(value: unknown): boolean {
  return value !== ABSENT && value !== null && !isObject(value);
}

function body(id: string, generated: Generated): Record<string, unknown> {
  const reply: Record<string, unknown> = { campaign: { id, name: `Campaign ${id}` } };
  put(reply, 'metrics', generated.metrics);
  put(reply, 'statusDistribution', generated.statusDistribution);
  put(reply, 'activity', generated.activity);
  return reply;
}

/** The `invalid_fields` tally the fetch must report for these replies. */
function expectedTally(replies: readonly Generated[]): Record<string, number> {
  const tally: Record<string, number> = {};
  const add = (path: string): void => {
    tally[path] = (tally[path] ?? 0) + 1;
  };
  for (const g of replies) {
    if (notObject(g.metrics)) add('metrics');
    const metrics = isObject(g.metrics) ? g.metrics : {};
    for (const field of METRIC_FIELDS) if (expectedCount(metrics[field] ?? ABSENT).garbage) add(`metrics.${field}`);
    if (notObject(g.statusDistribution)) add('statusDistribution');
    const distribution = isObject(g.statusDistribution) ? g.statusDistribution : {};
    for (const [key, value] of Object.entries(distribution)) if (expectedCount(value).garbage) add(`statusDistribution.${key}`);
    const leads = expectedCount(metrics['totalProspects'] ?? ABSENT).value;
    const pending = expectedCount(distribution['pending'] ?? ABSENT).value;
    if (leads !== null && pending !== null && pending > leads) add('statusDistribution.pending');
    if (notObject(g.activity)) add('activity');
    const rows = isObject(g.activity) ? (g.activity['dailyBreakdown'] as Record<string, unknown>[]) : [];
    for (const row of rows) for (const field of DAILY_FIELDS) if (expectedCount(row[field] ?? ABSENT).garbage) add(`activity.dailyBreakdown[].${field}`);
  }
  return tally;
}

function checkRecord(record: CampaignAnalytics, g: Generated, warnings: Parameters<typeof expectCount>[3]): void {
  const metrics = isObject(g.metrics) ? g.metrics : {};
  const vendor = (field: MetricField): unknown => metrics[field] ?? ABSENT;
  expectCount(record.metrics.leads, vendor('totalProspects'), 'metrics.totalProspects', warnings);
  expectCount(record.metrics.sent, vendor('totalMessages'), 'metrics.totalMessages', warnings);
  expectCount(record.metrics.linkedinMessagesSent, vendor('totalMessages'), 'metrics.totalMessages', warnings);
  expectCount(record.metrics.replied, vendor('totalAnswers'), 'metrics.totalAnswers', warnings);
  expectCount(record.metrics.interested, vendor('totalQualified'), 'metrics.totalQualified', warnings);
  expectCount(record.metrics.won, vendor('totalClosed'), 'metrics.totalClosed', warnings);
  const distribution = isObject(g.statusDistribution) ? g.statusDistribution : {};
  const pending = distribution['pending'] ?? ABSENT;
  expectCount(record.leadStatus?.['pending'] ?? null, pending, 'statusDistribution.pending', warnings);
  const leads = expectedCount(vendor('totalProspects')).value;
  const pendingCount = expectedCount(pending).value;
  const contacted = leads !== null && pendingCount !== null && leads >= pendingCount ? leads - pendingCount : null;
  expect(record.metrics.contacted).toBe(contacted);
  // Metrics Kakiyo does not have are null, whatever was sent.
  expect([record.metrics.emailsSent, record.metrics.opened, record.metrics.clicked, record.metrics.bounced, record.metrics.opportunityValue]).toEqual([
    null,
    null,
    null,
    null,
    null,
  ]);
  if (!isObject(g.activity)) {
    expect(record.daily).toBeNull();
    return;
  }
  const rows = [...(g.activity['dailyBreakdown'] as Record<string, unknown>[])].sort((a, b) => String(a['date']).localeCompare(String(b['date'])));
  expect(record.daily?.map((row) => row.date)).toEqual(rows.map((row) => row['date']));
  rows.forEach((row, i) => {
    const mapped = record.daily?.[i];
    expectCount(mapped?.sent ?? null, row['messages'] ?? ABSENT, 'activity.dailyBreakdown[].messages', warnings);
    expectCount(mapped?.replied ?? null, row['responses'] ?? ABSENT, 'activity.dailyBreakdown[].responses', warnings);
    expectCount(mapped?.interested ?? null, row['qualified'] ?? ABSENT, 'activity.dailyBreakdown[].qualified', warnings);
  });
}

describe('Kakiyo properties: vendor number, or null because absent, or null with a warning naming the field', () => {
  it('holds for every metric of generated replies, through the list walk and the analytics calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(campaign, { minLength: 1, maxLength: 4 }), async (replies) => {
        const ids = replies.map((_, i) => `campaign_p${i}`);
        const client = memoryHttp((path) => {
          if (path === '/v1/campaigns') return ids.map((id) => ({ id, name: `Campaign ${id}` }));
          const index = ids.indexOf(decodeURIComponent(path.split('/').pop() ?? ''));
          return body(ids[index] ?? '', replies[index] as Generated);
        });
        const result = await provider.fetchAnalytics(CONNECTION, query({ include: DAILY }), client);
        // Every campaign is kept: only id and name can make a record invalid.
        expect(result.records.map((r) => r.id)).toEqual(ids);
        expect(client.calls).toBe(1 + ids.length);
        result.records.forEach((record, i) => checkRecord(record, replies[i] as Generated, result.warnings));
        expect(invalidFields(result.warnings)).toEqual(expectedTally(replies));
        expect(result.warnings.filter((w) => w.code !== 'invalid_fields')).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a garbage count', () => {
  it('keeps the campaign, maps the field as null and names its path in the invalid_fields warning', async () => {
    const client = memoryHttp(() => ({
      campaign: { id: 'campaign_lots', name: 'Lots' },
      metrics: { totalProspects: 40, totalMessages: 'lots', totalAnswers: 3 },
    }));
    const result = await provider.fetchAnalytics(CONNECTION, query({ campaignIds: ['campaign_lots'] }), client);
    expect(result.records.map((r) => [r.id, r.metrics.leads, r.metrics.sent, r.metrics.linkedinMessagesSent, r.metrics.replied])).toEqual([
      ['campaign_lots', 40, null, null, 3],
    ]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: metrics.totalMessages (1)',
        count: 1,
        path: 'metrics.totalMessages',
        fields: { 'metrics.totalMessages': 1 },
      },
    ]);
  });
});

describe('Kakiyo daily row dates', () => {
  /** What `Date` makes of the day: the same `YYYY-MM-DD` back, or not a day of the calendar. */
  function dateReadsIt(day: string): boolean {
    const time = Date.parse(`${day}T00:00:00.000Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === day;
  }
  const digits = (n: number, max: number): fc.Arbitrary<string> => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));

  it('accepts exactly the days Date reads back as themselves (leap years, month lengths, 00 and 13)', () => {
    fc.assert(
      fc.property(
        fc.oneof(digits(4, 9999), fc.constantFrom('1900', '2000', '2024', '2100', '2023', '0000', '0400')),
        digits(2, 13),
        digits(2, 32),
        fc.boolean(),
        (year, month, day, withTime) => {
          const date = `${year}-${month}-${day}`;
          const parsed = KakiyoDailyRowSchema.safeParse({ date: withTime ? `${date}T10:00:00Z` : date });
          expect(parsed.success).toBe(dateReadsIt(date));
          if (parsed.success) expect(parsed.data.date).toBe(date);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
