/**
 * The one Redis connection of a gateway instance (node-redis), for the shared cache tier, the
 * shared outbound buckets and cross-instance coalescing (README "Scale-out with Redis").
 *
 * Redis is an accelerator, never a dependency of an answer: every operation goes through `call()`
 * or `script()`, which resolve to `{ ok: false }` (and never throw) when Redis is down, slow or
 * answers garbage, so the caller falls back to its local tier. To keep requests fast while Redis
 * is away:
 * - the offline queue is off, so a command while disconnected fails at once instead of waiting for
 *   a reconnect that may never come;
 * - every command has a timeout (`commandTimeoutMs`; node-redis removes a timed-out command from its
 *   queue, and our own timer bounds the wait whatever the client does);
 * - after `FAILURES_TO_DEGRADE` consecutive failures on a live socket (a hung or overloaded Redis)
 *   the connection counts as down and commands are skipped until a health PING succeeds.
 * Reconnects run forever with exponential backoff and jitter (capped at `MAX_BACKOFF_MS`), so
 * recovery is automatic. State changes log one warning (and a reminder every `DOWN_REMINDER_MS`),
 * and show in `gateway_redis_up` and `gateway_redis_errors_total{op}`.
 *
 * Scripts run with EVALSHA and fall back to EVAL on NOSCRIPT (a restarted Redis has an empty
 * script cache). The URL (which may carry a password) is never logged.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { settleWithin } from '../deadline';
import type { Logger } from '../logger';

/** A Lua script with its SHA-1 (for EVALSHA). */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

export type RedisResult<T> = { ok: true; value: T } | { ok: false };

export interface RedisConnectionOptions {
  url: string;
  /** Each connect attempt gives up after this long. @default 1000 */
  connectTimeoutMs?: number;
  /** Default timeout of one command. @default 150 */
  commandTimeoutMs?: number;
  logger: Logger;
  /** Where `gateway_redis_up` and `gateway_redis_errors_total` are registered. */
  registry?: Registry;
  /** Interval of the health PING. @default 1000 */
  healthIntervalMs?: number;
}

/** Consecutive failed commands on a connected socket after which Redis counts as down. */
export const FAILURES_TO_DEGRADE = 3;
const MAX_BACKOFF_MS = 5_000;
const DOWN_REMINDER_MS = 60_000;
const NOT_CONNECTED = 'not connected yet';
/** Bounds the client's queue: a burst of requests against a hung Redis must not pile up memory. */
const MAX_QUEUED_COMMANDS = 10_000;

/** Reconnect delay: 100 ms doubling to 5 s, with jitter so a fleet does not reconnect in lockstep. */
export function reconnectDelayMs(retries: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(retries, 10));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** A key part derived from a value that must not appear in Redis as such (a rate-limit group). */
export function redisKeyTag(secret: string, value: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url').slice(0, 22);
}

function errorMessage(error: unknown): string {
  // Duck-typed: socket errors may come from another realm (a test sandbox), where instanceof fails.
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
    return `${name}: ${error.message}`.slice(0, 300);
  }
  return 'unknown error';
}

class CommandTimeout extends Error {
  override readonly name = 'CommandTimeout';
}

/** A command's own bound: a reply already in the socket after a busy stretch still wins (`afterPendingIo`). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return settleWithin(promise, ms, () => new CommandTimeout(`no answer within ${ms} ms`), { afterPendingIo: true });
}

export class RedisConnection {
  private readonly client: ReturnType<typeof createClient>;
  private readonly logger: Logger;
  private readonly commandTimeoutMs: number;
  private readonly healthIntervalMs: number;
  private readonly upGauge: Gauge | undefined;
  private readonly errors: Counter<'op'> | undefined;
  private started = false;
  private closed = false;
  private failures = 0;
  /** The state last logged; starts down (nothing connected yet). */
  private reportedUp = false;
  private everUp = false;
  private lastProblem = NOT_CONNECTED;
  private lastReminderAt = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  private pinging = false;

  constructor(options: RedisConnectionOptions) {
    this.logger = options.logger;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 150;
    this.healthIntervalMs = options.healthIntervalMs ?? 1000;
    if (options.registry) {
      const registers = [options.registry];
      this.upGauge = new Gauge({ name: 'gateway_redis_up', help: 'Whether the shared Redis tier is reachable and answering (1) or not (0)', registers });
      this.errors = new Counter({ name: 'gateway_redis_errors_total', help: 'Failed Redis operations (connection errors, timeouts, error replies) by operation', labelNames: ['op'], registers });
      this.upGauge.set(0);
    }
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
      // Only a backstop that drops commands a hung Redis never answers from the client's queue;
      // the caller's own (shorter) bound is `withTimeout` in `call()`.
      commandOptions: { timeout: this.backstopTimeoutMs(this.commandTimeoutMs) },
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 1000,
        reconnectStrategy: (retries) => reconnectDelayMs(retries),
      },
    });
    // node-redis emits 'error' on every failed (re)connect; without a listener it would throw.
    this.client.on('error', (error: unknown) => {
      this.countError('connection');
      this.lastProblem = errorMessage(error);
      this.refreshState();
    });
    this.client.on('ready', () => {
      this.failures = 0;
      this.refreshState();
    });
    this.client.on('end', () => this.refreshState());
  }

  /** Connects in the background; a Redis that is down at start-up is retried forever. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.client.connect().catch((error: unknown) => {
      // Only a closed client ends the retry loop; anything else is already counted via 'error'.
      if (!this.closed) this.lastProblem = errorMessage(error);
    });
    this.healthTimer = setInterval(() => void this.healthCheck(), this.healthIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * The bound for lock and bucket operations: giving up on those costs a duplicate vendor walk or
   * a call outside the shared rate, so they wait longer than a plain read.
   */
  get coordinationTimeoutMs(): number {
    return Math.max(500, this.commandTimeoutMs);
  }

  private backstopTimeoutMs(timeoutMs: number): number {
    return Math.max(1000, timeoutMs * 4);
  }

  /** Connected and answering: commands are sent. */
  get up(): boolean {
    return !this.closed && this.client.isReady && this.failures < FAILURES_TO_DEGRADE;
  }

  /**
   * For `/readyz` (unauthenticated): undefined when up, else a short reason without the address
   * or the error text, which go to the log instead.
   */
  problem(): string | undefined {
    if (this.up) return undefined;
    if (this.closed) return 'redis: closed';
    if (this.client.isReady) return 'redis too slow: commands are timing out; serving from the local cache';
    return 'redis unreachable: serving from the local cache';
  }

  /**
   * Runs one command (or a few) with a bounded wait. Never throws: Redis down, slow or failing
   * gives `{ ok: false }` and the caller uses its local tier.
   */
  async call<T>(op: string, run: (client: ReturnType<typeof createClient>) => Promise<T>, timeoutMs = this.commandTimeoutMs): Promise<RedisResult<T>> {
    if (!this.up) return { ok: false };
    try {
      const value = await withTimeout(run(this.client), timeoutMs);
      this.failures = 0;
      this.refreshState();
      return { ok: true, value };
    } catch (error) {
      this.noteFailure(op, error);
      return { ok: false };
    }
  }

  /** EVALSHA, falling back to EVAL when Redis does not know the script (first use, or after a restart). */
  script(op: string, script: LuaScript, keys: readonly string[], args: readonly string[], timeoutMs = this.commandTimeoutMs): Promise<RedisResult<unknown>> {
    return this.call(
      op,
      async (client) => {
        const tail = [String(keys.length), ...keys, ...args];
        try {
          return await client.sendCommand<unknown>(['EVALSHA', script.sha1, ...tail], { timeout: this.backstopTimeoutMs(timeoutMs) });
        } catch (error) {
          if (!errorMessage(error).includes('NOSCRIPT')) throw error;
          return await client.sendCommand<unknown>(['EVAL', script.source, ...tail], { timeout: this.backstopTimeoutMs(timeoutMs) });
        }
      },
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.refreshState();
    if (!this.started) return;
    try {
      // A graceful QUIT lets queued writes (shared cache entries) finish; a dead Redis gets destroy().
      if (this.client.isReady) await withTimeout(this.client.close(), 1000);
    } catch {
      // Closing is best effort; destroy() below ends the socket whatever happened.
    }
    if (this.client.isOpen) this.client.destroy();
  }

  private async healthCheck(): Promise<void> {
    if (this.closed || this.pinging || !this.client.isReady) {
      this.refreshState();
      return;
    }
    this.pinging = true;
    try {
      // Bypasses `call()`'s skip-when-down check: this PING is how a degraded connection recovers.
      await withTimeout(this.client.sendCommand<unknown>(['PING'], { timeout: this.commandTimeoutMs * 4 }), this.commandTimeoutMs * 4);
      this.failures = 0;
    } catch (error) {
      this.noteFailure('ping', error);
    } finally {
      this.pinging = false;
      this.refreshState();
    }
  }

  private noteFailure(op: string, error: unknown): void {
    this.countError(op);
    this.lastProblem = errorMessage(error);
    this.failures += 1;
    this.refreshState();
    this.logger.debug('redis operation failed', { op, error: this.lastProblem });
  }

  private countError(op: string): void {
    this.errors?.inc({ op });
  }

  /** Sets the gauge and logs transitions (and a reminder while down). */
  private refreshState(): void {
    const up = this.up;
    this.upGauge?.set(up ? 1 : 0);
    const now = Date.now();
    if (up === this.reportedUp) {
      // Nothing to say before the first error: the first connect may simply still be running.
      if (!up && !this.closed && this.lastProblem !== NOT_CONNECTED && now - this.lastReminderAt >= DOWN_REMINDER_MS) {
        const first = this.lastReminderAt === 0;
        this.lastReminderAt = now;
        this.logger.warn(`redis ${first ? '' : 'still '}unavailable: serving from the local cache, outbound limits per instance`, { error: this.lastProblem });
      }
      return;
    }
    this.reportedUp = up;
    if (up) {
      this.logger.info(this.everUp ? 'redis recovered: shared cache and limits on again' : 'redis connected: shared cache and limits on');
      this.everUp = true;
    } else if (!this.closed) {
      this.lastReminderAt = now;
      this.logger.warn('redis unavailable: serving from the local cache, outbound limits per instance until it returns', { error: this.lastProblem });
    }
  }
}

/** A random token naming one lock holder. */
export function lockToken(): string {
  return randomBytes(12).toString('base64url');
}
