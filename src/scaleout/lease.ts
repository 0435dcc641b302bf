/**
 * Sync leases: with several instances sharing Redis, one instance per connection runs each
 * scheduled refresh. `og:v1:sync:<HMAC tag of the connection id>` holds the token of the instance
 * that has the round, for the refresh's interval share; whoever holds it walks, the others skip
 * that round (the walker's result reaches them through the shared cache tier). The lease is not
 * released: it covers the interval, so the next round goes to whichever instance is due first after
 * it expires. The holder asking again (its next round, or a retry after a failure) renews it rather
 * than being refused by its own lease: otherwise a holder due before its lease ends would skip
 * while no other instance may walk, and the connection would go a round without a refresh. Redis
 * unavailable: every instance walks on its own (degraded, as its cache and limits are).
 */
import { z } from 'zod';
import type { RedisConnection } from './redis';
import { lockToken, luaScript, redisKeyTag } from './redis';
import { REDIS_KEY_PREFIX } from './redis-tier';

/** Tries to take the sync lease of `connectionId` for `ttlMs`; true when this instance should walk. */
export type SyncLease = (connectionId: string, ttlMs: number) => Promise<boolean>;

/** KEYS: lease. ARGV: this instance's token, ttl ms. Returns 1 when this instance holds it now. */
const TAKE = luaScript(
  'sync_lease',
  `local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
);

const ReplySchema = z.number().int();

export function createSyncLease(redis: RedisConnection, keySecret: string): SyncLease {
  // One token per instance: its own lease is renewed, another's refuses.
  const token = lockToken();
  return async (connectionId, ttlMs) => {
    const key = `${REDIS_KEY_PREFIX}sync:${redisKeyTag(keySecret, connectionId)}`;
    const result = await redis.script('sync lease', TAKE, [key], [token, String(Math.max(1, Math.round(ttlMs)))], redis.coordinationTimeoutMs);
    // Not reachable: walk locally rather than let no instance sync.
    if (!result.ok) return true;
    const reply = ReplySchema.safeParse(result.value);
    return !reply.success || reply.data === 1;
  };
}
