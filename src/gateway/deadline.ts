/**
 * A promise raced against a request's deadline: it settles as `promise` does, or rejects with
 * `late()` once `remainingMs` have passed (at once when none remain). The timer is cleared either way.
 */
export function settleWithin<T>(promise: Promise<T>, remainingMs: number, late: () => Error): Promise<T> {
  if (remainingMs <= 0) return Promise.reject(late());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(late()), remainingMs);
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
