/**
 * The scheduler's metrics, on the service's registry: walks by outcome, connections whose next
 * refresh is held back (by Kakiyo's credit budget or an open breaker), and the calls counted today
 * against the daily budgets. Labels are provider, outcome and reason only (bounded sets).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProviderId } from '../schema/campaign';

export type SyncOutcome = 'ok' | 'failed' | 'skipped_breaker' | 'skipped_credit_budget' | 'skipped_leased';
export type LimitReason = 'credit_budget' | 'breaker';

export interface SyncMetricsSource {
  /** Connections held back now, by provider and reason. */
  limited(): { provider: ProviderId; reason: LimitReason; count: number }[];
  /** Budgeted calls counted today (read afresh: other instances count too) and the budget, summed over each provider's accounts. */
  budgets(): Promise<{ provider: ProviderId; used: number; limit: number }[]>;
}

export interface SyncMetrics {
  walks: Counter<'provider' | 'outcome'>;
}

export function createSyncMetrics(registry: Registry, source: SyncMetricsSource): SyncMetrics {
  const registers = [registry];
  new Gauge({
    name: 'gateway_sync_limited_connections',
    help: 'Connections whose scheduled refresh is held back, by provider and reason (credit_budget, breaker)',
    labelNames: ['provider', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const { provider, reason, count } of source.limited()) this.set({ provider, reason }, count);
    },
  });
  new Gauge({
    name: 'gateway_sync_budget_calls_used',
    help: "Calls the scheduler made today (UTC) against its daily call budgets (Kakiyo's credits), by provider",
    labelNames: ['provider'],
    registers,
    async collect() {
      const budgets = await source.budgets();
      this.reset();
      for (const { provider, used } of budgets) this.set({ provider }, used);
    },
  });
  new Gauge({
    name: 'gateway_sync_budget_calls_limit',
    help: "The scheduler's daily call budgets, summed over each provider's accounts",
    labelNames: ['provider'],
    registers,
    async collect() {
      const budgets = await source.budgets();
      this.reset();
      for (const { provider, limit } of budgets) this.set({ provider }, limit);
    },
  });
  return {
    walks: new Counter({
      name: 'gateway_sync_walks_total',
      help: 'Scheduled refreshes by provider and outcome (ok, failed, skipped_breaker, skipped_credit_budget)',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
  };
}
