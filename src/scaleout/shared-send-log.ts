/**
 * A vendor account's log of sends against its windows (`providers.<id>.windows`), shared by every
 * gateway instance through Redis, so N instances together keep each window to its count (the
 * local `SendLog` is the same rule for one instance, and takes over while Redis is away).
 *
 * Same model as the local log: a reservation says when a call may start (for every window, the
 * `requests`-th latest start plus the window, lengthened by the pacing margin) and logs it as
 * pending; `sent` moves it to when it was really written to its socket (never earlier); `drop`
 * forgets a call that never went out. A pending call counts as starting no earlier than now, and
 * one pending for longer than `PENDING_MAX_AGE_MS` (its instance went away mid-call) counts as
 * sent at its reserved time. One Lua script per operation keeps it atomic, on Redis's clock
 * (`TIME`), so instances with skewed clocks share one timeline.
 *
 * Layout: two sorted sets per account, `og:v1:rlw:{<HMAC of the group>}:sent` and `…:pending`
 * (members are reservation ids, scores epoch ms), expiring once no window can reach them.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { pacedWindows, type SendWindow } from '../ratelimit/send-log';
import type { SharedSendLog, SharedSendReservation } from '../ratelimit/shared';
import { luaScript, redisKeyTag, type RedisConnection } from './redis';
import { REDIS_KEY_PREFIX } from './redis-tier';

/** A call pending longer than this is taken as sent at its reserved time. */
export const PENDING_MAX_AGE_MS = 60_000;

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: sent, pending. ARGV: ms from now the call may start at the earliest, max wait ms (-1 = no
 * limit), reservation id, pending max age ms, then per window its requests and paced length in ms.
 * Returns the wait in ms, or -1 when it would pass the max wait (nothing logged).
 */
const RESERVE = luaScript(
  'send_log_reserve',
  `${NOW_MS}
local from = now + tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local pendingMaxAge = tonumber(ARGV[4])
local longest = 0
for i = 5, #ARGV, 2 do
  local pace = tonumber(ARGV[i + 1])
  if pace > longest then longest = pace end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - pendingMaxAge, 'WITHSCORES')
for j = 1, #stale, 2 do redis.call('ZADD', KEYS[1], stale[j + 1], stale[j]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - pendingMaxAge)
local pending = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local waiting = {}
for j = 2, #pending, 2 do
  local at = tonumber(pending[j])
  if at < now then at = now end
  waiting[#waiting + 1] = at
end
table.sort(waiting, function(a, b) return a > b end)
local sentCount = redis.call('ZCARD', KEYS[1])
local at = from
for i = 5, #ARGV, 2 do
  local requests = tonumber(ARGV[i])
  local pace = tonumber(ARGV[i + 1])
  if #waiting + sentCount >= requests then
    local latest = redis.call('ZREVRANGE', KEYS[1], 0, requests - 1, 'WITHSCORES')
    local w, s, nth = 1, 2, nil
    for k = 1, requests do
      local fromWaiting = waiting[w]
      local fromSent = latest[s] and tonumber(latest[s]) or nil
      if fromWaiting ~= nil and (fromSent == nil or fromWaiting >= fromSent) then
        nth = fromWaiting
        w = w + 1
      else
        nth = fromSent
        s = s + 2
      end
    end
    if nth ~= nil and nth + pace > at then at = nth + pace end
  end
end
local wait = math.ceil(at - now)
if maxWait >= 0 and wait > maxWait then return -1 end
redis.call('ZADD', KEYS[2], now + wait, ARGV[3])
local ttl = wait + math.ceil(longest) + pendingMaxAge
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return wait`,
);

/** KEYS: sent, pending. ARGV: reservation id. Moves a pending call to the sent set at now (never earlier than reserved). */
const SENT = luaScript(
  'send_log_sent',
  `${NOW_MS}
local at = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not at then return 0 end
at = tonumber(at)
if at < now then at = now end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], at, ARGV[1])
return 1`,
);

/** KEYS: pending. ARGV: reservation id. */
const DROP = luaScript('send_log_drop', `return redis.call('ZREM', KEYS[1], ARGV[1])`);

const WaitSchema = z.number().int();

export interface RedisSendLogOptions {
  /** The HMAC secret shared by the instances (`redis.keySecret`): the group never appears as such. */
  keySecret: string;
  /** The connection's `rateLimitGroup`. */
  group: string;
  windows: readonly SendWindow[];
  /** Each window's length is lengthened by this share (the limiter's pacing margin). */
  margin: number;
}

export class RedisSendLog implements SharedSendLog {
  private readonly sentKey: string;
  private readonly pendingKey: string;
  private readonly windowArgs: string[];
  /** Reservation ids: this instance's random prefix and a counter. */
  private readonly instance = randomBytes(6).toString('base64url');
  private counter = 0;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisSendLogOptions,
  ) {
    const tag = redisKeyTag(options.keySecret, options.group);
    this.sentKey = `${REDIS_KEY_PREFIX}rlw:{${tag}}:sent`;
    this.pendingKey = `${REDIS_KEY_PREFIX}rlw:{${tag}}:pending`;
    this.windowArgs = pacedWindows(options.windows, options.margin).flatMap((window) => [String(window.requests), String(window.paceMs)]);
  }

  async reserve(fromMs: number, maxWaitMs: number): Promise<SharedSendReservation | undefined> {
    const id = `${this.instance}:${(this.counter += 1)}`;
    const maxWait = Number.isFinite(maxWaitMs) ? String(Math.max(0, Math.floor(maxWaitMs))) : '-1';
    const result = await this.redis.script(
      'send_log',
      RESERVE,
      [this.sentKey, this.pendingKey],
      [String(Math.max(0, Math.ceil(fromMs))), maxWait, id, String(PENDING_MAX_AGE_MS), ...this.windowArgs],
      this.redis.coordinationTimeoutMs,
    );
    if (!result.ok) return undefined;
    const wait = WaitSchema.safeParse(result.value);
    if (!wait.success) return undefined;
    return { id, waitMs: wait.data < 0 ? undefined : wait.data };
  }

  sent(id: string): void {
    void this.redis.script('send_log', SENT, [this.sentKey, this.pendingKey], [id], this.redis.coordinationTimeoutMs);
  }

  drop(id: string): void {
    void this.redis.script('send_log', DROP, [this.pendingKey], [id], this.redis.coordinationTimeoutMs);
  }
}
