/**
 * The retry decision, as pure functions (no clock, no randomness of their own: both are passed in),
 * so every branch is table-tested.
 *
 * Policy (DESIGN.md section 5): GET only; retry network errors, timeouts of one attempt, 429 and
 * 5xx; never 400/401/402/403/404. Exponential backoff with full jitter
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/); a `Retry-After`
 * (seconds or HTTP date, capped, garbage ignored) replaces the backoff. Bounded by the attempt count
 * and by the deadline: no sleep goes past it (Envoy counts retries inside the route timeout too).
 */

export interface RetryPolicy {
  /** Total attempts, the first included. @default 3 */
  maxAttempts: number;
  /** First backoff ceiling in ms; doubles per attempt. @default 250 */
  baseDelayMs: number;
  /** Largest backoff ceiling in ms. @default 10000 */
  maxDelayMs: number;
  /** Largest `Retry-After` honoured, in ms; longer ones are capped to this. @default 60000 */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Parses a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110 section 10.2.3).
 * Returns milliseconds from `nowMs` (0 for a date in the past), capped at `capMs`, or undefined
 * for anything else (garbage, negative, empty).
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number, capMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, capMs);
  // Only accept things that look like an HTTP date (a weekday or month name and a time), so a
  // bare "1.5" or "-3" is not read as a date by Date.parse's lenient rules.
  if (!/[A-Za-z]{3}/.test(text) || !/\d{1,2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - nowMs, 0), capMs);
}

export type AttemptOutcome =
  | { kind: 'status'; status: number; retryAfterMs?: number | undefined }
  | { kind: 'network' }
  | { kind: 'timeout' };

export interface RetryInput {
  method: string;
  /** 1-based number of the attempt that just finished. */
  attempt: number;
  outcome: AttemptOutcome;
  policy: RetryPolicy;
  nowMs: number;
  /** Epoch ms by which the whole operation must be over; undefined = none. */
  deadlineMs?: number | undefined;
  /** A number in [0, 1): the jitter draw. */
  random: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Full-jitter backoff ceiling for the attempt that just failed (1-based). */
export function backoffCeilingMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

export function decideRetry(input: RetryInput): RetryDecision {
  const { outcome, policy } = input;
  if (input.method.toUpperCase() !== 'GET') return { retry: false, reason: 'not_idempotent' };
  if (outcome.kind === 'status' && !isRetryableStatus(outcome.status)) return { retry: false, reason: 'status' };
  if (input.attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts' };

  let delayMs: number;
  if (outcome.kind === 'status' && outcome.retryAfterMs !== undefined) {
    delayMs = Math.min(outcome.retryAfterMs, policy.maxRetryAfterMs);
  } else {
    delayMs = Math.floor(input.random * backoffCeilingMs(input.attempt, policy));
  }
  if (input.deadlineMs !== undefined && input.nowMs + delayMs >= input.deadlineMs) {
    return { retry: false, reason: 'deadline' };
  }
  return { retry: true, delayMs };
}
