/**
 * A promise raced against a deadline: it settles as `promise` does, or rejects with `late()` once
 * `remainingMs` have passed (at once when none remain). The timer is cleared either way. Used by
 * the gateway (a request's deadline) and the scale-out tier (a Redis command's bound).
 */
export interface SettleOptions {
  /**
   * The rejection waits for one more turn of the event loop: after a busy stretch, timers run
   * before pending I/O, and a reply already in the socket would otherwise lose to its own timeout.
   */
  afterPendingIo?: boolean;
}

export function settleWithin<T>(promise: Promise<T>, remainingMs: number, late: () => Error, options: SettleOptions = {}): Promise<T> {
  if (remainingMs <= 0) return Promise.reject(late());
  return new Promise<T>((resolve, reject) => {
    const fire = (): void => reject(late());
    const timer = setTimeout(options.afterPendingIo ? () => setImmediate(fire) : fire, remainingMs);
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
