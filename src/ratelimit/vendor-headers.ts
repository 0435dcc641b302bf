/**
 * What a vendor's own rate-limit headers say about the account's quota: how many calls remain and
 * when the window resets. SendKit sends `X-RateLimit-Limit/Remaining/Reset` on every answer with no
 * documented number or format (VENDORS.md 2, 7); the other vendors send none today. Read, in order:
 *
 * - `RateLimit: "policy";r=0;t=30` (IETF draft 8 and later: `r` remaining, `t` seconds to reset) or
 *   `RateLimit: limit=10, remaining=0, reset=30` (draft 7);
 * - `RateLimit-Remaining` / `RateLimit-Reset` (draft 6; the reset in seconds from now);
 * - `X-RateLimit-Remaining` / `X-RateLimit-Reset`, whose reset is epoch seconds (GitHub,
 *   express-rate-limit's legacy headers), epoch milliseconds, or seconds from now, told apart by size.
 *
 * Several windows in one header (`10, 600`) count as the tightest: the fewest remaining and the
 * latest reset. Anything unreadable is no information (undefined), never a guess.
 */

export interface VendorQuota {
  /** Calls the vendor will still take in its current window. */
  remaining: number;
  /** When the window resets (epoch ms); undefined when the vendor did not say. */
  resetAtMs: number | undefined;
}

/** Epoch seconds from 2001 on: anything this large is a date, anything smaller a number of seconds. */
const EPOCH_SECONDS_FROM = 1_000_000_000;
const EPOCH_MS_FROM = 1_000_000_000_000;

/** The non-negative numbers of a (possibly comma-joined) header; undefined when any is garbage. */
function numbersOf(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part))) return undefined;
  return parts.map(Number);
}

/** A reset value as epoch ms: a date when it is large enough to be one, else seconds from now. */
function resetAt(value: number, nowMs: number, relativeOnly: boolean): number {
  if (!relativeOnly && value >= EPOCH_MS_FROM) return value;
  if (!relativeOnly && value >= EPOCH_SECONDS_FROM) return value * 1000;
  return nowMs + value * 1000;
}

function quotaOf(remaining: number[] | undefined, reset: number[] | undefined, nowMs: number, relativeOnly: boolean): VendorQuota | undefined {
  if (remaining === undefined) return undefined;
  const resets = reset?.map((value) => resetAt(value, nowMs, relativeOnly));
  return { remaining: Math.floor(Math.min(...remaining)), resetAtMs: resets === undefined ? undefined : Math.max(...resets) };
}

/** `RateLimit` in the draft-7 (`remaining=0, reset=30`) or draft-8+ (`"p";r=0;t=30`) form. */
function structured(value: string | undefined, nowMs: number): VendorQuota | undefined {
  if (value === undefined) return undefined;
  const remaining = [...value.matchAll(/(?:^|[;,\s])(?:r|remaining)=(\d+)/g)].map((match) => Number(match[1]));
  const reset = [...value.matchAll(/(?:^|[;,\s])(?:t|reset)=(\d+)/g)].map((match) => Number(match[1]));
  return quotaOf(remaining.length > 0 ? remaining : undefined, reset.length > 0 ? reset : undefined, nowMs, true);
}

/** The vendor's quota from its answer headers (lower-case names), or undefined when it sent none. */
export function parseRateLimitHeaders(headers: Readonly<Record<string, string>>, nowMs: number): VendorQuota | undefined {
  return (
    structured(headers.ratelimit, nowMs) ??
    quotaOf(numbersOf(headers['ratelimit-remaining']), numbersOf(headers['ratelimit-reset']), nowMs, true) ??
    quotaOf(numbersOf(headers['x-ratelimit-remaining']), numbersOf(headers['x-ratelimit-reset']), nowMs, false)
  );
}
