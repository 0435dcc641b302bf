/**
 * The demo's back-filled history: so the trend view has weeks to show the moment the demo starts,
 * its own set of vendor simulators (the demo's accounts and seeds, no rate limits, no faults) is
 * set to each of the last `days` days in turn, oldest first, and every demo connection is walked
 * through the real provider and recorded as that day's snapshot, marked demo. The simulators are
 * deterministic, so the history is the one the live demo's simulators would have shown on those
 * days, ending with today's numbers, and re-running it rewrites the same rows (snapshots are one
 * row per campaign per day).
 *
 * Each vendor walks its days on its own (a simulator answers as of one day at a time), its
 * connections in parallel; a day's rows are written while the next day is fetched.
 */
import type { GatewayConfig, ResolvedConnection } from './config';
import { providerConnectionOf } from './gateway/connection';
import { createHttpClient } from './http/client';
import { PROVIDER_FACTORIES } from './providers/registry';
import type { ProviderId } from './schema/campaign';
import { PROVIDER_IDS } from './schema/campaign';
import { closeSimulators, demoSimulatorOptions, startSimulators, type SimulatorOptions, type VendorSimulator } from './simulator';
import type { WalkSnapshot } from './store';

const DAY_MS = 86_400_000;
/** Walks recorded at noon UTC of their day (today: no later than now). */
const NOON_MS = 12 * 3_600_000;

export interface BackfillOptions {
  /** Where snapshots go (`HistoryStore`); `recordMany` must not throw (the store's never does). */
  store: { recordMany(walks: readonly WalkSnapshot[]): Promise<void> };
  /** The demo's config: its connections are walked (each must be one of the simulators' accounts). */
  config: Pick<GatewayConfig, 'connections'>;
  /** How many days, today included. @default 60 */
  days?: number;
  /**
   * The last day (`YYYY-MM-DD`, UTC). Pass the live demo simulators' `referenceDate()` so the
   * history ends exactly on what they serve. @default today's UTC date
   */
  today?: string;
  /** The simulators' accounts and modes. @default `demoSimulatorOptions()` (ports, limits and faults are overridden) */
  simulatorOptions?: Readonly<Record<ProviderId, SimulatorOptions>>;
  /** Connections of one vendor walked at once. @default 4 */
  concurrency?: number;
  now?: () => number;
}

export interface BackfillFailure {
  connection: string;
  day: string;
  message: string;
}

export interface BackfillResult {
  /** First and last day back-filled. */
  from: string;
  to: string;
  /** Walks recorded, and campaign rows in them. */
  walks: number;
  records: number;
  /** Walks that failed (nothing recorded for them) and connections no simulator account matches. */
  failures: BackfillFailure[];
  durationMs: number;
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function dayOf(date: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || isoDay(ms / DAY_MS) !== date) throw new RangeError(`backfill: today must be a YYYY-MM-DD date, got ${date}`);
  return ms / DAY_MS;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/** The demo simulators' options, each answering as of `today` at most, unthrottled, on any free port. */
function backfillSimulatorOptions(base: Readonly<Record<ProviderId, SimulatorOptions>>, today: string): Record<ProviderId, SimulatorOptions> {
  const out = {} as Record<ProviderId, SimulatorOptions>;
  for (const provider of PROVIDER_IDS) {
    out[provider] = { ...base[provider], host: '127.0.0.1', port: 0, referenceDate: today, rateLimit: { rules: [] }, faults: {} };
  }
  return out;
}

/** Walks written in one transaction: each connection's rollups are recomputed once per batch, not once per walk. */
const BATCH_WALKS = 64;

/** One vendor's days, oldest first: set the day, walk its connections, record a batch of days while the next ones are fetched. */
async function backfillProvider(
  simulator: VendorSimulator,
  connections: readonly ResolvedConnection[],
  days: readonly number[],
  options: BackfillOptions,
  result: BackfillResult,
): Promise<void> {
  const provider = PROVIDER_FACTORIES[simulator.provider]();
  const now = options.now ?? Date.now;
  const lastDay = days[days.length - 1];
  let writing: Promise<void> = Promise.resolve();
  let batch: WalkSnapshot[] = [];
  for (const day of days) {
    const date = isoDay(day);
    simulator.setReferenceDate(date);
    // Noon of the day; today's walk no later than now, yet always inside its own day.
    const fetchedAt = Math.max(day * DAY_MS, Math.min(day * DAY_MS + NOON_MS, now()));
    const walks: WalkSnapshot[] = [];
    await eachLimited(connections, options.concurrency ?? 4, async (connection) => {
      const http = createHttpClient({
        provider: connection.provider,
        baseUrl: simulator.url,
        timeoutMs: connection.settings.timeoutMs,
        maxResponseBytes: connection.settings.maxResponseBytes,
        retry: { maxAttempts: connection.settings.maxAttempts },
        secrets: [connection.apiKey],
      });
      try {
        const fetched = await provider.fetchAnalytics(
          providerConnectionOf(connection),
          // The last day's walk carries the vendors' daily rows, which cover the days before it too.
          { include: { steps: false, daily: day === lastDay, raw: false } },
          http,
        );
        walks.push({ connection: connection.id, workspace: connection.workspace, provider: connection.provider, records: fetched.records, fetchedAt, demo: true });
      } catch (error) {
        result.failures.push({ connection: connection.id, day: date, message: error instanceof Error ? error.message : String(error) });
      }
    });
    batch.push(...walks);
    if (batch.length >= BATCH_WALKS || day === lastDay) {
      const written = batch;
      batch = [];
      await writing;
      writing = options.store.recordMany(written).then(() => {
        result.walks += written.length;
        for (const walk of written) result.records += walk.records.length;
      });
    }
  }
  await writing;
}

/**
 * Back-fills the demo's history: `days` days up to `today`, one snapshot per demo connection per
 * day, marked demo. Safe to re-run (the same rows are rewritten with the same numbers).
 */
export async function backfillDemoHistory(options: BackfillOptions): Promise<BackfillResult> {
  const started = Date.now();
  const now = options.now ?? Date.now;
  const today = options.today ?? isoDay(Math.floor(now() / DAY_MS));
  const count = options.days ?? 60;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`backfill: days must be a positive integer, got ${count}`);
  const last = dayOf(today);
  const days = Array.from({ length: count }, (_, i) => last - (count - 1) + i);
  const result: BackfillResult = { from: isoDay(days[0] ?? last), to: today, walks: 0, records: 0, failures: [], durationMs: 0 };

  const simulators = await startSimulators(backfillSimulatorOptions(options.simulatorOptions ?? demoSimulatorOptions(), today));
  try {
    await Promise.all(
      PROVIDER_IDS.map(async (providerId) => {
        const simulator = simulators[providerId];
        const keys = new Set(simulator.accounts.map((account) => account.apiKey));
        const connections = options.config.connections.filter((connection) => connection.provider === providerId);
        for (const connection of connections.filter((c) => !keys.has(c.apiKey))) {
          result.failures.push({ connection: connection.id, day: today, message: `no ${providerId} simulator account has this connection's key; not back-filled` });
        }
        const served = connections.filter((c) => keys.has(c.apiKey));
        if (served.length > 0) await backfillProvider(simulator, served, days, options, result);
      }),
    );
  } finally {
    await closeSimulators(simulators);
  }
  result.durationMs = Date.now() - started;
  return result;
}
