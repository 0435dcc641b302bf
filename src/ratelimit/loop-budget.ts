/**
 * The process's budget of vendor calls in flight for accounts that no vendor window paces, smaller
 * while the event loop lags and back to its maximum when it does not.
 *
 * A walk of hundreds of accounts on a small machine is CPU-bound: every answered call is work for
 * the one event loop. Calls a vendor paces with windows (SendKit's "10 in any second") suffer from
 * that lag, not from the lost CPU: a paced call sent late moves every later window of its account
 * (the vendor counts real arrivals), so a walk that floods the loop with un-paced calls (Kakiyo's
 * hundreds, sent as fast as their buckets allow) ends seconds after the paced accounts could have.
 * The un-paced calls lose nothing by waiting a turn. So while the loop lags past `lagMs` the number
 * of un-paced calls in flight is cut by a quarter per sample (never below `min`), and grows back
 * by a few per sample once it does not. Over the internet the loop waits for vendors, not for CPU:
 * the budget stays at `max` and changes nothing.
 *
 * Only calls that would start at once take a place (the limiter asks before it reserves a token,
 * so a call held here never bunches with later ones into one vendor window), and a call that
 * waits for its token holds no place.
 */
import { onAbort } from '../abort-hooks';
import { WaitQueue } from './wait-queue';

export interface LoopBudgetOptions {
  /** Calls in flight at most, and at first. @default 256 */
  max?: number;
  /** Calls in flight however the loop lags. @default 8 */
  min?: number;
  /** Lag (ms past the sampling interval) that shrinks the budget. @default 30 */
  lagMs?: number;
  /** How often the lag is sampled while calls are in flight or waiting. @default 20 */
  intervalMs?: number;
}

interface Waiting {
  start: () => void;
  withdrawn: boolean;
}

export class LoopBudget {
  readonly max: number;
  readonly min: number;
  private readonly lagMs: number;
  private readonly intervalMs: number;
  private currentLimit: number;
  private active = 0;
  private readonly waiting = new WaitQueue<Waiting>();
  /** Waiting calls not withdrawn. */
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;

  constructor(options: LoopBudgetOptions = {}) {
    this.max = options.max ?? 256;
    this.min = Math.min(options.min ?? 8, this.max);
    this.lagMs = options.lagMs ?? 30;
    this.intervalMs = options.intervalMs ?? 20;
    this.currentLimit = this.max;
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return this.currentLimit;
  }

  /** Calls in flight, and calls waiting for a place. */
  get counts(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.queued };
  }

  /**
   * A place for one call (at once while there is room, else in turn); resolves with the function
   * that gives it back, once. An abort while waiting rejects with `aborted()` and takes no place.
   */
  enter(signal: AbortSignal | undefined, aborted: () => Error): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(aborted());
    this.watch();
    if (this.active < this.currentLimit && this.queued === 0) {
      this.active += 1;
      return Promise.resolve(this.leaver());
    }
    return new Promise((resolve, reject) => {
      const entry: Waiting = {
        withdrawn: false,
        start: () => {
          stopWatching?.();
          resolve(this.leaver());
        },
      };
      const stopWatching =
        signal &&
        onAbort(signal, () => {
          entry.withdrawn = true;
          this.queued -= 1;
          reject(aborted());
          this.unwatchWhenIdle();
        });
      this.waiting.push(entry);
      this.queued += 1;
    });
  }

  /**
   * One sample of the event loop's lag (ms past the sampling interval): past `lagMs` the budget is
   * cut by a quarter, under a third of it the budget grows by 4, then waiting calls start while there is room.
   */
  sample(lagMs: number): void {
    if (lagMs > this.lagMs) this.currentLimit = Math.max(this.min, Math.floor(this.currentLimit * 0.75));
    else if (lagMs < this.lagMs / 3) this.currentLimit = Math.min(this.max, this.currentLimit + 4);
    this.admit();
  }

  private leaver(): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active -= 1;
      this.admit();
      this.unwatchWhenIdle();
    };
  }

  /** Starts waiting calls, in order, while there is room. */
  private admit(): void {
    while (this.active < this.currentLimit) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      if (next.withdrawn) continue;
      this.queued -= 1;
      this.active += 1;
      next.start();
    }
  }

  /** Samples the lag while any call is in flight or waiting (the timer does not keep the process up). */
  private watch(): void {
    if (this.timer) return;
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const lag = Math.max(0, now - this.lastTick - this.intervalMs);
      this.lastTick = now;
      this.sample(lag);
      this.unwatchWhenIdle();
    }, this.intervalMs);
    this.timer.unref();
  }

  private unwatchWhenIdle(): void {
    if (!this.timer || this.active > 0 || this.queued > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    // Idle: the next walk starts with the whole budget.
    this.currentLimit = this.max;
  }
}
