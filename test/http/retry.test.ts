import {
  DEFAULT_RETRY_POLICY,
  backoffCeilingMs,
  decideRetry,
  isRetryableStatus,
  parseRetryAfter,
  type AttemptOutcome,
  type RetryInput,
  type RetryPolicy,
} from '../../src/http/retry';

const NOW = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
const CAP = 60_000;

describe('parseRetryAfter', () => {
  it.each<[string, string | undefined | null, number | undefined]>([
    ['delta seconds', '5', 5000],
    ['zero seconds', '0', 0],
    ['seconds with surrounding space', ' 7 ', 7000],
    ['seconds over the cap', '120', CAP],
    ['a huge number of seconds', '99999999999', CAP],
    ['an HTTP date 30 s in the future', 'Wed, 21 Oct 2015 07:28:30 GMT', 30_000],
    ['an HTTP date exactly now', 'Wed, 21 Oct 2015 07:28:00 GMT', 0],
    ['an HTTP date in the past', 'Wed, 21 Oct 2015 07:00:00 GMT', 0],
    ['an HTTP date past the cap', 'Wed, 21 Oct 2015 09:00:00 GMT', CAP],
    ['an obsolete RFC 850 date', 'Wednesday, 21-Oct-15 07:28:10 GMT', 10_000],
    ['an impossible date', 'Wed, 21 Oct 2015 99:99:99 GMT', undefined],
    ['garbage', 'soon', undefined],
    ['garbage with digits', '10s', undefined],
    ['a negative number', '-3', undefined],
    ['a fraction', '1.5', undefined],
    ['empty', '', undefined],
    ['blank', '   ', undefined],
    ['an ISO date (not an HTTP date)', '2015-10-21T07:28:30Z', undefined],
    ['absent', undefined, undefined],
    ['null', null, undefined],
  ])('%s: %p -> %p', (_label, value, expected) => {
    expect(parseRetryAfter(value, NOW, CAP)).toBe(expected);
  });

  it('caps with the given cap', () => {
    expect(parseRetryAfter('10', NOW, 2500)).toBe(2500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', NOW, 2500)).toBe(2500);
  });
});

const POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

function input(outcome: AttemptOutcome, overrides: Partial<RetryInput> = {}): RetryInput {
  return { method: 'GET', attempt: 1, outcome, policy: POLICY, nowMs: 1_000, random: 0.5, ...overrides };
}
const status = (code: number, retryAfterMs?: number): AttemptOutcome => ({ kind: 'status', status: code, retryAfterMs });

describe('decideRetry', () => {
  it.each([429, 500, 502, 503, 504, 599])('retries status %i with jittered backoff', (code) => {
    expect(decideRetry(input(status(code)))).toEqual({ retry: true, delayMs: 50 });
  });

  it.each<[string, AttemptOutcome]>([
    ['a network error', { kind: 'network' }],
    ['an attempt timeout', { kind: 'timeout' }],
  ])('retries %s', (_label, outcome) => {
    expect(decideRetry(input(outcome))).toEqual({ retry: true, delayMs: 50 });
  });

  it.each([400, 401, 402, 403, 404, 405, 409, 413, 422, 200, 302, 600])('never retries status %i', (code) => {
    expect(decideRetry(input(status(code)))).toEqual({ retry: false, reason: 'status' });
  });

  it('never retries 401/403 even with a Retry-After', () => {
    expect(decideRetry(input(status(401, 1000)))).toEqual({ retry: false, reason: 'status' });
    expect(decideRetry(input(status(403, 1000)))).toEqual({ retry: false, reason: 'status' });
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])('never retries %s', (method) => {
    expect(decideRetry(input(status(503), { method }))).toEqual({ retry: false, reason: 'not_idempotent' });
    expect(decideRetry(input({ kind: 'network' }, { method }))).toEqual({ retry: false, reason: 'not_idempotent' });
  });

  it('accepts a lower-case get', () => {
    expect(decideRetry(input(status(503), { method: 'get' }))).toEqual({ retry: true, delayMs: 50 });
  });

  it('stops at maxAttempts (attempts count the first one)', () => {
    expect(decideRetry(input(status(503), { attempt: 2 })).retry).toBe(true);
    expect(decideRetry(input(status(503), { attempt: 3 }))).toEqual({ retry: false, reason: 'attempts' });
    expect(decideRetry(input({ kind: 'network' }, { attempt: 4 }))).toEqual({ retry: false, reason: 'attempts' });
    expect(decideRetry(input(status(429), { policy: { ...POLICY, maxAttempts: 1 } }))).toEqual({ retry: false, reason: 'attempts' });
  });

  it('stops when the delay would reach the deadline', () => {
    // delay = floor(0.5 * 100) = 50; now 1000.
    expect(decideRetry(input(status(503), { deadlineMs: 1_051 }))).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry(input(status(503), { deadlineMs: 1_050 }))).toEqual({ retry: false, reason: 'deadline' });
    expect(decideRetry(input(status(503), { deadlineMs: 900 }))).toEqual({ retry: false, reason: 'deadline' });
    expect(decideRetry(input(status(429, 3000), { deadlineMs: 3_500 }))).toEqual({ retry: false, reason: 'deadline' });
    expect(decideRetry(input(status(429, 3000), { deadlineMs: 4_001 }))).toEqual({ retry: true, delayMs: 3000 });
  });

  it('replaces the backoff with Retry-After, whatever the jitter draw', () => {
    expect(decideRetry(input(status(429, 2000), { random: 0 }))).toEqual({ retry: true, delayMs: 2000 });
    expect(decideRetry(input(status(503, 2000), { random: 0.99 }))).toEqual({ retry: true, delayMs: 2000 });
    expect(decideRetry(input(status(429, 0)))).toEqual({ retry: true, delayMs: 0 });
  });

  it('caps Retry-After at maxRetryAfterMs', () => {
    expect(decideRetry(input(status(429, 9000)))).toEqual({ retry: true, delayMs: 5000 });
  });

  it.each<[number, number, number]>([
    // attempt, random, delay: full jitter over [0, min(maxDelay, base * 2^(attempt-1)))
    [1, 0, 0],
    [1, 0.999999, 99],
    [2, 0.5, 100],
    [2, 0.999, 199],
    [3, 0.25, 100],
    [5, 0.999999, 999],
  ])('full jitter: attempt %i draw %p -> %i ms', (attempt, random, delayMs) => {
    const policy = { ...POLICY, maxAttempts: 10 };
    expect(decideRetry(input({ kind: 'network' }, { attempt, random, policy }))).toEqual({ retry: true, delayMs });
  });

  it('full jitter stays inside [0, ceiling) for many draws', () => {
    const policy = { ...POLICY, maxAttempts: 10 };
    for (let attempt = 1; attempt < 10; attempt += 1) {
      const ceiling = backoffCeilingMs(attempt, policy);
      for (const random of [0, 0.1, 0.3333, 0.5, 0.75, 0.9, 0.999999]) {
        const decision = decideRetry(input({ kind: 'timeout' }, { attempt, random, policy }));
        if (!decision.retry) throw new Error('expected a retry');
        expect(decision.delayMs).toBeGreaterThanOrEqual(0);
        expect(decision.delayMs).toBeLessThan(ceiling);
      }
    }
  });
});

describe('backoffCeilingMs', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [30, 1000],
  ])('attempt %i -> %i ms', (attempt, ceiling) => {
    expect(backoffCeilingMs(attempt, POLICY)).toBe(ceiling);
  });
});

describe('isRetryableStatus', () => {
  it.each([
    [429, true],
    [500, true],
    [599, true],
    [499, false],
    [404, false],
    [600, false],
    [200, false],
  ])('%i -> %p', (code, expected) => {
    expect(isRetryableStatus(code)).toBe(expected);
  });
});

describe('DEFAULT_RETRY_POLICY', () => {
  it('matches VENDORS.md section 5: at most 3 attempts, backoff capped at 10 s', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 });
  });
});
