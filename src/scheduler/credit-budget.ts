/**
 * A daily call budget for one vendor account (Kakiyo charges a credit per call): at most `limit`
 * calls per UTC day. `take()` counts one call before it goes out and says no once the day's budget
 * is spent; `refund()` gives back a call that never went out. In memory: a restart starts the day's
 * count again.
 */
const DAY_MS = 86_400_000;

/** The first instant of the UTC day after `ms`. */
export function nextUtcMidnight(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}

export class DailyCallBudget {
  private day = -1;
  private used = 0;

  constructor(
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a new count when the UTC day has changed. */
  private today(): void {
    const day = Math.floor(this.now() / DAY_MS);
    if (day === this.day) return;
    this.day = day;
    this.used = 0;
  }

  /** Calls counted today. */
  spent(): number {
    this.today();
    return this.used;
  }

  /** True when `calls` more calls stay within today's budget. */
  fits(calls: number): boolean {
    this.today();
    return this.used + calls <= this.limit;
  }

  /** Counts one call; false (and nothing counted) when today's budget is spent. */
  take(): boolean {
    this.today();
    if (this.used >= this.limit) return false;
    this.used += 1;
    return true;
  }

  /** A counted call that did not go out. */
  refund(): void {
    this.today();
    if (this.used > 0) this.used -= 1;
  }
}
