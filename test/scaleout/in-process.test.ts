/**
 * Two gateway services in this process sharing one Redis (quicker than processes, and they show
 * the paths the process test does not: refresh across instances, stale-while-revalidate across
 * instances, a Redis that is down from the start, and /readyz).
 */
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { resolveConfig } from '../../src/config';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { createService, type GatewayService } from '../../src/service';
import type { VendorSimulator } from '../../src/simulator';
import { freePort, startRedis, type TestRedis } from '../helpers/redis';
import { SCALEOUT_CLIENT_KEY, scaleoutDocument, startScaleoutSims } from '../helpers/scaleout-stack';

const ANALYTICS = '/v1/campaigns/analytics';

interface Body {
  sources: { status: string; cache: string }[];
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

describe('two in-process services sharing one Redis', () => {
  let redis: TestRedis;
  let sims: Record<ProviderId, VendorSimulator>;
  const services: GatewayService[] = [];
  const calls = (): number => PROVIDER_IDS.reduce((sum, p) => sum + sims[p].stats().total, 0);
  const reset = (): void => PROVIDER_IDS.forEach((p) => sims[p].resetStats());

  function service(
    redisUrl: string,
    providerSettings: Partial<Record<ProviderId, Record<string, unknown>>> = {},
    server: Record<string, unknown> = {},
  ): GatewayService {
    const config = resolveConfig(scaleoutDocument(sims, redisUrl, { providerSettings, server }));
    const created = createService(config, { logStream: new PassThrough(), extraSecrets: [SCALEOUT_CLIENT_KEY] });
    services.push(created);
    return created;
  }
  const get = (svc: GatewayService, path: string, headers: Record<string, string> = {}) =>
    request(svc.server).get(path).set('X-API-Key', SCALEOUT_CLIENT_KEY).set(headers);

  beforeAll(async () => {
    redis = await startRedis();
    sims = await startScaleoutSims();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close(100)));
    await Promise.all(PROVIDER_IDS.map((p) => sims[p].close()));
    await redis.stop();
  });

  it('refresh=true on B is not answered by the entry A stored before it: B calls the vendors', async () => {
    const a = service(redis.url);
    const b = service(redis.url);
    await until(() => Boolean(a.scaleOut?.redis.up && b.scaleOut?.redis.up));
    reset();
    expect((await get(a, `${ANALYTICS}?start_date=2026-07-01&end_date=2026-07-02`)).status).toBe(200);
    const callsOfOne = calls();
    reset();
    const refreshed = await get(b, `${ANALYTICS}?start_date=2026-07-01&end_date=2026-07-02&refresh=true`);
    expect(refreshed.status).toBe(200);
    expect((refreshed.body as Body).sources.map((s) => s.cache)).toEqual(['bypass', 'bypass', 'bypass', 'bypass']);
    expect(calls()).toBe(callsOfOne);
    // A plain request on B right after: the refreshed entry, no call.
    reset();
    const plain = await get(b, `${ANALYTICS}?start_date=2026-07-01&end_date=2026-07-02`);
    expect((plain.body as Body).sources.map((s) => s.cache)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(calls()).toBe(0);
  });

  it('the fan-out cost cap asks Redis before refusing: B serves what A fetched, and still refuses the rest', async () => {
    // B knows nothing locally, so it estimates include=steps over 4 connections well above 20 calls.
    const a = service(redis.url);
    const b = service(redis.url, {}, { maxUpstreamCalls: 20 });
    await until(() => Boolean(a.scaleOut?.redis.up && b.scaleOut?.redis.up));
    const path = `${ANALYTICS}?start_date=2026-09-01&end_date=2026-09-02&include=steps`;
    reset();
    const refused = await get(b, path);
    expect(refused.status).toBe(400);
    expect((refused.body as { code: string }).code).toBe('too_expensive');
    expect(calls()).toBe(0);

    expect((await get(a, path)).status).toBe(200);
    expect(calls()).toBeGreaterThan(20);
    reset();
    const served = await get(b, path);
    expect(served.status).toBe(200);
    expect((served.body as Body).sources.map((s) => `${s.status}:${s.cache}`)).toEqual(['ok:hit', 'ok:hit', 'ok:hit', 'ok:hit']);
    expect(calls()).toBe(0);

    // Another range is in no cache: still refused, still without a vendor call.
    const other = await get(b, `${ANALYTICS}?start_date=2026-09-03&end_date=2026-09-04&include=steps`);
    expect(other.status).toBe(400);
    expect(calls()).toBe(0);
    // refresh=true walks whatever Redis holds, so it is priced in full.
    expect((await get(b, `${path}&refresh=true`)).status).toBe(400);
    expect(calls()).toBe(0);
  });

  it('stale-while-revalidate across instances: one refresh for both, the second one adopts it', async () => {
    const short = { instantly: { ttlSeconds: 1 }, sendkit: { ttlSeconds: 1 }, kakiyo: { ttlSeconds: 1 }, seleqt: { ttlSeconds: 1 } };
    const a = service(redis.url, short);
    const b = service(redis.url, short);
    await until(() => Boolean(a.scaleOut?.redis.up && b.scaleOut?.redis.up));
    const path = `${ANALYTICS}?start_date=2026-08-01&end_date=2026-08-02`;
    reset();
    expect((await get(a, path)).status).toBe(200);
    const callsOfOne = calls();
    await sleep(1200);

    // B has nothing locally; Redis has A's entry, now stale: served stale, refreshed in the background.
    reset();
    const fromB = await get(b, path);
    expect((fromB.body as Body).sources.map((s) => `${s.status}:${s.cache}`)).toEqual(['stale:stale', 'stale:stale', 'stale:stale', 'stale:stale']);
    await until(() => calls() === callsOfOne);
    // A's own copy is stale too: its background refresh finds B's fresh result in Redis.
    const fromA = await get(a, path);
    expect((fromA.body as Body).sources.every((s) => s.cache === 'stale')).toBe(true);
    await sleep(300);
    expect(calls()).toBe(callsOfOne);
    const again = await get(a, path);
    expect((again.body as Body).sources.map((s) => `${s.status}:${s.cache}`)).toEqual(['ok:hit', 'ok:hit', 'ok:hit', 'ok:hit']);
    expect(calls()).toBe(callsOfOne);
    const metrics = (await request(a.server).get('/metrics')).text;
    expect(metrics).toMatch(/gateway_cache_events_total\{provider="kakiyo",event="shared_hit"\} [1-9]/);
  });

  it('Redis down from the start: /readyz is 200 degraded, and requests are served from the local tiers', async () => {
    const port = await freePort();
    const lonely = service(`redis://127.0.0.1:${port}`);
    await until(async () => (await request(lonely.server).get('/readyz')).body.status === 'degraded');
    const readyz = await request(lonely.server).get('/readyz');
    expect(readyz.status).toBe(200);
    expect(readyz.body).toMatchObject({ status: 'degraded', problem: expect.stringMatching(/^redis unreachable/) });
    const first = await get(lonely, `${ANALYTICS}?start_date=2026-09-01&end_date=2026-09-02`);
    expect(first.status).toBe(200);
    expect((first.body as Body).sources.map((s) => s.cache)).toEqual(['miss', 'miss', 'miss', 'miss']);
    reset();
    const second = await get(lonely, `${ANALYTICS}?start_date=2026-09-01&end_date=2026-09-02`);
    expect(second.status).toBe(200);
    expect((second.body as Body).sources.map((s) => s.cache)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(calls()).toBe(0);
  });
});
