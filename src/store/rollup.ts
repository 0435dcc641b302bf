/**
 * Per-connection rollups: for each connection, interval and period, the growth rule's rows
 * (`growth.ts`) summed: campaigns, each metric's growth, the rates' numerator and denominator sums,
 * resets (and the first one), where the numbers came from. A history query without `ids`,
 * `status` or `group_by=campaign` reads these few rows instead of every campaign's snapshots.
 *
 * They are recomputed in the transaction of each write, for the periods the write can change: the
 * period of the walk's day and the next one (whose baseline it is), back to the first day whose
 * vendor daily rows or coverage changed, and forward to the connection's last day when a walk is
 * written out of order. `history_connections` keeps each connection's span and the rollups'
 * version: a connection whose rollups are missing or older (data written before migration 2, or a
 * change of the rule: `ROLLUP_VERSION`) is rebuilt whole when the store opens. A connection whose
 * rows carry more than one workspace or provider (`mixed`) is answered by the per-campaign path.
 */
import { METRIC_NAMES, RATE_DEFINITIONS, RATE_NAMES } from '../schema/campaign';
import { HISTORY_INTERVALS, growthSql, type HistoryInterval } from './growth';
import { nextPeriod, periodsBetween, previousPeriod } from './periods';
import { MIGRATION_LOCK, quoteIdent } from './migrations';
import type { Sql, SqlQueries } from './sql';

/** Bumped when the growth rule changes: rollups of an older version are rebuilt at start. */
export const ROLLUP_VERSION = 1;

const q = quoteIdent;

export const RATE_SUM_COLUMNS = RATE_NAMES.flatMap((name) => [`rate_${name}_num`, `rate_${name}_den`]);

const ROLLUP_INSERT_COLUMNS = [
  'connection',
  'interval',
  'period',
  'workspace',
  'provider',
  'snapshots',
  'campaigns',
  'demo',
  'resets',
  'first_reset_campaign',
  'first_reset_metric',
  'daily_mask',
  'snapshot_mask',
  ...METRIC_NAMES,
  ...RATE_SUM_COLUMNS,
];

function rollupSelect(): string {
  const sums = METRIC_NAMES.map((name) => `sum(g.${q(name)}) filter (where g.contributes)`);
  const rates = RATE_NAMES.flatMap((name) => {
    const [num, den] = RATE_DEFINITIONS[name];
    const both = `g.contributes and g.${q(num)} is not null and g.${q(den)} is not null`;
    return [`sum(g.${q(num)}) filter (where ${both})`, `sum(g.${q(den)}) filter (where ${both})`];
  });
  return [
    'g.connection',
    '$INTERVAL',
    'g.period::date',
    'max(g.workspace)',
    'max(g.provider)',
    'count(*) filter (where g.has_snapshot)',
    'count(*) filter (where g.contributes)',
    'coalesce(bool_or(g.demo) filter (where g.contributes), false)',
    'coalesce(sum(g.resets) filter (where g.contributes), 0)',
    '(array_agg(g.campaign_id order by g.campaign_id) filter (where g.resets > 0))[1]',
    '(array_agg(g.first_reset_metric order by g.campaign_id) filter (where g.resets > 0))[1]',
    'coalesce(bit_or(g.daily_mask) filter (where g.contributes), 0)',
    'coalesce(bit_or(g.snapshot_mask) filter (where g.contributes), 0)',
    ...sums,
    ...rates,
  ].join(', ');
}

/** The function that recomputes one connection's rollups of one interval (`og_rollup_<interval>`). */
function rollupFunctionName(interval: HistoryInterval): string {
  return `og_rollup_${interval}_v${ROLLUP_VERSION}`;
}

/**
 * The recomputation as a PL/pgSQL function per interval, (re)created when the store opens from
 * the growth rule's statement: its plan is made once per database session instead of at every
 * write (planning the statement costs more than running it for one connection's periods).
 * Arguments: the periods' first days (text[]), the baseline's first day, the last day, the first
 * period, the connection.
 */
export async function createRollupFunctions(sql: Sql): Promise<void> {
  await sql.transaction(async (tx) => {
    // Instances starting at once on one server take turns (as with migrations).
    if (sql.kind === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    for (const interval of HISTORY_INTERVALS) await createRollupFunction(tx, interval);
  });
}

async function createRollupFunction(tx: SqlQueries, interval: HistoryInterval): Promise<void> {
  {
    const { text } = growthSql({ interval, periods: ['2000-01-01'], baselineDay: '2000-01-01', lastDay: '2000-01-01', connections: ['?'] });
    const select = rollupSelect().replace('$INTERVAL', `'${interval}'::text`);
    await tx.query(`create or replace function ${rollupFunctionName(interval)}(text[], text, text, text, text[]) returns void
language plpgsql set plan_cache_mode = force_generic_plan as $fn$
begin
  delete from history_rollup where connection = $5[1] and interval = '${interval}' and period >= $4::date and period <= ($1[array_length($1, 1)])::date;
  insert into history_rollup (${ROLLUP_INSERT_COLUMNS.map(q).join(', ')})
  select ${select} from (${text}) g group by g.connection, g.period;
end
$fn$`);
  }
}

/** Recomputes one connection's rollups of one interval for the periods starting at `periods` (ascending, consecutive). */
async function recomputePeriods(tx: SqlQueries, connection: string, interval: HistoryInterval, periods: readonly string[]): Promise<void> {
  const first = periods[0];
  const last = periods[periods.length - 1];
  if (first === undefined || last === undefined) return;
  const lastDay = periodsBetween(last, last, interval)[0]?.end ?? last;
  await tx.query(`select ${rollupFunctionName(interval)}($1::text[], $2::text, $3::text, $4::text, $5::text[])`, [[...periods], previousPeriod(first, interval), lastDay, first, [connection]]);
}

/** Recomputes a connection's rollups, every interval, for the periods holding `fromDay`..`toDay` and the period after. */
export async function recomputeRollups(tx: SqlQueries, connection: string, fromDay: string, toDay: string): Promise<void> {
  for (const interval of HISTORY_INTERVALS) {
    const periods = periodsBetween(fromDay, toDay, interval).map((p) => p.period);
    const last = periods[periods.length - 1];
    if (last !== undefined) periods.push(nextPeriod(last, interval));
    await recomputePeriods(tx, connection, interval, periods);
  }
}

interface ConnectionSpan {
  workspace: string;
  provider: string;
  first_day: string;
  last_day: string;
  rollup_version: number;
}

/** A connection's row in `history_connections`, or undefined. */
export async function readConnection(tx: SqlQueries, connection: string): Promise<ConnectionSpan | undefined> {
  const rows = await tx.query<ConnectionSpan & Record<string, unknown>>(
    "select workspace, provider, to_char(first_day, 'YYYY-MM-DD') as first_day, to_char(last_day, 'YYYY-MM-DD') as last_day, rollup_version from history_connections where connection = $1",
    [connection],
  );
  return rows[0];
}

/** Rebuilds every rollup of one connection from its rows, and records its span and the rollup version. */
export function rebuildConnection(tx: SqlQueries, connection: string): Promise<void> {
  return rebuildConnections(tx, [connection]);
}

/**
 * Rebuilds every rollup of a batch of connections, set-based: their spans and identities in one
 * statement, then one statement per interval over all of them (the growth rule's rows over the
 * union of their spans, summed per connection and period): the same rows as the writes keep
 * (test/store/rollup.test.ts). Used when the store opens over data whose rollups are missing or
 * older (a batch per transaction so one statement's work stays bounded) and for a connection's
 * first write.
 */
export async function rebuildConnections(tx: SqlQueries, connections: readonly string[]): Promise<void> {
  if (connections.length === 0) return;
  const batch = [...connections];
  await tx.query('delete from history_rollup where connection = any($1::text[])', [batch]);
  await tx.query('delete from history_connections where connection = any($1::text[])', [batch]);
  await tx.query(
    `insert into history_connections (connection, workspace, provider, first_day, last_day, mixed, rollup_version)
     select s.connection, coalesce(i.workspace, ''), coalesce(i.provider, ''), s.first, s.last, coalesce(i.kinds, 0) > 1, $2
     from (
       select connection, min(first) as first, max(last) as last from (
         select connection, min(day) as first, max(day) as last from campaign_snapshots where connection = any($1::text[]) group by connection
         union all select connection, min(day), max(day) from vendor_daily where connection = any($1::text[]) group by connection
         union all select connection, min(from_day), max(through_day) from vendor_daily_coverage where connection = any($1::text[]) group by connection
       ) spans group by connection
     ) s
     left join (
       select connection, max(workspace) as workspace, max(provider) as provider, count(distinct (workspace, provider))::int as kinds from (
         select connection, workspace, provider from campaign_snapshots where connection = any($1::text[])
         union all select connection, workspace, provider from vendor_daily_coverage where connection = any($1::text[])
       ) rows group by connection
     ) i on i.connection = s.connection`,
    [batch, ROLLUP_VERSION],
  );
  const span = (
    await tx.query<{ first: string | null; last: string | null }>(
      "select to_char(min(first_day), 'YYYY-MM-DD') as first, to_char(max(last_day), 'YYYY-MM-DD') as last from history_connections where connection = any($1::text[])",
      [batch],
    )
  )[0];
  if (!span?.first || !span.last) return;
  for (const interval of HISTORY_INTERVALS) {
    const periods = periodsBetween(span.first, span.last, interval).map((p) => p.period);
    const last = periods[periods.length - 1];
    if (last === undefined) continue;
    const next = nextPeriod(last, interval);
    periods.push(next);
    const { text, params } = growthSql({
      interval,
      periods,
      baselineDay: previousPeriod(periods[0] as string, interval),
      lastDay: periodsBetween(next, next, interval)[0]?.end ?? next,
      connections: batch,
    });
    params.push(interval);
    const select = rollupSelect().replace('$INTERVAL', `$${params.length}::text`);
    await tx.query(`insert into history_rollup (${ROLLUP_INSERT_COLUMNS.map(q).join(', ')}) select ${select} from (${text}) g group by g.connection, g.period`, params);
  }
}

/** Connections with rows whose rollups are missing or of an older version. */
export async function staleConnections(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ connection: string }>(
    // A skip scan over the (connection, day) index: one probe per connection, not a pass over every row.
    `with recursive seen as (
       (select connection from campaign_snapshots order by connection limit 1)
       union all
       select (select s.connection from campaign_snapshots s where s.connection > seen.connection order by s.connection limit 1) from seen where seen.connection is not null
     )
     select connection from (select connection from seen where connection is not null union select distinct connection from vendor_daily_coverage) c
     where not exists (select 1 from history_connections h where h.connection = c.connection and h.rollup_version = $1)
     order by connection`,
    [ROLLUP_VERSION],
  );
  return rows.map((row) => row.connection);
}
