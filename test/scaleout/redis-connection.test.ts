/**
 * The Redis connection against a real redis-server on loopback: it never throws, answers
 * `{ok: false}` fast while Redis is dead or hung, reports its state (gauge, error counter, one
 * warning per transition, /readyz problem) and recovers on its own.
 */
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { FAILURES_TO_DEGRADE, RedisConnection, luaScript, reconnectDelayMs } from '../../src/scaleout/redis';
import { createLogger } from '../../src/logger';
import { freePort, startRedis, type TestRedis } from '../helpers/redis';

function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  return { logger: createLogger({ level: 'debug', stream }), lines };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return Number.NaN;
  const data = await metric.get();
  const match = data.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
}

const ECHO = luaScript('echo', 'return {KEYS[1], ARGV[1]}');

describe('RedisConnection', () => {
  let redis: TestRedis;
  const open: RedisConnection[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await redis.stop();
  });
  function connect(url = redis.url, extra: { commandTimeoutMs?: number; healthIntervalMs?: number } = {}) {
    const { logger, lines } = capture();
    const registry = new Registry();
    const connection = new RedisConnection({ url, logger, registry, commandTimeoutMs: extra.commandTimeoutMs ?? 150, healthIntervalMs: extra.healthIntervalMs ?? 100 });
    open.push(connection);
    connection.start();
    return { connection, lines, registry };
  }

  it('connects in the background, runs commands and scripts, and reports up', async () => {
    const { connection, registry, lines } = connect();
    expect(connection.up).toBe(false);
    await until(() => connection.up);
    expect(connection.problem()).toBeUndefined();
    await expect(connection.call('set', (c) => c.sendCommand(['SET', 'og:test:a', '1']))).resolves.toEqual({ ok: true, value: 'OK' });
    await expect(connection.script('echo', ECHO, ['k'], ['v'])).resolves.toEqual({ ok: true, value: ['k', 'v'] });
    // A restarted Redis has no scripts: EVALSHA says NOSCRIPT and the connection falls back to EVAL.
    await connection.call('flush', (c) => c.sendCommand(['SCRIPT', 'FLUSH']));
    await expect(connection.script('echo', ECHO, ['k2'], ['v2'])).resolves.toEqual({ ok: true, value: ['k2', 'v2'] });
    expect(await metricValue(registry, 'gateway_redis_up')).toBe(1);
    expect(lines.join('')).toContain('redis connected');
  });

  it('an error reply is a failed call, counted, never a throw', async () => {
    const { connection, registry } = connect();
    await until(() => connection.up);
    await expect(connection.call('bad', (c) => c.sendCommand(['NOSUCHCOMMAND']))).resolves.toEqual({ ok: false });
    expect(await metricValue(registry, 'gateway_redis_errors_total', { op: 'bad' })).toBe(1);
    // One failure does not take the connection down.
    expect(connection.up).toBe(true);
  });

  it('with nothing listening: every call answers {ok:false} at once, the problem says unreachable', async () => {
    const port = await freePort();
    const { connection, registry, lines } = connect(`redis://127.0.0.1:${port}`);
    await until(async () => (await metricValue(registry, 'gateway_redis_errors_total', { op: 'connection' })) >= 1);
    const t0 = Date.now();
    await expect(connection.call('get', (c) => c.sendCommand(['GET', 'x']))).resolves.toEqual({ ok: false });
    expect(Date.now() - t0).toBeLessThan(50);
    expect(connection.problem()).toBe('redis unreachable: serving from the local cache');
    expect(await metricValue(registry, 'gateway_redis_up')).toBe(0);
    // One warning with the cause (the address is in the log, never in /readyz).
    const warnings = lines.filter((l) => l.includes('"level":"warn"'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('redis unavailable');
    expect(warnings[0]).toContain('ECONNREFUSED');
  });

  it('survives Redis being killed and restarted: down (warning, gauge 0), then recovered on its own', async () => {
    const { connection, registry, lines } = connect();
    await until(() => connection.up);
    await redis.kill();
    await until(() => !connection.up);
    await expect(connection.call('get', (c) => c.sendCommand(['GET', 'x']))).resolves.toEqual({ ok: false });
    expect(await metricValue(registry, 'gateway_redis_up')).toBe(0);
    expect(lines.some((l) => l.includes('"level":"warn"') && l.includes('redis unavailable'))).toBe(true);
    await redis.restart();
    await until(() => connection.up);
    await expect(connection.call('set', (c) => c.sendCommand(['SET', 'og:test:b', '2']))).resolves.toEqual({ ok: true, value: 'OK' });
    expect(await metricValue(registry, 'gateway_redis_up')).toBe(1);
    expect(lines.join('')).toContain('redis recovered');
  });

  it('a hung Redis: calls time out at the command timeout, then are skipped, and a PING brings it back', async () => {
    const { connection, registry } = connect(redis.url, { commandTimeoutMs: 80, healthIntervalMs: 100 });
    await until(() => connection.up);
    redis.freeze();
    try {
      const t0 = Date.now();
      await expect(connection.call('get', (c) => c.sendCommand(['GET', 'x']))).resolves.toEqual({ ok: false });
      const waited = Date.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(70);
      expect(waited).toBeLessThan(500);
      for (let i = 1; i < FAILURES_TO_DEGRADE; i += 1) await connection.call('get', (c) => c.sendCommand(['GET', 'x']));
      expect(connection.up).toBe(false);
      expect(connection.problem()).toMatch(/^redis too slow/);
      const t1 = Date.now();
      await expect(connection.call('get', (c) => c.sendCommand(['GET', 'x']))).resolves.toEqual({ ok: false });
      expect(Date.now() - t1).toBeLessThan(20);
      expect(await metricValue(registry, 'gateway_redis_errors_total', { op: 'get' })).toBeGreaterThanOrEqual(FAILURES_TO_DEGRADE);
    } finally {
      redis.thaw();
    }
    await until(() => connection.up);
    await expect(connection.call('get', (c) => c.sendCommand(['GET', 'og:test:a']))).resolves.toMatchObject({ ok: true });
  });

  it('close() is idempotent and ends the connection; calls after it answer {ok:false}', async () => {
    const { connection } = connect();
    await until(() => connection.up);
    await connection.close();
    await connection.close();
    expect(connection.up).toBe(false);
    expect(connection.problem()).toBe('redis: closed');
    await expect(connection.call('get', (c) => c.sendCommand(['GET', 'x']))).resolves.toEqual({ ok: false });
  });

  it('a password in the URL authenticates and never shows in a log line, even when wrong', async () => {
    const password = 'canary-redis-password-42';
    const guarded = await startRedis({ password });
    try {
      const good = connect(`redis://:${password}@127.0.0.1:${guarded.port}`);
      await until(() => good.connection.up);
      const bad = connect(`redis://:wrong-${password}@127.0.0.1:${guarded.port}`);
      await until(async () => (await metricValue(bad.registry, 'gateway_redis_errors_total', { op: 'connection' })) >= 1);
      expect(bad.connection.up).toBe(false);
      await good.connection.close();
      await bad.connection.close();
      const text = [...good.lines, ...bad.lines].join('');
      expect(text).not.toContain(password);
    } finally {
      await guarded.stop();
    }
  });
});

describe('reconnectDelayMs', () => {
  it('grows from about 100 ms to at most 5 s, with jitter between half and all of the step', () => {
    expect(reconnectDelayMs(0, () => 0)).toBe(50);
    expect(reconnectDelayMs(0, () => 1)).toBe(100);
    expect(reconnectDelayMs(3, () => 1)).toBe(800);
    expect(reconnectDelayMs(50, () => 1)).toBe(5000);
    expect(reconnectDelayMs(50, () => 0)).toBe(2500);
  });
});
