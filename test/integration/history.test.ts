/**
 * `GET /v1/campaigns/history` end to end: walks through the gateway become snapshots (only whole
 * walks: not with ids or a date range), the endpoint answers them in JSON, CSV and NDJSON with the
 * main endpoint's auth and workspace rules, and when the store is unreachable the main endpoint
 * keeps answering, history answers 503 problem+json and /readyz says degraded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { HistoryResponseSchema } from '../../src/schema/history';
import { OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const DAY = 86_400_000;
/** The gateway's clock runs with the real one (the HTTP client's deadlines use the real one), shifted by whole days. */
let offset = 0;
const now = (): number => Date.now() + offset;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const DAY1 = dayOf(Date.now());
const DAY2 = dayOf(Date.now() + DAY);

let dir: string;
let stack: Stack;

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-history-'));
  stack = await startStack({ storageDir: dir, now });
  await until(() => stack.service.store?.up === true, 'the store to open');
}, 120_000);

afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshots from walks', () => {
  test('whole walks are recorded once per connection and day; walks with ids or dates are not', async () => {
    const store = stack.service.store;
    if (!store) throw new Error('no store');
    const first = await stack.get('/v1/campaigns/analytics?workspace_id=ALL');
    expect(first.status).toBe(200);
    await until(() => store.counters.walksRecorded === 8, 'eight walks recorded');
    // Counted once every walk is in: on a loaded machine the first answer may have left a slow
    // source to finish in the background (its walk is still recorded).
    const whole = await stack.get('/v1/campaigns/analytics?workspace_id=ALL');
    expect((whole.body as { meta: { complete: boolean } }).meta.complete).toBe(true);
    const campaigns = (whole.body as { data: unknown[] }).data.length;
    const rows = await store.database().query<{ n: string }>('select count(*)::text as n from campaign_snapshots');
    expect(Number(rows[0]?.n)).toBe(campaigns);

    await stack.get('/v1/campaigns/analytics?workspace_id=acme&start_date=2026-11-01&end_date=2026-11-10');
    const key = (first.body as { data: { key: string; workspace: string }[] }).data.find((c) => c.workspace === 'acme')?.key ?? '';
    await stack.get(`/v1/campaigns/analytics?ids=${encodeURIComponent(key)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(store.counters.walksRecorded).toBe(8);

    // The next day's walk (refresh) adds a second row per campaign; the same day's replaces it.
    offset += DAY;
    await stack.get('/v1/campaigns/analytics?workspace_id=ALL&refresh=true');
    await until(() => store.counters.walksRecorded === 16, 'sixteen walks recorded');
    await stack.get('/v1/campaigns/analytics?workspace_id=ALL&refresh=true');
    await until(() => store.counters.walksRecorded === 24, 'twenty-four walks recorded');
    const after = await store.database().query<{ n: string }>('select count(*)::text as n from campaign_snapshots');
    expect(Number(after[0]?.n)).toBe(2 * campaigns);
  }, 60_000);
});

describe('the endpoint', () => {
  test('JSON: one series per provider, a point per day; growth between identical walks is zero; the answer matches its schema', async () => {
    const res = await stack.get(`/v1/campaigns/history?workspace_id=ALL&interval=day&group_by=provider&start_date=${DAY1}&end_date=${DAY2}&metrics=sent,replied`);
    expect(res.status).toBe(200);
    const body = HistoryResponseSchema.parse(res.body);
    expect(body.data.map((s) => s.group.provider)).toEqual(['instantly', 'kakiyo', 'seleqt', 'sendkit']);
    for (const series of body.data) {
      // Day 1 has no previous day: a gap. Day 2 grew by nothing (the simulators' numbers did not move).
      expect(series.points[0]).toMatchObject({ period: DAY1, source: null, metrics: null });
      expect(series.points[1]?.source).toBe('snapshots');
      expect(Object.keys(series.points[1]?.metrics ?? {})).toEqual(['sent', 'replied']);
      for (const value of Object.values(series.points[1]?.metrics ?? {})) expect(value === null || value === 0).toBe(true);
    }
    expect(body.meta).toMatchObject({ workspaces: ['acme', 'globex'], interval: 'day', groupBy: 'provider', demo: false });
  });

  test('CSV and NDJSON: one row per series and period', async () => {
    const csv = await stack.get(`/v1/campaigns/history?workspace_id=acme&interval=day&group_by=workspace&start_date=${DAY1}&end_date=${DAY2}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv<Record<string, string>>(csv.text, { columns: true });
    expect(rows.map((r) => [r.workspace, r.period, r.source])).toEqual([
      ['acme', DAY1, ''],
      ['acme', DAY2, 'snapshots'],
    ]);
    const nd = await stack.get(`/v1/campaigns/history?workspace_id=acme&interval=day&start_date=${DAY1}&end_date=${DAY2}`, { 'X-API-Key': 'canary-client-key-9f8e7d6c5b4a', Accept: 'application/x-ndjson' });
    expect(nd.text.trim().split('\n').map((line) => (JSON.parse(line) as { period: string }).period)).toEqual([DAY1, DAY2]);
  });

  test('the same auth, workspace rules and validation as the main endpoint', async () => {
    expect((await stack.get('/v1/campaigns/history', {})).status).toBe(401);
    const denied = await stack.get('/v1/campaigns/history?workspace_id=acme', { 'X-API-Key': OTHER_CLIENT_KEY });
    expect(denied.status).toBe(403);
    const bad = await stack.get('/v1/campaigns/history?interval=year&start_date=2026-11-01&metrics=foo&bogus=1');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((bad.body as { errors: { parameter: string }[] }).errors.map((e) => e.parameter).sort()).toEqual(['bogus', 'end_date', 'interval', 'metrics']);
    // The other client sees only its own workspace's series.
    const own = await stack.get(`/v1/campaigns/history?workspace_id=ALL&group_by=workspace&interval=day&start_date=${DAY1}&end_date=${DAY2}`, { 'X-API-Key': OTHER_CLIENT_KEY });
    expect((own.body as { data: { group: { workspace: string } }[] }).data.map((s) => s.group.workspace)).toEqual(['globex']);
  });
});

describe('the store unreachable', () => {
  test('the main endpoint keeps answering, history answers 503 problem+json, /readyz says degraded', async () => {
    const store = stack.service.store;
    if (!store) throw new Error('no store');
    // Closing the database underneath the store is what an unreachable server looks like to it.
    await store.database().close();
    const history = await stack.get('/v1/campaigns/history?workspace_id=ALL');
    expect(history.status).toBe(503);
    expect(history.body).toMatchObject({ code: 'history_unavailable' });
    const main = await stack.get('/v1/campaigns/analytics?workspace_id=ALL&refresh=true');
    expect(main.status).toBe(200);
    expect((main.body as { meta: { complete: boolean } }).meta.complete).toBe(true);
    const ready = await stack.get('/readyz');
    expect(ready.body).toMatchObject({ status: 'degraded', problem: expect.stringContaining('history store unavailable') });
  }, 30_000);
});
