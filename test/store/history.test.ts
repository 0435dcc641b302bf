/**
 * The history store on embedded PostgreSQL (PGlite): migrations, snapshot writes (one row per
 * campaign per day, replaced in place), growth per period against a known ground truth, counter
 * resets, gaps, grouping, and a failed write leaving the last committed state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { type CampaignAnalytics, type Metrics, type ProviderId } from '../../src/schema/campaign';
import { HistoryStore } from '../../src/store';
import { periodStart, periodsBetween } from '../../src/store/history';
import { MIGRATIONS, migrate } from '../../src/store/migrations';
import { campaignRecord } from '../helpers/records';

const DAY = 86_400_000;
const START = Date.parse('2026-09-07T12:00:00Z'); // a Monday

function record(id: string, provider: ProviderId, metrics: Partial<Metrics>): CampaignAnalytics {
  return campaignRecord({ connection: `c-${provider}`, workspace: 'acme', provider, id, metrics });
}

/** Ground truth: campaign sends grow by `perDay` each day from `base`. */
function sentOn(day: number, perDay: number, base = 100): number {
  return base + day * perDay;
}

let dir: string;
let store: HistoryStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-store-'));
  store = new HistoryStore({ dir, retentionDays: 400, logger: createLogger({ silent: true }), now: () => START + 30 * DAY });
  await store.start();
  expect(store.up).toBe(true);
  // 21 days of daily walks for two providers, plus a second walk on day 3 that replaces the first.
  for (let day = 0; day < 21; day += 1) {
    await store.record({ connection: 'c-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + day * DAY, records: [record('i1', 'instantly', { sent: sentOn(day, 10), contacted: sentOn(day, 5), replied: day })] });
    if (day === 3) await store.record({ connection: 'c-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + day * DAY - 3_600_000, records: [record('i1', 'instantly', { sent: 1, contacted: 1, replied: 0 })] });
    if (day === 3) await store.record({ connection: 'c-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + day * DAY, records: [record('i1', 'instantly', { sent: sentOn(day, 10), contacted: sentOn(day, 5), replied: day })] });
    if (day < 7 || day >= 14) {
      // SendKit has a gap in the second week.
      await store.record({ connection: 'c-sendkit', workspace: 'acme', provider: 'sendkit', fetchedAt: START + day * DAY, records: [record('s1', 'sendkit', { sent: sentOn(day, 3), contacted: null })] });
    }
  }
}, 120_000);

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('periods', () => {
  test('weeks start on Monday, months on the 1st, all UTC', () => {
    expect(periodStart('2026-09-13', 'week')).toBe('2026-09-07');
    expect(periodStart('2026-09-07', 'week')).toBe('2026-09-07');
    expect(periodStart('2026-09-30', 'month')).toBe('2026-09-01');
    expect(periodsBetween('2026-09-30', '2026-11-02', 'month')).toEqual([
      { period: '2026-09-01', end: '2026-09-30' },
      { period: '2026-10-01', end: '2026-10-31' },
      { period: '2026-11-01', end: '2026-11-30' },
    ]);
  });
});

describe('migrations', () => {
  test('are versioned and applied once', async () => {
    const sql = store.database();
    // The highest version (numbers may have gaps).
    expect(await migrate(sql)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    const rows = await sql.query<{ version: number }>('select version from schema_migrations order by version');
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
  });
});

describe('snapshots', () => {
  test('one row per campaign per UTC day, the day\'s latest walk wins', async () => {
    const rows = await store.database().query<{ n: string }>("select count(*)::text as n from campaign_snapshots where connection = 'c-instantly'");
    expect(Number(rows[0]?.n)).toBe(21);
    const day3 = await store.database().query<{ sent: number }>("select sent from campaign_snapshots where connection = 'c-instantly' and day = '2026-09-10'");
    expect(day3[0]?.sent).toBe(sentOn(3, 10));
  });

  test('a write that fails mid-walk leaves the last committed state', async () => {
    const before = await store.database().query('select * from campaign_snapshots order by connection, campaign_id, day');
    const bad = record('i2', 'instantly', { sent: 5 });
    // 600 good rows then one that violates NOT NULL: the second batch fails, the first is rolled back.
    const good = Array.from({ length: 600 }, (_, i) => record(`x${i}`, 'instantly', { sent: i }));
    (bad as { name: string | null }).name = null;
    await store.record({ connection: 'c-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + 25 * DAY, records: [...good, bad] });
    expect(store.counters.writeFailures).toBe(1);
    // A refused statement does not make the store look down.
    expect(store.up).toBe(true);
    const sqlAfter = store.database();
    const after = await sqlAfter.query('select * from campaign_snapshots order by connection, campaign_id, day');
    expect(after).toEqual(before);
  }, 30_000);
});

describe('history', () => {
  test("a week's growth equals the ground truth", async () => {
    const result = await store.history({ workspaces: ['acme'], providers: ['instantly'], startDate: '2026-09-14', endDate: '2026-09-27', interval: 'week', groupBy: 'total' });
    expect(result.periods).toEqual([
      { period: '2026-09-14', end: '2026-09-20' },
      { period: '2026-09-21', end: '2026-09-27' },
    ]);
    const [series] = result.series;
    // End of week 2 is day 13, end of week 1 is day 6: growth 7 days × 10 sends.
    expect(series?.points[0]?.metrics).toMatchObject({ sent: 70, contacted: 35, replied: 7 });
    expect(series?.points[0]?.rates?.replyRate).toBeCloseTo(7 / 35);
    expect(series?.points[0]?.source).toBe('snapshots');
    // Week 3 ends at day 20 (the last walk): 7 more days.
    expect(series?.points[1]?.metrics).toMatchObject({ sent: 70 });
  });

  test('a period without data is a gap (null), never interpolated; the period after a gap has no baseline', async () => {
    const weeks = await store.history({ workspaces: ['acme'], providers: ['sendkit'], startDate: '2026-09-14', endDate: '2026-09-27', interval: 'week', groupBy: 'provider' });
    expect(weeks.series[0]?.points.map((p) => p.metrics?.sent ?? null)).toEqual([null, null]);
    const days = await store.history({ workspaces: ['acme'], providers: ['sendkit'], startDate: '2026-09-13', endDate: '2026-09-22', interval: 'day', groupBy: 'provider' });
    const points = days.series[0]?.points ?? [];
    expect(points.map((p) => p.metrics?.sent ?? null)).toEqual([3, null, null, null, null, null, null, null, null, 3]);
    expect(points.map((p) => p.source)).toEqual(['snapshots', null, null, null, null, null, null, null, null, 'snapshots']);
  });

  test('daily growth, grouped by provider, and metrics= restricts the metrics', async () => {
    const result = await store.history({ workspaces: ['acme'], startDate: '2026-09-08', endDate: '2026-09-10', interval: 'day', groupBy: 'provider', metrics: ['sent'] });
    expect(result.series.map((s) => s.group.provider)).toEqual(['instantly', 'sendkit']);
    expect(result.series[0]?.points.map((p) => p.metrics)).toEqual([{ sent: 10 }, { sent: 10 }, { sent: 10 }]);
    expect(result.series[1]?.points.map((p) => p.metrics)).toEqual([{ sent: 3 }, { sent: 3 }, { sent: 3 }]);
  });

  test('a counter that goes down starts a new baseline with a warning, never a negative value', async () => {
    const sql = store.database();
    await sql.query("update campaign_snapshots set sent = 5 where connection = 'c-instantly' and day = '2026-09-17'");
    try {
      const result = await store.history({ workspaces: ['acme'], providers: ['instantly'], startDate: '2026-09-16', endDate: '2026-09-19', interval: 'day', groupBy: 'campaign', metrics: ['sent'] });
      const sent = result.series[0]?.points.map((p) => p.metrics?.sent ?? null);
      // 09-16: +10; 09-17: reset (left out); 09-18 (day 11) grows from the new baseline 5.
      expect(sent).toEqual([10, null, sentOn(11, 10) - 5, 10]);
      expect(sent?.every((v) => v === null || v >= 0)).toBe(true);
      expect(result.warnings).toEqual([expect.objectContaining({ code: 'counter_reset', count: 1, path: 'c-instantly:i1.sent' })]);
    } finally {
      await sql.query(`update campaign_snapshots set sent = ${sentOn(10, 10)} where connection = 'c-instantly' and day = '2026-09-17'`);
    }
  });

  test('workspaces outside the query are not read', async () => {
    const result = await store.history({ workspaces: ['globex'], startDate: '2026-09-08', endDate: '2026-09-10', interval: 'day', groupBy: 'total' });
    expect(result.series).toEqual([]);
  });
});
