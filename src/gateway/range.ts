/**
 * A date range on the main endpoint for a vendor whose own numbers ignore it (the source carries
 * `date_range_unsupported`): Seleqt and Kakiyo report every metric lifetime, SendKit its leads and
 * contacted. When the history store's snapshots of the connection cover both ends of the range
 * (store/range.ts has the rule), those metrics become each campaign's growth over the range, rates
 * are recomputed from them, and the warning is `date_range_from_snapshots` (plus `counter_reset`
 * when a count went down between the two ends). Otherwise the lifetime numbers stay, with
 * `date_range_unsupported` saying why: no snapshots cover the range, or the store is unreachable
 * or did not answer before the request's deadline (the main endpoint never fails for the store).
 *
 * Caching: the windowed source gets a digest of its own (the vendor's digest, the outcome and the
 * windowed metrics), so the answer's ETag and answer-cache entry change whenever the snapshots
 * change what it says; and an answer with such a source is never replayed by the hot path, so
 * every request reads the store again.
 *
 * The store is reached only through `RangeSnapshots` (service.ts injects the HistoryStore).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger';
import type { SourceWarning } from '../providers/types';
import { METRIC_NAMES, type CampaignAnalytics, type MetricName, type ProviderId } from '../schema/campaign';
import { computeRates } from '../schema/rates';
import type { SnapshotRange, SnapshotRangeQuery } from '../store/range';
import type { SourceResult } from './connection';
import { settleWithin } from '../deadline';

/** Where a date range's answer for a vendor without range support comes from: the history store. */
export interface RangeSnapshots {
  /** The growth of each current campaign over the range, undefined when the snapshots do not cover it; throws when the store is down. */
  range(query: SnapshotRangeQuery): Promise<SnapshotRange | undefined>;
}

/** The metrics each vendor reports lifetime whatever the range asked for (what its `date_range_unsupported` means). */
export const LIFETIME_UNDER_RANGE: Readonly<Partial<Record<ProviderId, readonly MetricName[]>>> = {
  seleqt: METRIC_NAMES,
  kakiyo: METRIC_NAMES,
  sendkit: ['leads', 'contacted'],
};

/** How a source's date range was answered. */
export type RangeOutcome = 'snapshots' | 'not_covered' | 'store_unavailable';

export interface RangeContext {
  ranges: RangeSnapshots;
  startDate: string;
  endDate: string;
  /** Epoch ms by the gateway's clock (its UTC day is "today"). */
  now: number;
  /** The store must answer by then (the request's deadline). */
  deadlineMs: number;
  logger: Logger;
}

/** The metrics of this source that snapshots would answer for a date range, or undefined when they do not apply. */
export function lifetimeMetrics(provider: ProviderId, result: SourceResult): readonly MetricName[] | undefined {
  if (result.status === 'error' || !result.warnings.some((warning) => warning.code === 'date_range_unsupported')) return undefined;
  return LIFETIME_UNDER_RANGE[provider];
}

class StoreTimeout extends Error {}

function beforeDeadline<T>(promise: Promise<T>, deadlineMs: number, now: number): Promise<T> {
  // At least a millisecond: a store that has already answered still wins when the deadline has just passed.
  return settleWithin(promise, Math.max(1, deadlineMs - now), () => new StoreTimeout('the history store did not answer before the request deadline'));
}

function digestOf(result: SourceResult, outcome: RangeOutcome, records: readonly CampaignAnalytics[], warnings: readonly SourceWarning[]): string {
  const hash = createHash('sha1').update(`${result.digest ?? ''}|range:${outcome}|`);
  if (outcome === 'snapshots') hash.update(JSON.stringify([warnings, records.map((record) => record.metrics)]));
  else hash.update(JSON.stringify(warnings));
  return hash.digest('base64url');
}

/** The lifetime answer, its `date_range_unsupported` warning saying why snapshots did not answer. */
function lifetime(result: SourceResult, outcome: Exclude<RangeOutcome, 'snapshots'>, reason: string): SourceResult {
  const warnings = result.warnings.map((warning) => (warning.code === 'date_range_unsupported' ? { ...warning, message: `${warning.message}; ${reason}` } : warning));
  return { ...result, warnings, digest: digestOf(result, outcome, result.records, warnings) };
}

function describeWindow(range: SnapshotRange, metrics: readonly MetricName[]): string {
  const span = `from the snapshot of ${range.baselineDay} (the day before start_date) to ${range.endDay === null ? "the vendor's numbers now (end_date is today or later)" : `the snapshot of ${range.endDay}`}`;
  if (metrics.length === METRIC_NAMES.length) {
    return `the vendor has no date filter: metrics are each campaign's growth ${span}, rates recomputed from them; steps, leadStatus and averageReplySeconds stay lifetime`;
  }
  return `the vendor reports ${metrics.join(' and ')} lifetime only: they are each campaign's growth ${span}; the other metrics are the vendor's own for the range, rates recomputed`;
}

/**
 * Answers a source's date range from snapshots when they cover it (see the file header); resolves
 * with the source to serve and how it was answered. Never rejects.
 */
export async function answerRange(connection: string, metrics: readonly MetricName[], result: SourceResult, context: RangeContext): Promise<{ result: SourceResult; outcome: RangeOutcome }> {
  const { ranges, startDate, endDate } = context;
  let range: SnapshotRange | undefined;
  try {
    const query: SnapshotRangeQuery = {
      connection,
      startDate,
      endDate,
      today: new Date(context.now).toISOString().slice(0, 10),
      current: result.records,
      metrics,
    };
    range = await beforeDeadline(ranges.range(query), context.deadlineMs, context.now);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.logger.debug('date range not answered from snapshots', { connection, message });
    const reason = error instanceof StoreTimeout ? 'the history store did not answer in time' : 'the history store is unavailable';
    return { result: lifetime(result, 'store_unavailable', `${reason}, so the range could not be answered from snapshots`), outcome: 'store_unavailable' };
  }
  if (range === undefined) {
    return {
      result: lifetime(result, 'not_covered', 'no snapshots of this connection cover both ends of the range (the day before start_date, and end_date unless it is today or later)'),
      outcome: 'not_covered',
    };
  }

  const records = result.records.map((record): CampaignAnalytics => {
    const growth = range.growth.get(record.id);
    if (!growth) return record;
    const windowed = { ...record.metrics };
    for (const name of metrics) windowed[name] = growth[name];
    return { ...record, metrics: windowed, rates: computeRates(windowed) };
  });
  const warnings: SourceWarning[] = [];
  for (const warning of result.warnings) {
    if (warning.code !== 'date_range_unsupported') warnings.push(warning);
    else warnings.push({ code: 'date_range_from_snapshots', message: describeWindow(range, metrics), count: records.length });
  }
  if (range.resets > 0) {
    warnings.push({
      code: 'counter_reset',
      message: `${range.resets} cumulative count(s) went down between the two snapshots (a vendor reset or a re-imported campaign): each is null`,
      count: range.resets,
      ...(range.firstReset !== undefined ? { path: range.firstReset } : {}),
    });
  }
  return { result: { ...result, records, warnings, digest: digestOf(result, 'snapshots', records, warnings) }, outcome: 'snapshots' };
}
