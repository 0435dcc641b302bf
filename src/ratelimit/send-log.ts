/**
 * A vendor account's log of calls against the vendor's own sliding windows ("at most 10 calls in
 * any second"): a call may start once, for every window, fewer than `requests` calls are in the
 * window before it. It hands out reservations like the token bucket (the time a call may
 * start), and counts each call from the moment it was really written to its socket (`sent`), since
 * that is about when the vendor counts it: a call that waited for one of the process's sockets
 * after its reservation moves later in the log, so a call reserved after it keeps its distance.
 * Until then a call counts as starting no earlier than now. Each window is lengthened by the
 * pacing margin, as the token bucket's rate is lowered by it (transit and timer jitter).
 */

/** A vendor's window as configured (`providers.<id>.windows`). */
export interface SendWindow {
  /** Calls the vendor allows in any `seconds`. */
  requests: number;
  seconds: number;
}

/** A window as the logs keep it: its length in ms, lengthened by the pacing margin. */
export interface PacedWindow {
  requests: number;
  paceMs: number;
}

/** Each window's length in ms, `margin` longer (the local log and the Redis one use the same). */
export function pacedWindows(windows: readonly SendWindow[], margin: number): PacedWindow[] {
  return windows.map((window) => ({ requests: window.requests, paceMs: window.seconds * 1000 * (1 + margin) }));
}

/** One call in the log: when it starts (or was sent), and whether it is on the wire yet. */
export interface LoggedCall {
  at: number;
  sent: boolean;
}

export class SendLog {
  /** Sent calls, oldest first. */
  private sentCalls: number[] = [];
  private head = 0;
  /** Calls reserved and not yet on the wire (at most the account's concurrency). */
  private readonly pending = new Set<LoggedCall>();
  private readonly windows: readonly PacedWindow[];
  private readonly longestMs: number;

  constructor(windows: readonly SendWindow[], margin: number) {
    this.windows = pacedWindows(windows, margin);
    this.longestMs = Math.max(0, ...this.windows.map((window) => window.paceMs));
  }

  /** The earliest time at or after `from` a new call may start under every window. */
  earliest(from: number, now: number): number {
    this.prune(now);
    let at = from;
    for (const window of this.windows) {
      const nth = this.nthLatest(window.requests, now);
      if (nth !== undefined) at = Math.max(at, nth + window.paceMs);
    }
    return at;
  }

  /** Logs a call that will start at `at` (from `earliest`). */
  reserve(at: number): LoggedCall {
    const call = { at, sent: false };
    this.pending.add(call);
    return call;
  }

  /** The call is on the wire now (never earlier than its reservation). */
  sent(call: LoggedCall, now: number): void {
    if (call.sent || !this.pending.delete(call)) return;
    call.at = Math.max(call.at, now);
    call.sent = true;
    let i = this.sentCalls.length;
    this.sentCalls.push(call.at);
    // Sends arrive nearly in order: move the new one back to its place.
    while (i > this.head && (this.sentCalls[i - 1] ?? 0) > call.at) {
      this.sentCalls[i] = this.sentCalls[i - 1] ?? 0;
      i -= 1;
    }
    this.sentCalls[i] = call.at;
  }

  /** The call ended without being sent (refused, aborted, failed before writing): the vendor never saw it. */
  drop(call: LoggedCall): void {
    this.pending.delete(call);
  }

  /**
   * What the vendor should report as left in its tightest window once it has counted `call`, by
   * this log: each window's `requests` less the calls that start within a window before `call` or
   * after it (every later call counted, whether or not it reached the vendor before `call`).
   */
  leftAfter(call: LoggedCall, now: number): number {
    let left = Number.POSITIVE_INFINITY;
    for (const window of this.windows) left = Math.min(left, window.requests - this.countAfter(call.at - window.paceMs, now));
    return left;
  }

  /** Calls in the log that start after `since` (a pending call as of now at the earliest). */
  private countAfter(since: number, now: number): number {
    let count = 0;
    for (const call of this.pending) if (Math.max(call.at, now) > since) count += 1;
    for (let i = this.sentCalls.length - 1; i >= this.head && (this.sentCalls[i] ?? 0) > since; i -= 1) count += 1;
    return count;
  }

  /** The `n`-th latest start in the log (1 = latest), a pending call as of now at the earliest. */
  private nthLatest(n: number, now: number): number | undefined {
    if (this.pending.size + this.sentCalls.length - this.head < n) return undefined;
    const waiting = [...this.pending].map((call) => Math.max(call.at, now)).sort((a, b) => b - a);
    let w = 0;
    let s = this.sentCalls.length - 1;
    let value: number | undefined;
    for (let k = 0; k < n; k += 1) {
      const fromWaiting = waiting[w];
      const fromSent = s >= this.head ? this.sentCalls[s] : undefined;
      if (fromWaiting !== undefined && (fromSent === undefined || fromWaiting >= fromSent)) {
        value = fromWaiting;
        w += 1;
      } else {
        value = fromSent;
        s -= 1;
      }
    }
    return value;
  }

  /** Drops sent calls no window can reach any more. */
  private prune(now: number): void {
    const cutoff = now - this.longestMs;
    while (this.head < this.sentCalls.length && (this.sentCalls[this.head] ?? 0) <= cutoff) this.head += 1;
    if (this.head > 256 && this.head * 2 > this.sentCalls.length) {
      this.sentCalls = this.sentCalls.slice(this.head);
      this.head = 0;
    }
  }
}
