/**
 * When the scheduler walks a connection: every period (the configured interval, or 80 % of the
 * connection's `ttlSeconds`), timed so the walk ends about one period after the last result was
 * fetched (the last walk's duration is started early), and each wait shortened by up to `jitter`
 * of the period at random so connections spread out. Never twice in half a period. After
 * failures the wait doubles from 1 s up to `maxBackoffSeconds`, drawn in its upper half at random.
 */
import type { ResolvedConnection, SyncConfig } from '../config';

/** Without a configured interval, a connection is refreshed after this fraction of its ttl. */
export const DEFAULT_INTERVAL_OF_TTL = 0.8;
/** The first wait after a failure. */
export const BACKOFF_BASE_MS = 1000;

/** Ms between refreshes of a connection; undefined when it is not scheduled (ttlSeconds 0, no interval). */
export function periodMs(connection: ResolvedConnection, sync: SyncConfig): number | undefined {
  const configured = sync.intervalSeconds[connection.provider];
  if (configured !== undefined) return configured * 1000;
  const ttlMs = connection.settings.ttlSeconds * 1000;
  return ttlMs > 0 ? ttlMs * DEFAULT_INTERVAL_OF_TTL : undefined;
}

export interface NextWalk {
  /** When the cache entry was fetched. */
  fetchedAt: number;
  periodMs: number;
  /** How long the last walk took (0 when unknown). */
  lastWalkMs: number;
  jitter: number;
  random: () => number;
}

/** When to start the next walk so that it ends about one period after `fetchedAt`. */
export function nextAfterSuccess({ fetchedAt, periodMs: period, lastWalkMs, jitter, random }: NextWalk): number {
  const start = fetchedAt + period - random() * jitter * period - lastWalkMs;
  return Math.max(start, fetchedAt + period / 2);
}

/** The wait after `failures` consecutive failures (≥ 1): doubling from 1 s, capped, in its upper half. */
export function backoffMs(failures: number, maxMs: number, random: () => number): number {
  const full = Math.min(maxMs, BACKOFF_BASE_MS * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return full / 2 + random() * (full / 2);
}
