/**
 * Coalescing of identical in-flight work: the first caller for a key starts it, later callers get
 * the same promise until it settles. The work runs under no caller's signal, so a caller that goes
 * away never cancels it for the others (RELIABILITY.md: lru-cache `fetch()` lets the first caller
 * decide for everyone).
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** True when work for the key is already running. */
  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  get size(): number {
    return this.inFlight.size;
  }

  run(key: string, work: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const running = this.inFlight.get(key);
    if (running) return { promise: running, leader: false };
    const promise = (async () => {
      try {
        // Yield once first: work that throws synchronously would otherwise run `finally` before
        // the `set` below, leaving a rejected promise in the map that every later caller joins.
        await Promise.resolve();
        return await work();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return { promise, leader: true };
  }
}
