/**
 * The scheduled sync's lease on a real Redis: one instance takes a connection's round, another
 * asking meanwhile is refused, the holder renews its own, the lease ends with its time, and without Redis every instance
 * walks on its own (degraded, never no sync at all).
 */
import { createLogger } from '../../src/logger';
import { createSyncLease } from '../../src/scaleout/lease';
import { RedisConnection } from '../../src/scaleout/redis';
import { Registry } from 'prom-client';
import { startRedis, type TestRedis } from '../helpers/redis';

let redis: TestRedis;
const connections: RedisConnection[] = [];

function connect(): RedisConnection {
  const connection = new RedisConnection({ url: redis.url, connectTimeoutMs: 500, commandTimeoutMs: 200, logger: createLogger({ silent: true }), registry: new Registry() });
  connection.start();
  connections.push(connection);
  return connection;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis.stop();
});

test('one instance per round; the lease ends with its time; per connection; the holder renews its own', async () => {
  const a = connect();
  const b = connect();
  await until(() => a.up && b.up);
  const leaseA = createSyncLease(a, 'k'.repeat(32));
  const leaseB = createSyncLease(b, 'k'.repeat(32));
  expect(await leaseA('acme-kakiyo', 300)).toBe(true);
  expect(await leaseB('acme-kakiyo', 300)).toBe(false);
  expect(await leaseB('acme-sendkit', 300)).toBe(true);
  // The holder due again before its lease ends (a retry, its next round) is not refused by it:
  // it renews, and the other instance is still refused for the renewed time.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await leaseA('acme-kakiyo', 300)).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await leaseB('acme-kakiyo', 300)).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await leaseB('acme-kakiyo', 300)).toBe(true);
  expect(await leaseA('acme-kakiyo', 300)).toBe(false);
});

test('without Redis every instance walks (degraded, never no sync)', async () => {
  const a = connect();
  await until(() => a.up);
  const lease = createSyncLease(a, 'k'.repeat(32));
  await redis.kill();
  try {
    expect(await lease('globex-kakiyo', 1000)).toBe(true);
    expect(await lease('globex-kakiyo', 1000)).toBe(true);
  } finally {
    await redis.restart();
  }
});
