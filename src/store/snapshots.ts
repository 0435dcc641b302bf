/**
 * Writing what a successful walk saw: per campaign and UTC day, the latest cumulative normalized
 * metrics (one row per campaign per day, replaced in place during the day), and the vendor's own
 * daily rows where the walk carried them (`include=daily`). Each walk is one transaction, so a
 * crash mid-write leaves the previous state. Retention deletes whole days older than the limit.
 */
import { METRIC_NAMES, type CampaignAnalytics, type ProviderId } from '../schema/campaign';
import { quoteIdent } from './migrations';
import type { Sql, SqlQueries } from './sql';

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

/** Writes one walk's snapshot rows (and vendor daily rows) in one transaction. */
export async function recordSnapshot(sql: Sql, walk: WalkSnapshot): Promise<{ snapshots: number; daily: number }> {
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
  const dailyRows: unknown[][] = [];
  for (const record of walk.records) {
    for (const row of record.daily ?? []) {
      dailyRows.push([walk.connection, record.id, row.date, walk.workspace, walk.provider, row.sent, row.opened, row.clicked, row.replied, row.interested, fetchedAt]);
    }
  }
  await sql.transaction(async (tx) => {
    await insertBatched(tx, SNAPSHOT_INSERT, SNAPSHOT_UPDATE, SNAPSHOT_COLUMNS.length, snapshotRows);
    await insertBatched(tx, DAILY_INSERT, DAILY_UPDATE, DAILY_COLUMNS.length, dailyRows);
  });
  return { snapshots: snapshotRows.length, daily: dailyRows.length };
}

/** Deletes snapshot and daily rows older than `retentionDays` before `now`; resolves with the rows removed. */
export async function applyRetention(sql: Sql, retentionDays: number, now: number): Promise<number> {
  const cutoff = utcDay(now - retentionDays * 86_400_000);
  return sql.transaction(async (tx) => {
    const a = await tx.query('delete from campaign_snapshots where day < $1 returning 1', [cutoff]);
    const b = await tx.query('delete from vendor_daily where day < $1 returning 1', [cutoff]);
    return a.length + b.length;
  });
}
