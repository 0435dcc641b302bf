import { TokenBucket } from '../../src/ratelimit/token-bucket';

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('starts full: `burst` reservations go at once, the next waits one refill interval', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, now: clock.now });
    expect(bucket.available()).toBe(3);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.available()).toBe(0);
    expect(bucket.msUntilAvailable()).toBe(500);
    expect(bucket.reserve()).toBe(500);
  });

  it('refills at the configured rate and never above the burst', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 4, burst: 2, now: clock.now });
    bucket.reserve();
    bucket.reserve();
    clock.advance(250);
    expect(bucket.available()).toBe(1);
    clock.advance(125);
    expect(bucket.available()).toBe(1.5);
    expect(bucket.msUntilAvailable()).toBe(0);
    clock.advance(60_000);
    expect(bucket.available()).toBe(2);
  });

  it('queues reservations in order: each waits one interval more than the one before', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 1, now: clock.now });
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 500, 1000, 1500]);
    expect(bucket.available()).toBe(-3);
    // Time passing shortens every later wait by the same amount.
    clock.advance(700);
    expect(bucket.reserve()).toBe(1300);
  });

  it('rounds a fractional wait up to whole ms, so nobody goes early', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 3, burst: 1, now: clock.now });
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(334);
  });

  it('refuses a reservation whose wait exceeds maxWaitMs and takes nothing', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, now: clock.now });
    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(999)).toBeUndefined();
    expect(bucket.reserve(0)).toBeUndefined();
    expect(bucket.available()).toBe(0);
    // The refusals left the queue as it was: the next caller still waits exactly one interval.
    expect(bucket.reserve(1000)).toBe(1000);
    expect(bucket.available()).toBe(-1);
  });

  it('pause() holds every reservation until it ends, even with tokens in the bucket', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, now: clock.now });
    expect(bucket.pausedForMs()).toBe(0);
    bucket.pause(3000);
    expect(bucket.pausedForMs()).toBe(3000);
    expect(bucket.msUntilAvailable()).toBe(3000);
    expect(bucket.reserve(2999)).toBeUndefined();
    expect(bucket.reserve()).toBe(3000);
    clock.advance(1000);
    expect(bucket.reserve()).toBe(2000);
    clock.advance(2000);
    expect(bucket.pausedForMs()).toBe(0);
    expect(bucket.reserve()).toBe(0);
  });

  it('pause() never shortens a longer pause already in place', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, now: clock.now });
    bucket.pause(5000);
    clock.advance(1000);
    bucket.pause(1000);
    expect(bucket.pausedForMs()).toBe(4000);
    bucket.pause(6000);
    expect(bucket.pausedForMs()).toBe(6000);
  });

  it('the token wait counts when it is longer than the pause', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, now: clock.now });
    bucket.reserve();
    bucket.reserve();
    bucket.pause(500);
    expect(bucket.msUntilAvailable()).toBe(2000);
  });

  it('uses Date.now without an injected clock', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2 });
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(0);
    const wait = bucket.reserve();
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1000);
  });

  it('never lets more than burst + rate × window start in any window, over a long run of greedy callers', () => {
    const clock = manualClock(0);
    const rate = 5;
    const burst = 8;
    const bucket = new TokenBucket({ ratePerSecond: rate, burst, now: clock.now });
    const starts: number[] = [];
    // Callers arrive every 7 ms for 60 s and each takes a reservation; it starts at now + wait.
    for (let t = 0; t < 60_000; t += 7) {
      const wait = bucket.reserve();
      expect(wait).toBeDefined();
      starts.push(clock.now() + (wait ?? 0));
      clock.advance(7);
    }
    // Reservations are served in arrival order.
    for (let i = 1; i < starts.length; i += 1) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1] ?? 0);
    // Sliding windows of 1 s and 10 s, and the whole run.
    for (const windowMs of [1000, 10_000, 60_000]) {
      const allowed = burst + (rate * windowMs) / 1000;
      let maxInWindow = 0;
      let lo = 0;
      for (let hi = 0; hi < starts.length; hi += 1) {
        while ((starts[hi] ?? 0) - (starts[lo] ?? 0) >= windowMs) lo += 1;
        maxInWindow = Math.max(maxInWindow, hi - lo + 1);
      }
      expect(maxInWindow).toBeLessThanOrEqual(allowed);
    }
    // After the burst the starts are spaced exactly 1/rate apart.
    expect((starts[burst + 10] ?? 0) - (starts[burst + 9] ?? 0)).toBe(200);
  });

  it('with callers that only take a token when one is free, the long-run count is burst + rate × time', () => {
    const clock = manualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 4, now: clock.now });
    let granted = 0;
    for (let t = 0; t <= 30_000; t += 10) {
      while (bucket.reserve(0) !== undefined) granted += 1;
      clock.advance(10);
    }
    expect(granted).toBe(4 + 2 * 30);
  });
});
