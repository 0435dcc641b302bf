/**
 * A daily call budget for one vendor account (Kakiyo charges a credit per call): at most `limit`
 * calls per UTC day, whichever instance makes them and across restarts. `take()` counts one call
 * before it goes out and says no once the day's budget is spent; `refund()` gives back a call that
 * never went out; `check(n)` says whether n more calls fit before a walk starts.
 *
 * The count lives in tallies (`CallTally`), in the order given: Redis (`scaleout/call-tally.ts`)
 * and the history store (`store/call-tally.ts`). A tally is `shared` when every instance counts in
 * it (Redis, a PostgreSQL server) and `local` when it is this process's own (the embedded store,
 * which survives a restart). When a shared tally is configured, only shared tallies decide: while
 * none of them answers, the count of the other instances is unknown and no budgeted call goes out
 * (`unknown`), so N instances never spend N budgets. Without one, the first local tally that answers
 * decides, else memory. What one tally counted is copied (`raise`, and refunds likewise) to the
 * others, and every take first reads them all and carries the highest count (`floor`): a Redis that
 * restarted empty, or a store that was down, starts again from there rather than from zero. The
 * reads cost a round trip or two per budgeted call, which at Kakiyo's 0.5 calls/s is nothing.
 */
const DAY_MS = 86_400_000;

/** The first instant of the UTC day after `ms`. */
export function nextUtcMidnight(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}

/** `YYYY-MM-DD` of an instant, UTC: a count's day. */
export function budgetDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A count of the calls each vendor account made each UTC day, kept outside this process's memory. */
export interface CallTally {
  /** `shared`: every instance counts here; `local`: this process alone (it survives a restart). */
  readonly scope: 'shared' | 'local';
  /**
   * Counts one call of `account` on `day` when the count, raised to at least `floor` first, is below
   * `limit`. Resolves with whether it was counted and the count after; undefined when unreachable.
   */
  take(account: string, day: string, limit: number, floor: number): Promise<{ taken: boolean; used: number } | undefined>;
  /** One counted call did not go out (never below 0). False when unreachable. */
  refund(account: string, day: string): Promise<boolean>;
  /** Raises the count to at least `used` (a copy of another tally's). False when unreachable. */
  raise(account: string, day: string, used: number): Promise<boolean>;
  /** The day's count (0 when none yet); undefined when unreachable. */
  read(account: string, day: string): Promise<number | undefined>;
}

/** `fits`: n more calls stay within today's budget; `over`: they would pass it; `unknown`: the shared count cannot be read. */
export type BudgetCheck = 'fits' | 'over' | 'unknown';
/** `taken`: counted, the call may go out; `spent`: today's budget is used up; `unknown`: as above. */
export type BudgetTake = 'taken' | 'spent' | 'unknown';

export class DailyCallBudget {
  private day = '';
  /** The highest count of today this instance has seen (its own calls at least). */
  private used = 0;
  private readonly shared: boolean;
  /** The tallies that decide a take: the shared ones when there is one, else all (local) ones. */
  private readonly deciders: readonly CallTally[];

  constructor(
    readonly limit: number,
    /** The vendor account (its `rateLimitGroup`). */
    readonly account: string,
    private readonly tallies: readonly CallTally[] = [],
    private readonly now: () => number = Date.now,
  ) {
    const shared = tallies.filter((tally) => tally.scope === 'shared');
    this.shared = shared.length > 0;
    this.deciders = this.shared ? shared : tallies;
  }

  /** Today's day; a new day starts the count again. */
  private today(): string {
    const day = budgetDay(this.now());
    if (day !== this.day) {
      this.day = day;
      this.used = 0;
    }
    return day;
  }

  private note(day: string, used: number): void {
    if (day === this.today()) this.used = Math.max(this.used, used);
  }

  /** Calls counted today, as last seen (for metrics and logs; `check` reads it afresh). */
  spent(): number {
    this.today();
    return this.used;
  }

  /** Reads `day`'s count from every tally that answers (the highest wins); true when a deciding one answered. */
  private async readAll(day: string): Promise<boolean> {
    const counts = await Promise.all(this.tallies.map((tally) => tally.read(this.account, day)));
    let known = !this.shared;
    counts.forEach((count, i) => {
      if (count === undefined) return;
      this.note(day, count);
      if (this.deciders.includes(this.tallies[i] as CallTally)) known = true;
    });
    return known;
  }

  /** Reads today's count afresh (for metrics: `spent()` is then up to date). */
  async refresh(): Promise<void> {
    await this.readAll(this.today());
  }

  /** Reads today's count afresh, then says whether `calls` more fit. */
  async check(calls: number): Promise<BudgetCheck> {
    const known = await this.readAll(this.today());
    if (this.used + calls > this.limit) return 'over';
    return known ? 'fits' : 'unknown';
  }

  /** Counts one call before it goes out. */
  async take(): Promise<BudgetTake> {
    const day = this.today();
    await this.readAll(day);
    for (const tally of this.deciders) {
      const answer = await tally.take(this.account, day, this.limit, this.used);
      if (answer === undefined) continue;
      this.note(day, answer.used);
      if (!answer.taken) return 'spent';
      // Best effort: a copy that fails is made good by the next one (or the floor of a later take).
      await Promise.all(this.tallies.filter((other) => other !== tally).map((other) => other.raise(this.account, day, answer.used)));
      return 'taken';
    }
    if (this.shared) return 'unknown';
    if (this.used >= this.limit) return 'spent';
    this.used += 1;
    return 'taken';
  }

  /** A counted call that did not go out: given back in every tally (and this instance's count). */
  async refund(): Promise<void> {
    const day = this.today();
    if (this.used > 0) this.used -= 1;
    await Promise.all(this.tallies.map((tally) => tally.refund(this.account, day)));
  }
}
