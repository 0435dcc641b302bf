/**
 * The demo's back-fill against the truth: 63 days (nine weeks) of demo history written into a real history
 * store (PGlite in a temp dir), then, for every vendor, each week's growth from
 * `store.history(interval week, group by provider)` equals the simulator's ground truth for that
 * week, read straight from the vendor's own fields on a separate simulator set to the two week
 * ends (weeks in which a campaign starts are a known gap of the store's rule, see below). Rows are marked demo, and re-running rewrites the same rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoConfig } from '../../src/demo';
import { backfillDemoHistory, type BackfillResult } from '../../src/demo-history';
import { createLogger } from '../../src/logger';
import { PROVIDER_IDS, type MetricName, type ProviderId } from '../../src/schema/campaign';
import { DEMO_ACCOUNTS, closeSimulators, demoSimulatorOptions, startSimulators, type DemoAccount, type VendorSimulator } from '../../src/simulator';
import { HistoryStore } from '../../src/store';
import { bearer, get, type Json } from '../simulator/helpers';

const TODAY = '2026-03-29'; // a Sunday: nine whole weeks from Monday 2026-01-26
const DAYS = 63;
const NOW = Date.parse(`${TODAY}T18:00:00Z`);
const DAY_MS = 86_400_000;
/** The weeks checked: every one after the first (which is only the baseline). */
const WEEKS = Array.from({ length: DAYS / 7 - 1 }, (_, i) => {
  const start = Date.parse('2026-02-02T00:00:00Z') + i * 7 * DAY_MS;
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return { period: day(start), end: day(start + 6 * DAY_MS), before: day(start - DAY_MS) };
});

/** What the test compares per vendor, as the vendor itself reports it (its own field names). */
const CHECKED: readonly MetricName[] = ['sent', 'replied', 'interested'];

type Counts = Partial<Record<MetricName, number>>;

/** One campaign's cumulative counts, by vendor campaign id, read from the vendor's own replies. */
async function vendorCounts(sim: VendorSimulator, account: DemoAccount): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>();
  switch (sim.provider) {
    case 'instantly': {
      const rows: Json[] = (await get(sim, '/api/v2/campaigns/analytics', bearer(account.apiKey))).json();
      for (const row of rows) {
        out.set(String(row.campaign_id), {
          sent: Number(row.emails_sent_count),
          replied: Number(row.reply_count_unique ?? row.reply_count),
          interested: Number(row.total_opportunities),
        });
      }
      return out;
    }
    case 'sendkit': {
      const headers: Record<string, string> = { 'x-api-key': account.apiKey, 'x-workspace-id': account.vendorWorkspaceId ?? '' };
      const items: Json[] = (await get(sim, '/v1/campaigns?limit=100', headers)).json().data;
      for (const item of items) {
        const body = (await get(sim, `/v1/analytics/campaigns/${String(item._id)}`, headers)).json().data;
        out.set(String(item._id), { sent: Number(body.stats.sent), replied: Number(body.totalReplied), interested: Number(body.totalPositiveReplied) });
      }
      return out;
    }
    case 'kakiyo': {
      const items: Json[] = (await get(sim, '/v1/campaigns?limit=100', bearer(account.apiKey))).json().campaigns;
      for (const item of items) {
        const metrics = (await get(sim, `/v1/analytics/campaigns/${String(item.id)}`, bearer(account.apiKey))).json().metrics;
        out.set(String(item.id), { sent: Number(metrics.totalMessages), replied: Number(metrics.totalAnswers), interested: Number(metrics.totalQualified) });
      }
      return out;
    }
    case 'seleqt': {
      const rows: Json[] = (await get(sim, '/api/v1/dashboard/campaign-analytics/', { 'x-api-key': account.apiKey })).json().campaigns;
      for (const row of rows) {
        const a = row.analytics;
        out.set(String(row.id), {
          sent: Number(a.amount_of_emails_sent) + Number(a.amount_of_linkedin_messages_sent) + Number(a.amount_of_invites_sent),
          replied: Number(a.amount_of_replies),
          interested: Number(a.amount_of_interested),
        });
      }
      return out;
    }
  }
}

/** The ground truth of a week for one vendor: every account's cumulative counts at its end minus at the end of the week before. */
async function weekTruth(sim: VendorSimulator, week: { end: string; before: string }): Promise<{ all: Counts; carried: Counts; newCampaigns: number }> {
  const all: Counts = {};
  const carried: Counts = {};
  let newCampaigns = 0;
  for (const account of DEMO_ACCOUNTS[sim.provider]) {
    sim.setReferenceDate(week.before);
    const before = await vendorCounts(sim, account);
    sim.setReferenceDate(week.end);
    const after = await vendorCounts(sim, account);
    for (const [id, end] of after) {
      const start = before.get(id);
      if (start === undefined) newCampaigns += 1;
      for (const metric of CHECKED) {
        const growth = (end[metric] ?? 0) - (start?.[metric] ?? 0);
        all[metric] = (all[metric] ?? 0) + growth;
        if (start !== undefined) carried[metric] = (carried[metric] ?? 0) + growth;
      }
    }
  }
  return { all, carried, newCampaigns };
}

let dir: string;
let store: HistoryStore;
let first: BackfillResult;
let truthSims: Record<ProviderId, VendorSimulator>;
const config = demoConfig(
  { instantly: { url: 'http://127.0.0.1:9' }, sendkit: { url: 'http://127.0.0.1:9' }, kakiyo: { url: 'http://127.0.0.1:9' }, seleqt: { url: 'http://127.0.0.1:9' } },
  'demo-backfill-test-key',
  0,
  os.tmpdir(),
);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-backfill-'));
  store = new HistoryStore({ dir, retentionDays: 400, logger: createLogger({ silent: true }), now: () => NOW });
  await store.start();
  expect(store.up).toBe(true);
  first = await backfillDemoHistory({ store, config, days: DAYS, today: TODAY, now: () => NOW });
  const options = demoSimulatorOptions();
  truthSims = await startSimulators({
    instantly: { ...options.instantly, referenceDate: TODAY, rateLimit: { rules: [] } },
    sendkit: { ...options.sendkit, referenceDate: TODAY, rateLimit: { rules: [] } },
    kakiyo: { ...options.kakiyo, referenceDate: TODAY, rateLimit: { rules: [] } },
    seleqt: { ...options.seleqt, referenceDate: TODAY, rateLimit: { rules: [] } },
  });
}, 120_000);

afterAll(async () => {
  await closeSimulators(truthSims);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('one walk per demo connection per day, none failed', () => {
  expect(first.failures).toEqual([]);
  expect(first.walks).toBe(config.connections.length * DAYS);
  expect(first.from).toBe('2026-01-26');
  expect(first.to).toBe(TODAY);
  expect(first.records).toBeGreaterThan(0);
});

/** Each checked week's growth per metric from `store.history` for one vendor, and the ground truth. */
async function weeks(provider: ProviderId): Promise<{ period: string; got: Counts; truth: Awaited<ReturnType<typeof weekTruth>> }[]> {
  const result = await store.history({
    workspaces: ['acme', 'globex'],
    providers: [provider],
    startDate: WEEKS[0]?.period ?? '',
    endDate: WEEKS[WEEKS.length - 1]?.end ?? '',
    interval: 'week',
    groupBy: 'provider',
  });
  expect(result.demo).toBe(true);
  expect(result.warnings).toEqual([]);
  expect(result.series).toHaveLength(1);
  const points = result.series[0]?.points ?? [];
  expect(points.map((p) => p.period)).toEqual(WEEKS.map((w) => w.period));
  const out = [];
  for (const [index, week] of WEEKS.entries()) {
    const got: Counts = {};
    for (const metric of CHECKED) {
      const value = points[index]?.metrics?.[metric];
      if (value !== undefined && value !== null) got[metric] = value;
    }
    out.push({ period: week.period, got, truth: await weekTruth(truthSims[provider], week) });
  }
  return out;
}

test.each(PROVIDER_IDS)("%s: each week's growth from the snapshots equals the simulator's ground truth", async (provider) => {
  const checked = await weeks(provider);
  const settled = checked.filter((week) => week.truth.newCampaigns === 0);
  for (const { period, got, truth } of settled) expect({ period, growth: got }).toEqual({ period, growth: truth.all });
  expect(settled.reduce((sum, week) => sum + (week.truth.all.sent ?? 0), 0)).toBeGreaterThan(0);
  // The window also holds weeks in which a campaign starts sending (the case of the next test).
  expect(checked.some((week) => week.truth.newCampaigns > 0 && (week.truth.all.sent ?? 0) > (week.truth.carried.sent ?? 0))).toBe(true);
}, 60_000);

/*
 * A campaign first seen during a week (created after the previous week's walk of its connection)
 * is new: its baseline is zero, so its whole first week counts in that week's growth.
 */
test.each(PROVIDER_IDS)("%s: a campaign that starts during a week counts in that week's growth", async (provider) => {
  const fresh = (await weeks(provider)).filter((week) => week.truth.newCampaigns > 0);
  for (const { period, got, truth } of fresh) expect({ period, growth: got }).toEqual({ period, growth: truth.all });
}, 60_000);

test('every row is marked demo, one per campaign per day', async () => {
  const rows = await store.database().query<{ days: number; rows: number; demo: number }>(
    'select count(distinct day)::int as days, count(*)::int as rows, count(*) filter (where demo)::int as demo from campaign_snapshots',
  );
  expect(rows[0]).toEqual({ days: DAYS, rows: first.records, demo: first.records });
});

test('re-running rewrites the same rows with the same numbers', async () => {
  const snapshot = async (): Promise<string> =>
    JSON.stringify(await store.database().query('select connection, campaign_id, day::text, sent, replied, interested, demo from campaign_snapshots order by 1, 2, 3'));
  const before = await snapshot();
  const again = await backfillDemoHistory({ store, config, days: 7, today: TODAY, now: () => NOW });
  expect(again.failures).toEqual([]);
  expect(await snapshot()).toBe(before);
}, 60_000);

test('a connection no simulator account serves is reported, not walked; a bad day count or date is refused', async () => {
  const written: string[] = [];
  const sink = { recordMany: async (walks: readonly { connection: string }[]): Promise<void> => void written.push(...walks.map((walk) => walk.connection)) };
  const [known] = config.connections.filter((c) => c.provider === 'seleqt');
  if (known === undefined) throw new Error('no seleqt connection');
  const stranger = { ...known, id: 'acme-stranger', apiKey: 'ffffffff.notADemoSecret000000000000000' };
  const result = await backfillDemoHistory({ store: sink, config: { connections: [known, stranger] }, days: 2, today: TODAY, now: () => NOW });
  expect(written).toEqual([known.id, known.id]);
  expect(result.failures).toEqual([{ connection: 'acme-stranger', day: TODAY, message: expect.stringContaining('no seleqt simulator account') }]);
  expect(JSON.stringify(result)).not.toContain(stranger.apiKey);
  await expect(backfillDemoHistory({ store: sink, config, days: 0, today: TODAY })).rejects.toThrow(RangeError);
  await expect(backfillDemoHistory({ store: sink, config, days: 2, today: '2026-02-30' })).rejects.toThrow(RangeError);
});
