/**
 * Inbound limits per client key (`requestsPerMinute`): a token bucket per client with the whole
 * minute as burst. Answers carry `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers)
 * and, on 429, `Retry-After`.
 */
import { TokenBucket } from '../ratelimit/token-bucket';

export interface InboundDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request is allowed again (0 when allowed). */
  retryAfterSeconds: number;
}

export class InboundLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(private readonly now: () => number = Date.now) {}

  check(clientId: string, requestsPerMinute: number): InboundDecision {
    let bucket = this.buckets.get(clientId);
    if (!bucket) {
      bucket = new TokenBucket({ ratePerSecond: requestsPerMinute / 60, burst: requestsPerMinute, now: this.now });
      this.buckets.set(clientId, bucket);
    }
    const wait = bucket.reserve(0);
    const remaining = Math.max(0, Math.floor(bucket.available()));
    if (wait === undefined) {
      const retryAfterSeconds = Math.max(1, Math.ceil(bucket.msUntilAvailable() / 1000));
      return { allowed: false, limit: requestsPerMinute, remaining: 0, retryAfterSeconds };
    }
    return { allowed: true, limit: requestsPerMinute, remaining, retryAfterSeconds: 0 };
  }
}
