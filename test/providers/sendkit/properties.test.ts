/**
 * Property tests: generated SendKit list items, analytics replies and daily rows (every count a
 * number, a numeric string, nothing, or garbage) go through the provider's real fetch path (an
 * in-memory HTTP client serving the replies as JSON text would arrive; the plain test uses nock and
 * the real HTTP client), and every normalized metric is the vendor's number, or null because the vendor sent nothing, or
 * null with the vendor field's path named in the `invalid_fields` warning.
 */
import fc from 'fast-check';
import nock from 'nock';
import { createHttpClient, type GetJsonRequest, type HttpClient, type JsonResponse } from '../../../src/http/client';
import { fetchSendkitAnalytics } from '../../../src/providers/sendkit/client';
import type { ProviderConnection } from '../../../src/providers/types';
import { ABSENT, expectCount, invalidFields, put, vendorCount } from '../../helpers/vendor-values';

const ORIGIN = 'https://api.sendkit.ai';
const ID = '665a1b2c3d4e5f6a7b8c9d0e';
const CONNECTION: ProviderConnection = { id: 'p-sendkit', workspace: 'p', apiKey: 'sk_property_key', concurrency: 1 };

const LIST_STATS = ['totalLeads', 'contacted', 'contactedLeads'] as const;
const ANALYTICS_STATS = ['totalLeads', 'contacted', 'contactedLeads', 'sent', 'delivered', 'opened', 'clicked', 'replied', 'bounced', 'unsubscribed'] as const;
const DAILY = ['sent', 'opened', 'clicked', 'bounced', 'replied', 'positiveReplied'] as const;

/** A record of count fields, each maybe absent. */
function counts<K extends string>(keys: readonly K[]): fc.Arbitrary<Record<K, unknown>> {
  return fc.record(Object.fromEntries(keys.map((key) => [key, vendorCount])));
}

function build(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) put(out, key, value);
  return out;
}

const campaign = fc.record({
  listStats: fc.option(counts(LIST_STATS), { nil: undefined }),
  stats: fc.option(counts(ANALYTICS_STATS), { nil: undefined }),
  totalReplied: vendorCount,
  totalPositiveReplied: vendorCount,
  completed: vendorCount,
  failed: vendorCount,
  steps: fc.array(counts(['sent', 'opened', 'clicked', 'bounced'] as const), { maxLength: 3 }),
  daily: fc.array(counts(DAILY), { maxLength: 3 }),
});
type Generated = typeof campaign extends fc.Arbitrary<infer T> ? T : never;

/** What the first present source holds (absent, null and '' report nothing), with its path. */
function firstPresent(candidates: readonly [unknown, string][]): [unknown, string] {
  for (const candidate of candidates) if (candidate[0] !== ABSENT && candidate[0] !== null && candidate[0] !== undefined && candidate[0] !== '') return candidate;
  return [ABSENT, candidates[0]?.[1] ?? '?'];
}

/** The three replies (list, analytics, daily) of one generated campaign, by path. */
function repliesOf(generated: Generated): Record<string, unknown> {
  const item: Record<string, unknown> = { _id: ID, name: 'Generated', status: 'active', createdAt: '2026-01-01T00:00:00.000Z' };
  if (generated.listStats) item.stats = build(generated.listStats);
  const data: Record<string, unknown> = {
    campaign: { id: ID, name: 'Generated', status: 'active' },
    stepStats: generated.steps.map((row, index) => ({ _id: index, ...build(row) })),
    statusBreakdown: build({ completed: generated.completed, failed: generated.failed }),
  };
  if (generated.stats) data.stats = build(generated.stats);
  put(data, 'totalReplied', generated.totalReplied);
  put(data, 'totalPositiveReplied', generated.totalPositiveReplied);
  const daily = generated.daily.map((row, index) => ({ _id: `2026-01-0${index + 1}`, ...build(row) }));
  const replies: Record<string, unknown> = {
    '/v1/campaigns': { success: true, data: [item], pagination: { nextCursor: null, hasMore: false } },
    [`/v1/analytics/campaigns/${ID}`]: { success: true, data },
    [`/v1/analytics/daily/campaigns/${ID}`]: { success: true, data: daily },
  };
  return replies;
}

function fetchOne(generated: Generated) {
  return fetchSendkitAnalytics(CONNECTION, { include: { steps: true, daily: true, raw: false } }, replyingClient(repliesOf(generated)));
}

/** An HTTP client that answers each path with its reply, as JSON text parsed again (what the wire gives). */
function replyingClient(replies: Readonly<Record<string, unknown>>): HttpClient {
  let calls = 0;
  return {
    provider: 'sendkit',
    get calls() {
      return calls;
    },
    getJson(request: GetJsonRequest): Promise<JsonResponse> {
      calls += 1;
      const body = replies[request.path];
      if (body === undefined) return Promise.reject(new Error(`unexpected call ${request.path}`));
      return Promise.resolve({ status: 200, headers: {}, data: JSON.parse(JSON.stringify(body)) as unknown });
    },
  };
}

afterEach(() => nock.cleanAll());

describe('SendKit: every metric is the vendor number, absent, or named as unreadable', () => {
  it('holds for generated list items, analytics replies and daily rows', async () => {
    await fc.assert(
      fc.asyncProperty(campaign, async (generated) => {
        const result = await fetchOne(generated);
        expect(result.records).toHaveLength(1);
        const record = result.records[0];
        if (!record) return;
        const { metrics, warnings } = { metrics: record.metrics, warnings: result.warnings };
        const list = generated.listStats ?? {};
        const stats: Partial<Record<(typeof ANALYTICS_STATS)[number], unknown>> = generated.stats ?? {};
        const get = (source: Partial<Record<string, unknown>>, key: string): unknown => (key in source ? source[key] : ABSENT);

        expectCount(metrics.leads, ...firstPresent([[get(list, 'totalLeads'), 'listItem.stats.totalLeads'], [get(stats, 'totalLeads'), 'analytics.stats.totalLeads']]), warnings);
        expectCount(
          metrics.contacted,
          ...firstPresent([
            [get(list, 'contacted'), 'listItem.stats.contacted'],
            [get(list, 'contactedLeads'), 'listItem.stats.contactedLeads'],
            [get(stats, 'contacted'), 'analytics.stats.contacted'],
            [get(stats, 'contactedLeads'), 'analytics.stats.contactedLeads'],
          ]),
          warnings,
        );
        for (const key of ['sent', 'opened', 'clicked', 'bounced', 'unsubscribed'] as const) {
          expectCount(metrics[key], get(stats, key), `analytics.stats.${key}`, warnings);
        }
        expect(metrics.emailsSent).toBe(metrics.sent);
        expectCount(metrics.replied, ...firstPresent([[generated.totalReplied, 'analytics.totalReplied'], [get(stats, 'replied'), 'analytics.stats.replied']]), warnings);
        expectCount(metrics.interested, generated.totalPositiveReplied, 'analytics.totalPositiveReplied', warnings);
        expectCount(metrics.completed, generated.completed, 'analytics.statusBreakdown.completed', warnings);
        expectCount(record.leadStatus?.failed ?? null, generated.failed, 'analytics.statusBreakdown.failed', warnings);

        generated.steps.forEach((row, index) => {
          const step = record.steps?.[index];
          expect(step?.step).toBe(index + 1);
          for (const key of ['sent', 'opened', 'clicked', 'bounced'] as const) expectCount(step?.[key] ?? null, get(row, key), `analytics.stepStats.${key}`, warnings);
        });
        generated.daily.forEach((row, index) => {
          const day = record.daily?.[index];
          for (const [normalized, vendor] of [['sent', 'sent'], ['opened', 'opened'], ['clicked', 'clicked'], ['replied', 'replied'], ['interested', 'positiveReplied']] as const) {
            expectCount(day?.[normalized] ?? null, get(row, vendor), `daily.${vendor}`, warnings);
          }
        });
        // Nothing else is ever named: every noted path is one of the fields read above.
        for (const path of Object.keys(invalidFields(warnings))) expect(path).toMatch(/^(listItem\.stats\.|analytics\.(stats|stepStats|statusBreakdown)\.|analytics\.total(Replied|PositiveReplied)$|daily\.)/);
      }),
      { numRuns: 100 },
    );
  });

  it('a garbage count ("lots") keeps the campaign and produces a warning naming its path (real HTTP client, nock)', async () => {
    const replies = repliesOf({
      listStats: { totalLeads: 'lots', contacted: 4, contactedLeads: ABSENT },
      stats: undefined,
      totalReplied: 2,
      totalPositiveReplied: ABSENT,
      completed: ABSENT,
      failed: ABSENT,
      steps: [],
      daily: [],
    });
    for (const [path, body] of Object.entries(replies)) nock(ORIGIN).get(path).query(true).reply(200, body as nock.Body);
    const http = createHttpClient({ provider: 'sendkit', baseUrl: ORIGIN, retry: { baseDelayMs: 1, maxAttempts: 1 } });
    const result = await fetchSendkitAnalytics(CONNECTION, { include: { steps: true, daily: true, raw: false } }, http);
    expect(result.records.map((record) => [record.metrics.leads, record.metrics.contacted, record.metrics.replied])).toEqual([[null, 4, 2]]);
    expect(result.warnings).toEqual([
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: listItem.stats.totalLeads (1)',
        count: 1,
        path: 'listItem.stats.totalLeads',
        fields: { 'listItem.stats.totalLeads': 1 },
      },
    ]);
  });
});
