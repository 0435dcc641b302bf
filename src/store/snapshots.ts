/**
 * Writing what a successful walk saw: per campaign and UTC day, the latest cumulative normalized
 * metrics (one row per campaign per day, replaced in place during the day), and the vendor's own
 * daily rows where the walk carried them (`include=daily`) with what they cover: from their first
 * day to the walk's day (`vendor_daily_coverage`; a day in that span without a row had no
 * activity, so a stored row the vendor no longer reports is deleted). Coverage that joins on to
 * the campaign's earlier coverage extends it. The connection's rollups (`rollup.ts`) are
 * recomputed for the periods the walk changed. Each write (one walk, or a back-fill's walks) is one
 * transaction, so a crash mid-write leaves the previous state. Retention deletes whole days older than the limit.
 */
import { METRIC_NAMES, type CampaignAnalytics, type ProviderId } from '../schema/campaign';
import { DAILY_METRICS, HISTORY_INTERVALS, type DailyMetric } from './growth';
import { quoteIdent } from './migrations';
import { addDays, periodStart } from './periods';
import { ROLLUP_VERSION, readConnection, rebuildConnection, recomputeRollups } from './rollup';
import type { Row, Sql, SqlQueries } from './sql';

export interface WalkSnapshot {
  connection: string;
  workspace: string;
  provider: ProviderId;
  records: readonly CampaignAnalytics[];
  /** Epoch ms the walk finished: its UTC day is the row's day. */
  fetchedAt: number;
  demo?: boolean;
}

/** `YYYY-MM-DD` of an epoch-ms instant, in UTC. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

const SNAPSHOT_COLUMNS = ['connection', 'campaign_id', 'day', 'workspace', 'provider', 'name', 'status', 'fetched_at', 'demo', ...METRIC_NAMES];
const SNAPSHOT_INSERT = `insert into campaign_snapshots (${SNAPSHOT_COLUMNS.map(quoteIdent).join(', ')}) values `;
const SNAPSHOT_UPDATE = ` on conflict (connection, campaign_id, day) do update set ${SNAPSHOT_COLUMNS.slice(3)
  .map((column) => `${quoteIdent(column)} = excluded.${quoteIdent(column)}`)
  .join(', ')}`;

const DAILY_COLUMNS = ['connection', 'campaign_id', 'day', 'workspace', 'provider', 'sent', 'opened', 'clicked', 'replied', 'interested', 'fetched_at'];
const DAILY_INSERT = `insert into vendor_daily (${DAILY_COLUMNS.map(quoteIdent).join(', ')}) values `;
const DAILY_UPDATE = ` on conflict (connection, campaign_id, day) do update set ${DAILY_COLUMNS.slice(3)
  .map((column) => `${quoteIdent(column)} = excluded.${quoteIdent(column)}`)
  .join(', ')}`;

/** Rows per statement: well under PostgreSQL's 65,535 parameters. */
const BATCH_ROWS = 500;

async function insertBatched(tx: SqlQueries, head: string, tail: string, width: number, rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const batch = rows.slice(start, start + BATCH_ROWS);
    const params: unknown[] = [];
    const tuples = batch.map((row) => {
      const slots = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      if (slots.length !== width) throw new Error('row width mismatch');
      return `(${slots.join(', ')})`;
    });
    await tx.query(`${head}${tuples.join(', ')}${tail}`, params);
  }
}

const COVERAGE_COLUMNS = ['connection', 'campaign_id', 'workspace', 'provider', 'name', 'status', 'from_day', 'whole', 'through_day', 'fetched_at', 'metrics'];
const COVERAGE_INSERT = `insert into vendor_daily_coverage (${COVERAGE_COLUMNS.map(quoteIdent).join(', ')}) values `;
const COVERAGE_UPDATE = ` on conflict (connection, campaign_id) do update set ${COVERAGE_COLUMNS.slice(2)
  .map((column) => `${quoteIdent(column)} = excluded.${quoteIdent(column)}`)
  .join(', ')}`;

function minDay(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

function maxDay(a: string, b: string | undefined): string {
  return b !== undefined && b > a ? b : a;
}

type DailyValues = Record<DailyMetric, number | null>;

/**
 * Vendors whose daily rows (asked without dates, as a whole walk asks) cover a fixed window ending
 * on the walk's day, in days: SendKit's daily endpoints default to the last 30 days (VENDORS.md).
 * A quiet day at the window's start has no row, so the window, not the first row, is where the
 * coverage starts. Others' rows cover from their first row.
 */
const DAILY_WINDOW_DAYS: Partial<Record<ProviderId, number>> = { sendkit: 30 };

interface OldCoverage {
  campaign_id: string;
  from_day: string;
  whole: boolean;
  through_day: string;
  fetched_at: string;
  metrics: string[];
}

/**
 * Writes the walk's vendor daily rows and their coverage; resolves with the first and last day
 * whose growth may have changed (undefined when nothing did).
 */
async function writeDaily(tx: SqlQueries, walk: WalkSnapshot, day: string, fetchedAt: string): Promise<{ from: string; to: string } | undefined> {
  const carriers = walk.records.filter((record) => record.daily !== null && record.daily.length > 0);
  if (carriers.length === 0) return undefined;
  const ids = carriers.map((record) => record.id);
  const old = new Map(
    (
      await tx.query<OldCoverage & Row>(
        "select campaign_id, to_char(from_day, 'YYYY-MM-DD') as from_day, whole, to_char(through_day, 'YYYY-MM-DD') as through_day, fetched_at::text as fetched_at, metrics from vendor_daily_coverage where connection = $1 and campaign_id = any($2::text[])",
        [walk.connection, ids],
      )
    ).map((row) => [row.campaign_id, row]),
  );
  let from: string | undefined;
  let to: string | undefined;
  const touch = (d: string): void => {
    from = minDay(from, d);
    to = to === undefined ? d : maxDay(to, d);
  };
  const fresh = new Map<string, Map<string, DailyValues>>();
  const firstDay = new Map<string, string>();
  const coverageRows: unknown[][] = [];
  let earliest = day;
  for (const record of carriers) {
    const rows = new Map<string, DailyValues>();
    for (const row of record.daily ?? []) rows.set(row.date, { sent: row.sent, opened: row.opened, clicked: row.clicked, replied: row.replied, interested: row.interested });
    fresh.set(record.id, rows);
    const days = [...rows.keys()].sort();
    // A metric is carried when every row reports it (and, below, adds up when the rows are the whole history).
    let carried: DailyMetric[] = DAILY_METRICS.filter((metric) => [...rows.values()].every((values) => values[metric] !== null));
    // The campaign's whole history when the rows add up to its cumulative count: sends when the rows
    // carry them (a plain count; a vendor's daily "unique" counts need not add up to its lifetime
    // unique count), else every carried metric.
    const addsUp = (metric: DailyMetric): boolean => record.metrics[metric] !== null && [...rows.values()].reduce((sum, values) => sum + (values[metric] ?? 0), 0) === record.metrics[metric];
    const whole = carried.includes('sent') ? addsUp('sent') : carried.length > 0 && carried.every(addsUp);
    // Over a whole history a metric whose rows do not add up to the campaign's count is another
    // count (a vendor's per-day "unique" replies against a lifetime total): the snapshots answer it.
    if (whole) carried = carried.filter(addsUp);
    // A whole history starts at its first row; a window's rows at the window's start.
    const window = DAILY_WINDOW_DAYS[walk.provider];
    const first = whole || window === undefined ? (days[0] as string) : (minDay(days[0], addDays(day, 1 - window)) as string);
    firstDay.set(record.id, first);
    earliest = minDay(earliest, first) as string;
    const previous = old.get(record.id);
    let coverage = { from: first, whole, through: day, fetchedAt, metrics: carried as string[] };
    if (previous) {
      const joins = previous.through_day >= addDays(first, -1) && previous.from_day <= addDays(day, 1);
      // Joined spans start at the earlier first day, whole when the one that starts there is.
      const start = (a: { from: string; whole: boolean }, b: { from: string; whole: boolean }): { from: string; whole: boolean } =>
        a.from < b.from ? a : b.from < a.from ? b : { from: a.from, whole: a.whole || b.whole };
      const before = { from: previous.from_day, whole: previous.whole };
      if (previous.through_day > day) {
        // An older walk written late: the newer coverage stands (extended back when they join).
        const begins = joins ? start(before, coverage) : before;
        coverage = { from: begins.from, whole: begins.whole, through: previous.through_day, fetchedAt: previous.fetched_at, metrics: previous.metrics };
      } else if (joins) {
        const begins = start(before, coverage);
        coverage.from = begins.from;
        coverage.whole = begins.whole;
      }
      touch(minDay(previous.through_day, day) as string);
      // Where the coverage starts, whether it is whole and which metrics it carries decide every period it spans.
      const sameMetrics = coverage.metrics.length === previous.metrics.length && coverage.metrics.every((metric) => previous.metrics.includes(metric));
      if (coverage.from !== previous.from_day || coverage.whole !== previous.whole || !sameMetrics) touch(minDay(previous.from_day, coverage.from) as string);
    } else {
      touch(first);
    }
    touch(day);
    coverageRows.push([walk.connection, record.id, walk.workspace, walk.provider, record.name, record.status, coverage.from, coverage.whole, coverage.through, coverage.fetchedAt, coverage.metrics]);
  }

  // What is stored in the span the rows cover, to write only what changed and delete what the vendor no longer reports.
  const stored = await tx.query<{ campaign_id: string; day: string } & Record<DailyMetric, number | null>>(
    `select campaign_id, to_char(day, 'YYYY-MM-DD') as day, ${DAILY_METRICS.map(quoteIdent).join(', ')} from vendor_daily
     where connection = $1 and campaign_id = any($2::text[]) and day >= $3::date and day <= $4::date`,
    [walk.connection, ids, earliest, day],
  );
  const gone: { id: string; day: string }[] = [];
  const unchanged = new Set<string>();
  for (const row of stored) {
    const values = fresh.get(row.campaign_id)?.get(row.day);
    if (!values) {
      // Inside the span this walk's rows cover (first row to the walk's day): no row means no activity.
      const first = firstDay.get(row.campaign_id);
      if (first !== undefined && row.day >= first) gone.push({ id: row.campaign_id, day: row.day });
      continue;
    }
    if (DAILY_METRICS.every((metric) => (row[metric] === null ? null : Number(row[metric])) === values[metric])) unchanged.add(`${row.campaign_id}\u0000${row.day}`);
  }
  const dailyRows: unknown[][] = [];
  for (const record of carriers) {
    for (const [date, values] of fresh.get(record.id) ?? []) {
      if (unchanged.has(`${record.id}\u0000${date}`)) continue;
      touch(date);
      dailyRows.push([walk.connection, record.id, date, walk.workspace, walk.provider, values.sent, values.opened, values.clicked, values.replied, values.interested, fetchedAt]);
    }
  }
  if (gone.length > 0) {
    for (const row of gone) touch(row.day);
    await tx.query('delete from vendor_daily where connection = $1 and (campaign_id, day) in (select * from unnest($2::text[], $3::date[]))', [
      walk.connection,
      gone.map((row) => row.id),
      gone.map((row) => row.day),
    ]);
  }
  await insertBatched(tx, DAILY_INSERT, DAILY_UPDATE, DAILY_COLUMNS.length, dailyRows);
  await insertBatched(tx, COVERAGE_INSERT, COVERAGE_UPDATE, COVERAGE_COLUMNS.length, coverageRows);
  return from === undefined || to === undefined ? undefined : { from, to };
}

/** Records the connection's span and recomputes its rollups for the days `from`..`to` (all of them when its rollups are not current). */
async function updateRollups(tx: SqlQueries, walk: WalkSnapshot, from: string, to: string, mixedSeen: boolean): Promise<void> {
  const known = await readConnection(tx, walk.connection);
  if (!known || known.rollup_version !== ROLLUP_VERSION) {
    await rebuildConnection(tx, walk.connection);
    return;
  }
  const mixed = mixedSeen || known.workspace !== walk.workspace || known.provider !== walk.provider;
  await tx.query(
    `update history_connections set workspace = $2, provider = $3, first_day = least(first_day, $4::date), last_day = greatest(last_day, $5::date), mixed = mixed or $6
     where connection = $1`,
    [walk.connection, walk.workspace, walk.provider, from, to, mixed],
  );
  // A walk written before the connection's last day can change every period after it.
  await recomputeRollups(tx, walk.connection, from, maxDay(to, known.last_day));
}

/** Writes one walk's snapshot rows and vendor daily rows; resolves with the days whose growth may have changed (undefined: none). */
async function writeWalk(tx: SqlQueries, walk: WalkSnapshot): Promise<{ from: string; to: string } | undefined> {
  const day = utcDay(walk.fetchedAt);
  const fetchedAt = new Date(walk.fetchedAt).toISOString();
  const snapshotRows = walk.records.map((record) => [
    walk.connection,
    record.id,
    day,
    walk.workspace,
    walk.provider,
    record.name,
    record.status,
    fetchedAt,
    walk.demo ?? false,
    ...METRIC_NAMES.map((metric) => record.metrics[metric]),
  ]);
  await insertBatched(tx, SNAPSHOT_INSERT, SNAPSHOT_UPDATE, SNAPSHOT_COLUMNS.length, snapshotRows);
  const changed = await writeDaily(tx, walk, day, fetchedAt);
  if (snapshotRows.length === 0 && !changed) return undefined;
  return { from: minDay(day, changed?.from) as string, to: maxDay(day, changed?.to) };
}

/**
 * Writes walks (in order) in one transaction: each one's snapshot rows, vendor daily rows and
 * their coverage, then each connection's rollups once, for the union of the days the walks changed
 * (the same rows as writing them one by one: a period's rollup depends only on the rows, and every
 * period a walk can change is in its span). One walk is the scheduler's write; many are a
 * back-fill's (the demo's 60 days).
 */
export async function recordSnapshots(sql: Sql, walks: readonly WalkSnapshot[]): Promise<{ snapshots: number; daily: number }> {
  let snapshots = 0;
  let daily = 0;
  for (const walk of walks) {
    snapshots += walk.records.length;
    daily += walk.records.reduce((sum, record) => sum + (record.daily?.length ?? 0), 0);
  }
  await sql.transaction(async (tx) => {
    const spans = new Map<string, { walk: WalkSnapshot; from: string; to: string; mixed: boolean }>();
    for (const walk of walks) {
      const span = await writeWalk(tx, walk);
      if (!span) continue;
      const seen = spans.get(walk.connection);
      spans.set(
        walk.connection,
        seen
          ? { walk, from: minDay(seen.from, span.from) as string, to: maxDay(span.to, seen.to), mixed: seen.mixed || seen.walk.workspace !== walk.workspace || seen.walk.provider !== walk.provider }
          : { walk, from: span.from, to: span.to, mixed: false },
      );
    }
    for (const { walk, from, to, mixed } of spans.values()) await updateRollups(tx, walk, from, to, mixed);
  });
  return { snapshots, daily };
}

/**
 * Deletes snapshot and daily rows older than `retentionDays` before `now` (coverage starts no
 * earlier than what is kept, rollups of removed periods go, and the periods at the cut are
 * recomputed); resolves with the rows removed.
 */
export async function applyRetention(sql: Sql, retentionDays: number, now: number): Promise<number> {
  const cutoff = utcDay(now - retentionDays * 86_400_000);
  return sql.transaction(async (tx) => {
    const a = await tx.query('delete from campaign_snapshots where day < $1 returning 1', [cutoff]);
    const b = await tx.query('delete from vendor_daily where day < $1 returning 1', [cutoff]);
    if (a.length + b.length === 0) return 0;
    await tx.query('delete from vendor_daily_coverage where through_day < $1', [cutoff]);
    await tx.query('update vendor_daily_coverage set from_day = $1 where from_day < $1', [cutoff]);
    for (const interval of HISTORY_INTERVALS) {
      await tx.query('delete from history_rollup where interval = $1 and period < $2::date', [interval, periodStart(cutoff, interval)]);
    }
    const connections = await tx.query<{ connection: string }>('select connection from history_connections where first_day < $1', [cutoff]);
    for (const { connection } of connections) {
      await tx.query('update history_connections set first_day = $2 where connection = $1', [connection, cutoff]);
      await recomputeRollups(tx, connection, cutoff, cutoff);
    }
    await tx.query('delete from history_connections where last_day < $1', [cutoff]);
    return a.length + b.length;
  });
}
