/**
 * Inbound limits, and the one rule for the headers that state them (used by the pipeline, app.ts,
 * and the cache-hit fast path, hot-path.ts).
 *
 * - Per client key (`requestsPerMinute`): a token bucket per client with the whole minute as burst.
 * - Per client address, for requests without a valid key (none, a wrong one, a key in the URL):
 *   `UNAUTHENTICATED_PER_MINUTE` per address (IPv4 address, or IPv6 /64), the same kind of bucket.
 *   A valid key never touches this budget, so a flood of bad keys from an address shared with a
 *   real client (a NAT, a proxy) costs that client nothing. The address buckets are bounded
 *   (`MAX_ADDRESSES`, least recently seen dropped first).
 *
 * Headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "<policy>";q=<limit>;w=60` and
 * `RateLimit: "<policy>";r=<remaining>;t=<reset>`, where `r` is how many requests may be sent now
 * and `t` the seconds until the quota is whole again (`r` back to `q`) if nothing more is sent; it
 * counts down as the bucket refills. On a 429, `Retry-After` is the seconds until the next request
 * is allowed (at least 1).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';
import { TokenBucket } from '../ratelimit/token-bucket';

/** Requests per minute per client address without a valid key (the unauthenticated budget). */
export const UNAUTHENTICATED_PER_MINUTE = 60;
/** Client addresses with a bucket at once. */
export const MAX_ADDRESSES = 10_000;
const WINDOW_SECONDS = 60;

export type LimitPolicy = 'per-key' | 'per-address';

export interface InboundDecision {
  policy: LimitPolicy;
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request is allowed again (0 when allowed). */
  retryAfterSeconds: number;
  /** Seconds until the whole quota is available again, if nothing more is sent. */
  resetSeconds: number;
}

interface Budget {
  bucket: TokenBucket;
  perMinute: number;
}

function decide(policy: LimitPolicy, budget: Budget): InboundDecision {
  const { bucket, perMinute } = budget;
  // reserve(0) takes a token only when one is there now; a refused request takes nothing.
  const allowed = bucket.reserve(0) !== undefined;
  const available = bucket.available();
  const resetSeconds = Math.max(0, Math.ceil(((perMinute - available) * WINDOW_SECONDS) / perMinute));
  if (!allowed) {
    const retryAfterSeconds = Math.max(1, Math.ceil(bucket.msUntilAvailable() / 1000));
    return { policy, allowed, limit: perMinute, remaining: 0, retryAfterSeconds, resetSeconds };
  }
  return { policy, allowed, limit: perMinute, remaining: Math.max(0, Math.floor(available)), retryAfterSeconds: 0, resetSeconds };
}

/**
 * The address a budget is kept for: an IPv4 address as it is (IPv4-mapped IPv6 too), an IPv6
 * address by its /64 (one host usually holds a whole /64), anything else as given.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]?.split('::') ?? [''];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class InboundLimiter {
  private readonly clients = new Map<string, Budget>();
  private readonly addresses: LRUCache<string, Budget>;
  private readonly unauthenticatedPerMinute: number;

  constructor(
    private readonly now: () => number = Date.now,
    options: { unauthenticatedPerMinute?: number; maxAddresses?: number } = {},
  ) {
    this.unauthenticatedPerMinute = options.unauthenticatedPerMinute ?? UNAUTHENTICATED_PER_MINUTE;
    this.addresses = new LRUCache<string, Budget>({ max: options.maxAddresses ?? MAX_ADDRESSES });
  }

  private budget(perMinute: number): Budget {
    return { bucket: new TokenBucket({ ratePerSecond: perMinute / WINDOW_SECONDS, burst: perMinute, now: this.now }), perMinute };
  }

  /** One request by an authenticated client. */
  check(clientId: string, requestsPerMinute: number): InboundDecision {
    let budget = this.clients.get(clientId);
    if (!budget) {
      budget = this.budget(requestsPerMinute);
      this.clients.set(clientId, budget);
    }
    return decide('per-key', budget);
  }

  /** One request without a valid key, from `address` (the TCP peer). */
  checkAddress(address: string | undefined): InboundDecision {
    const key = addressKey(address);
    let budget = this.addresses.get(key);
    if (!budget) {
      budget = this.budget(this.unauthenticatedPerMinute);
      this.addresses.set(key, budget);
    }
    return decide('per-address', budget);
  }
}

/** `RateLimit-Policy` for a decision. */
export function rateLimitPolicy(decision: InboundDecision): string {
  return `"${decision.policy}";q=${decision.limit};w=${WINDOW_SECONDS}`;
}

/** `RateLimit` for a decision. */
export function rateLimitField(decision: InboundDecision): string {
  return `"${decision.policy}";r=${decision.remaining};t=${decision.resetSeconds}`;
}

/** Sets `RateLimit-Policy`, `RateLimit` and, when refused, `Retry-After`. */
export function setRateLimitHeaders(res: { setHeader(name: string, value: string): unknown }, decision: InboundDecision): void {
  res.setHeader('RateLimit-Policy', rateLimitPolicy(decision));
  res.setHeader('RateLimit', rateLimitField(decision));
  if (!decision.allowed) res.setHeader('Retry-After', String(decision.retryAfterSeconds));
}
