/**
 * The delta rule between two cumulative readings of one campaign, for date ranges answered from
 * snapshots (range.ts); the same rule growth.ts states in SQL for the history query: each metric's growth is the later value minus the earlier one; a metric either side
 * does not report (null) has no growth (null); a value that went down (the vendor reset it, or the
 * campaign was re-imported) starts a new baseline: no growth for it (null), reported through
 * `onReset`, never a negative number. A campaign that did not exist at the earlier reading (its
 * connection was walked then without listing it) is read against `zeroMetrics()`.
 */
import { METRIC_NAMES, emptyMetrics, type MetricName, type Metrics } from '../schema/campaign';

/** Every metric at zero: the baseline of a campaign that did not exist yet. */
export function zeroMetrics(): Metrics {
  const metrics = emptyMetrics();
  for (const name of METRIC_NAMES) metrics[name] = 0;
  return metrics;
}

/** Each metric's growth from `before` to `after`; a metric that went down is null and passed to `onReset`. */
export function growthBetween(before: Metrics, after: Metrics, onReset: (metric: MetricName) => void): Metrics {
  const growth = emptyMetrics();
  for (const name of METRIC_NAMES) {
    const a = before[name];
    const b = after[name];
    if (a === null || b === null) continue;
    if (b < a) {
      onReset(name);
      continue;
    }
    growth[name] = b - a;
  }
  return growth;
}
