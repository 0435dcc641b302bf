/**
 * The scheduler's limits held across instances and restarts, counted at the Kakiyo simulator:
 * - two instances with one Redis spend one daily credit budget between them, not one each, and
 *   both say the budget is the limit (`/v1/connections`, metrics);
 * - two instances with one Redis walking two connections of one Kakiyo account keep together to one
 *   share of the account's rate;
 * - a restart on the embedded store starts from the day's count, not from zero;
 * - two instances sharing only a PostgreSQL server (no Redis) count in it together;
 * - the counts themselves (Redis, PostgreSQL) never pass the limit under parallel takes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { resolveConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { RedisCallTally } from '../../src/scaleout/call-tally';
import type { CallTally } from '../../src/scheduler/credit-budget';
import { RedisConnection } from '../../src/scaleout/redis';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import type { ConnectionSync } from '../../src/schema/envelope';
import { createService, type GatewayService } from '../../src/service';
import type { VendorSimulator } from '../../src/simulator';
import { HistoryStore } from '../../src/store';
import { StoreCallTally } from '../../src/store/call-tally';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { startRedis, type TestRedis } from '../helpers/redis';
import { SCALEOUT_CLIENT_KEY, scaleoutDocument, startScaleoutSims } from '../helpers/scaleout-stack';

/** 45 campaigns: a walk is 3 list pages + 45 analytics calls = 48 credits; a budget of 100 allows two walks. */
const CAMPAIGNS = 45;
const BUDGET = 100;
const BUDGET_SYNC = { intervalSeconds: { kakiyo: 1 }, kakiyo: { dailyCreditBudget: BUDGET } };

let sims: Record<ProviderId, VendorSimulator> | undefined;
let redis: TestRedis | undefined;
let pg: TestPostgres | undefined;
let services: GatewayService[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await Promise.all(services.map((s) => s.close(100)));
  services = [];
  const simulators = sims;
  sims = undefined;
  if (simulators) await Promise.all(PROVIDER_IDS.map((p) => simulators[p].close()));
  await redis?.stop();
  redis = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await pg?.destroy();
});

interface Options {
  redisUrl?: string | undefined;
  /** The Kakiyo connection's id (the same vendor account whatever the id). */
  connectionId?: string;
  kakiyo?: Record<string, unknown>;
  sync: Record<string, unknown>;
  storage?: Record<string, unknown>;
}

/** One instance's config: only the Kakiyo connection, against the simulators. */
function document(simulators: Record<ProviderId, VendorSimulator>, options: Options): Record<string, unknown> {
  const base = scaleoutDocument(simulators, options.redisUrl, { providerSettings: { kakiyo: options.kakiyo ?? {} } });
  const workspaces = base.workspaces as { id: string; connections: { id: string; provider: ProviderId }[] }[];
  return {
    ...base,
    workspaces: workspaces.map((w) => ({
      ...w,
      connections: w.connections.filter((c) => c.provider === 'kakiyo').map((c) => ({ ...c, id: options.connectionId ?? c.id })),
    })),
    sync: options.sync,
    ...(options.storage ? { storage: options.storage } : {}),
  };
}

function instance(doc: Record<string, unknown>, history = false): GatewayService {
  const service = createService(resolveConfig(doc), { logStream: new PassThrough(), extraSecrets: [SCALEOUT_CLIENT_KEY], history, sync: true });
  services.push(service);
  return service;
}

function get(base: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${path}`, { headers: { 'X-API-Key': SCALEOUT_CLIENT_KEY }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function kakiyoSync(url: string): Promise<ConnectionSync | null | undefined> {
  const body = JSON.parse(await get(url, '/v1/connections')) as { data: { provider: string; sync: ConnectionSync | null }[] };
  return body.data.find((c) => c.provider === 'kakiyo')?.sync;
}

/**
 * Held back by a spent budget: until the next UTC midnight. (A shared count that cannot be read
 * yet, Redis still connecting, holds it back too, but for a second.)
 */
async function spentForToday(url: string): Promise<boolean> {
  const sync = await kakiyoSync(url);
  const midnight = new Date(Math.ceil((Date.now() + 1) / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
  return sync?.limitedBy === 'credit_budget' && sync.nextAt?.slice(0, 10) === midnight;
}

function metric(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

async function upstreamCalls(service: GatewayService): Promise<number> {
  const values = (await service.metrics.registry.getSingleMetric('gateway_upstream_calls_total')?.get())?.values ?? [];
  return values.filter((v) => v.labels.provider === 'kakiyo').reduce((sum, v) => sum + v.value, 0);
}

test('two instances with one Redis spend one daily credit budget between them, and both say it is the limit', async () => {
  redis = await startRedis();
  const simulators = await startScaleoutSims(CAMPAIGNS);
  sims = simulators;
  const doc = document(simulators, { redisUrl: redis.url, sync: BUDGET_SYNC });
  const pair = [instance(doc), instance(doc)];
  const urls = await Promise.all(pair.map((s) => s.listen(0, '127.0.0.1')));
  await until('both instances held back by the budget', async () => (await Promise.all(urls.map(spentForToday))).every(Boolean), 20_000);
  await sleep(1500);
  const calls = simulators.kakiyo.stats().total;
  // Two walks (96 credits), or a second one cut at the budget: never more than the budget, where
  // instances counting on their own spent two budgets (192).
  expect(calls).toBeLessThanOrEqual(BUDGET);
  expect(calls).toBeGreaterThanOrEqual(96);
  for (const url of urls) {
    expect(await kakiyoSync(url)).toMatchObject({ lastOutcome: 'skipped', limitedBy: 'credit_budget' });
    const metrics = await get(url, '/metrics');
    expect(metric(metrics, 'gateway_sync_budget_calls_used', 'provider="kakiyo"')).toBe(calls);
    expect(metric(metrics, 'gateway_sync_budget_calls_limit', 'provider="kakiyo"')).toBe(BUDGET);
    expect(metric(metrics, 'gateway_sync_limited_connections', 'provider="kakiyo",reason="credit_budget"')).toBe(1);
  }
}, 30_000);

test("two instances with one Redis keep together to one share of a Kakiyo account's rate", async () => {
  const WINDOW_S = 5;
  redis = await startRedis();
  const simulators = await startScaleoutSims(30);
  sims = simulators;
  // 4 calls/s (burst 4), share 0.5: the scheduler may make 2/s (burst 2) on the account, whichever
  // instance makes them. Each instance walks its own connection of the account (30 campaigns: 32
  // calls, about 16 s at the share), so both walk at once.
  const kakiyo = { requestsPerSecond: 4, burst: 4, concurrency: 4 };
  const sync = { share: 0.5, kakiyo: { dailyCreditBudget: 10_000 } };
  const pair = [
    instance(document(simulators, { redisUrl: redis.url, connectionId: 'acme-kakiyo', kakiyo, sync })),
    instance(document(simulators, { redisUrl: redis.url, connectionId: 'acme-kakiyo-second', kakiyo, sync })),
  ];
  await until('both instances connected to Redis', () => pair.every((s) => s.scaleOut?.redis.up === true), 5000);
  await sleep(500);
  const before = await Promise.all(pair.map(upstreamCalls));
  const atStart = simulators.kakiyo.stats().total;
  await sleep(WINDOW_S * 1000);
  const calls = simulators.kakiyo.stats().total - atStart;
  const after = await Promise.all(pair.map(upstreamCalls));
  // Together they made at most the share's burst plus 2/s (each keeping its own share made twice
  // that); the lower bound is loose: a loaded machine makes fewer calls, never more.
  expect(calls).toBeGreaterThanOrEqual(3);
  expect(calls).toBeLessThanOrEqual(2 + 2 * WINDOW_S + 1);
  // Both were walking all along: the shared bucket does not promise which instance gets each
  // token, but neither is starved (each gets calls through soon).
  await until('both instances made calls', async () => (await Promise.all(pair.map(upstreamCalls))).every((count, i) => count - (before[i] ?? 0) >= 1), 15_000);
  expect(after.length).toBe(2);
}, 60_000);

test("a restart on the embedded store starts from the day's count, not from zero", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'og-budget-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const simulators = await startScaleoutSims(CAMPAIGNS);
  sims = simulators;
  const doc = document(simulators, { sync: BUDGET_SYNC, storage: { dir } });
  const first = instance(doc, true);
  const firstUrl = await first.listen(0, '127.0.0.1');
  await until('the first instance held back by the budget', () => spentForToday(firstUrl), 20_000);
  await first.close(100);
  services = [];
  const spent = simulators.kakiyo.stats().total;
  expect(spent).toBe(96);

  const second = instance(doc, true);
  const secondUrl = await second.listen(0, '127.0.0.1');
  await until('the restarted instance held back by the budget', () => spentForToday(secondUrl), 20_000);
  await sleep(1500);
  // Not one more credit: the day's 96 were read back from the store (a third walk would pass 100).
  expect(simulators.kakiyo.stats().total).toBe(spent);
  const metrics = await get(secondUrl, '/metrics');
  expect(metric(metrics, 'gateway_sync_budget_calls_used', 'provider="kakiyo"')).toBe(96);
  // Two starts of the embedded database: a few seconds each on a quiet machine, far more on a busy one.
}, 150_000);

test('two instances sharing a PostgreSQL server (no Redis) count in it together', async () => {
  pg ??= await startPostgres();
  const simulators = await startScaleoutSims(CAMPAIGNS);
  sims = simulators;
  const doc = document(simulators, { sync: BUDGET_SYNC, storage: { url: pg.url } });
  const pair = [instance(doc, true), instance(doc, true)];
  const urls = await Promise.all(pair.map((s) => s.listen(0, '127.0.0.1')));
  await until('both instances held back by the budget', async () => (await Promise.all(urls.map(spentForToday))).every(Boolean), 20_000);
  await sleep(1500);
  // Without a lease both may walk at once; the count in the server still stops them at the budget.
  const calls = simulators.kakiyo.stats().total;
  expect(calls).toBeLessThanOrEqual(BUDGET);
  expect(calls).toBeGreaterThanOrEqual(96);
}, 60_000);

describe('the counts under parallel takes', () => {
  const LIMIT = 37;
  const DAY = '2026-12-06';

  async function takeInParallel(tallies: CallTally[]): Promise<number> {
    const answers = await Promise.all(Array.from({ length: 90 }, (_, i) => (tallies[i % tallies.length] as CallTally).take('kakiyo:parallel', DAY, LIMIT, 0)));
    return answers.filter((answer) => answer?.taken).length;
  }

  test('Redis: two connections taking at once count exactly up to the limit', async () => {
    redis = await startRedis();
    const url = redis.url;
    const connections = [0, 1].map(() => {
      const connection = new RedisConnection({ url, commandTimeoutMs: 500, logger: createLogger({ silent: true }), registry: new Registry() });
      connection.start();
      cleanups.push(() => connection.close());
      return connection;
    });
    await until('both connected', () => connections.every((c) => c.up), 5000);
    const tallies: CallTally[] = connections.map((c) => new RedisCallTally(c, 'k'.repeat(32)));
    expect(await takeInParallel(tallies)).toBe(LIMIT);
    expect(await tallies[0]?.read('kakiyo:parallel', DAY)).toBe(LIMIT);
    // A floor above the count raises it (a Redis restarted empty starts from what an instance saw).
    expect(await tallies[1]?.take('kakiyo:floor', DAY, LIMIT, 30)).toEqual({ taken: true, used: 31 });
    expect(await tallies[0]?.refund('kakiyo:floor', DAY)).toBe(true);
    expect(await tallies[0]?.read('kakiyo:floor', DAY)).toBe(30);
  }, 20_000);

  test('PostgreSQL: two stores taking at once count exactly up to the limit', async () => {
    pg ??= await startPostgres();
    const url = pg.url;
    const stores = [0, 1].map(() => {
      const store = new HistoryStore({ dir: '/nonexistent', url, retentionDays: 400, logger: createLogger({ silent: true }) });
      cleanups.push(() => store.close());
      return store;
    });
    await Promise.all(stores.map((s) => s.start()));
    const tallies: CallTally[] = stores.map((s) => new StoreCallTally(() => s.database(), 'shared'));
    expect(await takeInParallel(tallies)).toBe(LIMIT);
    expect(await tallies[1]?.read('kakiyo:parallel', DAY)).toBe(LIMIT);
    expect(await tallies[1]?.take('kakiyo:floor', DAY, LIMIT, 30)).toEqual({ taken: true, used: 31 });
    expect(await tallies[0]?.take('kakiyo:floor', DAY, 31, 0)).toEqual({ taken: false, used: 31 });
    expect(await tallies[0]?.refund('kakiyo:floor', DAY)).toBe(true);
    expect(await tallies[0]?.read('kakiyo:floor', DAY)).toBe(30);
  }, 60_000);
});
