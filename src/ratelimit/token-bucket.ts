/**
 * A token bucket that hands out reservations: `reserve()` says how long the caller must wait for
 * its token (tokens may go negative, so waiters are served in order and the long-run rate never
 * exceeds `ratePerSecond`). `pause(ms)` holds every reservation until then (a vendor's 429); the
 * reservations taken during a pause are spaced from its end as from any other instant, so the
 * callers a pause held back do not all start the moment it ends (at most `burst` do).
 */
export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
  now?: () => number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private pausedUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = options.burst;
    this.updatedAt = this.now();
  }

  /** Brings the count forward to `at`; never backwards (after a pause the count is kept at its end). */
  private refill(at: number): void {
    if (at <= this.updatedAt) return;
    const elapsed = (at - this.updatedAt) / 1000;
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.options.ratePerSecond);
    this.updatedAt = at;
  }

  /**
   * Takes one token and returns the wait in ms before using it. With `maxWaitMs`, a wait longer
   * than that takes nothing and returns undefined.
   */
  reserve(maxWaitMs = Number.POSITIVE_INFINITY): number | undefined {
    const wait = this.msUntilAvailable();
    if (wait > maxWaitMs) return undefined;
    this.tokens -= 1;
    return Math.ceil(wait);
  }

  /** Holds the bucket for `ms` from now (never shortens an earlier, longer pause). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Whole tokens available now (may be negative while callers wait). */
  available(): number {
    this.refill(this.now());
    return this.tokens;
  }

  /**
   * Ms until one token is available, the pause included. During a pause the count is taken at the
   * pause's end (no more than `burst` tokens wait there), and the token wait runs from then.
   */
  msUntilAvailable(): number {
    const at = this.now();
    const from = Math.max(at, this.pausedUntil);
    this.refill(from);
    const tokenWait = this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.options.ratePerSecond) * 1000;
    return from - at + tokenWait;
  }

  /** Ms until the pause ends (0 when not paused). */
  pausedForMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }
}
