/**
 * The seam between an account's limiter and a bucket shared by several gateway instances (the
 * Redis one lives in src/scaleout/shared-bucket.ts): what the limiter asks of it.
 */
export interface SharedReservation {
  waitMs: number | undefined;
  pausedForMs: number;
}

/** What `AccountLimiter` asks of a shared bucket. */
export interface SharedBucket {
  /**
   * Reserves one token: `waitMs` to wait before using it, or undefined when the wait would exceed
   * `maxWaitMs` (nothing taken); `pausedForMs` is what is left of a 429 pause. The whole answer is
   * undefined when Redis is unavailable: use the local bucket.
   */
  reserve(maxWaitMs: number): Promise<SharedReservation | undefined>;
  /** A vendor 429: hold every instance's reservations for `ms` (never shortens a longer pause). */
  pause(ms: number): void;
}
