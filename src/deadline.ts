/**
 * Time bounds on work, in one place: a promise raced against a deadline (`settleWithin`: the
 * gateway's request deadline, a Redis command's bound) and an AbortSignal that fires after a time
 * (`abortAfter`: a connection's walk, an alert delivery). Both clear their
 * timer when the work ends, and both can wait one more turn of the event loop before they give up.
 */
import { linkedController } from './abort-hooks';

export interface SettleOptions {
  /**
   * The timeout waits for one more turn of the event loop: after a busy stretch, timers run
   * before pending I/O, and a reply already in the socket would otherwise lose to its own timeout.
   */
  afterPendingIo?: boolean;
}

/** `fire`, or `fire` one turn later when the options ask to let pending I/O go first. */
function onTimeout(fire: () => void, options: SettleOptions): () => void {
  return options.afterPendingIo ? () => setImmediate(fire) : fire;
}

export function settleWithin<T>(promise: Promise<T>, remainingMs: number, late: () => Error, options: SettleOptions = {}): Promise<T> {
  if (remainingMs <= 0) return Promise.reject(late());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(onTimeout(() => reject(late()), options), remainingMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A signal that aborts after a time, when a linked signal aborts, or on `abort()`. */
export interface Countdown {
  readonly signal: AbortSignal;
  /** Aborts now (a cancellation decided elsewhere). */
  abort(): void;
  /** True when the time ran out before anything else aborted the signal. */
  timedOut(): boolean;
  /** Clears the timer and the link; call once the work is over. */
  clear(): void;
}

/**
 * One controller, one timer and one callback on `linked` (`linkedController`, the shared abort
 * hooks: one EventTarget listener per linked signal however many countdowns it has, so a scheduler
 * whose signal links every walk in flight does not trip Node's "possible EventTarget memory leak"
 * warning past ten), all undone by `clear()` (`AbortSignal.timeout` and `AbortSignal.any` leave a
 * timer and listeners to the collector: thousands per cold walk).
 */
export function abortAfter(ms: number, options: SettleOptions & { linked?: AbortSignal | undefined } = {}): Countdown {
  // Aborted at once when `linked` already has.
  const { controller, unlink } = linkedController(options.linked);
  let expired = false;
  const abort = (): void => controller.abort();
  const timer = setTimeout(
    onTimeout(() => {
      if (controller.signal.aborted) return;
      expired = true;
      controller.abort();
    }, options),
    ms,
  );
  return {
    signal: controller.signal,
    abort,
    timedOut: () => expired,
    clear: () => {
      clearTimeout(timer);
      unlink();
    },
  };
}
