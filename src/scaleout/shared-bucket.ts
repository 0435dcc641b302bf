/**
 * A vendor account's token bucket shared by every gateway instance through Redis, so N instances
 * together stay at the configured `requestsPerSecond` (Instantly's limit is per vendor workspace,
 * and every Kakiyo call costs a credit, whichever instance makes it).
 *
 * Same model as the local `TokenBucket`: a reservation takes a token now and says how long to wait
 * before using it (tokens may go negative, so waiters are served in order and the long-run rate
 * never exceeds the configured one), and a vendor 429 pauses the account (`pausedUntil`), which
 * every instance's next reservation sees. One Lua script per operation keeps it atomic, and it
 * reads Redis's own clock (`TIME`), so instances with skewed clocks still share one timeline.
 * Why a script of our own rather than a library: the reservation model (wait, not reject) and the
 * shared 429 pause are ten lines of Lua, and rate-limiter-flexible's buckets answer "allowed or
 * not", which would turn pacing into retry loops.
 *
 * Layout: one hash `og:v1:rl:<HMAC of the rate-limit group>` with `tokens`, `ts`, `pausedUntil`;
 * it expires once it would be full again (an absent key is a full bucket). Concurrency is not
 * shared: each instance keeps its own `concurrency` slots.
 */
import { z } from 'zod';
import type { SharedBucket, SharedReservation } from '../ratelimit/shared';
import { luaScript, redisKeyTag, type RedisConnection } from './redis';
import { REDIS_KEY_PREFIX } from './redis-tier';



const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: bucket. ARGV: rate per second, burst, max wait ms (-1 = no limit), idle ttl ms.
 * Returns {wait ms or -1 when refused, ms left of the pause}.
 */
const RESERVE = luaScript(
  'bucket_reserve',
  `${NOW_MS}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'pausedUntil')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
local pausedUntil = tonumber(state[3]) or 0
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000); ts = now end
local wait = 0
if tokens < 1 then wait = (1 - tokens) * 1000 / rate end
local paused = pausedUntil - now
if paused < 0 then paused = 0 end
if paused > wait then wait = paused end
local refused = maxWait >= 0 and wait > maxWait
if not refused then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(wait) + tonumber(ARGV[4]))
if refused then return {-1, math.ceil(paused)} end
return {math.ceil(wait), math.ceil(paused)}`,
);

/** KEYS: bucket. ARGV: pause ms, idle ttl ms. Returns the ms left of the (possibly longer) pause. */
const PAUSE = luaScript(
  'bucket_pause',
  `${NOW_MS}
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil')) or 0
if untilMs > current then redis.call('HSET', KEYS[1], 'pausedUntil', string.format('%d', untilMs)) else untilMs = current end
local want = untilMs - now + tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return untilMs - now`,
);

const ReserveReplySchema = z.tuple([z.number().int(), z.number().int()]);

export interface RedisTokenBucketOptions {
  /** The HMAC secret shared by the instances (`redis.keySecret`): the group never appears as such. */
  keySecret: string;
  /** The connection's `rateLimitGroup` (provider + a hash of the key, or a configured name). */
  group: string;
  ratePerSecond: number;
  burst: number;
}

export class RedisTokenBucket implements SharedBucket {
  readonly key: string;
  /** How long an untouched bucket needs to be full again (then its key may expire). */
  private readonly idleTtlMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisTokenBucketOptions,
  ) {
    this.key = `${REDIS_KEY_PREFIX}rl:${redisKeyTag(options.keySecret, options.group)}`;
    this.idleTtlMs = Math.ceil((options.burst / options.ratePerSecond) * 1000) + 1000;
  }

  async reserve(maxWaitMs: number): Promise<SharedReservation | undefined> {
    const maxWait = Number.isFinite(maxWaitMs) ? String(Math.max(0, Math.floor(maxWaitMs))) : '-1';
    const result = await this.redis.script(
      'bucket',
      RESERVE,
      [this.key],
      [String(this.options.ratePerSecond), String(this.options.burst), maxWait, String(this.idleTtlMs)],
      this.redis.coordinationTimeoutMs,
    );
    if (!result.ok) return undefined;
    const reply = ReserveReplySchema.safeParse(result.value);
    if (!reply.success) return undefined;
    const [waitMs, pausedForMs] = reply.data;
    return { waitMs: waitMs < 0 ? undefined : waitMs, pausedForMs };
  }

  pause(ms: number): void {
    void this.redis.script('pause', PAUSE, [this.key], [String(Math.max(0, Math.ceil(ms))), String(this.idleTtlMs)], this.redis.coordinationTimeoutMs);
  }
}
