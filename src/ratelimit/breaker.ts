/**
 * A circuit breaker per connection. `threshold` consecutive vendor failures open it; while open,
 * `allow()` says no (zero upstream calls); after `cooldownMs` exactly one caller gets the probe
 * (half-open) and everyone else still gets no until the probe settles: a success closes the
 * breaker, a failure opens it for another cooldown. Account errors (401/403/404/400) say nothing
 * about the vendor's health and are not counted (see `isAccountError`).
 */
export type BreakerState = 'closed' | 'open' | 'half_open';
export type BreakerTicket = 'normal' | 'probe';

export interface BreakerOptions {
  threshold: number;
  cooldownMs: number;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: BreakerState = 'closed';
  private probeInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half_open';
    return this.current;
  }

  /** Ms until a probe is allowed (0 when closed or half-open). */
  retryAfterMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.options.cooldownMs - this.now()) : 0;
  }

  /**
   * Admits a call: `'normal'` while closed, `'probe'` for the one caller let through in half-open,
   * undefined when the call must not go out. Pass the ticket back to `success`/`failure`/`neutral`
   * so a call that started before the breaker opened cannot settle the probe's fate.
   */
  admit(): BreakerTicket | undefined {
    const state = this.state;
    if (state === 'closed') return 'normal';
    if (state === 'open' || this.probeInFlight) return undefined;
    this.probeInFlight = true;
    this.setState('half_open');
    return 'probe';
  }

  /** True when a call may go out now. In half-open only the first caller gets true. */
  allow(): boolean {
    return this.admit() !== undefined;
  }

  success(ticket: BreakerTicket = 'probe'): void {
    this.failures = 0;
    if (ticket === 'probe') this.probeInFlight = false;
    this.setState('closed');
  }

  failure(ticket: BreakerTicket = 'probe'): void {
    if (ticket === 'probe') this.probeInFlight = false;
    this.failures += 1;
    if (ticket === 'probe' && this.current === 'half_open') {
      this.open();
    } else if (this.current === 'closed' && this.failures >= this.options.threshold) {
      this.open();
    }
  }

  /** A call that ended without saying anything about the vendor (cancelled, account error). */
  neutral(ticket: BreakerTicket = 'probe'): void {
    if (ticket !== 'probe' || !this.probeInFlight) return;
    this.probeInFlight = false;
    if (this.current === 'half_open') {
      // The probe told us nothing: let the next caller probe.
      this.current = 'open';
      this.openedAt = this.now() - this.options.cooldownMs;
    }
  }

  private open(): void {
    this.openedAt = this.now();
    this.setState('open');
  }

  private setState(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
