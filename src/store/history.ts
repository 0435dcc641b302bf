/**
 * History from snapshots: the growth of each metric per period (day, ISO week from Monday, or
 * calendar month, all UTC), per campaign, provider, workspace or in total.
 *
 * Rules:
 * - A campaign's value at the end of a period is its last snapshot in that period. Its growth in
 *   the period is that value minus its value at the end of the previous period; a campaign with
 *   no snapshot in either of the two periods contributes nothing to that period (never
 *   interpolated). A campaign that first appears after a walk of its connection in the previous
 *   period that did not list it is new: its baseline is zero. Otherwise a campaign's first
 *   snapshot is its baseline.
 * - A cumulative count that goes down (the vendor reset it, or the campaign was re-imported)
 *   starts a new baseline: that campaign's growth for that metric and period is left out, and a
 *   `counter_reset` warning counts it. No growth is ever negative.
 * - A group's point sums its campaigns' growth (null where none reports the metric); rates are
 *   recomputed from the sums by the same rule as the main endpoint's totals. A period where no
 *   campaign of the group has data is a gap: `metrics` null.
 */
import { METRIC_NAMES, emptyMetrics, type CampaignStatus, type MetricName, type Metrics, type ProviderId, type Rates } from '../schema/campaign';
import { computeTotals } from '../schema/rates';
import { quoteIdent } from './migrations';
import type { Sql } from './sql';

export const HISTORY_INTERVALS = ['day', 'week', 'month'] as const;
export type HistoryInterval = (typeof HISTORY_INTERVALS)[number];
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

export interface HistoryPoint {
  /** First day of the period (`YYYY-MM-DD`). */
  period: string;
  /** Last day of the period. */
  end: string;
  /** Where the numbers came from; null for a gap. */
  source: 'snapshots' | null;
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

const DAY_MS = 86_400_000;

function parseDay(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The first day of the period holding `day`. */
export function periodStart(day: string, interval: HistoryInterval): string {
  if (interval === 'day') return day;
  if (interval === 'month') return `${day.slice(0, 7)}-01`;
  const ms = parseDay(day);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return formatDay(ms - weekday * DAY_MS);
}

/** The first day of the period after the one starting at `start`. */
export function nextPeriod(start: string, interval: HistoryInterval): string {
  if (interval === 'day') return formatDay(parseDay(start) + DAY_MS);
  if (interval === 'week') return formatDay(parseDay(start) + 7 * DAY_MS);
  const date = new Date(parseDay(start));
  return formatDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

/** The periods covering start..end, each with its first and last day. */
export function periodsBetween(startDate: string, endDate: string, interval: HistoryInterval): { period: string; end: string }[] {
  const out: { period: string; end: string }[] = [];
  for (let start = periodStart(startDate, interval); start <= endDate; start = nextPeriod(start, interval)) {
    out.push({ period: start, end: formatDay(parseDay(nextPeriod(start, interval)) - DAY_MS) });
  }
  return out;
}

function previousPeriod(start: string, interval: HistoryInterval): string {
  if (interval === 'day') return formatDay(parseDay(start) - DAY_MS);
  if (interval === 'week') return formatDay(parseDay(start) - 7 * DAY_MS);
  const date = new Date(parseDay(start));
  return formatDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1));
}

const BUCKET: Readonly<Record<HistoryInterval, string>> = {
  day: 'day',
  week: "date_trunc('week', day)::date",
  month: "date_trunc('month', day)::date",
};

interface PeriodRow {
  connection: string;
  campaign_id: string;
  workspace: string;
  provider: ProviderId;
  name: string;
  status: string;
  bucket: string;
  demo: boolean;
  [metric: string]: unknown;
}

function metricsOf(row: PeriodRow): Metrics {
  const metrics = emptyMetrics();
  for (const name of METRIC_NAMES) {
    const value = row[name];
    metrics[name] = value === null || value === undefined ? null : Number(value);
  }
  return metrics;
}

/** Each campaign's last snapshot per period, from the period before the first one to the last. */
async function readPeriodRows(sql: Sql, query: HistoryQuery, periods: readonly { period: string; end: string }[]): Promise<PeriodRow[]> {
  const first = periods[0];
  const last = periods[periods.length - 1];
  if (!first || !last || query.workspaces.length === 0) return [];
  const params: unknown[] = [previousPeriod(first.period, query.interval), last.end, [...query.workspaces]];
  const where = ['day >= $1', 'day <= $2', 'workspace = any($3::text[])'];
  if (query.providers) {
    params.push([...query.providers]);
    where.push(`provider = any($${params.length}::text[])`);
  }
  if (query.ids) {
    params.push(query.ids.map((key) => key.slice(0, key.indexOf(':'))));
    params.push(query.ids.map((key) => key.slice(key.indexOf(':') + 1)));
    where.push(`(connection, campaign_id) in (select * from unnest($${params.length - 1}::text[], $${params.length}::text[]))`);
  }
  const metricColumns = METRIC_NAMES.map(quoteIdent).join(', ');
  const bucket = BUCKET[query.interval];
  return sql.query<PeriodRow>(
    `select distinct on (connection, campaign_id, bucket)
       connection, campaign_id, workspace, provider, name, status, demo, to_char(bucket, 'YYYY-MM-DD') as bucket, ${metricColumns}
     from (select *, ${bucket} as bucket from campaign_snapshots where ${where.join(' and ')}) s
     order by connection, campaign_id, bucket, day desc`,
    params,
  );
}

function groupOf(row: PeriodRow, groupBy: HistoryGroupBy): { id: string; group: HistorySeries['group'] } {
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

function zeroMetrics(): Metrics {
  const metrics = emptyMetrics();
  for (const name of METRIC_NAMES) metrics[name] = 0;
  return metrics;
}

/** Answers a history query from the snapshots. */
export async function queryHistory(sql: Sql, query: HistoryQuery): Promise<HistoryResult> {
  const periods = periodsBetween(query.startDate, query.endDate, query.interval);
  const rows = await readPeriodRows(sql, query, periods);
  const periodIndex = new Map(periods.map((p, index) => [p.period, index]));

  // Rows arrive ordered by campaign, then period.
  const byCampaign = new Map<string, PeriodRow[]>();
  for (const row of rows) {
    const key = `${row.connection}:${row.campaign_id}`;
    const list = byCampaign.get(key);
    if (list) list.push(row);
    else byCampaign.set(key, [row]);
  }

  const groups = new Map<string, { group: HistorySeries['group']; perPeriod: { metrics: Metrics }[][] }>();
  let resets = 0;
  let firstReset: string | undefined;
  let demo = false;
  // Connections walked in each period: a campaign first seen after a walk of its connection that
  // did not list it did not exist then, so its baseline is zero.
  const walked = new Set(rows.map((row) => `${row.connection}\u0000${row.bucket}`));
  for (const [key, list] of byCampaign) {
    const latest = list[list.length - 1] as PeriodRow;
    if (query.statuses && !query.statuses.includes(latest.status as CampaignStatus)) continue;
    const { id, group } = groupOf(latest, query.groupBy);
    let entry = groups.get(id);
    if (!entry) {
      entry = { group, perPeriod: periods.map(() => []) };
      groups.set(id, entry);
    }
    for (let i = 0; i < list.length; i += 1) {
      const previous = list[i - 1];
      const current = list[i] as PeriodRow;
      const index = periodIndex.get(current.bucket);
      if (index === undefined) continue;
      const previousBucket = previousPeriod(current.bucket, query.interval);
      let before: Metrics;
      if (previous !== undefined && previous.bucket === previousBucket) before = metricsOf(previous);
      else if (previous === undefined && walked.has(`${current.connection}\u0000${previousBucket}`)) before = zeroMetrics();
      else continue;
      const after = metricsOf(current);
      const growth = emptyMetrics();
      for (const name of METRIC_NAMES) {
        const a = before[name];
        const b = after[name];
        if (a === null || b === null) continue;
        if (b < a) {
          resets += 1;
          firstReset ??= `${key}.${name}`;
          continue;
        }
        growth[name] = b - a;
      }
      entry.perPeriod[index]?.push({ metrics: growth });
      if (current.demo) demo = true;
    }
  }

  const wanted = query.metrics ?? METRIC_NAMES;
  const series: HistorySeries[] = [...groups.values()]
    .map(({ group, perPeriod }) => ({
      group,
      points: periods.map((p, index): HistoryPoint => {
        const contributions = perPeriod[index] ?? [];
        if (contributions.length === 0) return { period: p.period, end: p.end, source: null, campaigns: 0, metrics: null, rates: null };
        const totals = computeTotals(contributions);
        const metrics: Partial<Metrics> = {};
        for (const name of wanted) metrics[name] = totals.metrics[name];
        return { period: p.period, end: p.end, source: 'snapshots', campaigns: contributions.length, metrics, rates: totals.rates };
      }),
    }))
    .sort((a, b) => JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));

  const warnings: HistoryWarning[] =
    resets === 0
      ? []
      : [
          {
            code: 'counter_reset',
            message: `${resets} cumulative count(s) went down between two periods (a vendor reset or a re-imported campaign); each starts a new baseline and its growth for that period is left out`,
            count: resets,
            path: firstReset ?? '?',
          },
        ];
  return { periods, series, warnings, demo };
}
