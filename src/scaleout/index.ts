/**
 * Everything a gateway instance shares with the others through Redis, wired from `redis` in the
 * config: one connection, the shared cache tier (with cross-instance coalescing), one shared
 * token bucket and (with `windows`) one shared log of sends per vendor account, and the scheduled sync's lease per connection, share bucket per
 * account and daily call counts. `createService` builds it when `redis.url` is set.
 */
import type { Registry } from 'prom-client';
import type { RedisConfig, ResolvedConnection } from '../config';
import type { Logger } from '../logger';
import { OUTBOUND_PACING_MARGIN } from '../ratelimit/limiter';
import type { SharedBucket, SharedSendLog } from '../ratelimit/shared';
import { RedisTokenBucket } from './shared-bucket';
import { RedisSendLog } from './shared-send-log';
import { RedisCallTally } from './call-tally';
import { createSyncLease, type SyncLease } from './lease';
import { RedisConnection } from './redis';
import { RedisSourceTier } from './redis-tier';

export interface ScaleOut {
  readonly redis: RedisConnection;
  readonly tier: RedisSourceTier;
  /** The cache-key HMAC secret every instance shares. */
  readonly keySecret: string;
  /** The shared bucket of a connection's vendor account (one per `rateLimitGroup`). */
  readonly bucketFor: (connection: ResolvedConnection) => SharedBucket;
  /** The shared log of sends of a connection's vendor account, when it has `windows` (one per `rateLimitGroup`). */
  readonly sendLogFor: (connection: ResolvedConnection) => SharedSendLog | undefined;
  /** The scheduled sync's lease per connection (one instance walks each round). */
  readonly syncLease: SyncLease;
  /**
   * The scheduler's own bucket on a vendor account (its share of the rate), shared by every
   * instance: `group` is the account's `rateLimitGroup`.
   */
  readonly syncShareBucket: (group: string, ratePerSecond: number, burst: number) => SharedBucket;
  /** The scheduler's daily call counts per account (Kakiyo's credits), shared by every instance. */
  readonly callTally: RedisCallTally;
  /**
   * For `/readyz`: undefined when Redis answers, else the problem. A problem degrades the instance
   * (local cache, per-instance limits) without stopping it, so it is reported, not failed.
   */
  readonly readiness: () => Promise<string | undefined>;
  readonly start: () => void;
  readonly close: () => Promise<void>;
}

export function createScaleOut(config: RedisConfig, deps: { logger: Logger; registry: Registry }): ScaleOut {
  const logger = deps.logger.child({ component: 'redis' });
  const redis = new RedisConnection({
    url: config.url,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    logger,
    registry: deps.registry,
  });
  const tier = new RedisSourceTier(redis, { maxValueBytes: config.maxValueBytes, lockTtlMs: config.lockTtlMs, logger });
  return {
    redis,
    tier,
    keySecret: config.keySecret,
    bucketFor: (connection) =>
      new RedisTokenBucket(redis, {
        keySecret: config.keySecret,
        group: connection.rateLimitGroup,
        ratePerSecond: connection.settings.requestsPerSecond,
        burst: connection.settings.burst,
      }),
    sendLogFor: (connection) =>
      connection.settings.windows.length === 0
        ? undefined
        : new RedisSendLog(redis, {
            keySecret: config.keySecret,
            group: connection.rateLimitGroup,
            windows: connection.settings.windows,
            margin: OUTBOUND_PACING_MARGIN,
          }),
    syncLease: createSyncLease(redis, config.keySecret),
    // A group name of its own: the scheduler's share is a bucket beside the account's, not in it.
    syncShareBucket: (group, ratePerSecond, burst) => new RedisTokenBucket(redis, { keySecret: config.keySecret, group: `sync-share\u0000${group}`, ratePerSecond, burst }),
    callTally: new RedisCallTally(redis, config.keySecret),
    readiness: () => Promise.resolve(redis.problem()),
    start: () => redis.start(),
    close: () => redis.close(),
  };
}
