/**
 * Alert rules as the evaluation uses them: the `when`/`once` comparisons parsed once (the config
 * has already checked their form), a rule's scope as predicates, and the value of a metric or rate
 * over one campaign or a group of campaigns (a group's rate recomputed from its sums, the same rule
 * as the main endpoint's totals).
 */
import { ALERT_COMPARISON, type AlertRule } from '../config';
import { RATE_NAMES, type CampaignAnalytics, type MetricName, type Metrics, type ProviderId, type RateName, type Rates } from '../schema/campaign';
import { computeTotals } from '../schema/rates';

export type Operator = '>' | '>=' | '<' | '<=';

export interface Comparison {
  name: string;
  op: Operator;
  threshold: number;
  /** As written in the config, normalized: `bounceRate > 0.03`. */
  text: string;
}

/** Parses `bounceRate > 0.03`; throws on a form the config would have refused. */
export function parseComparison(text: string): Comparison {
  const match = ALERT_COMPARISON.exec(text);
  if (!match) throw new Error('not a comparison');
  const name = match[1] ?? '';
  const op = match[2] as Operator;
  const threshold = Number(match[3]);
  return { name, op, threshold, text: `${name} ${op} ${threshold}` };
}

export function holds(comparison: Comparison, value: number | null): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  switch (comparison.op) {
    case '>':
      return value > comparison.threshold;
    case '>=':
      return value >= comparison.threshold;
    case '<':
      return value < comparison.threshold;
    default:
      return value <= comparison.threshold;
  }
}

export function isRate(name: string): name is RateName {
  return (RATE_NAMES as readonly string[]).includes(name);
}

/** A metric or rate of numbers already summed (a history point, a group's totals). */
export function valueOf(name: string, metrics: Partial<Metrics> | null, rates: Rates | null): number | null {
  if (isRate(name)) return rates?.[name] ?? null;
  return metrics?.[name as MetricName] ?? null;
}

/** A metric or rate over campaigns: one campaign's own numbers, or a group's sums and recomputed rates. */
export function valueOver(name: string, records: readonly CampaignAnalytics[]): { value: number | null; metrics: Metrics } {
  const only = records.length === 1 ? records[0] : undefined;
  if (only) return { value: valueOf(name, only.metrics, only.rates), metrics: only.metrics };
  const totals = computeTotals(records);
  return { value: valueOf(name, totals.metrics, totals.rates), metrics: totals.metrics };
}

/** A rule with its comparisons parsed and its scope as predicates. */
export interface CompiledRule {
  rule: AlertRule;
  when: Comparison | undefined;
  once: Comparison | undefined;
  inWorkspace(workspace: string): boolean;
  inProvider(provider: ProviderId): boolean;
  /** True when the rule names no campaigns, or names this one. */
  inCampaigns(key: string): boolean;
  /** The webhooks its notifications go to. */
  webhooks: readonly string[];
}

export function compileRule(rule: AlertRule, allWebhooks: readonly string[]): CompiledRule {
  const { workspaces, providers, campaigns } = rule.scope;
  const campaignSet = campaigns ? new Set(campaigns) : undefined;
  return {
    rule,
    when: rule.when !== undefined ? parseComparison(rule.when) : undefined,
    once: rule.once !== undefined ? parseComparison(rule.once) : undefined,
    inWorkspace: (workspace) => workspaces === undefined || workspaces.includes(workspace),
    inProvider: (provider) => providers === undefined || providers.includes(provider),
    inCampaigns: (key) => campaignSet === undefined || campaignSet.has(key),
    webhooks: rule.webhooks ?? allWebhooks,
  };
}

/** The number as a person reads it: a rate as a percentage, a count as it is. */
export function formatValue(name: string, value: number | null): string {
  if (value === null) return 'no value';
  if (name === 'change') return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
  if (isRate(name)) return `${(value * 100).toFixed(2)} %`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
