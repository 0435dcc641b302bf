/**
 * Outbound limits per vendor account (DESIGN.md section 5): at most `concurrency` calls in flight
 * and a token bucket at `requestsPerSecond`; a 429 pauses the whole account. It is the
 * HTTP client's `RequestGate`, so every attempt (retries included) takes a permit. A wait that
 * would end after the caller's deadline fails at once as `rate_limited` instead of sleeping.
 * With the vendor's own windows configured (`windows`: "10 calls in any second"), a log of the calls
 * as they were really sent (`SendLog`) also keeps every window to its count.
 * Where the vendor sends rate-limit headers (a permit's `answered`), the limiter also follows its
 * quota: when the calls it knows of would use up what remains, the account waits for the vendor's
 * reset, unless the log of sends already accounts for every call the vendor counted (its windows
 * then say when the next call may go, to the millisecond, where the reset is often whole seconds).
 */
import { onAbort, sleep } from '../abort-hooks';
import { ProviderError } from '../errors';
import type { Permit, RequestGate } from '../http/client';
import type { ProviderId } from '../schema/campaign';
import type { LoopBudget } from './loop-budget';
import { SendLog, type LoggedCall, type SendWindow } from './send-log';
import type { SharedBucket, SharedSendLog } from './shared';
import { TokenBucket } from './token-bucket';
import { parseRateLimitHeaders } from './vendor-headers';
import { WaitQueue } from './wait-queue';

export interface AccountLimiterOptions {
  provider: ProviderId;
  requestsPerSecond: number;
  burst: number;
  concurrency: number;
  now?: () => number;
  /** Called with the ms each permit waited for a token (for metrics). */
  onWait?: (ms: number) => void;
  /**
   * The account's bucket shared by every instance (Redis). Its answer wins; the local bucket is
   * also charged, so it is up to date when Redis goes away and the limiter falls back to it (then
   * each instance is held to the full rate on its own). Concurrency always stays per instance.
   */
  shared?: SharedBucket | undefined;
  /** The vendor's sliding windows, kept by a log of sends. */
  windows?: readonly SendWindow[] | undefined;
  /**
   * The same windows' log shared by every instance (Redis). Its answer wins; the local log is also
   * charged, and keeps the windows per instance while Redis is away.
   */
  sharedLog?: SharedSendLog | undefined;
  /**
   * The process's budget of un-paced calls in flight (loop-budget.ts): taken by a call of an account
   * without `windows` (and without a shared bucket) whose token is there at once, before it reserves it.
   */
  budget?: LoopBudget | undefined;
}

/**
 * The local bucket paces calls this much below `requestsPerSecond`. A vendor counts our
 * calls when they arrive, the bucket when it hands out a token; timer lateness, event-loop delays
 * and transit make that gap vary from call to call (by tens of ms when a busy host preempts a
 * process). At exactly the vendor's rate call R+1 is due exactly one window after call 1, so a
 * millisecond of jitter the wrong way is a 429 (bench scenario 4 measured a few per thousand calls
 * at 0 %, one per thousand at 2 %, none at 5 %). 5 % leaves 50 ms per second of window (3 s per
 * minute) and still uses 95 % of the allowed rate; the configured rate is never exceeded.
 */
export const OUTBOUND_PACING_MARGIN = 0.05;

/** The longest wait a vendor's reset header can impose (as `Retry-After` is capped). */
export const MAX_VENDOR_RESET_WAIT_MS = 60_000;

/** A call's reserved start: the wait before it, and its place in the local and the shared log. */
interface ReservedStart {
  waitMs: number;
  call: LoggedCall | undefined;
  sharedId: string | undefined;
  /** Gives back the call's place in the loop budget (when it took one). */
  leave?: (() => void) | undefined;
}

/** What the vendor last said of its window, less the calls started since. */
interface VendorWindow {
  left: number;
  resetAtMs: number;
}

function abortError(provider: ProviderId): ProviderError {
  return new ProviderError({ provider, code: 'aborted', message: 'the call was cancelled' });
}

/** Sleeps `ms` unless the signal aborts first, which rejects as `aborted`. */
async function wait(ms: number, signal: AbortSignal | undefined, provider: ProviderId): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, signal);
  } catch {
    throw abortError(provider);
  }
}

/**
 * A caller of `acquire`, from its call to its permit: all it holds while it waits (the calls of a
 * big walk wait by the thousand, so this is one small object, not a chain of promises).
 */
interface Waiter {
  readonly signal: AbortSignal | undefined;
  readonly deadlineMs: number | undefined;
  readonly resolve: (permit: Permit) => void;
  readonly reject: (error: Error) => void;
  stopWatching: (() => void) | undefined;
  /** queued: waiting for a slot and the turn; turn: holds both, taking its token; done: settled. */
  stage: 'queued' | 'turn' | 'done';
}

export class AccountLimiter implements RequestGate {
  readonly bucket: TokenBucket;
  private readonly now: () => number;
  /** Slots held: calls in their turn or with a permit. */
  private active = 0;
  /** Callers waiting for a slot and the turn, in order (aborted ones are skipped). */
  private readonly waiting = new WaitQueue<Waiter>();
  /** Waiting callers not aborted. */
  private queued = 0;
  /** A caller is taking its token (see `pump`). */
  private turnTaken = false;
  private vendorWindow: VendorWindow | undefined;
  private readonly log: SendLog | undefined;

  constructor(private readonly options: AccountLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.windows && options.windows.length > 0 ? new SendLog(options.windows, OUTBOUND_PACING_MARGIN) : undefined;
    this.bucket = new TokenBucket({ ratePerSecond: options.requestsPerSecond * (1 - OUTBOUND_PACING_MARGIN), burst: options.burst, now: this.now });
  }

  /** Calls in flight or queued for a slot. */
  get pending(): number {
    return this.active + this.queued;
  }

  /**
   * A permit: a slot (at most `concurrency` calls hold one), then the turn, in which the caller
   * reserves its token and waits for it. One caller takes its turn at a time, in order, so each
   * token is reserved when the call before has really started. Reserved all at once, the waits of
   * the callers in flight would be fixed in advance; a late timer or a stalled process then starts
   * them together, and the vendor sees more calls in its window than the bucket allowed. In turn,
   * only the one caller whose timer was due can start late, and the next one reserves from the
   * bucket as it is then (at most `burst` more at once, after a gap the vendor saw no calls in).
   * An abort ends the wait at once, wherever it is; what the turn reserved after that is given back.
   */
  acquire(signal: AbortSignal | undefined, deadlineMs: number | undefined): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(abortError(this.options.provider));
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { signal, deadlineMs, resolve, reject, stopWatching: undefined, stage: 'queued' };
      if (signal) waiter.stopWatching = onAbort(signal, () => this.abandon(waiter));
      this.waiting.push(waiter);
      this.queued += 1;
      this.pump();
    });
  }

  /** The caller's signal aborted before its permit: it leaves at once, its slot too when it held one. */
  private abandon(waiter: Waiter): void {
    if (waiter.stage === 'done') return;
    if (waiter.stage === 'queued') this.queued -= 1;
    else this.active -= 1;
    waiter.stage = 'done';
    waiter.reject(abortError(this.options.provider));
    this.pump();
  }

  /** The next waiting caller takes a slot and the turn, when both are free. */
  private pump(): void {
    while (!this.turnTaken && this.active < this.options.concurrency) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      if (next.stage !== 'queued') continue;
      this.queued -= 1;
      this.active += 1;
      next.stage = 'turn';
      this.turnTaken = true;
      void this.takeTurn(next);
    }
  }

  /** The caller's turn: its token reserved and waited for, then its permit (or its failure). */
  private async takeTurn(waiter: Waiter): Promise<void> {
    let start: ReservedStart | undefined;
    let failure: unknown;
    try {
      start = await this.take(waiter.signal, waiter.deadlineMs);
    } catch (error) {
      failure = error;
    }
    this.turnTaken = false;
    if (waiter.stage === 'done') {
      // The caller left during its turn (its slot went with it): what it took is given back.
      if (start) this.forget(start);
    } else {
      waiter.stage = 'done';
      waiter.stopWatching?.();
      if (start) waiter.resolve(this.permit(start));
      else {
        this.active -= 1;
        waiter.reject(failure instanceof Error ? failure : new Error(String(failure)));
      }
    }
    this.pump();
  }

  /** Reserves the call's token (and its place in the loop budget) and waits for it. */
  private async take(signal: AbortSignal | undefined, deadlineMs: number | undefined): Promise<ReservedStart> {
    if (signal?.aborted) throw abortError(this.options.provider);
    const entering = this.enterBudget(signal);
    const leave = entering && (await entering);
    let reserved: ReservedStart;
    try {
      reserved = await this.reserveStart(deadlineMs === undefined ? Number.POSITIVE_INFINITY : deadlineMs - this.now());
    } catch (error) {
      leave?.();
      throw error;
    }
    reserved.leave = leave;
    this.options.onWait?.(reserved.waitMs);
    this.spendVendorQuota();
    try {
      await wait(reserved.waitMs, signal, this.options.provider);
    } catch (error) {
      this.forget(reserved);
      throw error;
    }
    return reserved;
  }

  /** The permit of a call whose start is reserved; its release frees the slot (once). */
  private permit(start: ReservedStart): Permit {
    const { call, sharedId } = start;
    let released = false;
    return {
      sent: () => {
        if (call) this.log?.sent(call, this.now());
        if (sharedId !== undefined) this.options.sharedLog?.sent(sharedId);
      },
      answered: (headers) => this.observe(headers, call),
      release: () => {
        if (released) return;
        released = true;
        // Un-paced calls are never logged: forget gives back their place in the loop budget.
        if (!call?.sent) this.forget(start);
        this.active -= 1;
        this.pump();
      },
    };
  }

  /**
   * When this call may start, under the bucket and the windows (the shared log's answer and the
   * local log's, whichever is later: calls made while Redis was away are only in the local one),
   * and its place in the logs. A start past `maxWaitMs` is refused, holding no place in a log.
   */
  private async reserveStart(maxWaitMs: number): Promise<ReservedStart> {
    const before = this.now();
    // The windows are looked at first, so a call they refuse takes no token.
    const windowWait = this.log ? this.log.earliest(before, before) - before : 0;
    const bucketWait = windowWait > maxWaitMs ? undefined : await this.reserve(maxWaitMs);
    if (bucketWait === undefined) throw this.refusal(windowWait);
    if (!this.log) return { waitMs: bucketWait, call: undefined, sharedId: undefined };
    const shared = this.options.sharedLog ? await this.options.sharedLog.reserve(bucketWait, maxWaitMs) : undefined;
    if (shared && shared.waitMs === undefined) throw this.refusal(Math.max(windowWait, bucketWait));
    const now = this.now();
    const waitMs = Math.max(shared?.waitMs ?? 0, Math.ceil(this.log.earliest(now + bucketWait, now) - now));
    if (waitMs > maxWaitMs) {
      if (shared) this.options.sharedLog?.drop(shared.id);
      throw this.refusal(waitMs);
    }
    return { waitMs, call: this.log.reserve(now + waitMs), sharedId: shared?.id };
  }

  /**
   * A place in the process's loop budget, for a call of an un-paced account whose token is there
   * now (its turn holds the bucket, so it still is once the place is given); undefined when the
   * call does not take one: paced by windows, shared with other instances, or waiting for a token.
   */
  private enterBudget(signal: AbortSignal | undefined): Promise<() => void> | undefined {
    const { budget, shared } = this.options;
    if (!budget || this.log || shared || this.bucket.msUntilAvailable() > 0) return undefined;
    return budget.enter(signal, () => abortError(this.options.provider));
  }

  /** A reserved call that never went out leaves both logs and its place in the loop budget. */
  private forget({ call, sharedId, leave }: ReservedStart): void {
    if (call) this.log?.drop(call);
    if (sharedId !== undefined) this.options.sharedLog?.drop(sharedId);
    leave?.();
  }

  /** The call would wait past its deadline: refused at once, with how long it would have waited. */
  private refusal(waitMs: number): ProviderError {
    return new ProviderError({
      provider: this.options.provider,
      code: 'rate_limited',
      message: 'the outbound rate limit for this vendor account would delay the call past the deadline',
      retryAfterMs: Math.max(this.bucket.pausedForMs(), Math.ceil(waitMs), 1000),
    });
  }

  /** A token from the shared bucket when there is one and Redis answers, else from the local one. */
  private async reserve(maxWaitMs: number): Promise<number | undefined> {
    const shared = this.options.shared ? await this.options.shared.reserve(maxWaitMs) : undefined;
    if (shared === undefined) return this.bucket.reserve(maxWaitMs);
    // A 429 pause from any instance, copied here so this instance's own checks see it too.
    if (shared.pausedForMs > 0) this.bucket.pause(shared.pausedForMs);
    if (shared.waitMs === undefined) return undefined;
    this.bucket.reserve();
    return shared.waitMs;
  }

  pause(ms: number): void {
    this.bucket.pause(ms);
    this.options.shared?.pause(ms);
  }

  /**
   * A vendor answer's headers (lower-case names): when they carry the vendor's quota, later calls
   * keep to it. The other calls in flight may not have been counted in `remaining` yet, so they are
   * taken off it; within one window the lower count wins (answers can arrive out of order). When
   * the answer is to a logged `call` and the vendor counts no more calls than the log does, the
   * log's windows already hold the next calls back as long as needed, and the reset adds nothing.
   */
  observe(headers: Readonly<Record<string, string>>, call?: LoggedCall): void {
    const now = this.now();
    const quota = parseRateLimitHeaders(headers, now);
    if (quota === undefined || quota.resetAtMs === undefined || quota.resetAtMs <= now) return;
    if (call?.sent && this.log && quota.remaining >= this.log.leftAfter(call, now)) return;
    const left = quota.remaining - Math.max(0, this.active - 1);
    // A reset further away than the cap is trusted only up to it; then the vendor is asked again.
    const resetAtMs = Math.min(quota.resetAtMs, now + MAX_VENDOR_RESET_WAIT_MS);
    const current = this.vendorWindow;
    const sameWindow = current !== undefined && current.resetAtMs >= resetAtMs && current.resetAtMs > now;
    this.vendorWindow = sameWindow ? { left: Math.min(current.left, left), resetAtMs: current.resetAtMs } : { left, resetAtMs };
    this.holdUntilResetIfSpent(now);
  }

  /** A call is about to start: one fewer left in the vendor's window. */
  private spendVendorQuota(): void {
    const now = this.now();
    if (this.vendorWindow === undefined || this.vendorWindow.resetAtMs <= now) {
      this.vendorWindow = undefined;
      return;
    }
    this.vendorWindow.left -= 1;
    this.holdUntilResetIfSpent(now);
  }

  private holdUntilResetIfSpent(now: number): void {
    const window = this.vendorWindow;
    if (window === undefined || window.left > 0) return;
    this.pause(window.resetAtMs - now);
  }
}
