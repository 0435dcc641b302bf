/**
 * One connection's growth over a date range from its snapshots: what the main endpoint answers a
 * date range with for a vendor whose own numbers ignore the range (gateway/range.ts).
 *
 * Rule (all days UTC; a day's snapshot is the last walk recorded that day):
 * - The start is the snapshot of the day before `startDate` (the baseline day); the end is the
 *   snapshot of `endDate`, or, when `endDate` is today or later, the vendor's numbers as of now
 *   (`current`, the walk being answered).
 * - The snapshots cover the range when the connection has a snapshot on the baseline day and, for
 *   an end before today, on `endDate`; days in between are not needed. A range starting after
 *   today is never covered. When not covered the answer is undefined.
 * - Each campaign the vendor lists now gets `growthBetween(start, end)` (growth.ts): a campaign
 *   missing from the baseline day's walk did not exist then (baseline zero), one missing from the
 *   end day's walk did not exist yet at the end (end zero: no growth in the range); a metric that
 *   went down is null and counted as a reset.
 */
import { METRIC_NAMES, emptyMetrics, type MetricName, type Metrics } from '../schema/campaign';
import { growthBetween, zeroMetrics } from './delta';
import { quoteIdent } from './migrations';
import type { SqlQueries } from './sql';

export interface SnapshotRangeQuery {
  connection: string;
  /** `YYYY-MM-DD`, inclusive. */
  startDate: string;
  endDate: string;
  /** Today's UTC day by the gateway's clock: an end on or after it is "now". */
  today: string;
  /** The campaigns the vendor lists now, with their cumulative (lifetime) metrics. */
  current: readonly { id: string; metrics: Metrics }[];
  /** The metrics whose resets are counted (the ones the caller will use). @default all */
  metrics?: readonly MetricName[] | undefined;
}

export interface SnapshotRange {
  /** The day whose snapshot is the start (the day before `startDate`). */
  baselineDay: string;
  /** The day whose snapshot is the end, or null when the end is now (the vendor's current numbers). */
  endDay: string | null;
  /** Per vendor campaign id (every one of `current`): the growth in the range. */
  growth: Map<string, Metrics>;
  /** Cumulative counts of the wanted metrics that went down between the two ends (each left null). */
  resets: number;
  /** `<campaign id>.<metric>` of the first reset. */
  firstReset: string | undefined;
}

const DAY_MS = 86_400_000;
const METRIC_COLUMNS = METRIC_NAMES.map(quoteIdent).join(', ');

function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

type SnapshotRow = { day: string; campaign_id: string } & Record<MetricName, unknown>;

function metricsOf(row: SnapshotRow): Metrics {
  const metrics = emptyMetrics();
  for (const name of METRIC_NAMES) {
    const value = row[name];
    metrics[name] = value === null || value === undefined ? null : Number(value);
  }
  return metrics;
}

/** The growth of each of `query.current` over the range, or undefined when the snapshots do not cover it. */
export async function queryRange(sql: SqlQueries, query: SnapshotRangeQuery): Promise<SnapshotRange | undefined> {
  const baselineDay = dayBefore(query.startDate);
  if (baselineDay >= query.today) return undefined;
  const endDay = query.endDate < query.today ? query.endDate : null;
  const rows = await sql.query<SnapshotRow>(
    `select to_char(day, 'YYYY-MM-DD') as day, campaign_id, ${METRIC_COLUMNS}
     from campaign_snapshots where connection = $1 and day = any($2::date[])`,
    [query.connection, endDay === null ? [baselineDay] : [baselineDay, endDay]],
  );
  const start = new Map<string, Metrics>();
  const end = new Map<string, Metrics>();
  for (const row of rows) (row.day === baselineDay ? start : end).set(row.campaign_id, metricsOf(row));
  if (start.size === 0 || (endDay !== null && end.size === 0)) return undefined;

  const growth = new Map<string, Metrics>();
  let resets = 0;
  let firstReset: string | undefined;
  const counted = new Set<MetricName>(query.metrics ?? METRIC_NAMES);
  for (const campaign of query.current) {
    const before = start.get(campaign.id) ?? zeroMetrics();
    const after = endDay === null ? campaign.metrics : (end.get(campaign.id) ?? zeroMetrics());
    growth.set(
      campaign.id,
      growthBetween(before, after, (metric) => {
        if (!counted.has(metric)) return;
        resets += 1;
        firstReset ??= `${campaign.id}.${metric}`;
      }),
    );
  }
  return { baselineDay, endDay, growth, resets, firstReset };
}
