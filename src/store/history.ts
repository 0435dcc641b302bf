/**
 * History queries: the growth of each metric per period (day, ISO week from Monday, or calendar
 * month, all UTC), per campaign, provider, workspace or in total. The rule is `growth.ts`'s (from
 * snapshots, or the vendor's own daily rows where they cover the period). Two ways to the same
 * answer: a query by provider, workspace or in total without `ids` or `status` reads the
 * per-connection rollups (`rollup.ts`, a few rows per connection and period, grouped in SQL); any
 * other query sums the growth rule's per-campaign rows. `test/store/rollup.test.ts` checks both
 * give the same answer.
 *
 * - A group's point sums its campaigns' growth (null where none reports the metric); rates are
 *   recomputed from the sums by the same rule as the main endpoint's totals. A period where no
 *   campaign of the group has growth is a gap: `metrics` null, `source` null.
 * - A series exists for a group with a campaign that has a snapshot in the periods asked for (or
 *   the one before them), or growth in one of them.
 * - `source` says where a point's numbers came from: `vendor_daily`, `snapshots`, or `mixed` when
 *   its metrics (or its campaigns) came from both; `sources` says it per metric.
 */
import { METRIC_NAMES, RATE_NAMES, emptyMetrics, type CampaignStatus, type MetricName, type Metrics, type ProviderId, type Rates } from '../schema/campaign';
import { computeTotals, ratio } from '../schema/rates';
import { COVERED_BIT, growthSql, metricBit, type GrowthRow, type HistoryInterval } from './growth';
import { quoteIdent } from './migrations';
import { periodsBetween, previousPeriod } from './periods';
import { RATE_SUM_COLUMNS, ROLLUP_VERSION } from './rollup';
import type { Sql } from './sql';

export { HISTORY_INTERVALS, type HistoryInterval } from './growth';
export { nextPeriod, periodStart, periodsBetween } from './periods';

export const HISTORY_GROUPS = ['campaign', 'provider', 'workspace', 'total'] as const;
export type HistoryGroupBy = (typeof HISTORY_GROUPS)[number];

export interface HistoryQuery {
  /** The workspaces asked for (already authorized). */
  workspaces: readonly string[];
  providers?: readonly ProviderId[] | undefined;
  /** Campaign keys `<connection>:<vendor id>`. */
  ids?: readonly string[] | undefined;
  /** Matched against each campaign's status in its latest snapshot of the range. */
  statuses?: readonly CampaignStatus[] | undefined;
  startDate: string;
  endDate: string;
  interval: HistoryInterval;
  /** The metrics to report (all when undefined). */
  metrics?: readonly MetricName[] | undefined;
  groupBy: HistoryGroupBy;
}

export type PointSource = 'vendor_daily' | 'snapshots' | 'mixed';

export interface HistoryPoint {
  /** First day of the period (`YYYY-MM-DD`). */
  period: string;
  /** Last day of the period. */
  end: string;
  /** Where the numbers came from; null for a gap. */
  source: PointSource | null;
  /** Per metric with a value: where it came from; null for a gap. */
  sources: Partial<Record<MetricName, PointSource>> | null;
  /** Campaigns that contributed growth to this point. */
  campaigns: number;
  /** Growth in the period; null for a gap. */
  metrics: Partial<Metrics> | null;
  rates: Rates | null;
}

export interface HistorySeries {
  group: { campaign?: string; provider?: ProviderId; workspace?: string; name?: string };
  points: HistoryPoint[];
}

export interface HistoryWarning {
  code: 'counter_reset';
  message: string;
  count: number;
  /** `<campaign key>.<metric>` of the first reset seen. */
  path: string;
}

export interface HistoryResult {
  periods: { period: string; end: string }[];
  series: HistorySeries[];
  warnings: HistoryWarning[];
  /** Whether any point came from demo data (the demo's back-filled history). */
  demo: boolean;
}

/** Which way a query is answered: `auto` picks the rollups when the query allows them. */
export type HistoryPath = 'auto' | 'campaigns' | 'rollups';

type Period = { period: string; end: string };

/** A group's numbers in one period, before they become a point. */
interface Cell {
  campaigns: number;
  metrics: Metrics;
  rates: Rates;
  dailyMask: number;
  snapshotMask: number;
}

function sourceOf(daily: boolean, snapshots: boolean): PointSource {
  if (daily && snapshots) return 'mixed';
  return daily ? 'vendor_daily' : 'snapshots';
}

function point(p: Period, cell: Cell | undefined, wanted: readonly MetricName[]): HistoryPoint {
  if (!cell || cell.campaigns === 0) return { period: p.period, end: p.end, source: null, sources: null, campaigns: 0, metrics: null, rates: null };
  const metrics: Partial<Metrics> = {};
  const sources: Partial<Record<MetricName, PointSource>> = {};
  const seen = new Set<PointSource>();
  for (const name of wanted) {
    const value = cell.metrics[name];
    metrics[name] = value;
    if (value === null) continue;
    const bit = metricBit(METRIC_NAMES.indexOf(name));
    const source = sourceOf((cell.dailyMask & bit) !== 0, (cell.snapshotMask & bit) !== 0);
    sources[name] = source;
    seen.add(source);
  }
  let source: PointSource;
  if (seen.size === 1) source = [...seen][0] as PointSource;
  else if (seen.size > 1) source = 'mixed';
  // No metric asked for has a value: where the campaigns' growth came from.
  else source = sourceOf((cell.dailyMask & COVERED_BIT) !== 0, (cell.snapshotMask & COVERED_BIT) !== 0);
  return { period: p.period, end: p.end, source, sources, campaigns: cell.campaigns, metrics, rates: cell.rates };
}

function resetWarnings(resets: number, firstReset: string | undefined): HistoryWarning[] {
  if (resets === 0) return [];
  return [
    {
      code: 'counter_reset',
      message: `${resets} cumulative count(s) went down between two periods (a vendor reset or a re-imported campaign); each starts a new baseline and its growth for that period is left out`,
      count: resets,
      path: firstReset ?? '?',
    },
  ];
}

function sortSeries(series: HistorySeries[]): HistorySeries[] {
  return series.sort((a, b) => JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));
}

function groupOf(row: GrowthRow, groupBy: HistoryGroupBy): { id: string; group: HistorySeries['group'] } {
  switch (groupBy) {
    case 'campaign':
      return { id: `${row.connection}:${row.campaign_id}`, group: { campaign: `${row.connection}:${row.campaign_id}`, name: row.name, provider: row.provider, workspace: row.workspace } };
    case 'provider':
      return { id: row.provider, group: { provider: row.provider } };
    case 'workspace':
      return { id: row.workspace, group: { workspace: row.workspace } };
    default:
      return { id: 'total', group: {} };
  }
}

function growthOf(row: GrowthRow): Metrics {
  const metrics = emptyMetrics();
  for (const name of METRIC_NAMES) {
    const value = row[name];
    metrics[name] = value === null || value === undefined ? null : Number(value);
  }
  return metrics;
}

/** The per-campaign path: the growth rule's rows for every campaign, summed per group in JS. */
async function fromCampaigns(sql: Sql, query: HistoryQuery, periods: readonly Period[]): Promise<HistoryResult> {
  const first = periods[0] as Period;
  const last = periods[periods.length - 1] as Period;
  const before = previousPeriod(first.period, query.interval);
  const { text, params } = growthSql({
    interval: query.interval,
    // The period before the first one is read for membership (a campaign seen there has a series).
    periods: [before, ...periods.map((p) => p.period)],
    baselineDay: previousPeriod(before, query.interval),
    lastDay: last.end,
    workspaces: query.workspaces,
    providers: query.providers,
    ids: query.ids,
  });
  const rows = await sql.query<GrowthRow>(`${text}\norder by connection, campaign_id, period`, params);
  const periodIndex = new Map(periods.map((p, index) => [p.period, index]));

  const groups = new Map<string, { group: HistorySeries['group']; contributions: { metrics: Metrics }[][]; masks: { daily: number; snapshot: number }[] }>();
  let resets = 0;
  let firstReset: string | undefined;
  let demo = false;
  const flush = (list: GrowthRow[]): void => {
    if (!list.some((row) => row.has_snapshot || (row.period !== before && row.contributes))) return;
    const latest = list.findLast((row) => row.has_snapshot) ?? list.at(-1);
    if (!latest) return;
    if (query.statuses && !query.statuses.includes(latest.status as CampaignStatus)) return;
    const { id, group } = groupOf(latest, query.groupBy);
    let entry = groups.get(id);
    if (!entry) {
      entry = { group, contributions: periods.map(() => []), masks: periods.map(() => ({ daily: 0, snapshot: 0 })) };
      groups.set(id, entry);
    }
    for (const row of list) {
      const index = periodIndex.get(row.period);
      if (index === undefined || !row.contributes) continue;
      entry.contributions[index]?.push({ metrics: growthOf(row) });
      const masks = entry.masks[index];
      if (masks) {
        masks.daily |= Number(row.daily_mask);
        masks.snapshot |= Number(row.snapshot_mask);
      }
      if (Number(row.resets) > 0) {
        resets += Number(row.resets);
        firstReset ??= `${row.connection}:${row.campaign_id}.${row.first_reset_metric ?? '?'}`;
      }
      if (row.demo) demo = true;
    }
  };
  let current: GrowthRow[] = [];
  for (const row of rows) {
    const head = current[0];
    if (head && (head.connection !== row.connection || head.campaign_id !== row.campaign_id)) {
      flush(current);
      current = [];
    }
    current.push(row);
  }
  if (current.length > 0) flush(current);

  const wanted = query.metrics ?? METRIC_NAMES;
  const series = [...groups.values()].map(({ group, contributions, masks }) => ({
    group,
    points: periods.map((p, index) => {
      const list = contributions[index] ?? [];
      if (list.length === 0) return point(p, undefined, wanted);
      const totals = computeTotals(list);
      const mask = masks[index] ?? { daily: 0, snapshot: 0 };
      return point(p, { campaigns: list.length, metrics: totals.metrics, rates: totals.rates, dailyMask: mask.daily, snapshotMask: mask.snapshot }, wanted);
    }),
  }));
  return { periods: [...periods], series: sortSeries(series), warnings: resetWarnings(resets, firstReset), demo };
}

const GROUP_COLUMNS: Readonly<Record<Exclude<HistoryGroupBy, 'campaign'>, readonly string[]>> = {
  provider: ['provider'],
  workspace: ['workspace'],
  total: [],
};

interface RollupRow {
  provider?: ProviderId;
  workspace?: string;
  period: string;
  snapshots: number;
  campaigns: number;
  demo: boolean;
  resets: number;
  daily_mask: number;
  snapshot_mask: number;
  [column: string]: unknown;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** The rollup path: the per-connection rollups of the periods asked for, summed per group and period in SQL. */
async function fromRollups(sql: Sql, query: HistoryQuery & { groupBy: Exclude<HistoryGroupBy, 'campaign'> }, periods: readonly Period[]): Promise<HistoryResult> {
  const first = periods[0] as Period;
  const last = periods[periods.length - 1] as Period;
  const before = previousPeriod(first.period, query.interval);
  const params: unknown[] = [query.interval, before, last.period, [...query.workspaces]];
  const where = ['interval = $1', 'period >= $2::date', 'period <= $3::date', 'workspace = any($4::text[])'];
  if (query.providers) {
    params.push([...query.providers]);
    where.push(`provider = any($${params.length}::text[])`);
  }
  const keys = GROUP_COLUMNS[query.groupBy];
  const sums = [...METRIC_NAMES, ...RATE_SUM_COLUMNS].map((column) => `sum(${quoteIdent(column)}) as ${quoteIdent(column)}`);
  const rows = await sql.query<RollupRow>(
    `select ${[
      ...keys,
      "to_char(period, 'YYYY-MM-DD') as period",
      'sum(snapshots)::int as snapshots',
      'sum(campaigns)::int as campaigns',
      'bool_or(demo) as demo',
      'sum(resets)::int as resets',
      'bit_or(daily_mask) as daily_mask',
      'bit_or(snapshot_mask) as snapshot_mask',
      ...sums,
    ].join(', ')}
     from history_rollup where ${where.join(' and ')}
     group by ${[...keys, 'period'].join(', ')}`,
    params,
  );
  const periodIndex = new Map(periods.map((p, index) => [p.period, index]));
  const groups = new Map<string, { group: HistorySeries['group']; member: boolean; cells: (Cell | undefined)[] }>();
  let resets = 0;
  let demo = false;
  for (const row of rows) {
    const group: HistorySeries['group'] = query.groupBy === 'provider' ? { provider: row.provider as ProviderId } : query.groupBy === 'workspace' ? { workspace: row.workspace as string } : {};
    const id = JSON.stringify(group);
    let entry = groups.get(id);
    if (!entry) {
      entry = { group, member: false, cells: periods.map(() => undefined) };
      groups.set(id, entry);
    }
    const index = periodIndex.get(row.period);
    if (row.snapshots > 0 || (index !== undefined && row.campaigns > 0)) entry.member = true;
    if (index === undefined || row.campaigns === 0) continue;
    const metrics = emptyMetrics();
    for (const name of METRIC_NAMES) metrics[name] = numberOrNull(row[name]);
    const rates = {} as Rates;
    for (const name of RATE_NAMES) rates[name] = ratio(numberOrNull(row[`rate_${name}_num`]), numberOrNull(row[`rate_${name}_den`]));
    entry.cells[index] = { campaigns: row.campaigns, metrics, rates, dailyMask: Number(row.daily_mask), snapshotMask: Number(row.snapshot_mask) };
    resets += row.resets;
    if (row.demo) demo = true;
  }
  let firstReset: string | undefined;
  if (resets > 0) {
    const found = await sql.query<{ connection: string; first_reset_campaign: string; first_reset_metric: string }>(
      `select connection, first_reset_campaign, first_reset_metric from history_rollup
       where ${where.join(' and ')} and period >= $${params.length + 1}::date and resets > 0 and campaigns > 0
       order by connection, first_reset_campaign, period limit 1`,
      [...params, first.period],
    );
    const hit = found[0];
    if (hit) firstReset = `${hit.connection}:${hit.first_reset_campaign}.${hit.first_reset_metric}`;
  }
  const wanted = query.metrics ?? METRIC_NAMES;
  const series = [...groups.values()]
    .filter((entry) => entry.member)
    .map(({ group, cells }) => ({ group, points: periods.map((p, index) => point(p, cells[index], wanted)) }));
  return { periods: [...periods], series: sortSeries(series), warnings: resetWarnings(resets, firstReset), demo };
}

/** Whether every connection's rollups are current and none mixes workspaces or providers. */
async function rollupsUsable(sql: Sql): Promise<boolean> {
  const rows = await sql.query<{ stale: boolean }>('select exists (select 1 from history_connections where mixed or rollup_version <> $1) as stale', [ROLLUP_VERSION]);
  return rows[0]?.stale === false;
}

/** Answers a history query (`path` forces one way, for tests and the bench). */
export async function queryHistory(sql: Sql, query: HistoryQuery, path: HistoryPath = 'auto'): Promise<HistoryResult> {
  const periods = periodsBetween(query.startDate, query.endDate, query.interval);
  if (periods.length === 0 || query.workspaces.length === 0) return { periods, series: [], warnings: [], demo: false };
  const groupBy = query.groupBy;
  const allowed = groupBy !== 'campaign' && query.ids === undefined && query.statuses === undefined;
  if (path === 'rollups' && !allowed) throw new Error('the rollups answer no query by campaign, ids or status');
  const useRollups = groupBy !== 'campaign' && allowed && (path === 'rollups' || (path === 'auto' && (await rollupsUsable(sql))));
  return useRollups ? fromRollups(sql, { ...query, groupBy }, periods) : fromCampaigns(sql, query, periods);
}
