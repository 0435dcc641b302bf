/**
 * Scenario 9: a history query over 200 connections × 90 days of daily snapshots (300 campaigns
 * each: 60,000 campaigns, 5.4 million rows), answered by the history store from the embedded
 * database (PGlite) and from a PostgreSQL server (Debian's, started here on a free loopback port
 * and stopped after). The rows are generated in SQL as a bulk load (INSERT … SELECT from
 * generate_series, deterministic values, the snapshot table's two indexes built after the rows);
 * the store then opens as the gateway's does and builds its per-connection rollups (set-based, a
 * batch of connections per transaction). Measured: `store.history` (weekly growth per provider over the
 * whole span, every workspace), the median of 7 after a warm-up; target < 200 ms. Baseline: the
 * same query as one plain SQL statement over the snapshots in the same process (the growth rule's
 * per-campaign statement summed per provider and week), the median of 3; its answer must equal
 * the store's (at full size as many rounds as fit in a minute, at most 3: one round takes tens of
 * seconds).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logger';
import { METRIC_NAMES } from '../../src/schema/campaign';
import { HistoryStore, type HistoryQuery } from '../../src/store';
import { growthSql } from '../../src/store/growth';
import { migrate, quoteIdent } from '../../src/store/migrations';
import { periodsBetween, previousPeriod } from '../../src/store/periods';
import { openSql, type Sql, type StoreLocation } from '../../src/store/sql';
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { fmt, median, type Row } from '../lib/report';

const TARGET_MS = 200;
const FIRST_DAY = '2026-06-01';
const WORKSPACES = 20;
const PROVIDERS = ['instantly', 'sendkit', 'kakiyo', 'seleqt'];

interface Size {
  connections: number;
  campaigns: number;
  days: number;
}

function lastDay(size: Size): string {
  return new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + (size.days - 1) * 86_400_000).toISOString().slice(0, 10);
}

/** Daily snapshots of every campaign of `connections` connections, generated in SQL (counts grow each day; every 97th campaign is reset once). */
async function generate(sql: Sql, size: Size, log: (line: string) => void): Promise<number> {
  // A bulk load: the rows first, then the indexes (as a restore does), then fresh statistics.
  await sql.query('alter table campaign_snapshots drop constraint campaign_snapshots_pkey');
  await sql.query('drop index campaign_snapshots_connection_day');
  const step = 20;
  for (let from = 0; from < size.connections; from += step) {
    const to = Math.min(size.connections, from + step) - 1;
    await sql.query(
      `insert into campaign_snapshots (connection, campaign_id, day, workspace, provider, name, status, fetched_at, demo, leads, contacted, sent, "emailsSent", opened, replied, bounced, interested)
       select 'conn-' || lpad(c::text, 3, '0'), 'camp-' || lpad(k::text, 4, '0'), $1::date + d, 'ws-' || lpad((c % ${WORKSPACES})::text, 2, '0'),
         (array['${PROVIDERS.join("','")}'])[1 + c % ${PROVIDERS.length}], 'Campaign ' || k, 'active', ($1::date + d)::timestamptz + interval '12 hours', false,
         500 + k % 100,
         10 + g * (1 + k % 5), 20 + g * (2 + k % 7), 20 + g * (2 + k % 7), 5 + g * (1 + k % 3), g / 3 + k % 2, g / 9, g / 12
       from generate_series($2::int, $3::int) c, generate_series(0, $4::int - 1) k, generate_series(0, $5::int - 1) d,
         lateral (select case when k % 97 = 0 and d >= 45 then d - 45 else d end as g) grown`,
      [FIRST_DAY, from, to, size.campaigns, size.days],
    );
    log(`    rows for connections ${from}..${to} written (rss ${rssMb()} MB)`);
  }
  await sql.query('alter table campaign_snapshots add primary key (connection, campaign_id, day)');
  await sql.query('create index campaign_snapshots_connection_day on campaign_snapshots (connection, day)');
  await sql.query('analyze');
  const counted = await sql.query<{ n: number }>('select count(*)::int as n from campaign_snapshots');
  log(`    indexes built, ${counted[0]?.n ?? 0} rows (rss ${rssMb()} MB)`);
  return counted[0]?.n ?? 0;
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1e6);
}

/** The query the row measures. */
function historyQuery(size: Size): HistoryQuery {
  return {
    workspaces: Array.from({ length: WORKSPACES }, (_, i) => `ws-${String(i).padStart(2, '0')}`),
    startDate: FIRST_DAY,
    endDate: lastDay(size),
    interval: 'week',
    groupBy: 'provider',
  };
}

/** The same query as one plain SQL statement over the snapshots: the growth rule per campaign, summed per provider and week. */
function baselineStatement(query: HistoryQuery): { text: string; params: unknown[] } {
  const periods = periodsBetween(query.startDate, query.endDate, query.interval);
  const first = periods[0]?.period ?? query.startDate;
  const { text, params } = growthSql({
    interval: query.interval,
    periods: periods.map((p) => p.period),
    baselineDay: previousPeriod(first, query.interval),
    lastDay: periods[periods.length - 1]?.end ?? query.endDate,
    workspaces: query.workspaces,
  });
  const sums = METRIC_NAMES.map((name) => `sum(${quoteIdent(name)}) filter (where contributes) as ${quoteIdent(name)}`).join(', ');
  return { text: `select provider, period, count(*) filter (where contributes)::int as campaigns, ${sums} from (${text}) g group by provider, period order by provider, period`, params };
}

async function timeIt(rounds: number, work: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = process.hrtime.bigint();
    await work();
    out.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return out;
}

interface EngineResult {
  measuredMs: number;
  baselineMs: number;
  rounds: number[];
  baselineRounds: number[];
  agree: boolean;
  rowsLoaded: number;
  setupSeconds: number;
  rollupSeconds: number;
  /** The process's peak resident set (MB) at the end of this engine's run. */
  peakRssMb: number;
}

async function measureEngine(location: StoreLocation, size: Size, smoke: boolean, log: (line: string) => void): Promise<EngineResult> {
  const t0 = Date.now();
  let rowsLoaded = 0;
  const raw = await openSql(location);
  try {
    await migrate(raw);
    rowsLoaded = await generate(raw, size, log);
  } finally {
    await raw.close();
  }
  const t1 = Date.now();
  // Opening the store builds the rollups of every connection, as on a gateway's first start over older data.
  const store = new HistoryStore({ ...location, retentionDays: 4000, logger: createLogger({ silent: true }), now: () => Date.parse(`${lastDay(size)}T18:00:00Z`) });
  await store.start();
  try {
    if (!store.up) throw new Error(`the store did not open: ${store.lastError ?? '?'}`);
    const t2 = Date.now();
    log(`    store open, rollups built in ${((t2 - t1) / 1000).toFixed(1)} s (rss ${rssMb()} MB)`);
    const query = historyQuery(size);
    const answer = await store.history(query);
    const rounds = await timeIt(smoke ? 3 : 7, () => store.history(query));
    const statement = baselineStatement(query);
    const sql = store.database();
    const plain = await sql.query<{ provider: string; period: string; campaigns: number; sent: number | null }>(statement.text, statement.params);
    const baselineRounds: number[] = [];
    const budget = Date.now() + 60_000;
    while (baselineRounds.length < (smoke ? 1 : 3) && (baselineRounds.length === 0 || Date.now() < budget)) {
      baselineRounds.push(...(await timeIt(1, () => sql.query(statement.text, statement.params))));
    }
    log(`    query ${fmt.ms(median(rounds))}, baseline ${baselineRounds.map((ms) => fmt.ms(ms)).join(', ')}`);
    // The store's answer equals the plain statement's (campaigns and sends per provider and week).
    const mine = answer.series.flatMap((series) =>
      series.points.filter((p) => p.campaigns > 0).map((p) => `${series.group.provider ?? ''} ${p.period} ${p.campaigns} ${p.metrics?.sent ?? null}`),
    );
    const theirs = plain.filter((row) => row.campaigns > 0).map((row) => `${row.provider} ${row.period} ${row.campaigns} ${row.sent === null ? null : Number(row.sent)}`);
    return {
      measuredMs: median(rounds),
      baselineMs: median(baselineRounds),
      rounds,
      baselineRounds,
      agree: mine.length > 0 && JSON.stringify(mine) === JSON.stringify(theirs),
      rowsLoaded,
      setupSeconds: (t1 - t0) / 1000,
      rollupSeconds: (t2 - t1) / 1000,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1000),
    };
  } finally {
    await store.close();
  }
}

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Debian's PostgreSQL in a temporary directory on a free loopback port (as test/helpers/postgres.ts does); undefined when it is not installed. */
async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (version === undefined) return undefined;
  const bin = join(root, version, 'bin');
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const command = (program: string, args: readonly string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, [...args]]);
  const dir = mkdtempSync(join(tmpdir(), 'og-bench-postgres-'));
  const data = join(dir, 'data');
  if (asRoot) {
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
    chmodSync(dir, 0o700);
  }
  const [initdb, initArgs] = command(join(bin, 'initdb'), ['-D', data, '-U', 'gateway', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [postgres, args] = command(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off']);
  const child: ChildProcess = spawn(postgres, args, { stdio: 'ignore', detached: true });
  const url = `postgres://gateway@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(-child.pid, 'SIGINT');
      await exited;
    }
    const deadline = Date.now() + 20_000;
    while (existsSync(join(data, 'postmaster.pid')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    rmSync(dir, { recursive: true, force: true });
  };
  const { Client } = await import('pg');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return { url, stop };
    } catch {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`postgres on ${port} did not come up`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function row(id: string, engine: string, size: Size, result: EngineResult, smoke: boolean): Row {
  const campaigns = (size.connections * size.campaigns).toLocaleString('en-US');
  return {
    id,
    scenario: `history: weekly growth per provider, ${size.connections} connections × ${size.days} days (${campaigns} campaigns), ${engine}; ${result.rowsLoaded.toLocaleString('en-US')} rows loaded in ${result.setupSeconds.toFixed(0)} s, rollups built in ${result.rollupSeconds.toFixed(0)} s`,
    measured: `${fmt.ms(result.measuredMs)}${result.agree ? '' : ' (ANSWERS DIFFER)'}`,
    baseline: `${fmt.ms(result.baselineMs)} one SQL statement`,
    ratio: result.measuredMs / result.baselineMs,
    target: `< ${TARGET_MS} ms`,
    pass: smoke ? null : result.measuredMs < TARGET_MS && result.agree,
  };
}

export async function history(context: BenchContext): Promise<ScenarioOutcome> {
  const size: Size = context.smoke ? { connections: 4, campaigns: 20, days: 21 } : { connections: 200, campaigns: 300, days: 90 };
  const rows: Row[] = [];
  const details: Record<string, unknown> = { size };

  const dir = mkdtempSync(join(tmpdir(), 'og-bench-history-'));
  try {
    context.log('  embedded store (PGlite):');
    const embedded = await measureEngine({ dir }, size, context.smoke, context.log);
    rows.push(row('9a', 'embedded (PGlite)', size, embedded, context.smoke));
    details.embedded = embedded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const server = await startPostgres();
  if (!server) {
    context.log('  PostgreSQL is not installed: 9b skipped');
    return { rows, details };
  }
  try {
    context.log('  PostgreSQL server:');
    const result = await measureEngine({ url: server.url, dir: '' }, size, context.smoke, context.log);
    rows.push(row('9b', 'PostgreSQL', size, result, context.smoke));
    details.postgres = result;
  } finally {
    await server.stop();
  }
  return { rows, details };
}
