/**
 * Callbacks for a signal's abort, one EventTarget listener per signal however many calls wait on
 * it. A walk's signal is watched by every call of the walk (its slot, its place in the loop budget,
 * its HTTP exchange): adding and removing an EventTarget listener per call costs microseconds each
 * time (and the list grows with the calls in flight); a Set per signal costs a tenth of that.
 * The listener goes when the signal's last callback is removed: Node keeps a combined signal
 * (`AbortSignal.any`, a caller's perhaps) that has an abort listener alive until that listener goes
 * or it aborts, even once every signal it combines is gone (1.2 KB each, for good).
 *
 * `linkedController` is how this code combines signals instead (a walk's, a fetch's, a scheduled
 * call's): a controller of its own, aborted by the others while linked.
 *
 * The callbacks run in the order they were added, when the signal aborts (all of them at the
 * position of the hooks' listener among the signal's other listeners: added with the first
 * callback since the signal last had none). One that throws does not keep
 * the others from running: its error is thrown again on the next tick, as an EventTarget
 * listener's error would be reported.
 *
 * `sleep` is the waits of those calls (a token, a share of the rate, a retry's back-off) on the
 * same hooks.
 */
const hooks = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/** Runs `callback` once when `signal` aborts; the function returned removes it (safe to call twice). */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let watch = hooks.get(signal);
  if (watch === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      hooks.delete(signal);
      for (const run of callbacks) {
        try {
          run();
        } catch (error) {
          process.nextTick(() => {
            throw error;
          });
        }
      }
      callbacks.clear();
    };
    watch = { callbacks, listener };
    hooks.set(signal, watch);
    signal.addEventListener('abort', listener, { once: true });
  }
  const current = watch;
  current.callbacks.add(callback);
  return () => {
    // Past the abort (or once replaced by a newer watch) there is no listener of this one to remove.
    if (!current.callbacks.delete(callback) || current.callbacks.size > 0 || hooks.get(signal) !== current) return;
    hooks.delete(signal);
    signal.removeEventListener('abort', current.listener);
  };
}

/**
 * A controller of one's own that also aborts when any of `signals` does, while it is linked
 * (`unlink()` once the work it cancels is over; aborted at once when one of them already has).
 * What `AbortSignal.any` gives, without a combined signal: Node keeps one that something listens to
 * for as long as any of its signals lives (a process-long stop signal: for good).
 */
export function linkedController(...signals: readonly (AbortSignal | undefined)[]): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const unlinks: (() => void)[] = [];
  for (const signal of signals) {
    if (signal === undefined) continue;
    if (signal.aborted) abort();
    else unlinks.push(onAbort(signal, abort));
  }
  return {
    controller,
    unlink: () => {
      for (const unlink of unlinks) unlink();
    },
  };
}

/** What `sleep` rejects with when its signal aborts. */
function abortError(): Error {
  return Object.assign(new Error('the wait was aborted'), { name: 'AbortError' });
}

/**
 * Resolves after `ms` (a timer, as `timers/promises`' `setTimeout`), or rejects with an
 * `AbortError` as soon as `signal` aborts (at once when it already has), its timer cleared.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise((resolve, reject) => {
    const stopWatching =
      signal &&
      onAbort(signal, () => {
        clearTimeout(timer);
        reject(abortError());
      });
    const timer = setTimeout(() => {
      stopWatching?.();
      resolve();
    }, ms);
  });
}
