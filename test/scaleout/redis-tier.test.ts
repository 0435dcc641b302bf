/**
 * The shared cache tier and cross-instance coalescing against a real redis-server: two
 * `RedisSourceTier`s on two connections stand for two gateway instances.
 */
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisConnection } from '../../src/scaleout/redis';
import { RedisSourceTier } from '../../src/scaleout/redis-tier';
import { CacheKeyer, SourceCache, type CachedSource } from '../../src/cache/source-cache';
import { createLogger } from '../../src/logger';
import type { CampaignAnalytics } from '../../src/schema/campaign';
import { emptyMetrics } from '../../src/schema/campaign';
import { freePort, startRedis, type TestRedis } from '../helpers/redis';

const VENDOR_KEY = 'canaryTierVendorKey000123';
const SECRET = 'shared-secret-of-every-instance-0123456789';

function record(id: string, name = `Campaign ${id}`): CampaignAnalytics {
  return {
    key: `acme-instantly:${id}`,
    id,
    provider: 'instantly',
    connection: 'acme-instantly',
    workspace: 'acme',
    name,
    status: 'active',
    vendorStatus: '1',
    channels: ['email'],
    createdAt: null,
    metrics: { ...emptyMetrics(), contacted: 10, replied: 2 },
    rates: { openRate: null, clickRate: null, replyRate: 0.2, bounceRate: null, interestedRate: null, inviteAcceptRate: null },
    averageReplySeconds: null,
    steps: null,
    daily: null,
    leadStatus: null,
  };
}

/** An entry as the local tier makes it (digest and bytes computed by SourceCache). */
function entry(fetchedAt: number, names: string[] = ['a', 'b']): CachedSource {
  const local = new SourceCache('instantly', { maxBytes: 10_000_000, maxAgeMs: 1_000_000 });
  return local.set('k', {
    records: names.map((n) => record(n)),
    warnings: [{ code: 'date_range_unsupported', message: 'lifetime totals' }, { code: 'invalid_records', message: 'left out', count: 2, path: 'id' }],
    fetchedAt,
  });
}

function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  return { logger: createLogger({ level: 'debug', stream }), lines };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

const cacheKey = (suffix: string): string =>
  new CacheKeyer(SECRET).key({ id: 'acme-instantly', apiKey: VENDOR_KEY, vendorWorkspaceId: undefined }, { campaignIds: [suffix], startDate: undefined, endDate: undefined, steps: false, daily: false, raw: false });

describe('RedisSourceTier', () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  let lines: string[] = [];

  async function instance(options: { lockTtlMs?: number; maxValueBytes?: number; url?: string } = {}): Promise<RedisSourceTier> {
    const captured = capture();
    lines = captured.lines;
    const connection = new RedisConnection({ url: options.url ?? redis.url, logger: captured.logger, commandTimeoutMs: 500 });
    connections.push(connection);
    connection.start();
    if (options.url === undefined) await until(() => connection.up);
    return new RedisSourceTier(connection, { maxValueBytes: options.maxValueBytes ?? 1_000_000, lockTtlMs: options.lockTtlMs ?? 2000, logger: captured.logger });
  }

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await redis.stop();
  });

  it('stores what one instance walked and the other reads it back intact: records, warnings, fetchedAt, digest', async () => {
    const a = await instance();
    const b = await instance();
    const key = cacheKey('roundtrip');
    expect(await b.get(key)).toBeUndefined();
    const walked = entry(Date.now() - 1000);
    const outcome = await a.coordinate(key, { freshAfter: Date.now() - 60_000, waitUntil: Date.now() + 5000, storeForMs: 60_000 }, () => Promise.resolve(walked));
    expect(outcome.source).toBe('upstream');
    await until(async () => (await b.get(key)) !== undefined);
    const read = await b.get(key);
    expect(read?.records).toEqual(walked.records);
    expect(read?.warnings).toEqual(walked.warnings);
    expect(read?.fetchedAt).toBe(walked.fetchedAt);
    expect(read?.digest).toBe(walked.digest);
    // Namespaced key, Redis TTL = what is left of ttl + stale after fetchedAt.
    expect(await redis.command('EXISTS', `og:v1:src:${key}`)).toBe(':1');
    const ttl = Number((await redis.command('PTTL', `og:v1:src:${key}`)).slice(1));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(59_000);
    // The lock went with the publish.
    expect(await redis.command('EXISTS', `og:v1:lock:${key}`)).toBe(':0');
  });

  it('no key in Redis contains the vendor key; keys are namespaced og:v1:', async () => {
    const keys = (await redis.command('KEYS', '*')).split('\r\n').filter((line) => !line.startsWith('*') && !line.startsWith('$'));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.startsWith('og:v1:') || key.startsWith('og:test:')).toBe(true);
      expect(key).not.toContain(VENDOR_KEY);
    }
  });

  it('the second instance waits for the first one walk instead of walking too', async () => {
    const a = await instance();
    const b = await instance();
    const key = cacheKey('coalesce');
    let walks = 0;
    const slowWalk = async (): Promise<CachedSource> => {
      walks += 1;
      await sleep(300);
      return entry(Date.now());
    };
    const now = Date.now();
    const options = { freshAfter: now - 60_000, waitUntil: now + 5000, storeForMs: 60_000 };
    const first = a.coordinate(key, options, slowWalk);
    await sleep(30);
    const [one, two] = await Promise.all([first, b.coordinate(key, options, slowWalk)]);
    expect(walks).toBe(1);
    expect(one.source).toBe('upstream');
    expect(two.source).toBe('waited');
    expect(two.entry.digest).toBe(one.entry.digest);
  });

  it('a lock holder that died: its lock expires and the waiting instance takes over', async () => {
    const b = await instance();
    const key = cacheKey('dead-holder');
    // Left behind by an instance that crashed mid-walk (it never publishes, never renews).
    expect(await redis.command('SET', `og:v1:lock:${key}`, 'dead-instance-token', 'PX', '400')).toBe('+OK');
    let walks = 0;
    const t0 = Date.now();
    const outcome = await b.coordinate(key, { freshAfter: t0 - 60_000, waitUntil: t0 + 5000, storeForMs: 60_000 }, () => {
      walks += 1;
      return Promise.resolve(entry(Date.now()));
    });
    const waited = Date.now() - t0;
    expect(outcome.source).toBe('upstream');
    expect(walks).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(1500);
  });

  it('a live holder renews its lock, so a walk longer than the lock TTL is still waited for', async () => {
    const a = await instance({ lockTtlMs: 150 });
    const b = await instance({ lockTtlMs: 150 });
    const key = cacheKey('renewed');
    let walks = 0;
    const now = Date.now();
    const options = { freshAfter: now - 60_000, waitUntil: now + 5000, storeForMs: 60_000 };
    const first = a.coordinate(key, options, async () => {
      walks += 1;
      await sleep(600);
      return entry(Date.now());
    });
    await sleep(30);
    const second = await b.coordinate(key, options, () => {
      walks += 1;
      return Promise.resolve(entry(Date.now()));
    });
    await first;
    expect(walks).toBe(1);
    expect(second.source).toBe('waited');
  });

  it('a failed walk frees the lock at once: the waiting instance walks without waiting for the expiry', async () => {
    const a = await instance({ lockTtlMs: 5000 });
    const b = await instance({ lockTtlMs: 5000 });
    const key = cacheKey('failed');
    const now = Date.now();
    const options = { freshAfter: now - 60_000, waitUntil: now + 4000, storeForMs: 60_000 };
    const first = a
      .coordinate(key, options, async () => {
        await sleep(150);
        throw new Error('vendor down');
      })
      .then(
        () => 'walked',
        (error: unknown) => (error instanceof Error ? error.message : 'unknown'),
      );
    await sleep(30);
    const t0 = Date.now();
    const second = await b.coordinate(key, options, () => Promise.resolve(entry(Date.now())));
    expect(await first).toBe('vendor down');
    expect(second.source).toBe('upstream');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('an entry is taken only when fetched at or after freshAfter (a refresh wants a newer one)', async () => {
    const a = await instance();
    const key = cacheKey('fresh-after');
    const old = entry(Date.now() - 10_000, ['old']);
    await a.store(key, old, 60_000);
    await until(async () => (await a.get(key)) !== undefined);
    let walks = 0;
    const walk = (): Promise<CachedSource> => {
      walks += 1;
      return Promise.resolve(entry(Date.now(), ['new']));
    };
    const taken = await a.coordinate(key, { freshAfter: Date.now() - 60_000, waitUntil: Date.now() + 1000, storeForMs: 60_000 }, walk);
    expect(taken.source).toBe('shared');
    expect(taken.entry.records.map((r) => r.id)).toEqual(['old']);
    const refreshed = await a.coordinate(key, { freshAfter: Date.now(), waitUntil: Date.now() + 1000, storeForMs: 60_000 }, walk);
    expect(refreshed.source).toBe('upstream');
    expect(walks).toBe(1);
    await until(async () => (await a.get(key))?.records[0]?.id === 'new');
  });

  it('never replaces a newer entry with an older one (a slow walk finishing late)', async () => {
    const a = await instance();
    const key = cacheKey('newer-wins');
    await a.store(key, entry(Date.now(), ['newer']), 60_000);
    await until(async () => (await a.get(key)) !== undefined);
    await a.store(key, entry(Date.now() - 5000, ['older']), 60_000);
    await sleep(100);
    expect((await a.get(key))?.records[0]?.id).toBe('newer');
  });

  it('results over maxValueBytes stay local (warning), and an expired result is not stored', async () => {
    const a = await instance({ maxValueBytes: 2000 });
    const big = cacheKey('big');
    await a.store(big, entry(Date.now(), Array.from({ length: 30 }, (_, i) => `c${i}`)), 60_000);
    const expired = cacheKey('expired');
    await a.store(expired, entry(Date.now() - 120_000), 60_000);
    await sleep(100);
    expect(await redis.command('EXISTS', `og:v1:src:${big}`)).toBe(':0');
    expect(await redis.command('EXISTS', `og:v1:src:${expired}`)).toBe(':0');
    expect(lines.some((l) => l.includes('too large for the shared cache'))).toBe(true);
  });

  it('an unreadable value (garbage, or another version) is a miss with a warning, never a crash', async () => {
    const a = await instance();
    const key = cacheKey('garbage');
    await redis.command('HSET', `og:v1:src:${key}`, 'fetchedAt', String(Date.now()), 'json', '{"v":1,"records":[{"id":3}]}');
    expect(await a.get(key)).toBeUndefined();
    expect(lines.some((l) => l.includes('unreadable entry'))).toBe(true);
    // coordinate: the claim finds the entry unreadable and walks; its publish replaces it.
    const outcome = await a.coordinate(key, { freshAfter: 0, waitUntil: Date.now() + 1000, storeForMs: 60_000 }, () => Promise.resolve(entry(Date.now() + 1)));
    expect(outcome.source).toBe('upstream');
    await until(async () => (await a.get(key)) !== undefined);
  });

  it('Redis unreachable: get is a miss, coordinate just walks', async () => {
    const port = await freePort();
    const a = await instance({ url: `redis://127.0.0.1:${port}` });
    const key = cacheKey('down');
    const t0 = Date.now();
    expect(await a.get(key)).toBeUndefined();
    let walks = 0;
    const outcome = await a.coordinate(key, { freshAfter: 0, waitUntil: Date.now() + 5000, storeForMs: 60_000 }, () => {
      walks += 1;
      return Promise.resolve(entry(Date.now()));
    });
    expect(outcome.source).toBe('upstream');
    expect(walks).toBe(1);
    expect(Date.now() - t0).toBeLessThan(200);
  });

  it('stops waiting at waitUntil and walks itself', async () => {
    const b = await instance();
    const key = cacheKey('wait-until');
    await redis.command('SET', `og:v1:lock:${key}`, 'slow-instance', 'PX', '10000');
    const t0 = Date.now();
    const outcome = await b.coordinate(key, { freshAfter: 0, waitUntil: t0 + 300, storeForMs: 60_000 }, () => Promise.resolve(entry(Date.now())));
    expect(outcome.source).toBe('upstream');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    // It walked without the lock, so the other instance's lock is left alone.
    expect(await redis.command('GET', `og:v1:lock:${key}`)).toContain('slow-instance');
  });
});
