/**
 * The per-connection rollups against the per-campaign path: on random walks (written in any
 * order, several a day so rows are updated in place, counts that go down, campaigns that come and
 * go, vendor daily rows that cover some periods) the rollups kept in each write's transaction give
 * the same answer as summing every campaign's growth, for every interval and grouping; and a
 * worked example with an in-place update and a reset; and the set-based rebuild of several
 * connections at once gives the same rows as rebuilding each on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createLogger } from '../../src/logger';
import { type CampaignAnalytics, type DailyStats, type Metrics, type ProviderId } from '../../src/schema/campaign';
import { HistoryStore, type HistoryQuery, type WalkSnapshot } from '../../src/store';
import { ROLLUP_VERSION, rebuildConnection, rebuildConnections } from '../../src/store/rollup';
import { campaignRecord } from '../helpers/records';

const DAY = 86_400_000;
const START = Date.parse('2026-09-21T06:00:00Z'); // a Monday; 28 days reach into October
const day = (n: number): string => new Date(START + n * DAY).toISOString().slice(0, 10);

const CONNECTIONS: readonly { id: string; provider: ProviderId; workspace: string }[] = [
  { id: 'c1', provider: 'instantly', workspace: 'acme' },
  { id: 'c2', provider: 'sendkit', workspace: 'acme' },
  { id: 'c3', provider: 'kakiyo', workspace: 'globex' },
];

function campaign(connection: (typeof CONNECTIONS)[number], id: string, metrics: Partial<Metrics>, daily: DailyStats[] | null): CampaignAnalytics {
  return campaignRecord({ connection: connection.id, workspace: connection.workspace, provider: connection.provider, id, metrics, daily });
}

let dir: string;
let store: HistoryStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-rollup-'));
  store = new HistoryStore({ dir, retentionDays: 4000, logger: createLogger({ silent: true }), now: () => START + 40 * DAY });
  await store.start();
  expect(store.up).toBe(true);
}, 120_000);

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function clear(): Promise<void> {
  const sql = store.database();
  for (const table of ['campaign_snapshots', 'vendor_daily', 'vendor_daily_coverage', 'history_rollup', 'history_connections']) await sql.query(`delete from ${table}`);
}

const count = fc.option(fc.integer({ min: 0, max: 60 }), { nil: null, freq: 6 });
const walkArb = fc.record({
  connection: fc.integer({ min: 0, max: CONNECTIONS.length - 1 }),
  day: fc.integer({ min: 0, max: 27 }),
  hour: fc.integer({ min: 0, max: 12 }),
  campaigns: fc.uniqueArray(
    fc.record({
      id: fc.constantFrom('a', 'b', 'c'),
      sent: count,
      contacted: count,
      replied: count,
      opened: count,
      daily: fc.option(
        fc.uniqueArray(
          fc.record({ back: fc.integer({ min: 0, max: 9 }), sent: fc.integer({ min: 0, max: 9 }), replied: fc.integer({ min: 0, max: 3 }), opened: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 4 }) }),
          { selector: (row) => row.back, maxLength: 5 },
        ),
        { nil: null, freq: 2 },
      ),
    }),
    { selector: (c) => c.id, minLength: 1, maxLength: 3 },
  ),
});

type Walk = typeof walkArb extends fc.Arbitrary<infer T> ? T : never;

function snapshotOf(walk: Walk): WalkSnapshot {
  const connection = CONNECTIONS[walk.connection] ?? CONNECTIONS[0];
  if (!connection) throw new Error('no connection');
  const records = walk.campaigns.map((c) =>
    campaign(
      connection,
      c.id,
      { sent: c.sent, contacted: c.contacted, replied: c.replied, opened: c.opened },
      c.daily === null
        ? null
        : c.daily
            .filter((row) => row.back <= walk.day)
            .map((row) => ({ date: day(walk.day - row.back), sent: row.sent, opened: row.opened, clicked: null, replied: row.replied, interested: 0 }))
            .sort((a, b) => a.date.localeCompare(b.date)),
    ),
  );
  return { connection: connection.id, workspace: connection.workspace, provider: connection.provider, records, fetchedAt: START + walk.day * DAY + walk.hour * 3_600_000 };
}

async function write(walk: Walk): Promise<void> {
  await store.record(snapshotOf(walk));
}

const QUERIES: readonly Omit<HistoryQuery, 'startDate' | 'endDate'>[] = [
  { workspaces: ['acme', 'globex'], interval: 'day', groupBy: 'total' },
  { workspaces: ['acme', 'globex'], interval: 'week', groupBy: 'provider' },
  { workspaces: ['acme'], interval: 'week', groupBy: 'workspace', metrics: ['sent', 'replied'] },
  { workspaces: ['acme', 'globex'], interval: 'month', groupBy: 'workspace' },
  { workspaces: ['acme', 'globex'], providers: ['kakiyo', 'instantly'], interval: 'day', groupBy: 'provider' },
];

test('the rollups answer exactly as the per-campaign path on random walks', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(walkArb, { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 20 }), async (walks, from) => {
      await clear();
      for (const walk of walks) await write(walk);
      expect(store.counters.writeFailures).toBe(0);
      for (const base of QUERIES) {
        const query = { ...base, startDate: day(from), endDate: day(Math.min(27, from + 9)) };
        const viaRollups = await store.history(query, 'rollups');
        const viaCampaigns = await store.history(query, 'campaigns');
        expect(viaRollups).toEqual(viaCampaigns);
      }
    }),
    {
      numRuns: Number(process.env.OG_ROLLUP_RUNS ?? 12),
      ...(process.env.OG_ROLLUP_RUNS ? {} : { seed: 20_261_206 }),
      // Found by this property (seed -863401994): a walk of the same day whose daily row no longer
      // carries a metric changes that metric's source in every period its coverage spans.
      examples: [
        [
          [
            { connection: 1, day: 1, hour: 0, campaigns: [{ id: 'c', sent: null, contacted: null, replied: null, opened: null, daily: [{ back: 0, sent: 0, replied: 0, opened: 0 }] }] },
            { connection: 1, day: 1, hour: 0, campaigns: [{ id: 'c', sent: null, contacted: null, replied: null, opened: null, daily: [{ back: 0, sent: 0, replied: 0, opened: null }] }] },
          ],
          0,
        ],
      ],
    },
  );
}, 600_000);

test('after an in-place update and a counter reset, both paths agree on the worked numbers; a full rebuild gives the same rollups', async () => {
  await clear();
  const [c1] = CONNECTIONS;
  if (!c1) throw new Error('no connection');
  const walk = (n: number, hour: number, sent: number): Promise<void> =>
    store.record({ connection: c1.id, workspace: c1.workspace, provider: c1.provider, records: [campaign(c1, 'a', { sent, contacted: 10 }, null)], fetchedAt: START + n * DAY + hour * 3_600_000 });
  await walk(0, 1, 100);
  await walk(1, 1, 120);
  await walk(1, 9, 130); // the same day, later: replaces 120
  await walk(2, 1, 20); // went down: a reset
  await walk(3, 1, 25);
  const query: HistoryQuery = { workspaces: ['acme'], startDate: day(1), endDate: day(3), interval: 'day', groupBy: 'total', metrics: ['sent'] };
  const viaRollups = await store.history(query, 'rollups');
  expect(viaRollups.series[0]?.points.map((p) => p.metrics?.sent ?? null)).toEqual([30, null, 5]);
  expect(viaRollups.warnings).toEqual([expect.objectContaining({ code: 'counter_reset', count: 1, path: 'c1:a.sent' })]);
  expect(viaRollups).toEqual(await store.history(query, 'campaigns'));

  const sql = store.database();
  const kept = await sql.query('select * from history_rollup order by interval, period, connection');
  await sql.transaction((tx) => rebuildConnection(tx, c1.id));
  expect(await sql.query('select * from history_rollup order by interval, period, connection')).toEqual(kept);
  expect(await sql.query('select rollup_version from history_connections')).toEqual([{ rollup_version: ROLLUP_VERSION }]);
}, 120_000);

test('the set-based rebuild of all connections at once gives the same rollups and spans as rebuilding each connection', async () => {
  const sql = store.database();
  const everything = async (): Promise<unknown[]> => [
    await sql.query('select * from history_rollup order by interval, period, connection'),
    await sql.query('select * from history_connections order by connection'),
  ];
  await fc.assert(
    fc.asyncProperty(fc.array(walkArb, { minLength: 1, maxLength: 10 }), async (walks) => {
      await clear();
      for (const walk of walks) await write(walk);
      const ids = CONNECTIONS.map((c) => c.id);
      for (const id of ids) await sql.transaction((tx) => rebuildConnection(tx, id));
      const one = await everything();
      await sql.query('delete from history_rollup');
      await sql.query('delete from history_connections');
      await sql.transaction((tx) => rebuildConnections(tx, ids));
      expect(await everything()).toEqual(one);
      expect((one[0] as unknown[]).length).toBeGreaterThan(0);
    }),
    { numRuns: 12 },
  );
}, 600_000);

test('walks written in one batch (a back-fill) leave the same rows and rollups as written one by one', async () => {
  const sql = store.database();
  const everything = async (): Promise<unknown[]> =>
    Promise.all(
      [
        'select * from campaign_snapshots order by connection, campaign_id, day',
        'select * from vendor_daily order by connection, campaign_id, day',
        'select * from vendor_daily_coverage order by connection, campaign_id',
        'select * from history_rollup order by interval, period, connection',
        'select * from history_connections order by connection',
      ].map((text) => sql.query(text)),
    );
  await fc.assert(
    fc.asyncProperty(fc.array(walkArb, { minLength: 1, maxLength: 10 }), async (walks) => {
      await clear();
      for (const walk of walks) await write(walk);
      const oneByOne = await everything();
      await clear();
      await store.recordMany(walks.map(snapshotOf));
      expect(store.counters.writeFailures).toBe(0);
      expect(await everything()).toEqual(oneByOne);
    }),
    { numRuns: Number(process.env.OG_ROLLUP_RUNS ?? 12), ...(process.env.OG_ROLLUP_RUNS ? {} : { seed: 20_261_206 }) },
  );
}, 600_000);
