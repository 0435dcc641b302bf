/**
 * Issue 7's "done when", measured: one Redis, TWO gateway processes started from one config file,
 * and the four vendor simulators in this process (which count every vendor call and enforce the
 * limits set here). The tests run in order on one stack; each uses its own query keys.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startScaleoutStack, type GatewayProcess, type Reply, type ScaleoutStack } from '../helpers/scaleout-stack';

const ANALYTICS = '/v1/campaigns/analytics';
/** The seleqt account's outbound rate in the gateways' config, and the simulator's own limit. */
const CONFIGURED_RATE = 8;
const VENDOR_LIMIT_PER_SECOND = 10;

interface Body {
  data: { key: string }[];
  sources: { connection: string; status: string; cache: string; error: { code: string } | null }[];
}

function body(reply: Reply): Body {
  return reply.body as Body;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('two gateway processes sharing one Redis', () => {
  let stack: ScaleoutStack;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    stack = await startScaleoutStack({
      instances: 2,
      server: { deadlineMs: 8000 },
      providerSettings: { seleqt: { requestsPerSecond: CONFIGURED_RATE, burst: 1 } },
    });
    [a, b] = stack.instances as [GatewayProcess, GatewayProcess];
    // Both connected to Redis before anything is measured.
    for (const instance of stack.instances) {
      await until(async () => (body(await instance.get('/readyz')) as unknown as { status: string }).status === 'ready', 10_000);
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  it('a request answered by instance A is a cache hit on instance B with zero vendor calls', async () => {
    stack.resetCounts();
    const first = await a.get(ANALYTICS);
    expect(first.status).toBe(200);
    expect(body(first).sources.map((s) => s.cache)).toEqual(['miss', 'miss', 'miss', 'miss']);
    expect(stack.upstreamCalls()).toBeGreaterThan(0);

    stack.resetCounts();
    const second = await b.get(ANALYTICS);
    expect(second.status).toBe(200);
    expect(body(second).sources.map((s) => `${s.status}:${s.cache}`)).toEqual(['ok:hit', 'ok:hit', 'ok:hit', 'ok:hit']);
    expect(stack.upstreamCalls()).toBe(0);
    expect(body(second).data).toEqual(body(first).data);
    // The same data gives the same ETag on both instances (a load balancer may alternate).
    const etagA = await a.get(ANALYTICS);
    expect(etagA.status).toBe(200);
    const metrics = (await b.get('/metrics')).text;
    expect(metric(metrics, 'gateway_redis_up')).toBe(1);
    expect(metrics).toMatch(/gateway_cache_events_total\{provider="instantly",event="shared_hit"\} 1/);
  });

  it('200 concurrent identical cold requests spread over both instances make the vendor calls of one request', async () => {
    // The calls of one cold request of this shape, on one instance.
    stack.resetCounts();
    const single = await a.get(`${ANALYTICS}?start_date=2026-03-01&end_date=2026-03-10`);
    expect(single.status).toBe(200);
    const callsOfOne = stack.upstreamCalls();
    expect(callsOfOne).toBeGreaterThanOrEqual(4);

    stack.resetCounts();
    const path = `${ANALYTICS}?start_date=2026-03-01&end_date=2026-03-20`;
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).get(path)));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 200 }, () => 200));
    for (const reply of replies) expect(body(reply).sources.every((s) => s.status === 'ok')).toBe(true);
    expect(stack.upstreamCalls()).toBe(callsOfOne);
    // Every answer carries the same campaigns, whichever instance walked.
    const keys = new Set(replies.map((r) => JSON.stringify(body(r).data.map((c) => c.key))));
    expect(keys.size).toBe(1);
  });

  it('combined demand at twice the vendor limit: zero 429s, and the two together stay at the configured rate', async () => {
    const seleqt = stack.sims.seleqt;
    // The vendor: 10 per second, and 25 per 3 s (= the configured 8/s plus the burst of 1): any
    // instance going it alone at 8/s would break both rules within a second or two.
    seleqt.setRateLimit({ rules: [{ limit: VENDOR_LIMIT_PER_SECOND, windowMs: 1000 }, { limit: 3 * CONFIGURED_RATE + 1, windowMs: 3000 }] });
    stack.resetCounts();
    const requests = 24;
    const started = Date.now();
    const pending: Promise<Reply>[] = [];
    for (let i = 0; i < requests; i += 1) {
      // Distinct cache keys (Seleqt has no date filter, so each is one identical vendor call).
      const day = String(i + 1).padStart(2, '0');
      pending.push((i % 2 === 0 ? a : b).get(`${ANALYTICS}?providers=seleqt&start_date=2026-02-01&end_date=2026-04-${day}`));
      // Demand of 2 × 10 per second, alternating instances.
      await sleep(1000 / (2 * VENDOR_LIMIT_PER_SECOND));
    }
    const replies = await Promise.all(pending);
    const elapsedMs = Date.now() - started;
    seleqt.setRateLimit({ rules: [] });

    const stats = seleqt.stats();
    expect(stats.byStatus['429'] ?? 0).toBe(0);
    expect(stats.total).toBe(requests);
    expect(replies.map((r) => `${r.status}:${body(r).sources[0]?.status ?? ''}`)).toEqual(Array.from({ length: requests }, () => '200:ok'));
    // 24 calls with a burst of 1 at 8/s need 23 × 125 ms: both instances together did not go faster.
    const combinedRate = (requests - 1) / ((elapsedMs - 50) / 1000);
    expect(combinedRate).toBeLessThanOrEqual(CONFIGURED_RATE * 1.05);
    // …and sharing does not starve them either: at least 80 % of the configured rate.
    expect(combinedRate).toBeGreaterThanOrEqual(CONFIGURED_RATE * 0.8);
  }, 30_000);

  it('Redis killed mid-run: both instances keep answering 200; restarted: sharing resumes', async () => {
    const redis = stack.redis;
    if (!redis) throw new Error('the stack has no Redis');
    const statuses: number[] = [];
    let stop = false;
    let n = 0;
    // A steady stream over both instances: warm hits and cold keys (vendor calls) alike.
    const traffic = (async () => {
      while (!stop) {
        n += 1;
        const path = n % 3 === 0 ? `${ANALYTICS}?start_date=2026-05-01&end_date=2026-05-${String((n % 28) + 1).padStart(2, '0')}` : ANALYTICS;
        const replies = await Promise.all([a.get(path), b.get(path)]);
        statuses.push(...replies.map((r) => r.status));
        await sleep(20);
      }
    })();
    await sleep(300);
    await redis.kill();
    const atKill = statuses.length;
    for (const instance of [a, b]) {
      await until(async () => (body(await instance.get('/readyz')) as unknown as { status: string }).status === 'degraded', 5000);
    }
    const readyz = await a.get('/readyz');
    expect(readyz.status).toBe(200);
    expect(readyz.body).toMatchObject({ status: 'degraded', problem: expect.stringMatching(/^redis unreachable/) });
    const downMetrics = (await a.get('/metrics')).text;
    expect(metric(downMetrics, 'gateway_redis_up')).toBe(0);
    expect(downMetrics).toMatch(/gateway_redis_errors_total\{op="connection"\} [1-9]/);
    await sleep(700);
    const answeredWhileDown = statuses.length - atKill;

    await redis.restart();
    for (const instance of [a, b]) {
      await until(async () => (body(await instance.get('/readyz')) as unknown as { status: string }).status === 'ready', 15_000);
    }
    stop = true;
    await traffic;
    expect(answeredWhileDown).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (const instance of [a, b]) {
      // A process writes its lines to stdout up to 50 ms after they are logged (logger.ts BATCH_MS).
      await until(async () => Promise.resolve(instance.lines.some((l) => l.includes('redis recovered'))), 2000).catch(() => undefined);
      expect(instance.lines.some((l) => l.includes('"level":"warn"') && l.includes('redis unavailable'))).toBe(true);
      expect(instance.lines.some((l) => l.includes('redis recovered'))).toBe(true);
    }

    // Sharing resumed: a new key fetched by A is a hit on B without a vendor call.
    const path = `${ANALYTICS}?start_date=2026-06-01&end_date=2026-06-30`;
    const first = await a.get(path);
    expect(first.status).toBe(200);
    expect(body(first).sources.every((s) => s.cache === 'miss')).toBe(true);
    stack.resetCounts();
    const second = await b.get(path);
    expect(body(second).sources.map((s) => s.cache)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(stack.upstreamCalls()).toBe(0);
  }, 40_000);

  it('no secret reaches a log line of either process', () => {
    const text = [...a.lines, ...b.lines].join('\n');
    expect(text).not.toMatch(/canary[A-Za-z]*ScaleKey|SeleqtSecret|canary-scaleout-client-key|canary-scaleout-key-secret/);
  });
});
