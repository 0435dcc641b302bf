/**
 * The scheduled sync against the simulators (real sockets, real time, short intervals): callers get
 * cache hits while it runs and it keeps entries fresh; its calls stay within its share of each
 * account's rate (counted at the simulator); Kakiyo's daily credit budget is never passed and
 * `/v1/connections` and the metrics say it is the limit; failures back off; no walk while a
 * breaker is open.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionSync } from '../../src/schema/envelope';
import { VENDOR_KEYS, startStack, type Stack } from '../helpers/stack';

interface ConnectionInfo {
  id: string;
  provider: string;
  breaker: string;
  sync: ConnectionSync | null;
}

interface SourceInfo {
  connection: string;
  status: string;
  cache: string;
  fetchedAt: string | null;
}

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function connections(s: Stack): Promise<ConnectionInfo[]> {
  const { body } = await s.get('/v1/connections');
  return (body as { data: ConnectionInfo[] }).data;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Samples a simulator count every few ms: the times (ms since start) each call was first seen. */
function recordCalls(count: () => number): { stop: () => number[] } {
  const started = Date.now();
  const times: number[] = [];
  let last = count();
  const timer = setInterval(() => {
    const now = count();
    for (; last < now; last++) times.push(Date.now() - started);
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return times;
    },
  };
}

/** The most calls seen in any window of `windowMs`. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    const start = times[i] ?? 0;
    most = Math.max(most, times.filter((t) => t >= start && t < start + windowMs).length);
  }
  return most;
}

function metric(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('scheduled sync', () => {
  test('callers get cache hits while the scheduler runs, and it keeps every entry fresh', async () => {
    const ttl = { ttlSeconds: 3 };
    stack = await startStack({ providerSettings: { instantly: ttl, sendkit: ttl, kakiyo: ttl, seleqt: ttl }, sync: {} });
    const s = stack;
    await until('every connection synced once', async () => (await connections(s)).every((c) => c.sync?.lastOutcome === 'ok'), 5000);
    const seen = new Map<string, Set<string>>();
    const end = Date.now() + 7000;
    let answers = 0;
    while (Date.now() < end) {
      const { status, body } = await s.get('/v1/campaigns/analytics?workspace_id=ALL');
      expect(status).toBe(200);
      const sources = (body as { sources: SourceInfo[] }).sources;
      expect(sources).toHaveLength(8);
      for (const source of sources) {
        expect({ connection: source.connection, status: source.status, cache: source.cache }).toEqual({ connection: source.connection, status: 'ok', cache: 'hit' });
        const fetched = seen.get(source.connection) ?? new Set<string>();
        fetched.add(source.fetchedAt ?? '');
        seen.set(source.connection, fetched);
      }
      answers += 1;
      await sleep(100);
    }
    expect(answers).toBeGreaterThan(20);
    // 7 s with a 3 s ttl: every entry was replaced by the scheduler at least twice.
    for (const [connection, fetched] of seen) expect({ connection, refreshes: fetched.size >= 3 }).toEqual({ connection, refreshes: true });
    const metrics = (await s.get('/metrics')).text;
    expect(metric(metrics, 'gateway_cache_events_total', 'provider="kakiyo",event="miss"') ?? 0).toBe(0);
    expect(metric(metrics, 'gateway_sync_walks_total', 'provider="kakiyo",outcome="ok"')).toBeGreaterThanOrEqual(6);
  }, 20_000);

  test("the scheduler's calls stay within its share of the account's rate; a caller still gets through at once", async () => {
    // Kakiyo at 4 calls/s (burst 4) per account, share 0.5: the scheduler may make 2/s (burst 2).
    stack = await startStack({ campaigns: 30, providerSettings: { kakiyo: { requestsPerSecond: 4, burst: 4, concurrency: 4 } }, sync: { share: 0.5 } });
    const s = stack;
    const acme = recordCalls(() => s.sims.kakiyo.stats().byKey.Acme ?? 0);
    const globex = recordCalls(() => s.sims.kakiyo.stats().byKey.Globex ?? 0);
    await sleep(4000);
    for (const [label, recorder] of [
      ['Acme', acme],
      ['Globex', globex],
    ] as const) {
      const times = recorder.stop();
      // About 2/s after a burst of 2 (a walk of 30 campaigns takes 32 calls, so it is still running).
      expect({ label, calls: times.length >= 6 }).toEqual({ label, calls: true });
      // Never more than burst + rate × window in any window.
      expect({ label, busiestSecond: busiestWindow(times, 1000) }).toEqual({ label, busiestSecond: expect.any(Number) });
      expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(2 + 2);
      expect(busiestWindow(times, 2000)).toBeLessThanOrEqual(2 + 4);
      expect(times.length).toBeLessThanOrEqual(2 + 2 * 4.2);
    }
    // A caller's own query (one campaign, refresh) is not queued behind the scheduler's walk, which is still running.
    const ids = await campaignKey(s);
    const t0 = Date.now();
    const { status, body } = await s.get(`/v1/campaigns/analytics?ids=${ids}&refresh=true`);
    const callerMs = Date.now() - t0;
    expect((await connections(s)).find((c) => c.id === 'acme-kakiyo')?.sync?.lastOutcome).toBeNull();
    expect(status).toBe(200);
    expect((body as { sources: SourceInfo[] }).sources[0]).toMatchObject({ status: 'ok', cache: 'bypass' });
    expect(callerMs).toBeLessThan(1500);
  }, 20_000);

  test("Kakiyo's daily credit budget is never passed, and /v1/connections and the metrics say it is the limit", async () => {
    // 45 campaigns: a walk is 3 list pages (20 a page) + 45 analytics calls = 48 credits. The first
    // walk is estimated at 53 (50 campaigns, the count not known yet), the next at 48: a budget of
    // 100 allows two walks (96), and a third would pass it.
    stack = await startStack({ campaigns: 45, sync: { intervalSeconds: { kakiyo: 1 }, kakiyo: { dailyCreditBudget: 100 } } });
    const s = stack;
    await until('both Kakiyo connections held back by the budget', async () => (await connections(s)).filter((c) => c.provider === 'kakiyo').every((c) => c.sync?.limitedBy === 'credit_budget'), 10_000);
    await sleep(1500);
    const stats = s.sims.kakiyo.stats();
    expect(stats.byKey.Acme).toBe(96);
    expect(stats.byKey.Globex).toBe(96);
    const midnight = new Date(Math.ceil((Date.now() + 1) / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
    for (const c of (await connections(s)).filter((info) => info.provider === 'kakiyo')) {
      expect(c.sync).toMatchObject({ lastOutcome: 'skipped', limitedBy: 'credit_budget', failures: 0 });
      expect(c.sync?.nextAt?.slice(0, 10)).toBe(midnight);
    }
    // The other providers are not limited by it.
    for (const c of (await connections(s)).filter((info) => info.provider !== 'kakiyo')) expect(c.sync?.limitedBy).toBeNull();
    const metrics = (await s.get('/metrics')).text;
    expect(metric(metrics, 'gateway_sync_limited_connections', 'provider="kakiyo",reason="credit_budget"')).toBe(2);
    expect(metric(metrics, 'gateway_sync_budget_calls_used', 'provider="kakiyo"')).toBe(192);
    expect(metric(metrics, 'gateway_sync_budget_calls_limit', 'provider="kakiyo"')).toBe(200);
    expect(metric(metrics, 'gateway_sync_walks_total', 'provider="kakiyo",outcome="skipped_credit_budget"')).toBeGreaterThanOrEqual(2);
    expect(s.logs.join('')).toMatch(/scheduled refresh skipped: it would pass the daily call budget/);
  }, 25_000);

  test('failures back off, doubling up to the cap', async () => {
    stack = await startStack({
      simulator: { sendkit: { faults: { errorRate: 1 } } },
      providerSettings: { sendkit: { maxAttempts: 1, breakerThreshold: 1000 } },
      sync: { intervalSeconds: { sendkit: 1 }, maxBackoffSeconds: 2 },
    });
    const s = stack;
    const acme = recordCalls(() => s.sims.sendkit.stats().byKey.Acme ?? 0);
    await sleep(6000);
    const times = acme.stop();
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // Waits of 0.5–1 s, 1–2 s, then 1–2 s (capped at 2 s): never faster, never past the cap.
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect(times.length).toBeLessThanOrEqual(7);
    expect(gaps[0]).toBeGreaterThanOrEqual(450);
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(950);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(2000 + 300);
    const acmeSendkit = (await connections(s)).find((c) => c.id === 'acme-sendkit');
    expect(acmeSendkit?.sync).toMatchObject({ lastOutcome: 'failed', lastErrorCode: 'upstream_unavailable', limitedBy: null });
    expect(acmeSendkit?.sync?.failures).toBe(times.length);
  }, 20_000);

  test('no scheduled walk while the breaker is open; after the cooldown one probe, and the sync resumes', async () => {
    stack = await startStack({
      providerSettings: { instantly: { ttlSeconds: 2, maxAttempts: 1, breakerThreshold: 1, breakerCooldownSeconds: 3 } },
      sync: {},
    });
    const s = stack;
    await until('instantly synced', async () => (await connections(s)).filter((c) => c.provider === 'instantly').every((c) => c.sync?.lastOutcome === 'ok'), 5000);
    // The vendor goes down; a caller's refresh fails and opens both Instantly breakers.
    s.sims.instantly.setFaults({ down: true });
    const failed = await s.get('/v1/campaigns/analytics?workspace_id=ALL&providers=instantly&refresh=true');
    expect((failed.body as { sources: SourceInfo[] }).sources.every((source) => source.status !== 'ok')).toBe(true);
    const calls = recordCalls(() => s.sims.instantly.stats().total);
    await until('the scheduler held back by the breaker', async () => (await connections(s)).filter((c) => c.provider === 'instantly').every((c) => c.sync?.limitedBy === 'breaker'), 2500);
    const held = (await connections(s)).filter((c) => c.provider === 'instantly');
    for (const c of held) expect(c).toMatchObject({ breaker: 'open', sync: { lastOutcome: 'skipped', limitedBy: 'breaker' } });
    expect(metric((await s.get('/metrics')).text, 'gateway_sync_limited_connections', 'provider="instantly",reason="breaker"')).toBe(2);
    s.sims.instantly.setFaults({ down: false });
    await until('the sync resumed after the cooldown', async () => (await connections(s)).filter((c) => c.provider === 'instantly').every((c) => c.sync?.lastOutcome === 'ok' && c.breaker === 'closed'), 6000);
    const times = calls.stop();
    // Nothing while open: the first calls after the failure are the probe's, at the end of the cooldown.
    // (A call of the caller's failed walk still in flight may arrive in the first few ms.)
    expect(times.filter((t) => t > 250 && t < 2700)).toEqual([]);
    expect(times.filter((t) => t >= 2700).length).toBeGreaterThanOrEqual(2);
    for (const c of (await connections(s)).filter((info) => info.provider === 'instantly')) expect(c.sync?.limitedBy).toBeNull();
  }, 20_000);

  test('closing the service stops the scheduler at once: its walk in flight is cancelled, no call after', async () => {
    // Kakiyo at 1 call/s, share 0.5: a walk of 30 campaigns would take about a minute.
    stack = await startStack({ campaigns: 30, providerSettings: { kakiyo: { requestsPerSecond: 1, burst: 2 } }, sync: {} });
    const s = stack;
    await until('the Kakiyo walks under way', async () => (s.sims.kakiyo.stats().byKey.Acme ?? 0) >= 2, 4000);
    const t0 = Date.now();
    await s.service.close(100);
    const closeMs = Date.now() - t0;
    const after = s.sims.kakiyo.stats().total;
    await sleep(2500);
    expect(s.sims.kakiyo.stats().total).toBe(after);
    expect(closeMs).toBeLessThan(1500);
    expect(s.service.scheduler).toBeDefined();
  }, 15_000);
});

/** A key of one of acme's Kakiyo campaigns, read from the simulator's list (not through the gateway). */
async function campaignKey(s: Stack): Promise<string> {
  const response = await fetch(`${s.sims.kakiyo.url}/v1/campaigns?limit=1`, { headers: { Authorization: `Bearer ${VENDOR_KEYS.acme.kakiyo}` } });
  const body = (await response.json()) as Record<string, unknown>;
  const items = (body.campaigns ?? body.data ?? body.items) as { id: string }[];
  return `acme-kakiyo:${items[0]?.id ?? ''}`;
}
