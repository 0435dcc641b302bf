/**
 * Pure arithmetic over the normalized model: per-campaign rates and cross-campaign totals.
 * Totals are null-aware sums; total rates come from sums, never from averaging rates.
 */
import {
  METRIC_NAMES,
  RATE_DEFINITIONS,
  RATE_NAMES,
  type MetricName,
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
  const sums = new TotalsSums();
  for (const record of records) sums.add(record.metrics);
  return sums.totals();
}

/**
 * The running sums behind `computeTotals`, in the order records are added. Sums of parts may be
 * merged (`merge`) when every value added to both is an integer (`integral`): integer sums below
 * 2^53 are exact in any order, so merged parts give the same totals, bit for bit, as one pass.
 */
export class TotalsSums {
  campaigns = 0;
  /** False once a fractional value (or one past 2^53) was added: merging would change rounding. */
  integral = true;
  private readonly metricSums: (number | null)[] = METRIC_NAMES.map(() => null);
  private readonly rateSums = RATE_NAMES.map((name) => ({ definition: RATE_DEFINITIONS[name], num: 0, den: 0, seen: false }));

  add(metrics: Metrics): void {
    this.campaigns += 1;
    for (let i = 0; i < METRIC_NAMES.length; i += 1) {
      const value = metrics[METRIC_NAMES[i] as MetricName];
      if (value === null) continue;
      if (!Number.isSafeInteger(value)) this.integral = false;
      this.metricSums[i] = (this.metricSums[i] ?? 0) + value;
    }
    for (const rate of this.rateSums) {
      const n = metrics[rate.definition[0]];
      const d = metrics[rate.definition[1]];
      if (n === null || d === null) continue;
      rate.num += n;
      rate.den += d;
      rate.seen = true;
    }
  }

  /** Adds another part's sums (only exact when both parts are `integral`). */
  merge(other: TotalsSums): void {
    this.campaigns += other.campaigns;
    this.integral = this.integral && other.integral;
    for (let i = 0; i < METRIC_NAMES.length; i += 1) {
      const value = other.metricSums[i] ?? null;
      if (value !== null) this.metricSums[i] = (this.metricSums[i] ?? 0) + value;
    }
    this.rateSums.forEach((rate, i) => {
      const part = other.rateSums[i];
      if (!part?.seen) return;
      rate.num += part.num;
      rate.den += part.den;
      rate.seen = true;
    });
    if (this.metricSums.some((value) => value !== null && !Number.isSafeInteger(value))) this.integral = false;
  }

  totals(): Totals {
    const metrics = emptyMetrics();
    METRIC_NAMES.forEach((name, i) => {
      metrics[name] = this.metricSums[i] ?? null;
    });
    const rates = buildRates((name) => {
      const rate = this.rateSums[RATE_NAMES.indexOf(name)];
      return rate?.seen ? ratio(rate.num, rate.den) : null;
    });
    return { campaigns: this.campaigns, metrics, rates };
  }
}
