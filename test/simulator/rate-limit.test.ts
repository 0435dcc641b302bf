import { FaultState, MALFORMED_HTML, NO_FAULTS, truncateJson } from '../../src/simulator/faults';
import { SlidingWindowLimiter, perMinute, perSecond } from '../../src/simulator/rate-limit';
import { isBrokenJson } from './helpers';

describe('SlidingWindowLimiter', () => {
  it('allows exactly `limit` in any window and says when the next slot frees', () => {
    const limiter = new SlidingWindowLimiter([perSecond(5)]);
    const times = [0, 100, 200, 300, 400];
    const remaining = times.map((t) => limiter.take('a', 1000 + t));
    expect(remaining.map((d) => d.allowed)).toEqual([true, true, true, true, true]);
    expect(remaining.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
    const sixth = limiter.take('a', 1500);
    expect(sixth).toEqual({ allowed: false, limit: 5, remaining: 0, resetMs: 2000, retryAfterMs: 500 });
    // Sliding, not fixed: at 1999 the first hit is still inside the window; at 2000 it left.
    expect(limiter.take('a', 1999).allowed).toBe(false);
    expect(limiter.take('a', 2000).allowed).toBe(true);
    expect(limiter.take('a', 2000).allowed).toBe(false);
    expect(limiter.take('a', 2100).allowed).toBe(true);
  });

  it('never allows 2× the limit across a window boundary (as a fixed window would)', () => {
    const limiter = new SlidingWindowLimiter([perSecond(5)]);
    let allowed = 0;
    for (let t = 900; t < 1900; t += 10) if (limiter.take('a', t).allowed) allowed += 1;
    expect(allowed).toBe(5);
  });

  it('keeps keys apart and checks every rule (100/s and 6000/min)', () => {
    const limiter = new SlidingWindowLimiter([perSecond(3), perMinute(4)]);
    expect([0, 1, 2].map((t) => limiter.take('a', t).allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', 3).allowed).toBe(false);
    expect(limiter.take('b', 3).allowed).toBe(true);
    expect(limiter.take('a', 1500).allowed).toBe(true);
    const blocked = limiter.take('a', 1600);
    expect(blocked.allowed).toBe(false);
    expect(blocked.allowed ? 0 : blocked.retryAfterMs).toBe(60_000 - 1600);
  });

  it('is unlimited with no rules, and rejects nonsense rules', () => {
    expect(new SlidingWindowLimiter([]).take('a', 0)).toEqual({ allowed: true, limit: Infinity, remaining: Infinity, resetMs: 0 });
    expect(() => new SlidingWindowLimiter([{ limit: 0, windowMs: 1000 }])).toThrow('limit');
    expect(() => new SlidingWindowLimiter([{ limit: 1, windowMs: 0 }])).toThrow('windowMs');
  });

  it('stays exact over long runs (the log compacts)', () => {
    const limiter = new SlidingWindowLimiter([perSecond(100)]);
    let allowed = 0;
    for (let t = 0; t < 10_000; t += 1) if (limiter.take('a', t).allowed) allowed += 1;
    expect(allowed).toBe(1000);
  });
});

describe('FaultState', () => {
  it('starts healthy and merges changes', () => {
    const faults = new FaultState(1);
    expect(faults.current()).toEqual(NO_FAULTS);
    faults.set({ errorRate: 0.5 });
    faults.set({ latencyMs: 20 });
    expect(faults.current()).toEqual({ ...NO_FAULTS, errorRate: 0.5, latencyMs: 20 });
  });

  it('rejects out-of-range knobs and keeps the old ones', () => {
    const faults = new FaultState(1, { down: true });
    expect(() => faults.set({ errorRate: 1.5 })).toThrow('errorRate');
    expect(() => faults.set({ timeoutRate: -0.1 })).toThrow('timeoutRate');
    expect(() => faults.set({ malformedRate: NaN })).toThrow('malformedRate');
    expect(() => faults.set({ latencyMs: -1 })).toThrow('latencyMs');
    expect(() => faults.set({ rateLimitBurst: 1.5 })).toThrow('rateLimitBurst');
    expect(faults.current()).toEqual({ ...NO_FAULTS, down: true });
  });

  it('counts the burst down', () => {
    const faults = new FaultState(1, { rateLimitBurst: 2 });
    expect([faults.takeBurst(), faults.takeBurst(), faults.takeBurst()]).toEqual([true, true, false]);
    expect(faults.current().rateLimitBurst).toBe(0);
  });

  it('draws from a seeded stream: same seed, same decisions', () => {
    const run = (seed: number): string => {
      const state = new FaultState(seed, { errorRate: 0.5, malformedRate: 0.5, jitterMs: 100 });
      return Array.from({ length: 40 }, () => `${state.drawError() ? 'E' : '.'}${state.drawMalformed() ?? '-'}${state.delayMs()}`).join(',');
    };
    const first = run(7);
    expect(run(7)).toBe(first);
    expect(run(8)).not.toBe(first);
    expect(first).toContain('E');
    expect(first).toContain('.');
    expect(first).toContain('html');
    expect(first).toContain('truncated-json');
  });

  it('rate 0 never draws, rate 1 always fires', () => {
    const faults = new FaultState(3, { timeoutRate: 1 });
    expect(faults.drawTimeout()).toBe(true);
    expect(faults.drawError()).toBe(false);
    expect(faults.drawMalformed()).toBeUndefined();
    expect(faults.delayMs()).toBe(0);
  });

  it('truncated JSON never parses; the HTML page is HTML', () => {
    for (const text of ['[]', '{}', '[{"a":1}]', JSON.stringify({ campaigns: [{ id: 1 }] })]) {
      expect(isBrokenJson(truncateJson(text))).toBe(true);
      expect(text.startsWith(truncateJson(text))).toBe(true);
    }
    expect(MALFORMED_HTML).toMatch(/^<!DOCTYPE html>/);
  });
});
