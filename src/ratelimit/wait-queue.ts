/**
 * A first-in first-out queue of waiting callers, as the limiter and the loop budget keep them:
 * taken from the front by index (no `Array.shift` per caller, which moves every element), the
 * array dropped once empty and compacted when most of it has been taken. A caller that leaves
 * while queued stays in it, marked by its owner, and is skipped when its turn comes.
 */
export class WaitQueue<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  /** The next caller in order, undefined when none is left. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
