/**
 * The scheduler's daily call counts in Redis, shared by every instance (the `CallTally` of
 * scheduler/credit-budget.ts): one integer per vendor account and UTC day,
 * `og:v1:budget:<HMAC tag of the rate-limit group>:<YYYY-MM-DD>`, kept two days. A take is one Lua
 * script (raise to the caller's floor, then count one call if below the limit), so two instances
 * taking at once never pass the limit. Redis unavailable: every operation answers "unreachable"
 * (undefined / false) and the budget decides what that means.
 */
import { z } from 'zod';
import { luaScript, redisKeyTag, type RedisConnection } from './redis';
import { REDIS_KEY_PREFIX } from './redis-tier';

/** A count outlives its day by a day (instances' clocks differ a little around midnight). */
const COUNT_TTL_MS = 2 * 86_400_000;

/** KEYS: count. ARGV: limit, floor, ttl ms. Returns {1 taken / 0 refused, count after}. */
const TAKE = luaScript(
  'budget_take',
  `local used = tonumber(redis.call('GET', KEYS[1])) or 0
local floor = tonumber(ARGV[2])
if floor > used then used = floor end
local taken = 0
if used < tonumber(ARGV[1]) then
  used = used + 1
  taken = 1
end
redis.call('SET', KEYS[1], string.format('%d', used), 'PX', ARGV[3])
return {taken, used}`,
);

/** KEYS: count. Returns the count after (never below 0; DECR keeps the expiry). */
const REFUND = luaScript(
  'budget_refund',
  `local used = tonumber(redis.call('GET', KEYS[1])) or 0
if used > 0 then return redis.call('DECR', KEYS[1]) end
return 0`,
);

/** KEYS: count. ARGV: at least, ttl ms. Returns the count after. */
const RAISE = luaScript(
  'budget_raise',
  `local used = tonumber(redis.call('GET', KEYS[1])) or 0
local want = tonumber(ARGV[1])
if want > used then
  redis.call('SET', KEYS[1], string.format('%d', want), 'PX', ARGV[2])
  return want
end
return used`,
);

const TakeReplySchema = z.tuple([z.number().int(), z.number().int()]);
const CountSchema = z.coerce.number().int().nonnegative();

export class RedisCallTally {
  readonly scope = 'shared' as const;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keySecret: string,
  ) {}

  key(account: string, day: string): string {
    return `${REDIS_KEY_PREFIX}budget:${redisKeyTag(this.keySecret, account)}:${day}`;
  }

  async take(account: string, day: string, limit: number, floor: number): Promise<{ taken: boolean; used: number } | undefined> {
    const result = await this.redis.script(
      'budget',
      TAKE,
      [this.key(account, day)],
      [String(limit), String(Math.max(0, Math.floor(floor))), String(COUNT_TTL_MS)],
      this.redis.coordinationTimeoutMs,
    );
    if (!result.ok) return undefined;
    const reply = TakeReplySchema.safeParse(result.value);
    if (!reply.success) return undefined;
    return { taken: reply.data[0] === 1, used: reply.data[1] };
  }

  async refund(account: string, day: string): Promise<boolean> {
    return (await this.redis.script('budget', REFUND, [this.key(account, day)], [], this.redis.coordinationTimeoutMs)).ok;
  }

  async raise(account: string, day: string, used: number): Promise<boolean> {
    const result = await this.redis.script('budget', RAISE, [this.key(account, day)], [String(Math.max(0, Math.floor(used))), String(COUNT_TTL_MS)], this.redis.coordinationTimeoutMs);
    return result.ok;
  }

  async read(account: string, day: string): Promise<number | undefined> {
    const key = this.key(account, day);
    const result = await this.redis.call('budget', (client) => client.get(key), this.redis.coordinationTimeoutMs);
    if (!result.ok) return undefined;
    if (result.value === null) return 0;
    const count = CountSchema.safeParse(result.value);
    return count.success ? count.data : undefined;
  }
}
