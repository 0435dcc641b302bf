import { CircuitBreaker, type BreakerState } from '../../src/ratelimit/breaker';

function setup(threshold = 3, cooldownMs = 30_000): { breaker: CircuitBreaker; advance: (ms: number) => void; changes: BreakerState[] } {
  let t = 1_700_000_000_000;
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker({ threshold, cooldownMs, now: () => t, onStateChange: (state) => changes.push(state) });
  return {
    breaker,
    advance: (ms: number) => {
      t += ms;
    },
    changes,
  };
}

/** Opens the breaker with `threshold` failures. */
function open(breaker: CircuitBreaker, threshold: number): void {
  for (let i = 0; i < threshold; i += 1) {
    expect(breaker.allow()).toBe(true);
    breaker.failure();
  }
}

describe('CircuitBreaker', () => {
  it('starts closed and lets every call through', () => {
    const { breaker, changes } = setup();
    expect(breaker.state).toBe('closed');
    expect(Array.from({ length: 10 }, () => breaker.allow())).toEqual(Array(10).fill(true));
    expect(breaker.retryAfterMs()).toBe(0);
    expect(changes).toEqual([]);
  });

  it('opens after `threshold` consecutive failures, not before', () => {
    const { breaker, changes } = setup(3);
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['open']);
  });

  it('a success resets the count of consecutive failures', () => {
    const { breaker, changes } = setup(3);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
    // success() while already closed announces nothing.
    expect(changes).toEqual(['open']);
  });

  it('neutral() while closed neither counts nor resets', () => {
    const { breaker } = setup(2);
    breaker.failure();
    breaker.neutral();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
  });

  it('while open allows no call and says how long until the probe', () => {
    const { breaker, advance } = setup(2, 30_000);
    open(breaker, 2);
    expect(Array.from({ length: 20 }, () => breaker.allow())).toEqual(Array(20).fill(false));
    expect(breaker.retryAfterMs()).toBe(30_000);
    advance(29_999);
    expect(breaker.allow()).toBe(false);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(1);
  });

  it('after the cooldown exactly one of 50 callers asking at once gets the probe', () => {
    const { breaker, advance, changes } = setup(2, 30_000);
    open(breaker, 2);
    advance(30_000);
    expect(breaker.state).toBe('half_open');
    expect(breaker.retryAfterMs()).toBe(0);
    const answers = Array.from({ length: 50 }, () => breaker.allow());
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(answers[0]).toBe(true);
    expect(breaker.state).toBe('half_open');
    // Still only one while the probe is out, however long it takes.
    advance(120_000);
    expect(Array.from({ length: 50 }, () => breaker.allow()).filter(Boolean)).toHaveLength(0);
    expect(changes).toEqual(['open', 'half_open']);
  });

  it('a successful probe closes the breaker', () => {
    const { breaker, advance, changes } = setup(2, 1000);
    open(breaker, 2);
    advance(1000);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(Array.from({ length: 5 }, () => breaker.allow())).toEqual(Array(5).fill(true));
    // Closed with a clean count: it takes `threshold` failures again to open.
    breaker.failure();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed probe opens the breaker for a whole new cooldown', () => {
    const { breaker, advance, changes } = setup(5, 1000);
    open(breaker, 5);
    advance(1500);
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(1000);
    expect(breaker.allow()).toBe(false);
    advance(999);
    expect(breaker.allow()).toBe(false);
    advance(1);
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
    expect(changes).toEqual(['open', 'half_open', 'open', 'half_open']);
  });

  it('neutral() from the probe lets the next caller probe at once', () => {
    const { breaker, advance, changes } = setup(2, 1000);
    open(breaker, 2);
    advance(1000);
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
    breaker.neutral();
    expect(breaker.state).toBe('half_open');
    expect(breaker.retryAfterMs()).toBe(0);
    const answers = Array.from({ length: 50 }, () => breaker.allow());
    expect(answers.filter(Boolean)).toHaveLength(1);
    // The second probe's result decides as usual.
    breaker.success();
    expect(breaker.state).toBe('closed');
    // neutral() announces nothing itself (the probe said nothing); the second probe announces half_open again.
    expect(changes).toEqual(['open', 'half_open', 'half_open', 'closed']);
  });

  it('uses Date.now and works without onStateChange', () => {
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 60_000 });
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBeGreaterThan(59_000);
    expect(breaker.allow()).toBe(false);
  });

  it('a call admitted before the breaker opened cannot settle the probe', () => {
    const { breaker, advance } = setup(2, 1000);
    const early = breaker.admit();
    expect(early).toBe('normal');
    breaker.failure(breaker.admit());
    breaker.failure(breaker.admit());
    expect(breaker.state).toBe('open');
    advance(1000);
    expect(breaker.admit()).toBe('probe');
    // the early call ends with an account error: says nothing, and the probe is still the only one
    breaker.neutral(early);
    expect(breaker.admit()).toBeUndefined();
    breaker.failure(early);
    expect(breaker.admit()).toBeUndefined();
    breaker.success('probe');
    expect(breaker.state).toBe('closed');
    expect(breaker.admit()).toBe('normal');
  });
});
