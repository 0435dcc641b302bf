/**
 * The shared second cache tier and cross-instance coalescing, in Redis (README "Scale-out with
 * Redis"). Same semantics as the local tier: an entry is one connection's complete result for one
 * upstream query, with the `fetchedAt` of the vendor's answer, so freshness (ttl), stale-while-
 * revalidate and stale-if-error (ttl + stale) are decided the same way on every instance.
 *
 * Layout (a single Redis; Redis Cluster is not supported: the scripts touch two keys):
 * - `og:v1:src:<cache key>`: a hash `{fetchedAt, json}` where `json` is `{v, records, warnings,
 *   fetchedAt, digest}`; Redis TTL = what is left of ttl + stale. `fetchedAt` is a field of its own
 *   so the claim script can judge freshness without reading (or Lua-parsing) megabytes.
 * - `og:v1:lock:<cache key>`: the walk lock, `SET NX PX` with a random token; the holder renews it
 *   every third of its life, so a holder that dies frees it within `lockTtlMs`.
 * The cache key is `<connection>|<HMAC of the vendor key and workspace>|<query>`: no secret.
 *
 * Coalescing across instances (`coordinate`): one script atomically answers "a fresh enough entry
 * exists" (take it), or takes the lock (walk the vendor, then one script stores the entry and
 * frees the lock together, so a waiter sees either the lock or the entry, never neither), or says
 * "busy": then poll (20 ms doubling to 100 ms) until the entry appears, the lock frees (take
 * over), or `waitUntil`. Polling rather than pub/sub: nothing to resubscribe after a Redis restart,
 * and one poller per instance and key (the local Coalescer in front of it merges the rest).
 *
 * Values are checked with zod when read (Redis is shared infrastructure, and a value written by an
 * older version must not crash a request); a value that does not parse is a miss. Values larger
 * than `maxValueBytes` stay local. Nothing here throws because of Redis: unavailable = local only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Logger } from '../logger';
import type { SourceWarning, WarningCode } from '../providers/types';
import { CampaignAnalyticsSchema } from '../schema/campaign';
import { Coalescer } from '../cache/coalesce';
import { lockToken, luaScript, type RedisConnection } from './redis';
import type { CachedSource } from '../cache/source-cache';

export const REDIS_KEY_PREFIX = 'og:v1:';
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 100;
/** A value write may carry megabytes: it gets longer than a read. */
const PUBLISH_TIMEOUT_MS = 2_000;

const WARNING_CODES = [
  'invalid_records',
  'invalid_fields',
  'skipped_rows',
  'date_range_unsupported',
  'campaign_not_found',
  'partial_detail',
] as const satisfies readonly WarningCode[];

const StoredWarningSchema = z.object({
  code: z.enum(WARNING_CODES),
  message: z.string(),
  count: z.number().int().optional(),
  path: z.string().optional(),
  fields: z.record(z.string(), z.number().int()).optional(),
});

export const StoredSourceSchema = z.object({
  v: z.literal(1),
  records: z.array(CampaignAnalyticsSchema),
  warnings: z.array(StoredWarningSchema),
  fetchedAt: z.number().int().nonnegative(),
  digest: z.string().min(1),
});

/** KEYS: value, lock. ARGV: token, lock ttl ms, fresh-after (epoch ms). */
const CLAIM = luaScript(
  'claim',
  `local f = tonumber(redis.call('HGET', KEYS[1], 'fetchedAt'))
if f and f >= tonumber(ARGV[3]) then
  local json = redis.call('HGET', KEYS[1], 'json')
  if json then return {'entry', json} end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'lease'} end
return {'busy'}`,
);

/** KEYS: value, lock. ARGV: token ('' = no lock held), fetchedAt, json, ttl ms. Never replaces a newer entry. */
const PUBLISH = luaScript(
  'publish',
  `local ttl = tonumber(ARGV[4])
if ttl > 0 then
  local current = tonumber(redis.call('HGET', KEYS[1], 'fetchedAt'))
  if not current or current <= tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], 'fetchedAt', ARGV[2], 'json', ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1`,
);

/** KEYS: lock. ARGV: token. Frees the lock only if it is still ours. */
const UNLOCK = luaScript('unlock', `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);

/** KEYS: lock. ARGV: token, ttl ms. Extends the lock only if it is still ours. */
const RENEW = luaScript('renew', `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`);

const ClaimReplySchema = z.union([z.tuple([z.literal('entry'), z.string()]), z.tuple([z.literal('lease')]), z.tuple([z.literal('busy')])]);

export interface CoordinateOptions {
  /** An entry fetched at or after this (epoch ms) is good enough: no walk. */
  freshAfter: number;
  /** Epoch ms: stop waiting for another instance's walk and walk ourselves. */
  waitUntil: number;
  /** How long a result stays useful after its `fetchedAt` (ttl + stale): its Redis TTL. */
  storeForMs: number;
}

export type CoordinateOutcome =
  /** This instance walked the vendor (with the lock, or without Redis). */
  | { source: 'upstream'; entry: CachedSource }
  /** Another instance's entry was already there when the lock was tried. */
  | { source: 'shared'; entry: CachedSource }
  /** Another instance was walking; its result was waited for. */
  | { source: 'waited'; entry: CachedSource };

/** What `ConnectionRuntime` needs from the shared tier. */
export interface SharedSourceTier {
  /** The entry for a cache key, or undefined (absent, unreadable, or Redis unavailable); bounded wait. */
  get(cacheKey: string): Promise<CachedSource | undefined>;
  /** Runs `walk` unless another instance has (or is producing) a fresh enough entry; stores what it walked. */
  coordinate(cacheKey: string, options: CoordinateOptions, walk: () => Promise<CachedSource>): Promise<CoordinateOutcome>;
}

export interface RedisSourceTierOptions {
  maxValueBytes: number;
  lockTtlMs: number;
  logger: Logger;
  now?: () => number;
}

type Claim = { kind: 'entry'; entry: CachedSource; waited: boolean } | { kind: 'lease'; lease: Lease } | { kind: 'none' };

/** A held walk lock: renewed until released. */
export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly redis: RedisConnection,
    readonly lockKey: string,
    readonly token: string,
    lockTtlMs: number,
  ) {
    this.timer = setInterval(() => void this.renew(lockTtlMs), Math.max(50, Math.floor(lockTtlMs / 3)));
    this.timer.unref();
  }

  private async renew(lockTtlMs: number): Promise<void> {
    const result = await this.redis.script('renew', RENEW, [this.lockKey], [this.token, String(lockTtlMs)], this.redis.coordinationTimeoutMs);
    // Lost (expired while Redis was away, or taken over): stop renewing someone else's lock.
    if (result.ok && result.value === 0) this.stopRenewing();
  }

  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Frees the lock (once). */
  release(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopRenewing();
    void this.redis.script('unlock', UNLOCK, [this.lockKey], [this.token], this.redis.coordinationTimeoutMs);
  }

  /** The publish script freed the lock together with the value. */
  endedByPublish(): void {
    this.ended = true;
    this.stopRenewing();
  }
}

function toWarning(warning: z.infer<typeof StoredWarningSchema>): SourceWarning {
  return {
    code: warning.code,
    message: warning.message,
    ...(warning.count !== undefined ? { count: warning.count } : {}),
    ...(warning.path !== undefined ? { path: warning.path } : {}),
  };
}

export class RedisSourceTier implements SharedSourceTier {
  private readonly now: () => number;
  private readonly reads = new Coalescer<CachedSource | undefined>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisSourceTierOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  valueKey(cacheKey: string): string {
    return `${REDIS_KEY_PREFIX}src:${cacheKey}`;
  }

  lockKey(cacheKey: string): string {
    return `${REDIS_KEY_PREFIX}lock:${cacheKey}`;
  }

  /** Concurrent reads of one key (a burst of identical cold requests) share one Redis read. */
  get(cacheKey: string): Promise<CachedSource | undefined> {
    return this.reads.run(cacheKey, async () => {
      const result = await this.redis.call('get', (client) => client.sendCommand<unknown>(['HGET', this.valueKey(cacheKey), 'json']));
      if (!result.ok || typeof result.value !== 'string') return undefined;
      return this.decode(result.value);
    }).promise;
  }

  async coordinate(cacheKey: string, options: CoordinateOptions, walk: () => Promise<CachedSource>): Promise<CoordinateOutcome> {
    const claim = await this.claim(cacheKey, options);
    if (claim.kind === 'entry') return { source: claim.waited ? 'waited' : 'shared', entry: claim.entry };
    const lease = claim.kind === 'lease' ? claim.lease : undefined;
    let entry: CachedSource;
    try {
      entry = await walk();
    } catch (error) {
      // Free the lock at once: a waiting instance takes over instead of waiting for the expiry.
      lease?.release();
      throw error;
    }
    // Awaited (briefly): once this instance has answered, every other instance finds the result.
    await this.store(cacheKey, entry, options.storeForMs, lease);
    return { source: 'upstream', entry };
  }

  /**
   * Writes an entry for what is left of `storeForMs` after its `fetchedAt` (and frees the lease
   * with it). Resolves when written, or after `coordinationTimeoutMs` while the write goes on.
   */
  store(cacheKey: string, entry: CachedSource, storeForMs: number, lease?: Lease): Promise<void> {
    const json = JSON.stringify({ v: 1, records: entry.records, warnings: entry.warnings, fetchedAt: entry.fetchedAt, digest: entry.digest });
    const bytes = Buffer.byteLength(json);
    const ttl = Math.floor(storeForMs - Math.max(0, this.now() - entry.fetchedAt));
    if (bytes > this.options.maxValueBytes || ttl <= 0) {
      if (bytes > this.options.maxValueBytes) {
        this.options.logger.warn('result too large for the shared cache; kept in this instance only', { bytes, maxValueBytes: this.options.maxValueBytes });
      }
      lease?.release();
      return Promise.resolve();
    }
    const published = this.redis
      .script('publish', PUBLISH, [this.valueKey(cacheKey), this.lockKey(cacheKey)], [lease?.token ?? '', String(entry.fetchedAt), json, String(ttl)], PUBLISH_TIMEOUT_MS)
      .then((result) => {
        if (result.ok) lease?.endedByPublish();
        else lease?.release();
      });
    // A slow write goes on in the background; the caller waits no longer than for a lock.
    return Promise.race([published, sleep(this.redis.coordinationTimeoutMs, undefined, { ref: false })]);
  }

  private async claim(cacheKey: string, options: CoordinateOptions): Promise<Claim> {
    let pollMs = POLL_MIN_MS;
    let waited = false;
    const keys = [this.valueKey(cacheKey), this.lockKey(cacheKey)];
    for (;;) {
      const token = lockToken();
      const result = await this.redis.script('claim', CLAIM, keys, [token, String(this.options.lockTtlMs), String(Math.floor(options.freshAfter))], this.redis.coordinationTimeoutMs);
      if (!result.ok) return { kind: 'none' };
      const reply = ClaimReplySchema.safeParse(result.value);
      if (!reply.success) return { kind: 'none' };
      if (reply.data[0] === 'entry') {
        const entry = this.decode(reply.data[1]);
        // An unreadable entry is a miss: walk without the lock; the publish replaces the entry.
        return entry ? { kind: 'entry', entry, waited } : { kind: 'none' };
      }
      if (reply.data[0] === 'lease') return { kind: 'lease', lease: new Lease(this.redis, keys[1] ?? '', token, this.options.lockTtlMs) };
      if (this.now() + pollMs >= options.waitUntil) return { kind: 'none' };
      waited = true;
      await sleep(pollMs);
      pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
    }
  }

  private decode(json: string): CachedSource | undefined {
    let document: unknown;
    try {
      document = JSON.parse(json);
    } catch {
      document = undefined;
    }
    const parsed = StoredSourceSchema.safeParse(document);
    if (!parsed.success) {
      this.options.logger.warn('unreadable entry in the shared cache; treated as a miss', { path: parsed.error.issues[0]?.path.join('.') ?? '' });
      return undefined;
    }
    const { records, warnings, fetchedAt, digest } = parsed.data;
    return { records, warnings: warnings.map(toWarning), fetchedAt, digest, bytes: Buffer.byteLength(json) + 64 };
  }
}
