/**
 * The store's schema as numbered migrations, applied in order at start-up, each in its own
 * transaction together with its row in `schema_migrations`: a crash mid-migration leaves the last
 * applied version. On a PostgreSQL server an advisory lock makes concurrent starts take turns.
 * A migration, once released, is never edited: a change is a new entry.
 */
import { METRIC_NAMES, RATE_NAMES } from '../schema/campaign';
import type { Sql } from './sql';

/** Every normalized metric as a nullable column (null = the vendor did not report it). */
const METRIC_COLUMNS = METRIC_NAMES.map((name) => `  ${quoteIdent(name)} double precision`).join(',\n');

/**
 * The sums a rollup row keeps (migration 2): each metric's summed growth, and for each rate its
 * numerator's and denominator's sums over the campaigns that report both (`rate_<name>_num/_den`).
 */
const ROLLUP_COLUMNS = [
  ...METRIC_NAMES.map((name) => `  ${quoteIdent(name)} double precision`),
  ...RATE_NAMES.flatMap((name) => [`  ${quoteIdent(`rate_${name}_num`)} double precision`, `  ${quoteIdent(`rate_${name}_den`)} double precision`]),
].join(',\n');

/** Lower-case identifiers would fold `emailsSent`; quoted, the column is the metric's own name. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return `"${name}"`;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'campaign snapshots and vendor daily rows',
    sql: `
create table campaign_snapshots (
  connection text not null,
  campaign_id text not null,
  day date not null,
  workspace text not null,
  provider text not null,
  name text not null,
  status text not null,
  fetched_at timestamptz not null,
  demo boolean not null default false,
${METRIC_COLUMNS},
  primary key (connection, campaign_id, day)
);
create index campaign_snapshots_day on campaign_snapshots (day);
create index campaign_snapshots_workspace_day on campaign_snapshots (workspace, day);
create table vendor_daily (
  connection text not null,
  campaign_id text not null,
  day date not null,
  workspace text not null,
  provider text not null,
  sent double precision,
  opened double precision,
  clicked double precision,
  replied double precision,
  interested double precision,
  fetched_at timestamptz not null,
  primary key (connection, campaign_id, day)
);
create index vendor_daily_day on vendor_daily (day);`,
  },
  {
    version: 2,
    name: 'vendor daily coverage, per-connection rollups, connection index',
    sql: `
create index campaign_snapshots_connection_day on campaign_snapshots (connection, day);
create table vendor_daily_coverage (
  connection text not null,
  campaign_id text not null,
  workspace text not null,
  provider text not null,
  name text not null,
  status text not null,
  from_day date not null,
  whole boolean not null,
  through_day date not null,
  fetched_at timestamptz not null,
  metrics text[] not null,
  primary key (connection, campaign_id)
);
create table history_connections (
  connection text primary key,
  workspace text not null,
  provider text not null,
  first_day date not null,
  last_day date not null,
  mixed boolean not null default false,
  rollup_version integer not null default 0
);
create table history_rollup (
  connection text not null,
  interval text not null,
  period date not null,
  workspace text not null,
  provider text not null,
  snapshots integer not null,
  campaigns integer not null,
  demo boolean not null,
  resets integer not null,
  first_reset_campaign text,
  first_reset_metric text,
  daily_mask integer not null,
  snapshot_mask integer not null,
${ROLLUP_COLUMNS},
  primary key (interval, period, connection)
);
create index history_rollup_connection on history_rollup (connection, interval, period);`,
  },
  {
    version: 3,
    name: "the scheduler's daily call counts per vendor account",
    sql: `
create table sync_call_counts (
  account text not null,
  day date not null,
  used integer not null,
  updated_at timestamptz not null default now(),
  primary key (account, day)
);`,
  },
  {
    version: 4,
    name: 'active alerts and the outbox of undelivered notifications',
    sql: `
create table alert_state (
  rule text not null,
  subject text not null,
  workspace text not null,
  alert text not null,
  since timestamptz not null,
  primary key (rule, subject)
);
create table alert_outbox (
  id text primary key,
  seq bigint not null,
  webhook text not null,
  event text not null,
  body text not null,
  attempts integer not null default 0,
  next_at timestamptz not null,
  created_at timestamptz not null
);
create index alert_outbox_webhook_seq on alert_outbox (webhook, seq);`,
  },
];

/** Any 64-bit number that is ours: the key of the advisory lock migrations hold on a server. */
export const MIGRATION_LOCK = 7_303_154_091;

/** Applies every migration newer than the database's version; resolves with the version reached. */
export async function migrate(sql: Sql, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  for (const migration of migrations) {
    await sql.transaction(async (tx) => {
      // The lock first: two servers' concurrent `create table if not exists` can collide.
      if (sql.kind === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await tx.query('create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
      const done = await tx.query('select 1 from schema_migrations where version = $1', [migration.version]);
      if (done.length > 0) return;
      // One statement at a time: a server's extended protocol takes one per call.
      for (const statement of migration.sql.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter(Boolean)) await tx.query(statement);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
    });
  }
  const rows = await sql.query<{ version: number | null }>('select max(version) as version from schema_migrations');
  return Number(rows[0]?.version ?? 0);
}
