/**
 * Sliding-window rate limiting, exact to the millisecond: a request is allowed when, for every
 * rule, fewer than `limit` requests were allowed in the last `windowMs`. So "5 requests/second"
 * means precisely that, whatever the phase of a fixed clock window (a fixed window would allow
 * 10 across a boundary). Rejected requests are not counted.
 */
import type { RateLimitRule } from './types';

export function perSecond(limit: number): RateLimitRule {
  return { limit, windowMs: 1000 };
}

export function perMinute(limit: number): RateLimitRule {
  return { limit, windowMs: 60_000 };
}

export function validateRules(rules: readonly RateLimitRule[]): void {
  for (const rule of rules) {
    if (!Number.isInteger(rule.limit) || rule.limit < 1) throw new RangeError('rate limit: limit must be an integer ≥ 1');
    if (!Number.isFinite(rule.windowMs) || rule.windowMs <= 0) throw new RangeError('rate limit: windowMs must be > 0');
  }
}

export type RateDecision =
  | { readonly allowed: true; readonly limit: number; readonly remaining: number; readonly resetMs: number }
  | { readonly allowed: false; readonly limit: number; readonly remaining: 0; readonly resetMs: number; readonly retryAfterMs: number };

/** Timestamps of allowed requests, oldest first, with a moving head instead of `shift()`. */
class HitLog {
  private hits: number[] = [];
  private head = 0;

  /** Drops hits at or before `cutoff`; returns how many remain. */
  prune(cutoff: number): number {
    while (this.head < this.hits.length && (this.hits[this.head] ?? Infinity) <= cutoff) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.hits.length) {
      this.hits = this.hits.slice(this.head);
      this.head = 0;
    }
    return this.hits.length - this.head;
  }

  /** The `n`-th oldest hit still in the log (0 = oldest). */
  at(n: number): number | undefined {
    return this.hits[this.head + n];
  }

  push(time: number): void {
    this.hits.push(time);
  }
}

export class SlidingWindowLimiter {
  private readonly logs = new Map<string, HitLog[]>();

  constructor(private readonly rules: readonly RateLimitRule[]) {
    validateRules(rules);
  }

  /** Counts the request for `key` when every rule allows it. */
  take(key: string, now: number): RateDecision {
    if (this.rules.length === 0) return { allowed: true, limit: Infinity, remaining: Infinity, resetMs: now };
    const logs = this.logsFor(key);
    let retryAfterMs = 0;
    let tightest: { limit: number; remaining: number; resetMs: number } | undefined;
    this.rules.forEach((rule, i) => {
      const log = logs[i];
      if (log === undefined) return;
      const used = log.prune(now - rule.windowMs);
      const remaining = rule.limit - used;
      // The window frees its next slot when the hit `used - limit + 1` places from the end expires.
      const oldest = log.at(Math.max(0, used - rule.limit));
      const resetMs = oldest === undefined ? now + rule.windowMs : oldest + rule.windowMs;
      if (remaining <= 0) retryAfterMs = Math.max(retryAfterMs, resetMs - now);
      if (tightest === undefined || remaining < tightest.remaining) tightest = { limit: rule.limit, remaining, resetMs };
    });
    const view = tightest ?? { limit: Infinity, remaining: Infinity, resetMs: now };
    if (retryAfterMs > 0) return { allowed: false, limit: view.limit, remaining: 0, resetMs: view.resetMs, retryAfterMs };
    for (const log of logs) log.push(now);
    return { allowed: true, limit: view.limit, remaining: Math.max(0, view.remaining - 1), resetMs: view.resetMs };
  }

  private logsFor(key: string): HitLog[] {
    let logs = this.logs.get(key);
    if (logs === undefined) {
      logs = this.rules.map(() => new HitLog());
      this.logs.set(key, logs);
    }
    return logs;
  }
}
