/**
 * Vendor daily rows as a point source, against the simulators' ground truth: one walk per demo
 * connection today, with `include=daily`, is the only snapshot; every earlier week is answered
 * from the vendor's own daily rows (`source: vendor_daily`), and each such week's growth equals
 * the simulator's cumulative counts at the week's end minus at the end of the week before. Weeks
 * the rows do not cover (SendKit's daily rows reach back 30 days) are gaps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { providerConnectionOf } from '../../src/gateway/connection';
import { demoConfig } from '../../src/demo';
import { createHttpClient } from '../../src/http/client';
import { createLogger } from '../../src/logger';
import { PROVIDER_FACTORIES } from '../../src/providers/registry';
import type { MetricName, ProviderId } from '../../src/schema/campaign';
import { DEMO_ACCOUNTS, closeSimulators, demoSimulatorOptions, startSimulators, type VendorSimulator } from '../../src/simulator';
import { HistoryStore } from '../../src/store';
import { bearer, get, type Json } from '../simulator/helpers';

const TODAY = '2026-03-29'; // a Sunday
const NOW = Date.parse(`${TODAY}T18:00:00Z`);
const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** Eight whole weeks up to today, oldest first. */
const WEEKS = Array.from({ length: 8 }, (_, i) => {
  const start = Date.parse('2026-02-02T00:00:00Z') + i * 7 * DAY_MS;
  return { period: day(start), end: day(start + 6 * DAY_MS), before: day(start - DAY_MS) };
});
const PROVIDERS: readonly ProviderId[] = ['instantly', 'sendkit', 'kakiyo'];
const CHECKED: readonly MetricName[] = ['sent', 'replied', 'interested'];
/*
 * Instantly's replies are left out: its daily rows count `unique_replies` per day, while a campaign
 * record without `reply_count_unique` (one in sixteen, as live replies sometimes are) reports the
 * lifetime `reply_count`; the two are different counts, and the daily rows' number is the one the
 * point reports for a week they cover.
 */
const CHECKED_BY: Partial<Record<ProviderId, readonly MetricName[]>> = { instantly: ['sent', 'interested'] };
type Counts = Partial<Record<MetricName, number>>;

/** Every account's cumulative counts of one vendor, summed, read from its own replies as of the simulator's reference date. */
async function vendorTotals(sim: VendorSimulator): Promise<Counts> {
  const total: Counts = { sent: 0, replied: 0, interested: 0 };
  const add = (counts: Counts): void => {
    for (const metric of CHECKED) total[metric] = (total[metric] ?? 0) + (counts[metric] ?? 0);
  };
  for (const account of DEMO_ACCOUNTS[sim.provider]) {
    if (sim.provider === 'instantly') {
      const rows: Json[] = (await get(sim, '/api/v2/campaigns/analytics', bearer(account.apiKey))).json();
      for (const row of rows) add({ sent: Number(row.emails_sent_count), replied: Number(row.reply_count_unique ?? row.reply_count), interested: Number(row.total_opportunities) });
    } else if (sim.provider === 'sendkit') {
      const headers: Record<string, string> = { 'x-api-key': account.apiKey, 'x-workspace-id': account.vendorWorkspaceId ?? '' };
      const items: Json[] = (await get(sim, '/v1/campaigns?limit=100', headers)).json().data;
      for (const item of items) {
        const body = (await get(sim, `/v1/analytics/campaigns/${String(item._id)}`, headers)).json().data;
        add({ sent: Number(body.stats.sent), replied: Number(body.totalReplied), interested: Number(body.totalPositiveReplied) });
      }
    } else {
      const items: Json[] = (await get(sim, '/v1/campaigns?limit=100', bearer(account.apiKey))).json().campaigns;
      for (const item of items) {
        const metrics = (await get(sim, `/v1/analytics/campaigns/${String(item.id)}`, bearer(account.apiKey))).json().metrics;
        add({ sent: Number(metrics.totalMessages), replied: Number(metrics.totalAnswers), interested: Number(metrics.totalQualified) });
      }
    }
  }
  return total;
}

let dir: string;
let store: HistoryStore;
let sims: Record<ProviderId, VendorSimulator>;
const config = demoConfig(
  { instantly: { url: 'http://127.0.0.1:9' }, sendkit: { url: 'http://127.0.0.1:9' }, kakiyo: { url: 'http://127.0.0.1:9' }, seleqt: { url: 'http://127.0.0.1:9' } },
  'vendor-daily-test-key',
  0,
  os.tmpdir(),
);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-vendor-daily-'));
  store = new HistoryStore({ dir, retentionDays: 400, logger: createLogger({ silent: true }), now: () => NOW });
  await store.start();
  const options = demoSimulatorOptions();
  sims = await startSimulators({
    instantly: { ...options.instantly, referenceDate: TODAY, rateLimit: { rules: [] } },
    sendkit: { ...options.sendkit, referenceDate: TODAY, rateLimit: { rules: [] } },
    kakiyo: { ...options.kakiyo, referenceDate: TODAY, rateLimit: { rules: [] } },
    seleqt: { ...options.seleqt, referenceDate: TODAY, rateLimit: { rules: [] } },
  });
  // Today's walk of every demo connection, with the vendors' daily rows: the store's only snapshot.
  for (const connection of config.connections) {
    if (connection.provider === 'seleqt') continue;
    const http = createHttpClient({ provider: connection.provider, baseUrl: sims[connection.provider].url, timeoutMs: 10_000, retry: { maxAttempts: 1 }, secrets: [connection.apiKey] });
    const fetched = await PROVIDER_FACTORIES[connection.provider]().fetchAnalytics(providerConnectionOf(connection), { include: { steps: false, daily: true, raw: false } }, http);
    await store.record({ connection: connection.id, workspace: connection.workspace, provider: connection.provider, records: fetched.records, fetchedAt: NOW });
  }
  expect(store.counters.writeFailures).toBe(0);
}, 120_000);

afterAll(async () => {
  await closeSimulators(sims);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test.each(PROVIDERS)("%s: each week the daily rows cover is answered from them and equals the simulator's ground truth", async (provider) => {
  const result = await store.history({ workspaces: ['acme', 'globex'], providers: [provider], startDate: WEEKS[0]?.period ?? '', endDate: TODAY, interval: 'week', groupBy: 'provider' });
  const points = result.series[0]?.points ?? [];
  expect(points.map((p) => p.period)).toEqual(WEEKS.map((w) => w.period));
  let checked = 0;
  for (const [index, week] of WEEKS.entries()) {
    const point = points[index];
    if (point?.source === null || point === undefined) continue;
    checked += 1;
    expect(point.source).not.toBe('snapshots');
    const checkedMetrics = CHECKED_BY[provider] ?? CHECKED;
    for (const metric of checkedMetrics) expect(point.sources?.[metric]).toBe('vendor_daily');
    sims[provider].setReferenceDate(week.before);
    const start = await vendorTotals(sims[provider]);
    sims[provider].setReferenceDate(week.end);
    const end = await vendorTotals(sims[provider]);
    const truth: Counts = {};
    for (const metric of checkedMetrics) truth[metric] = (end[metric] ?? 0) - (start[metric] ?? 0);
    const got: Counts = {};
    for (const metric of checkedMetrics) {
      const value = point.metrics?.[metric];
      if (value !== null && value !== undefined) got[metric] = value;
    }
    expect({ week: week.period, growth: got }).toEqual({ week: week.period, growth: truth });
  }
  sims[provider].setReferenceDate(TODAY);
  // SendKit's daily rows reach back 30 days, the others' over the campaigns' whole lives.
  expect(checked).toBeGreaterThanOrEqual(provider === 'sendkit' ? 4 : WEEKS.length - 1);
  // Both paths agree.
  expect(await store.history({ workspaces: ['acme', 'globex'], providers: [provider], startDate: WEEKS[0]?.period ?? '', endDate: TODAY, interval: 'week', groupBy: 'provider' }, 'campaigns')).toEqual(result);
}, 120_000);

test('a week covered by neither snapshots nor daily rows is a gap', async () => {
  const result = await store.history({ workspaces: ['acme', 'globex'], providers: ['sendkit'], startDate: WEEKS[0]?.period ?? '', endDate: TODAY, interval: 'week', groupBy: 'total' });
  const points = result.series[0]?.points ?? [];
  // More than 30 days before today: SendKit's daily rows do not reach, and no snapshot is that old.
  expect(points.slice(0, 3).map((p) => [p.source, p.metrics, p.campaigns])).toEqual([
    [null, null, 0],
    [null, null, 0],
    [null, null, 0],
  ]);
  // The last weeks are covered by the daily rows.
  expect(points.slice(-3).map((p) => p.source)).toEqual(['vendor_daily', 'vendor_daily', 'vendor_daily']);
  expect(points[points.length - 1]?.metrics?.sent).toBeGreaterThan(0);
  // A provider with no rows at all (Seleqt is not walked here) has no series.
  const seleqt = await store.history({ workspaces: ['acme', 'globex'], providers: ['seleqt'], startDate: WEEKS[0]?.period ?? '', endDate: TODAY, interval: 'week', groupBy: 'total' });
  expect(seleqt.series).toEqual([]);
});
