/**
 * Sync leases: with several instances sharing Redis, one instance per connection runs each
 * scheduled refresh. `og:v1:sync:<HMAC tag of the connection id>` is set with `SET NX PX` for the
 * refresh's interval share; whoever sets it walks, the others skip that round (the walker's result
 * reaches them through the shared cache tier). The lease is not released: it covers the interval,
 * so the next round goes to whichever instance is due first after it expires. Redis unavailable:
 * every instance walks on its own (degraded, as its cache and limits are).
 */
import type { RedisConnection } from './redis';
import { lockToken, redisKeyTag } from './redis';
import { REDIS_KEY_PREFIX } from './redis-tier';

/** Tries to take the sync lease of `connectionId` for `ttlMs`; true when this instance should walk. */
export type SyncLease = (connectionId: string, ttlMs: number) => Promise<boolean>;

export function createSyncLease(redis: RedisConnection, keySecret: string): SyncLease {
  return async (connectionId, ttlMs) => {
    const key = `${REDIS_KEY_PREFIX}sync:${redisKeyTag(keySecret, connectionId)}`;
    const result = await redis.call('sync lease', (client) => client.set(key, lockToken(), { NX: true, PX: Math.max(1, Math.round(ttlMs)) }), redis.coordinationTimeoutMs);
    // Not reachable: walk locally rather than let no instance sync.
    if (!result.ok) return true;
    return result.value === 'OK';
  };
}
