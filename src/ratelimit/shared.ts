/**
 * The seams between an account's limiter and the limits shared by several gateway instances (the
 * Redis ones live in src/scaleout/shared-bucket.ts and shared-send-log.ts): what the limiter asks
 * of a shared token bucket and of a shared log of sends.
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

/** A reservation in a shared log of sends: its id, and the wait before the call may start (undefined: past the max wait, nothing logged). */
export interface SharedSendReservation {
  id: string;
  waitMs: number | undefined;
}

/** What `AccountLimiter` asks of a log of sends shared by every instance (the vendor's windows). */
export interface SharedSendLog {
  /**
   * Logs a call that may start `fromMs` from now at the earliest, and later if a window is full.
   * Undefined when Redis is unavailable: use the local log.
   */
  reserve(fromMs: number, maxWaitMs: number): Promise<SharedSendReservation | undefined>;
  /** The call is on the wire now. */
  sent(id: string): void;
  /** The call never went out. */
  drop(id: string): void;
}
