/**
 * Pure arithmetic over the normalized model: per-campaign rates and cross-campaign totals.
 * Totals are null-aware sums; total rates come from sums, never from averaging rates.
 */
import {
  METRIC_NAMES,
  RATE_DEFINITIONS,
  emptyMetrics,
  type CampaignAnalytics,
  type Metrics,
  type RateName,
  type Rates,
} from './campaign';

/** `numerator / denominator`, or null when either is null or the denominator is 0. */
export function ratio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null || denominator === 0) return null;
  return numerator / denominator;
}

function buildRates(rateOf: (name: RateName) => number | null): Rates {
  return {
    openRate: rateOf('openRate'),
    clickRate: rateOf('clickRate'),
    replyRate: rateOf('replyRate'),
    bounceRate: rateOf('bounceRate'),
    interestedRate: rateOf('interestedRate'),
    inviteAcceptRate: rateOf('inviteAcceptRate'),
  };
}

/** One rate of one campaign, by its definition in `RATE_DEFINITIONS`. */
function rateOf(metrics: Metrics, name: RateName): number | null {
  const definition = RATE_DEFINITIONS[name];
  return ratio(metrics[definition[0]], metrics[definition[1]]);
}

/** A campaign's rates. Written out, with no closure per call: it runs once per campaign. */
export function computeRates(metrics: Metrics): Rates {
  return {
    openRate: rateOf(metrics, 'openRate'),
    clickRate: rateOf(metrics, 'clickRate'),
    replyRate: rateOf(metrics, 'replyRate'),
    bounceRate: rateOf(metrics, 'bounceRate'),
    interestedRate: rateOf(metrics, 'interestedRate'),
    inviteAcceptRate: rateOf(metrics, 'inviteAcceptRate'),
  };
}

export interface Totals {
  campaigns: number;
  metrics: Metrics;
  rates: Rates;
}

/**
 * Totals over campaigns. `metrics[m]` sums the campaigns that report `m` (null when none does).
 * Each rate is recomputed from sums over the campaigns that report both its numerator and its
 * denominator, so a campaign that reports `contacted` but not `opened` does not dilute `openRate`.
 */
export function computeTotals(records: readonly Pick<CampaignAnalytics, 'metrics'>[]): Totals {
  const metrics = emptyMetrics();
  for (const record of records) {
    for (const name of METRIC_NAMES) {
      const value = record.metrics[name];
      if (value !== null) metrics[name] = (metrics[name] ?? 0) + value;
    }
  }
  const rates = buildRates((name) => {
    const [num, den] = RATE_DEFINITIONS[name];
    let numSum = 0;
    let denSum = 0;
    let seen = false;
    for (const record of records) {
      const n = record.metrics[num];
      const d = record.metrics[den];
      if (n === null || d === null) continue;
      numSum += n;
      denSum += d;
      seen = true;
    }
    return seen ? ratio(numSum, denSum) : null;
  });
  return { campaigns: records.length, metrics, rates };
}
