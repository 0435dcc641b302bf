/**
 * A date range on the main endpoint for vendors without range support (Seleqt, Kakiyo's totals,
 * SendKit's leads and contacted), answered from the history store's snapshots. Snapshots are made
 * by real walks through the gateway on chosen days (the simulators answer "as of day D", the
 * gateway's clock set to that day); the ground truth is read from the vendors' own fields on the
 * same simulators set to the range's two ends. Covered ranges give exactly that growth with
 * `date_range_from_snapshots`; uncovered ones keep lifetime numbers with `date_range_unsupported`;
 * the answer's ETag follows the snapshots; and the store being down falls back to lifetime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CampaignAnalytics, MetricName, ProviderId } from '../../src/schema/campaign';
import { AnalyticsResponseSchema, type AnalyticsResponse } from '../../src/schema/envelope';
import { computeRates } from '../../src/schema/rates';
import { bearer, get, type Json } from '../simulator/helpers';
import { VENDOR_KEYS, startStack, type Stack } from '../helpers/stack';

const TODAY = '2026-11-20'; // the simulators' reference date: the gateway's "today" once back-filled
/** The days walked (snapshots): a baseline before campaigns are created, and three in November. */
const SNAPSHOT_DAYS = ['2026-10-20', '2026-11-09', '2026-11-12', '2026-11-15'];
const PROVIDERS: readonly ProviderId[] = ['seleqt', 'kakiyo', 'sendkit'];
const WORKSPACES = ['acme', 'globex'] as const;
const CHECKED: readonly MetricName[] = ['sent', 'replied', 'interested'];

const DAY_MS = 86_400_000;
/**
 * The gateway's days are the simulators' days shifted forward by whole days, so that its clock is
 * never behind the real one (the HTTP client's deadlines use the real clock): `g(day)`.
 */
const SHIFT_DAYS = Math.max(0, Math.ceil((Date.now() - Date.parse(`${SNAPSHOT_DAYS[0] ?? TODAY}T00:00:00Z`)) / DAY_MS) + 1);
const g = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + SHIFT_DAYS * DAY_MS).toISOString().slice(0, 10);

let offset = 0;
const now = (): number => Date.now() + offset;
/** The gateway's clock at noon of the gateway day of simulator day `day` (running on with the real one). */
function setClock(day: string): void {
  offset = Date.parse(`${g(day)}T12:00:00Z`) - Date.now();
}

let dir: string;
let stack: Stack;

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function setSimulators(day: string): void {
  for (const provider of PROVIDERS) stack.sims[provider].setReferenceDate(day);
}

type Counts = Partial<Record<MetricName, number>>;

/** One account's cumulative counts per vendor campaign id, from the vendor's own fields, as of the simulators' day. */
async function vendorCounts(provider: ProviderId, workspace: (typeof WORKSPACES)[number]): Promise<Map<string, Counts>> {
  const sim = stack.sims[provider];
  const key = VENDOR_KEYS[workspace][provider];
  const out = new Map<string, Counts>();
  if (provider === 'seleqt') {
    const rows: Json[] = (await get(sim, '/api/v1/dashboard/campaign-analytics/', { 'x-api-key': key })).json().campaigns;
    for (const row of rows) {
      const a = row.analytics;
      out.set(String(row.id), {
        sent: Number(a.amount_of_emails_sent) + Number(a.amount_of_linkedin_messages_sent) + Number(a.amount_of_invites_sent),
        replied: Number(a.amount_of_replies),
        interested: Number(a.amount_of_interested),
        contacted: Number(a.amount_of_prospects_contacted),
      });
    }
  } else if (provider === 'kakiyo') {
    const items: Json[] = (await get(sim, '/v1/campaigns?limit=100', bearer(key))).json().campaigns;
    for (const item of items) {
      const metrics = (await get(sim, `/v1/analytics/campaigns/${String(item.id)}`, bearer(key))).json().metrics;
      out.set(String(item.id), { sent: Number(metrics.totalMessages), replied: Number(metrics.totalAnswers), interested: Number(metrics.totalQualified) });
    }
  } else {
    const items: Json[] = (await get(sim, '/v1/campaigns?limit=100', { 'x-api-key': key })).json().data;
    for (const item of items) out.set(String(item._id), { leads: Number(item.stats.totalLeads), contacted: Number(item.stats.contacted) });
  }
  return out;
}

/** Per campaign key: the growth of each metric from the end of `before` to the end of `after` (a campaign absent at `before` starts from zero). */
async function truth(before: string, after: string): Promise<{ growth: Map<string, Counts>; newCampaigns: number }> {
  const growth = new Map<string, Counts>();
  let newCampaigns = 0;
  for (const provider of PROVIDERS) {
    for (const workspace of WORKSPACES) {
      setSimulators(before);
      const start = await vendorCounts(provider, workspace);
      setSimulators(after);
      const end = await vendorCounts(provider, workspace);
      for (const [id, counts] of end) {
        const base = start.get(id);
        if (base === undefined) newCampaigns += 1;
        const delta: Counts = {};
        for (const [metric, value] of Object.entries(counts) as [MetricName, number][]) delta[metric] = value - (base?.[metric] ?? 0);
        growth.set(`${workspace}-${provider}:${id}`, delta);
      }
    }
  }
  setSimulators(TODAY);
  return { growth, newCampaigns };
}

async function analytics(query: string, headers?: Record<string, string>): Promise<{ status: number; etag: string | null; body: AnalyticsResponse }> {
  const res = await stack.get(`/v1/campaigns/analytics?workspace_id=ALL&providers=${PROVIDERS.join(',')}&${query}`, headers);
  expect(res.status).toBe(200);
  return { status: res.status, etag: res.headers.get('etag'), body: AnalyticsResponseSchema.parse(res.body) };
}

function warningCodes(body: AnalyticsResponse, provider: ProviderId): string[] {
  return body.sources.filter((s) => s.provider === provider).flatMap((s) => s.warnings.map((w) => w.code));
}

function campaigns(body: AnalyticsResponse, provider?: ProviderId): CampaignAnalytics[] {
  return (body.data as CampaignAnalytics[]).filter((c) => provider === undefined || c.provider === provider);
}

let lifetime: Map<string, CampaignAnalytics>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-range-'));
  stack = await startStack({ storageDir: dir, now, campaigns: 12 });
  const store = stack.service.store;
  if (!store) throw new Error('no store');
  await until(() => store.up, 'the store to open');
  // Back-fill: one whole walk of each connection per snapshot day, through the gateway.
  for (const day of SNAPSHOT_DAYS) {
    setSimulators(day);
    setClock(day);
    const walked = store.counters.walksRecorded;
    const res = await stack.get(`/v1/campaigns/analytics?workspace_id=ALL&providers=${PROVIDERS.join(',')}&refresh=true`);
    if (res.status !== 200) throw new Error(JSON.stringify((res.body as { sources?: unknown }).sources ?? res.body));
    await until(() => store.counters.walksRecorded === walked + PROVIDERS.length * WORKSPACES.length, `the walks of ${day} recorded`);
  }
  setSimulators(TODAY);
  setClock(TODAY);
  const plain = await analytics('refresh=true');
  lifetime = new Map(campaigns(plain.body).map((c) => [c.key, c]));
}, 120_000);

afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('covered ranges', () => {
  test.each([
    ['ending before today (snapshots at both ends)', '2026-10-21', '2026-11-15', '2026-10-20', '2026-11-15'],
    ["ending today (the baseline snapshot to the vendor's numbers now)", '2026-11-13', TODAY, '2026-11-12', TODAY],
  ])('seleqt and kakiyo, %s: every metric is the growth, equal to the ground truth, with date_range_from_snapshots', async (_label, start, end, before, after) => {
    const expected = await truth(before, after);
    // Campaigns created inside the range start from zero: the ranges hold some.
    expect(expected.newCampaigns).toBeGreaterThan(0);
    const { body } = await analytics(`start_date=${g(start)}&end_date=${g(end)}`);
    expect(body.meta.complete).toBe(true);
    for (const provider of ['seleqt', 'kakiyo'] as const) {
      expect(warningCodes(body, provider)).toEqual(['date_range_from_snapshots', 'date_range_from_snapshots']);
      const message = body.sources.find((s) => s.provider === provider)?.warnings[0]?.message ?? '';
      expect(message).toContain(`snapshot of ${g(before)}`);
      expect(message).toContain(after === TODAY ? "the vendor's numbers now" : `snapshot of ${g(after)}`);
      const list = campaigns(body, provider);
      expect(list).toHaveLength(24);
      let grew = 0;
      for (const campaign of list) {
        const growth = expected.growth.get(campaign.key);
        const got = CHECKED.map((metric) => campaign.metrics[metric]);
        const want = CHECKED.map((metric) => growth?.[metric]);
        expect({ key: campaign.key, growth: got }).toEqual({ key: campaign.key, growth: want });
        if (provider === 'seleqt') expect(campaign.metrics.contacted).toBe(growth?.contacted);
        expect(campaign.rates).toEqual(computeRates(campaign.metrics));
        if ((campaign.metrics.sent ?? 0) > 0) grew += 1;
        // Lifetime numbers are larger where a campaign had sent before the range.
        expect(campaign.metrics.sent ?? 0).toBeLessThanOrEqual(lifetime.get(campaign.key)?.metrics.sent ?? Number.NaN);
      }
      expect(grew).toBeGreaterThan(0);
    }
    // Totals and rates over the windowed numbers.
    const sent = campaigns(body).reduce((sum, c) => sum + (c.metrics.sent ?? 0), 0);
    expect(body.totals.metrics.sent).toBe(sent);
  }, 60_000);

  test("sendkit: leads and contacted (lifetime at the vendor) are the growth; the other metrics stay the vendor's own for the range", async () => {
    const expected = await truth('2026-10-20', '2026-11-15');
    const { body } = await analytics(`start_date=${g('2026-10-21')}&end_date=${g('2026-11-15')}`);
    expect(warningCodes(body, 'sendkit')).toEqual(['date_range_from_snapshots', 'date_range_from_snapshots']);
    expect(body.sources.find((s) => s.provider === 'sendkit')?.warnings[0]?.message).toContain('leads and contacted');
    const list = campaigns(body, 'sendkit');
    expect(list.length).toBeGreaterThan(0);
    for (const campaign of list) {
      const growth = expected.growth.get(campaign.key);
      expect({ key: campaign.key, leads: campaign.metrics.leads, contacted: campaign.metrics.contacted }).toEqual({ key: campaign.key, leads: growth?.leads, contacted: growth?.contacted });
      expect(campaign.rates).toEqual(computeRates(campaign.metrics));
    }
    expect(list.some((c) => (c.metrics.contacted ?? 0) < (lifetime.get(c.key)?.metrics.contacted ?? 0))).toBe(true);
  }, 60_000);
});

describe('uncovered ranges', () => {
  test.each([
    ['no snapshot the day before start_date', '2026-11-01', '2026-11-15'],
    ['no snapshot on end_date', '2026-11-10', '2026-11-14'],
    ['a range after today', '2026-11-21', '2026-11-25'],
  ])('%s: lifetime numbers with date_range_unsupported', async (_label, start, end) => {
    const { body } = await analytics(`start_date=${g(start)}&end_date=${g(end)}`);
    for (const provider of ['seleqt', 'kakiyo'] as const) {
      expect(warningCodes(body, provider)).toEqual(['date_range_unsupported', 'date_range_unsupported']);
      expect(body.sources.find((s) => s.provider === provider)?.warnings[0]?.message).toContain('no snapshots of this connection cover both ends');
      for (const campaign of campaigns(body, provider)) expect(campaign.metrics).toEqual(lifetime.get(campaign.key)?.metrics);
    }
  }, 30_000);
});

describe('caching', () => {
  test('the ETag follows the snapshots, and a repeated request reads them again (never replayed from before a change)', async () => {
    const range = `start_date=${g('2026-11-10')}&end_date=${g('2026-11-15')}`;
    const first = await analytics(range);
    const again = await analytics(range);
    expect(again.etag).toBe(first.etag);
    const target = campaigns(first.body, 'seleqt').find((c) => c.connection === 'acme-seleqt' && (c.metrics.sent ?? 0) > 0);
    if (!target) throw new Error('no acme-seleqt campaign that sent in the range');
    const db = stack.service.store?.database();
    if (!db) throw new Error('no store');
    // A snapshot at the end changes: the growth and the ETag change with it.
    await db.query(`update campaign_snapshots set sent = sent + 5 where connection = 'acme-seleqt' and campaign_id = $1 and day = $2`, [target.id, g('2026-11-15')]);
    const changed = await analytics(range);
    expect(changed.etag).not.toBe(first.etag);
    expect(campaigns(changed.body).find((c) => c.key === target.key)?.metrics.sent).toBe((target.metrics.sent ?? 0) + 5);
    // A count that went down between the two ends (a vendor reset): null, and a counter_reset warning names it.
    const reset = campaigns(changed.body, 'seleqt').find((c) => c.connection === 'acme-seleqt' && c.key !== target.key && (lifetime.get(c.key)?.metrics.replied ?? 0) > 0);
    if (!reset) throw new Error('no second acme-seleqt campaign with replies');
    await db.query(`update campaign_snapshots set replied = 0 where connection = 'acme-seleqt' and campaign_id = $1 and day = $2`, [reset.id, g('2026-11-15')]);
    const afterReset = await analytics(range);
    expect(afterReset.etag).not.toBe(changed.etag);
    expect(campaigns(afterReset.body).find((c) => c.key === reset.key)?.metrics.replied).toBeNull();
    expect(afterReset.body.sources.find((s) => s.connection === 'acme-seleqt')?.warnings).toEqual([
      expect.objectContaining({ code: 'date_range_from_snapshots' }),
      expect.objectContaining({ code: 'counter_reset', count: 1, path: `${reset.id}.replied` }),
    ]);
    const conditional = await stack.get(`/v1/campaigns/analytics?workspace_id=ALL&providers=${PROVIDERS.join(',')}&${range}`, {
      'X-API-Key': 'canary-client-key-9f8e7d6c5b4a',
      'If-None-Match': afterReset.etag ?? '',
    });
    expect(conditional.status).toBe(304);
    // The baseline goes (retention, say): that source is lifetime again, under another ETag.
    await db.query(`delete from campaign_snapshots where connection = 'acme-seleqt' and day = $1`, [g('2026-11-09')]);
    const uncovered = await analytics(range);
    expect(uncovered.etag).not.toBe(afterReset.etag);
    expect(uncovered.body.sources.find((s) => s.connection === 'acme-seleqt')?.warnings.map((w) => w.code)).toEqual(['date_range_unsupported']);
    expect(uncovered.body.sources.find((s) => s.connection === 'globex-seleqt')?.warnings.map((w) => w.code)).toEqual(['date_range_from_snapshots']);
  }, 30_000);
});

describe('the store unreachable', () => {
  test('a covered range falls back to lifetime numbers with date_range_unsupported saying so; the answer is still 200 and complete', async () => {
    const store = stack.service.store;
    if (!store) throw new Error('no store');
    const range = `start_date=${g('2026-10-21')}&end_date=${g('2026-11-15')}`;
    const covered = await analytics(range);
    // (acme-seleqt's end snapshot was edited by the caching test: a counter_reset there too.)
    expect(covered.body.sources.find((s) => s.connection === 'globex-seleqt')?.warnings.map((w) => w.code)).toEqual(['date_range_from_snapshots']);
    // Closing the database underneath the store is what an unreachable server looks like to it.
    await store.database().close();
    const down = await analytics(range);
    expect(down.body.meta.complete).toBe(true);
    expect(down.etag).not.toBe(covered.etag);
    for (const provider of ['seleqt', 'kakiyo'] as const) {
      expect(warningCodes(down.body, provider)).toEqual(['date_range_unsupported', 'date_range_unsupported']);
      expect(down.body.sources.find((s) => s.provider === provider)?.warnings[0]?.message).toContain('the history store is unavailable');
      for (const campaign of campaigns(down.body, provider)) expect(campaign.metrics).toEqual(lifetime.get(campaign.key)?.metrics);
    }
    expect(store.up).toBe(false);
  }, 30_000);
});
