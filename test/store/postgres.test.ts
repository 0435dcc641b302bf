/**
 * The history store on a PostgreSQL server (started by the test on a free loopback port): the
 * same migrations and SQL as the embedded store, concurrent starts taking turns on the migration
 * lock, growth per week, and the server going away and coming back: queries fail as "unavailable",
 * writes during the outage are dropped, and both resume when it returns.
 */
import { createLogger } from '../../src/logger';
import type { CampaignAnalytics } from '../../src/schema/campaign';
import { HistoryStore, StoreUnavailableError } from '../../src/store';
import { MIGRATIONS } from '../../src/store/migrations';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { campaignRecord } from '../helpers/records';

const DAY = 86_400_000;
const START = Date.parse('2026-09-07T12:00:00Z'); // a Monday

function record(id: string, sent: number): CampaignAnalytics {
  return campaignRecord({ connection: 'pg-instantly', workspace: 'acme', provider: 'instantly', id, metrics: { sent, contacted: Math.round(sent / 2) }, vendorStatus: '1' });
}

let pg: TestPostgres;
const stores: HistoryStore[] = [];

function store(): HistoryStore {
  const created = new HistoryStore({ dir: '/nonexistent', url: pg.url, retentionDays: 400, logger: createLogger({ silent: true }), retryMs: 100, now: () => START + 30 * DAY });
  stores.push(created);
  return created;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await pg?.destroy();
});

test('two instances starting at once migrate once, and both answer the same history', async () => {
  const a = store();
  const b = store();
  await Promise.all([a.start(), b.start()]);
  expect(a.up && b.up).toBe(true);
  expect(a.kind).toBe('postgres');
  const versions = await a.database().query<{ version: number }>('select version from schema_migrations order by version');
  expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));

  for (let day = 0; day < 14; day += 1) {
    await a.record({ connection: 'pg-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + day * DAY, records: [record('c1', 100 + day * 10)] });
  }
  const query = { workspaces: ['acme'], startDate: '2026-09-14', endDate: '2026-09-20', interval: 'week', groupBy: 'total' } as const;
  const fromA = await a.history(query);
  const fromB = await b.history(query);
  expect(fromA.series[0]?.points[0]?.metrics).toMatchObject({ sent: 70, contacted: 35 });
  expect(fromB).toEqual(fromA);
}, 60_000);

test('the server going away: history is unavailable, writes are dropped; both resume when it returns', async () => {
  const s = store();
  await s.start();
  await pg.stop();
  await expect(s.history({ workspaces: ['acme'], startDate: '2026-09-14', endDate: '2026-09-20', interval: 'week', groupBy: 'total' })).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(s.up).toBe(false);
  await s.record({ connection: 'pg-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + 20 * DAY, records: [record('c1', 999)] });
  expect(s.counters.writeFailures).toBeGreaterThan(0);

  await pg.start();
  await until(() => s.up, 'the store to see the server again');
  await s.record({ connection: 'pg-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + 21 * DAY, records: [record('c1', 310)] });
  const rows = await s.database().query<{ day: string; sent: number }>("select to_char(day, 'YYYY-MM-DD') as day, sent from campaign_snapshots where day >= '2026-09-27' order by day");
  // The write during the outage is gone (not half-written); the one after it is there.
  expect(rows).toEqual([{ day: '2026-09-28', sent: 310 }]);
}, 60_000);
