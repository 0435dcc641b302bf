/**
 * Two gateway instances (two `createService` stacks in this process) with ONE Redis, ONE PostgreSQL
 * server (`storage.url`, each instance naming itself through `application_name`) and the vendor
 * simulators, scheduled sync on:
 * - each connection is walked by one instance per interval: the walks counted at the simulators
 *   are never closer than the lease (half an interval), and about one per interval, not two;
 * - each snapshot is written once: a trigger the test puts on `campaign_snapshots` notes every row
 *   written, by which instance and in which transaction: one transaction of one instance per walk,
 *   as many as the simulators saw walks, and one row per campaign per day;
 * - both instances answer the same `GET /v1/campaigns/history` (JSON data, CSV and NDJSON bytes).
 */
import { get as httpGet } from 'node:http';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { resolveConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { createService, type GatewayService } from '../../src/service';
import type { VendorSimulator } from '../../src/simulator';
import { HistoryStore } from '../../src/store';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { startRedis, type TestRedis } from '../helpers/redis';
import { SCALEOUT_CLIENT_KEY, scaleoutDocument, startScaleoutSims } from '../helpers/scaleout-stack';

/** The one call each walk makes once, per vendor (6 campaigns: one page). */
const WALK_ROUTE: Record<ProviderId, string> = {
  instantly: 'GET /api/v2/campaigns/analytics',
  sendkit: 'GET /v1/campaigns',
  kakiyo: 'GET /v1/campaigns',
  seleqt: 'GET /api/v1/dashboard/campaign-analytics/',
};
const CAMPAIGNS = 6;
const TTL_SECONDS = 3;
/** The scheduler's interval: 80 % of the ttl. */
const PERIOD_MS = TTL_SECONDS * 1000 * 0.8;
const JITTER = 0.1;
const WINDOW_MS = 8000;

let pg: TestPostgres | undefined;
let redis: TestRedis | undefined;
let sims: Record<ProviderId, VendorSimulator> | undefined;
let admin: Client | undefined;
const services: GatewayService[] = [];

afterAll(async () => {
  await Promise.all(services.map((s) => s.close(100)));
  const simulators = sims;
  if (simulators) await Promise.all(PROVIDER_IDS.map((p) => simulators[p].close()));
  await admin?.end();
  await redis?.stop();
  await pg?.destroy();
});

function get(base: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${path}`, { headers: { 'X-API-Key': SCALEOUT_CLIENT_KEY }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

/** The time (ms since `started`) each walk reached each simulator, sampled every few ms. */
function recordWalks(simulators: Record<ProviderId, VendorSimulator>, started: number): { stop: () => Record<ProviderId, number[]> } {
  const times = Object.fromEntries(PROVIDER_IDS.map((p) => [p, [] as number[]])) as Record<ProviderId, number[]>;
  const seen = Object.fromEntries(PROVIDER_IDS.map((p) => [p, 0])) as Record<ProviderId, number>;
  const sample = (): void => {
    for (const p of PROVIDER_IDS) {
      const count = simulators[p].stats().byRoute[WALK_ROUTE[p]] ?? 0;
      for (; seen[p] < count; seen[p] += 1) times[p].push(Date.now() - started);
    }
  };
  const timer = setInterval(sample, 5);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return times;
    },
  };
}

interface WriteGroup {
  connection: string;
  xid: string;
  writers: string[];
  rows: number;
  fetched: number;
}

test('each connection is synced by one instance per interval, each snapshot is written once, and both answer the same history', async () => {
  pg = await startPostgres();
  redis = await startRedis();
  const simulators = await startScaleoutSims(CAMPAIGNS);
  sims = simulators;

  // The schema first, then the test's own watch on every snapshot row written.
  const migrator = new HistoryStore({ dir: '/nonexistent', url: pg.url, retentionDays: 400, logger: createLogger({ silent: true }) });
  await migrator.start();
  expect(migrator.up).toBe(true);
  await migrator.close();
  const watcher = new Client({ connectionString: pg.url });
  admin = watcher;
  await watcher.connect();
  await watcher.query('create table snapshot_writes (connection text, campaign_id text, day date, fetched_at timestamptz, writer text, xid bigint)');
  await watcher.query(`create function note_snapshot_write() returns trigger language plpgsql as $$
begin
  insert into snapshot_writes values (new.connection, new.campaign_id, new.day, new.fetched_at, current_setting('application_name'), txid_current());
  return new;
end $$`);
  await watcher.query('create trigger snapshot_writes after insert or update on campaign_snapshots for each row execute function note_snapshot_write()');

  const ttl = { ttlSeconds: TTL_SECONDS };
  for (const name of ['gateway-a', 'gateway-b']) {
    const document = {
      ...scaleoutDocument(simulators, redis.url, { providerSettings: { instantly: ttl, sendkit: ttl, kakiyo: ttl, seleqt: ttl } }),
      sync: { jitter: JITTER },
      storage: { url: `${pg.url}?application_name=${name}` },
    };
    services.push(createService(resolveConfig(document), { logStream: new PassThrough(), extraSecrets: [SCALEOUT_CLIENT_KEY], history: true, sync: true }));
  }
  // Both share Redis before either scheduler starts (the schedulers start in `listen`, once the store is open).
  await until('both instances connected to Redis', () => services.every((s) => s.scaleOut?.redis.up === true), 5000);
  const started = Date.now();
  const recorder = recordWalks(simulators, started);
  const urls = await Promise.all(services.map((s) => s.listen(0, '127.0.0.1')));
  expect(services.every((s) => s.store?.kind === 'postgres' && s.store.up)).toBe(true);
  await sleep(WINDOW_MS);
  await Promise.all(services.flatMap((s) => (s.scheduler ? [s.scheduler.stop()] : [])));
  const walks = recorder.stop();
  const walkCount = PROVIDER_IDS.reduce((sum, p) => sum + walks[p].length, 0);
  // Every walk's snapshot is written (the writes run behind the walks).
  await until(
    'every walk recorded',
    () => services.reduce((sum, s) => sum + (s.store?.counters.walksRecorded ?? 0) + (s.store?.counters.writeFailures ?? 0), 0) >= walkCount,
    5000,
  );

  // (a) One instance per interval: walks of a connection never closer than the lease (half an
  // interval); a walk every 2.16 to 2.4 s is 4 in 8 s (5 with the clock's luck), where two
  // instances walking on their own would make 7 or 8.
  for (const p of PROVIDER_IDS) {
    const times = walks[p];
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect({ provider: p, walks: times.length >= 3 && times.length <= 5 }).toEqual({ provider: p, walks: true });
    for (const gap of gaps) expect({ provider: p, gap, atLeastHalfAnInterval: gap >= PERIOD_MS / 2 - 100 }).toMatchObject({ atLeastHalfAnInterval: true });
  }
  // Each round went to one instance: the other skipped it on the lease (or took the walker's result).
  const leased = await Promise.all(
    services.map(async (service) => {
      const metric = await service.metrics.registry.getSingleMetric('gateway_sync_walks_total')?.get();
      return (metric?.values ?? []).filter((v) => v.labels.outcome === 'skipped_leased').reduce((sum, v) => sum + v.value, 0);
    }),
  );
  expect(leased.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

  // (b) Each snapshot written once: one transaction of one instance per walk, one row per campaign.
  const groups = (
    await watcher.query<WriteGroup>(
      `select connection, xid::text as xid, array_agg(distinct writer) as writers, count(*)::int as rows, count(distinct fetched_at)::int as fetched
       from snapshot_writes group by connection, xid order by connection, xid`,
    )
  ).rows;
  for (const p of PROVIDER_IDS) {
    const mine = groups.filter((g) => g.connection === `acme-${p}`);
    // As many write transactions as the simulator saw walks: no walk written twice, none lost.
    expect({ provider: p, writes: mine.length }).toEqual({ provider: p, writes: walks[p].length });
    for (const group of mine) {
      expect(group.writers).toHaveLength(1);
      expect(['gateway-a', 'gateway-b']).toContain(group.writers[0]);
      expect({ rows: group.rows, fetched: group.fetched }).toEqual({ rows: CAMPAIGNS, fetched: 1 });
    }
  }
  const duplicates = await watcher.query('select connection, campaign_id, day from campaign_snapshots group by 1, 2, 3 having count(*) > 1');
  expect(duplicates.rows).toEqual([]);
  const days = (await watcher.query<{ n: number }>('select count(distinct day)::int as n from campaign_snapshots')).rows[0]?.n ?? 0;
  const rows = (await watcher.query<{ n: number }>('select count(*)::int as n from campaign_snapshots')).rows[0]?.n;
  expect(rows).toBe(PROVIDER_IDS.length * CAMPAIGNS * days);
  // Each row is the last walk's: its fetched_at is the newest write of that campaign.
  const stale = await watcher.query(
    `select s.connection, s.campaign_id from campaign_snapshots s
     where s.fetched_at <> (select max(w.fetched_at) from snapshot_writes w where w.connection = s.connection and w.campaign_id = s.campaign_id and w.day = s.day)`,
  );
  expect(stale.rows).toEqual([]);

  // (c) Both instances answer the same history.
  const today = new Date().toISOString().slice(0, 10);
  const query = `/v1/campaigns/history?workspace_id=ALL&interval=day&group_by=campaign&start_date=${today}&end_date=${today}`;
  const [a, b] = await Promise.all(urls.map((url) => get(url, query)));
  expect(a?.status).toBe(200);
  expect(b?.status).toBe(200);
  const body = (text: string | undefined): { data: unknown[]; periods: unknown; warnings: unknown } => {
    const parsed = JSON.parse(text ?? '{}') as { data: unknown[]; periods: unknown; warnings: unknown };
    return { data: parsed.data, periods: parsed.periods, warnings: parsed.warnings };
  };
  expect(body(a?.text).data).toHaveLength(PROVIDER_IDS.length * CAMPAIGNS);
  expect(JSON.stringify(body(b?.text))).toBe(JSON.stringify(body(a?.text)));
  for (const format of ['csv', 'ndjson']) {
    const [x, y] = await Promise.all(urls.map((url) => get(url, `${query}&format=${format}`)));
    expect(x?.status).toBe(200);
    expect(x?.text.split('\n').length).toBeGreaterThan(PROVIDER_IDS.length * CAMPAIGNS);
    expect(y?.text).toBe(x?.text);
  }
}, 60_000);
