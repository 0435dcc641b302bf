/**
 * The scheduled sync: every connection is refreshed before its cache entry goes stale, so callers
 * get hits. Each refresh is the walk a `refresh=true` request makes (`ConnectionRuntime.refresh`:
 * coalesced, breaker, cache, snapshots), one at a time per connection, its calls passing the
 * account's `ShareGate` (a share of the account's rate; Kakiyo's daily credit budget) before the
 * account's limiter. A Kakiyo walk whose estimated calls would pass today's budget is skipped until
 * the next UTC day (and retried shortly while a shared count cannot be read); an open breaker is
 * waited out; failures back off (timing.ts). With Redis the share and the daily count are shared
 * by every instance, and with a store the count survives a restart (credit-budget.ts). What holds a
 * connection back shows in `/v1/connections` (`sync`) and in metrics. The gateway knows nothing of
 * the scheduler beyond the `syncStatus` hook it reads.
 */
import type { Registry } from 'prom-client';
import type { SyncConfig } from '../config';
import { DEFAULT_QUERY, type ConnectionRuntime } from '../gateway/connection';
import type { Gateway } from '../gateway/gateway';
import type { Logger } from '../logger';
import type { SharedBucket } from '../ratelimit/shared';
import { PROVIDER_IDS, type ProviderId } from '../schema/campaign';
import type { ConnectionSync } from '../schema/envelope';
import { DailyCallBudget, nextUtcMidnight, type CallTally } from './credit-budget';
import { createSyncMetrics, type LimitReason, type SyncMetrics, type SyncOutcome } from './metrics';
import { ShareGate } from './share-gate';
import { backoffMs, nextAfterSuccess, periodMs } from './timing';

/** Providers whose calls cost the customer (a credit each), and their daily budget in the config. */
const BUDGETS: Partial<Record<ProviderId, (sync: SyncConfig) => number>> = {
  kakiyo: (sync) => sync.kakiyo.dailyCreditBudget,
};

/** The timer wakes at least this often, so a changed breaker or a new day is noticed. */
const MAX_TIMER_MS = 60_000;
/** At start, connections without a fresh entry begin within this much of each other. */
const START_SPREAD_MS = 1000;
/** A walk's bound is at least this much longer than its calls take at the scheduler's rate. */
const WALK_BOUND_MARGIN_MS = 60_000;
/** While a shared daily count cannot be read, a budgeted connection looks again after this long (at most). */
const UNKNOWN_BUDGET_RETRY_MS = 15_000;

export interface SchedulerOptions {
  gateway: Gateway;
  config: SyncConfig;
  logger: Logger;
  registry: Registry;
  now?: () => number;
  random?: () => number;
  /**
   * With several instances: takes the connection's lease for `ttlMs` (true = this instance walks
   * this round). Without it every due connection is walked here.
   */
  lease?: ((connectionId: string, ttlMs: number) => Promise<boolean>) | undefined;
  /** Told after each scheduled walk (or skip) of a connection, once its state is updated: alerts are evaluated then. */
  onWalkDone?: ((connectionId: string, outcome: SyncOutcome) => void) | undefined;
  /**
   * With several instances: the share's bucket of a vendor account (`group` = its
   * `rateLimitGroup`), shared by every instance. Without it each instance keeps its own share.
   */
  shareBucket?: ((group: string, ratePerSecond: number, burst: number) => SharedBucket) | undefined;
  /** Where the daily call counts are kept besides memory (Redis, the store), in the order they decide. */
  callTallies?: readonly CallTally[] | undefined;
}

interface ConnectionState {
  runtime: ConnectionRuntime;
  gate: ShareGate;
  periodMs: number | undefined;
  nextAt: number | undefined;
  /** The entry's fetchedAt that `nextAt` was planned from (a newer entry moves it later). */
  plannedFrom: number | undefined;
  lastAt: number | undefined;
  lastOutcome: ConnectionSync['lastOutcome'];
  lastErrorCode: string | null;
  limitedBy: LimitReason | null;
  /** Why the budget holds it back, while `limitedBy` is `credit_budget`. */
  budgetHold: 'over' | 'unknown' | undefined;
  failures: number;
  lastWalkMs: number;
  running: Promise<void> | undefined;
}

export class SyncScheduler {
  private readonly states = new Map<string, ConnectionState>();
  private readonly gates = new Map<string, ShareGate>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly metrics: SyncMetrics;
  private timer: NodeJS.Timeout | undefined;
  /** Cancels the walks in flight when the scheduler stops. */
  private readonly stopping = new AbortController();
  private started = false;
  private halted = false;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const { gateway, config } = options;
    for (const runtime of gateway.runtimes.values()) {
      const { connection } = runtime;
      let gate = this.gates.get(connection.rateLimitGroup);
      const account = gateway.limiters.get(connection.rateLimitGroup);
      if (!account) continue;
      if (!gate) {
        const budget = BUDGETS[connection.provider];
        const group = connection.rateLimitGroup;
        const { requestsPerSecond, burst } = connection.settings;
        gate = new ShareGate({
          provider: connection.provider,
          account,
          requestsPerSecond,
          burst,
          share: config.share,
          budget: budget ? new DailyCallBudget(budget(config), group, options.callTallies ?? [], this.now) : undefined,
          shared: options.shareBucket?.(group, requestsPerSecond * config.share, ShareGate.shareBurst(burst, config.share)),
          now: this.now,
        });
        this.gates.set(connection.rateLimitGroup, gate);
      }
      this.states.set(connection.id, {
        runtime,
        gate,
        periodMs: periodMs(connection, config),
        nextAt: undefined,
        plannedFrom: undefined,
        lastAt: undefined,
        lastOutcome: null,
        lastErrorCode: null,
        limitedBy: null,
        budgetHold: undefined,
        failures: 0,
        lastWalkMs: 0,
        running: undefined,
      });
    }
    this.metrics = createSyncMetrics(options.registry, { limited: () => this.limitedCounts(), budgets: () => this.budgetTotals() });
  }

  /** Plans every connection and starts the timer; the gateway's `/v1/connections` shows `sync`. */
  start(): void {
    if (this.started || this.halted) return;
    this.started = true;
    this.options.gateway.syncStatus = (id) => this.status(id);
    const now = this.now();
    for (const state of this.states.values()) {
      if (state.periodMs === undefined) continue;
      const fetchedAt = state.runtime.cachedAt(DEFAULT_QUERY);
      state.nextAt = fetchedAt !== undefined ? this.plan(state, fetchedAt) : now + this.random() * Math.min(START_SPREAD_MS, state.periodMs * this.options.config.jitter);
    }
    this.arm();
  }

  /** No new walk starts; walks in flight go on (a caller may be waiting on one). */
  halt(): void {
    this.halted = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Halts, cancels the walks in flight (their waits end at once) and resolves when they have ended. */
  async stop(): Promise<void> {
    this.halt();
    for (const gate of this.gates.values()) gate.stop();
    this.stopping.abort();
    const running = [...this.states.values()].flatMap((state) => (state.running ? [state.running] : []));
    await Promise.allSettled(running);
  }

  /** A connection's sync as `/v1/connections` shows it. */
  status(connectionId: string): ConnectionSync | undefined {
    const state = this.states.get(connectionId);
    if (!state) return undefined;
    const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      nextAt: iso(state.running ? undefined : state.nextAt),
      lastAt: iso(state.lastAt),
      lastOutcome: state.lastOutcome,
      lastErrorCode: state.lastErrorCode,
      limitedBy: state.limitedBy,
      failures: state.failures,
    };
  }

  private plan(state: ConnectionState, fetchedAt: number): number {
    state.plannedFrom = fetchedAt;
    return nextAfterSuccess({ fetchedAt, periodMs: state.periodMs ?? 0, lastWalkMs: state.lastWalkMs, jitter: this.options.config.jitter, random: this.random });
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.halted) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const state of this.states.values()) if (!state.running && state.nextAt !== undefined) earliest = Math.min(earliest, state.nextAt);
    if (earliest === Number.POSITIVE_INFINITY) return;
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, earliest - this.now()));
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    for (const state of this.states.values()) {
      if (!state.running && state.nextAt !== undefined && state.nextAt <= now) this.consider(state, now);
    }
    this.arm();
  }

  private count(state: ConnectionState, outcome: SyncOutcome): void {
    this.metrics.walks.inc({ provider: state.runtime.connection.provider, outcome });
    this.options.onWalkDone?.(state.runtime.connection.id, outcome);
  }

  /** A connection is due: walk it, or say what holds it back and when to look again. */
  private consider(state: ConnectionState, now: number): void {
    const { runtime, gate } = state;
    // Refreshed since it was planned (a caller's walk): plan from the newer entry.
    const fetchedAt = runtime.cachedAt(DEFAULT_QUERY);
    if (fetchedAt !== undefined && state.failures === 0 && fetchedAt > (state.plannedFrom ?? Number.NEGATIVE_INFINITY)) {
      const due = this.plan(state, fetchedAt);
      if (due > now) {
        state.nextAt = due;
        return;
      }
    }
    if (runtime.breakerState === 'open') {
      state.lastAt = now;
      state.lastOutcome = 'skipped';
      state.limitedBy = 'breaker';
      state.nextAt = now + Math.max(runtime.breaker.retryAfterMs(), 10);
      this.count(state, 'skipped_breaker');
      return;
    }
    const estimate = runtime.estimateCalls(DEFAULT_QUERY);
    const timeoutMs = Math.ceil((estimate / gate.ratePerSecond) * 1000) + WALK_BOUND_MARGIN_MS;
    state.running = this.walk(state, estimate, timeoutMs).finally(() => {
      state.running = undefined;
      this.arm();
    });
  }

  /**
   * The daily budget holds the connection back: `over` until the next UTC day; `unknown` (a shared
   * count that cannot be read) for a little while.
   */
  private heldByBudget(state: ConnectionState, now: number, estimate: number, why: 'over' | 'unknown'): void {
    const { connection } = state.runtime;
    const budget = state.gate.budget;
    if (state.limitedBy !== 'credit_budget' || state.budgetHold !== why) {
      const message =
        why === 'over'
          ? 'scheduled refresh skipped: it would pass the daily call budget'
          : 'scheduled refresh held: the shared daily call count cannot be read, so no budgeted call goes out';
      this.options.logger.info(message, { connection: connection.id, provider: connection.provider, estimatedCalls: estimate, usedToday: budget?.spent(), budget: budget?.limit });
    }
    state.budgetHold = why;
    state.lastAt = now;
    state.lastOutcome = 'skipped';
    state.limitedBy = 'credit_budget';
    state.nextAt = why === 'over' ? nextUtcMidnight(now) + this.random() * START_SPREAD_MS : now + Math.min(UNKNOWN_BUDGET_RETRY_MS, state.periodMs ?? UNKNOWN_BUDGET_RETRY_MS);
    this.count(state, 'skipped_credit_budget');
  }

  private async walk(state: ConnectionState, estimate: number, timeoutMs: number): Promise<void> {
    const { runtime, gate } = state;
    const started = this.now();
    if (gate.budget) {
      const fits = await gate.budget.check(estimate);
      if (fits !== 'fits') {
        this.heldByBudget(state, this.now(), estimate, fits);
        return;
      }
    }
    // Another instance holds this round's lease: it walks, and its result reaches this instance
    // through the shared cache tier. Look again in a period.
    if (this.options.lease && !(await this.options.lease(runtime.connection.id, (state.periodMs ?? 0) / 2))) {
      state.lastAt = started;
      state.lastOutcome = 'skipped';
      state.limitedBy = null;
      state.nextAt = this.plan(state, started);
      this.count(state, 'skipped_leased');
      return;
    }
    // With Redis, a result another instance fetched in the last half period does instead of a walk
    // (and one it is making is awaited): the instances fall into step and walk each connection once.
    const freshAfter = started - (state.periodMs ?? 0) / 2;
    const error = await runtime.refresh(DEFAULT_QUERY, { gate, timeoutMs, freshAfter, signal: this.stopping.signal });
    const now = this.now();
    state.lastAt = now;
    state.lastWalkMs = now - started;
    if (error === undefined) {
      state.failures = 0;
      state.lastOutcome = 'ok';
      state.lastErrorCode = null;
      state.limitedBy = null;
      state.nextAt = this.plan(state, runtime.cachedAt(DEFAULT_QUERY) ?? now);
      this.count(state, 'ok');
      return;
    }
    const fits = gate.budget ? await gate.budget.check(1) : 'fits';
    if (fits !== 'fits') {
      // The budget ran out mid-walk (more campaigns than estimated, or another instance's calls):
      // wait for the next day (or for the shared count to be readable again).
      state.lastErrorCode = error.code;
      this.heldByBudget(state, now, 1, fits);
      return;
    }
    state.failures += 1;
    state.lastOutcome = 'failed';
    state.lastErrorCode = error.code;
    state.limitedBy = runtime.breakerState === 'open' ? 'breaker' : null;
    const waits = [
      backoffMs(state.failures, this.options.config.maxBackoffSeconds * 1000, this.random),
      (error.retryAfterSeconds ?? 0) * 1000,
      runtime.breaker.retryAfterMs(),
    ];
    state.nextAt = now + Math.max(...waits);
    this.count(state, 'failed');
  }

  private limitedCounts(): { provider: ProviderId; reason: LimitReason; count: number }[] {
    const counts = new Map<string, { provider: ProviderId; reason: LimitReason; count: number }>();
    for (const provider of PROVIDER_IDS) {
      for (const reason of ['credit_budget', 'breaker'] as const) counts.set(`${provider}|${reason}`, { provider, reason, count: 0 });
    }
    for (const state of this.states.values()) {
      const entry = state.limitedBy ? counts.get(`${state.runtime.connection.provider}|${state.limitedBy}`) : undefined;
      if (entry) entry.count += 1;
    }
    return [...counts.values()];
  }

  private async budgetTotals(): Promise<{ provider: ProviderId; used: number; limit: number }[]> {
    await Promise.all([...this.gates.values()].flatMap((gate) => (gate.budget ? [gate.budget.refresh()] : [])));
    const totals = new Map<ProviderId, { provider: ProviderId; used: number; limit: number }>();
    for (const state of this.states.values()) {
      const { provider } = state.runtime.connection;
      if (!BUDGETS[provider]) continue;
      if (!totals.has(provider)) totals.set(provider, { provider, used: 0, limit: 0 });
    }
    for (const gate of this.gates.values()) {
      if (!gate.budget) continue;
      const total = totals.get(gate.provider);
      if (!total) continue;
      total.used += gate.budget.spent();
      total.limit += gate.budget.limit;
    }
    return [...totals.values()];
  }
}
