/**
 * The growth rule, in one SQL statement: for each campaign and period (day, ISO week, calendar
 * month; UTC) its growth per metric, and where each number came from. Both ways of answering a
 * history query read it: the per-campaign path sums its rows in JS, and the per-connection
 * rollups (`rollup.ts`) are its rows summed per connection and period, kept in step with every
 * write. The rule:
 *
 * - Snapshots: a campaign's value at the end of a period is its last snapshot in the period; its
 *   growth is that value minus its last snapshot in the previous period. Without a snapshot in the
 *   previous period, a campaign never seen before whose connection was walked in the previous
 *   period (the walk did not list it) is new and grows from zero; otherwise it has no growth in
 *   the period (a gap, never interpolated). A count that went down starts a new baseline: that
 *   metric's growth is left out and counted as a reset; no growth is negative.
 * - Vendor daily rows: where the vendor's own daily rows cover the period (`vendor_daily_coverage`:
 *   the rows' first day is on or before the period's first day, or inside the period when the rows
 *   are the campaign's whole history (they add up to its cumulative counts); the walk that carried
 *   them was on or after the period's first day; and either the period had ended by then or no
 *   later snapshot of the campaign is in the period), the growth of each metric the rows carry is
 *   the sum of the period's rows (a day without a row had no activity). The other metrics follow
 *   the snapshot rule.
 *
 * A row contributes to its period when it has a baseline or is covered. Bit i of the masks is
 * metric i of METRIC_NAMES; `COVERED_BIT` says the row is covered (daily mask) or has a snapshot
 * baseline (snapshot mask).
 */
import { METRIC_NAMES, type MetricName, type ProviderId } from '../schema/campaign';
import { quoteIdent } from './migrations';

export const HISTORY_INTERVALS = ['day', 'week', 'month'] as const;
export type HistoryInterval = (typeof HISTORY_INTERVALS)[number];

/** The metrics a vendor's daily row can carry (the columns of `vendor_daily`). */
export const DAILY_METRICS = ['sent', 'opened', 'clicked', 'replied', 'interested'] as const satisfies readonly MetricName[];
export type DailyMetric = (typeof DAILY_METRICS)[number];

/** The bit after the metrics' bits. */
export const COVERED_BIT = 2 ** METRIC_NAMES.length;

export function metricBit(index: number): number {
  return 2 ** index;
}

/** The first day of the period holding a `date` expression. */
export const BUCKET_SQL: Readonly<Record<HistoryInterval, (day: string) => string>> = {
  day: (day) => day,
  week: (day) => `date_trunc('week', ${day})::date`,
  month: (day) => `date_trunc('month', ${day})::date`,
};

/** The first day of the period before the one starting at a `date` expression. */
const PREVIOUS_SQL: Readonly<Record<HistoryInterval, (start: string) => string>> = {
  day: (start) => `(${start} - 1)`,
  week: (start) => `(${start} - 7)`,
  month: (start) => `(${start} - interval '1 month')::date`,
};

/** The last day of the period starting at a `date` expression. */
const END_SQL: Readonly<Record<HistoryInterval, (start: string) => string>> = {
  day: (start) => start,
  week: (start) => `(${start} + 6)`,
  month: (start) => `((${start} + interval '1 month')::date - 1)`,
};

export interface GrowthScope {
  interval: HistoryInterval;
  /** First days of the periods to compute, ascending and consecutive. */
  periods: readonly string[];
  /** The last day read (the last period's last day). */
  lastDay: string;
  /** The first day of the period before the first one (its snapshots are the first baseline). */
  baselineDay: string;
  connections?: readonly string[] | undefined;
  workspaces?: readonly string[] | undefined;
  providers?: readonly ProviderId[] | undefined;
  /** Campaign keys `<connection>:<vendor id>`. */
  ids?: readonly string[] | undefined;
}

/** One campaign's growth in one period, as the statement returns it. */
export interface GrowthRow {
  connection: string;
  campaign_id: string;
  period: string;
  has_snapshot: boolean;
  workspace: string;
  provider: ProviderId;
  name: string;
  status: string;
  demo: boolean;
  contributes: boolean;
  resets: number;
  reset_mask: number;
  first_reset_metric: string | null;
  daily_mask: number;
  snapshot_mask: number;
  [metric: string]: unknown;
}

const q = quoteIdent;

/** The statement and its parameters. */
export function growthSql(scope: GrowthScope): { text: string; params: unknown[] } {
  const { interval } = scope;
  const bucket = BUCKET_SQL[interval];
  const params: unknown[] = [[...scope.periods], scope.baselineDay, scope.lastDay, scope.periods[0]];
  // Each filter's parameters once; the clauses repeat them for snapshots, coverage and daily rows.
  const clauses: ((alias: string) => string)[] = [];
  if (scope.connections) {
    params.push([...scope.connections]);
    const n = params.length;
    clauses.push((alias) => `${alias}.connection = any($${n}::text[])`);
  }
  if (scope.workspaces) {
    params.push([...scope.workspaces]);
    const n = params.length;
    clauses.push((alias) => `${alias}.workspace = any($${n}::text[])`);
  }
  if (scope.providers) {
    params.push([...scope.providers]);
    const n = params.length;
    clauses.push((alias) => `${alias}.provider = any($${n}::text[])`);
  }
  if (scope.ids) {
    params.push(scope.ids.map((key) => key.slice(0, key.indexOf(':'))));
    params.push(scope.ids.map((key) => key.slice(key.indexOf(':') + 1)));
    const n = params.length;
    clauses.push((alias) => `(${alias}.connection, ${alias}.campaign_id) in (select * from unnest($${n - 1}::text[], $${n}::text[]))`);
  }
  const filters = (alias: string): string => clauses.map((clause) => ` and ${clause(alias)}`).join('');
  const metrics = METRIC_NAMES.map((name) => q(name)).join(', ');
  const daily = (name: MetricName): boolean => (DAILY_METRICS as readonly string[]).includes(name);

  const joinedColumns = METRIC_NAMES.flatMap((name) => [
    `cur.${q(name)} as ${q(`c_${name}`)}`,
    `prev.${q(name)} as ${q(`p_${name}`)}`,
    ...(daily(name) ? [`d.${q(name)} as ${q(`d_${name}`)}`] : []),
  ]).join(',\n      ');
  // Layer 2: per metric, whether the daily rows give it, and its baseline.
  const layer2 = METRIC_NAMES.flatMap((name) => [
    `${daily(name) ? `(covered and '${name}' = any(carried))` : 'false'} as ${q(`u_${name}`)}`,
    `case base when 1 then ${q(`p_${name}`)} when 0 then 0 end as ${q(`b_${name}`)}`,
    `${q(`c_${name}`)}`,
    ...(daily(name) ? [q(`d_${name}`)] : []),
  ]).join(',\n      ');
  // Layer 3: per metric, its growth and whether it went down (a reset).
  const layer3 = METRIC_NAMES.flatMap((name) => {
    const [u, b, c] = [q(`u_${name}`), q(`b_${name}`), q(`c_${name}`)];
    return [
      u,
      `case when ${u} then coalesce(${daily(name) ? q(`d_${name}`) : 'null'}, 0) when ${c} < ${b} then null else ${c} - ${b} end as ${q(`g_${name}`)}`,
      `(not ${u} and coalesce(${c} < ${b}, false)) as ${q(`r_${name}`)}`,
    ];
  }).join(',\n      ');
  const [g, r, u] = [(name: MetricName): string => q(`g_${name}`), (name: MetricName): string => q(`r_${name}`), (name: MetricName): string => q(`u_${name}`)];
  const outputs = [
    ...METRIC_NAMES.map((name) => `${g(name)} as ${q(name)}`),
    `(${METRIC_NAMES.map((name) => `${r(name)}::int`).join(' + ')}) as resets`,
    `(${METRIC_NAMES.map((name, i) => `case when ${r(name)} then ${metricBit(i)} else 0 end`).join(' + ')}) as reset_mask`,
    `case ${METRIC_NAMES.map((name) => `when ${r(name)} then '${name}'`).join(' ')} end as first_reset_metric`,
    `(case when covered then ${COVERED_BIT} else 0 end + ${METRIC_NAMES.map((name, i) => `case when ${u(name)} then ${metricBit(i)} else 0 end`).join(' + ')}) as daily_mask`,
    `(case when base is not null then ${COVERED_BIT} else 0 end + ${METRIC_NAMES.map((name, i) => `case when not ${u(name)} and ${g(name)} is not null then ${metricBit(i)} else 0 end`).join(' + ')}) as snapshot_mask`,
  ].join(',\n    ');

  const dailySums = DAILY_METRICS.map((name) => `sum(v.${q(name)}) as ${q(name)}`).join(', ');
  const snapFilters = filters('s');
  const covFilters = filters('c');
  const dailyFilters = filters('v');
  const text = `
with periods as (
  select p::date as period, ${END_SQL[interval]('p::date')} as period_end from unnest($1::text[]) as p
),
snap as (
  select distinct on (connection, campaign_id, bucket)
    connection, campaign_id, bucket, fetched_at, workspace, provider, name, status, demo, ${metrics}
  from (select s.*, ${bucket('s.day')} as bucket from campaign_snapshots s where s.day >= $2::date and s.day <= $3::date${snapFilters}) s
  order by connection, campaign_id, bucket, day desc
),
cov as (
  select c.* from vendor_daily_coverage c where c.through_day >= $4::date and c.from_day <= $3::date${covFilters}
),
daily as (
  select v.connection, v.campaign_id, ${bucket('v.day')} as bucket, ${dailySums}
  from vendor_daily v where v.day >= $4::date and v.day <= $3::date${dailyFilters}
  group by 1, 2, 3
),
keys as (
  select connection, campaign_id, bucket as period from snap where bucket >= $4::date
  union
  select c.connection, c.campaign_id, p.period from cov c join periods p on (c.from_day <= p.period or (c.whole and c.from_day <= p.period_end)) and c.through_day >= p.period
),
joined as (
  select k.connection, k.campaign_id, k.period,
    cur.bucket is not null as has_snapshot,
    coalesce(cur.workspace, cv.workspace) as workspace,
    coalesce(cur.provider, cv.provider) as provider,
    coalesce(cur.name, cv.name) as name,
    coalesce(cur.status, cv.status) as status,
    coalesce(cur.demo, false) as demo,
    (cv.connection is not null and (cv.from_day <= k.period or (cv.whole and cv.from_day <= p.period_end)) and cv.through_day >= k.period
      and (cv.through_day > p.period_end or cur.fetched_at is null or cv.fetched_at >= cur.fetched_at)) as covered,
    cv.metrics as carried,
    case
      when prev.bucket is not null then 1
      when cur.bucket is not null
        and exists (select 1 from campaign_snapshots w where w.connection = k.connection and w.day >= ${PREVIOUS_SQL[interval]('k.period')} and w.day < k.period)
        and not exists (select 1 from campaign_snapshots e where e.connection = k.connection and e.campaign_id = k.campaign_id and e.day < k.period)
      then 0
    end as base,
      ${joinedColumns}
  from keys k
  join periods p on p.period = k.period
  left join snap cur on cur.connection = k.connection and cur.campaign_id = k.campaign_id and cur.bucket = k.period
  left join snap prev on prev.connection = k.connection and prev.campaign_id = k.campaign_id and prev.bucket = ${PREVIOUS_SQL[interval]('k.period')}
  left join cov cv on cv.connection = k.connection and cv.campaign_id = k.campaign_id
  left join daily d on d.connection = k.connection and d.campaign_id = k.campaign_id and d.bucket = k.period
),
layered as (
  select connection, campaign_id, period, has_snapshot, workspace, provider, name, status, demo, covered, base,
      ${layer2}
  from joined
),
grown as (
  select connection, campaign_id, period, has_snapshot, workspace, provider, name, status, demo, covered, base,
      ${layer3}
  from layered
)
select connection, campaign_id, to_char(period, 'YYYY-MM-DD') as period, has_snapshot, workspace, provider, name, status, demo,
    (covered or base is not null) as contributes,
    ${outputs}
from grown`;
  return { text, params };
}
