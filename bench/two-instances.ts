/**
 * The two-instance scenario (issue 7): one Redis, two gateway PROCESSES from one config, the four
 * vendor simulators in this process counting every vendor call. Each measurement is repeated on
 * the same two processes without Redis, as the baseline it improves on.
 *
 *   node -r ts-node/register/transpile-only bench/two-instances.ts [--smoke]
 *
 * Rows: (7a) a result fetched by instance A is a hit on B with zero vendor calls; (7b) N
 * concurrent identical cold requests spread over both instances cost the vendor calls of one
 * request; (7c) combined demand at twice the vendor's limit stays at the configured rate with
 * zero 429s (peak calls in any 1 s window sampled every 25 ms at the simulator). Prints a table
 * and exits 0; `runTwoInstances()` returns the rows for `npm run bench`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, renderTable, type Row } from './lib/report';
import { startScaleoutStack, type GatewayProcess, type Reply, type ScaleoutStack } from '../test/helpers/scaleout-stack';

const ANALYTICS = '/v1/campaigns/analytics';
const VENDOR_LIMIT_PER_SECOND = 10;
const CONFIGURED_RATE = 8;

interface SourceView {
  status: string;
  cache: string;
}

function sourcesOf(reply: Reply): SourceView[] {
  const body = reply.body;
  if (typeof body !== 'object' || body === null || !('sources' in body) || !Array.isArray(body.sources)) return [];
  return body.sources.filter((s): s is SourceView => typeof s === 'object' && s !== null && 'status' in s && 'cache' in s);
}

async function ready(stack: ScaleoutStack): Promise<void> {
  if (!stack.redis) return;
  for (const instance of stack.instances) {
    const end = Date.now() + 10_000;
    for (;;) {
      const reply = await instance.get('/readyz');
      if (typeof reply.body === 'object' && reply.body !== null && 'status' in reply.body && reply.body.status === 'ready') break;
      if (Date.now() > end) throw new Error('an instance did not connect to Redis within 10 s');
      await sleep(50);
    }
  }
}

function pair(stack: ScaleoutStack): [GatewayProcess, GatewayProcess] {
  const [a, b] = stack.instances;
  if (!a || !b) throw new Error('two instances expected');
  return [a, b];
}

interface CrossHit {
  callsOnA: number;
  callsOnB: number;
  cacheOnB: string;
  msOnB: number;
}

async function crossInstanceHit(stack: ScaleoutStack): Promise<CrossHit> {
  const [a, b] = pair(stack);
  stack.resetCounts();
  await a.get(`${ANALYTICS}?start_date=2026-01-01&end_date=2026-01-31`);
  const callsOnA = stack.upstreamCalls();
  stack.resetCounts();
  const t0 = performance.now();
  const reply = await b.get(`${ANALYTICS}?start_date=2026-01-01&end_date=2026-01-31`);
  const msOnB = performance.now() - t0;
  return { callsOnA, callsOnB: stack.upstreamCalls(), cacheOnB: [...new Set(sourcesOf(reply).map((s) => s.cache))].join(','), msOnB };
}

interface Coalesced {
  callsOfOne: number;
  calls: number;
  ok: number;
  /** Answers by HTTP status and source outcomes, e.g. `200 ok/miss,ok/miss,ok/hit,ok/miss`. */
  outcomes: Record<string, number>;
  requests: number;
  ms: number;
}

async function concurrentCold(stack: ScaleoutStack, requests: number): Promise<Coalesced> {
  const [a, b] = pair(stack);
  stack.resetCounts();
  await a.get(`${ANALYTICS}?start_date=2026-02-01&end_date=2026-02-10`);
  const callsOfOne = stack.upstreamCalls();
  stack.resetCounts();
  const path = `${ANALYTICS}?start_date=2026-02-01&end_date=2026-02-20`;
  const t0 = performance.now();
  const replies = await Promise.all(Array.from({ length: requests }, (_, i) => (i % 2 === 0 ? a : b).get(path)));
  const ms = performance.now() - t0;
  const ok = replies.filter((r) => r.status === 200 && sourcesOf(r).every((s) => s.status === 'ok')).length;
  const outcomes: Record<string, number> = {};
  for (const reply of replies) {
    const outcome = `${reply.status} ${sourcesOf(reply).map((s) => `${s.status}/${s.cache}`).join(',')}`;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  return { callsOfOne, calls: stack.upstreamCalls(), ok, outcomes, requests, ms };
}

interface RateRun {
  requests: number;
  calls: number;
  tooMany: number;
  ok: number;
  /** Vendor calls over the span from the first to the last call. */
  rate: number;
  /** Most calls seen in any 1 s window (sampled every 25 ms). */
  peakPerSecond: number;
}

async function rateLimited(stack: ScaleoutStack, seconds: number): Promise<RateRun> {
  const [a, b] = pair(stack);
  const seleqt = stack.sims.seleqt;
  seleqt.setRateLimit({ rules: [{ limit: VENDOR_LIMIT_PER_SECOND, windowMs: 1000 }] });
  seleqt.resetStats();
  const samples: { t: number; total: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ t: performance.now(), total: seleqt.stats().byStatus['200'] ?? 0 });
      await sleep(25);
    }
  })();
  const requests = Math.round(seconds * 2 * VENDOR_LIMIT_PER_SECOND);
  const pending: Promise<Reply>[] = [];
  for (let i = 0; i < requests; i += 1) {
    const month = String((i % 12) + 1).padStart(2, '0');
    const day = String(Math.floor(i / 12) + 1).padStart(2, '0');
    pending.push((i % 2 === 0 ? a : b).get(`${ANALYTICS}?providers=seleqt&start_date=2025-01-01&end_date=2025-${month}-${day}`));
    await sleep(1000 / (2 * VENDOR_LIMIT_PER_SECOND));
  }
  const replies = await Promise.all(pending);
  await sleep(100);
  sampling = false;
  await sampler;
  seleqt.setRateLimit({ rules: [] });
  const stats = seleqt.stats();
  const okCalls = stats.byStatus['200'] ?? 0;
  const firstCall = samples.find((s) => s.total > 0);
  const lastCall = samples.find((s) => s.total === okCalls);
  const spanS = firstCall && lastCall ? (lastCall.t - firstCall.t) / 1000 : Number.NaN;
  let peak = 0;
  for (const start of samples) {
    const end = [...samples].reverse().find((s) => s.t <= start.t + 1000);
    const before = samples.filter((s) => s.t < start.t).pop();
    if (end) peak = Math.max(peak, end.total - (before?.total ?? 0));
  }
  return {
    requests,
    calls: stats.total,
    tooMany: stats.byStatus['429'] ?? 0,
    ok: replies.filter((r) => r.status === 200 && sourcesOf(r)[0]?.status === 'ok').length,
    rate: spanS > 0 ? (okCalls - 1) / spanS : Number.NaN,
    peakPerSecond: peak,
  };
}

export async function runTwoInstances(options: { smoke: boolean; log?: (line: string) => void }): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  const log = options.log ?? ((): void => undefined);
  const concurrent = options.smoke ? 100 : 1000;
  const seconds = options.smoke ? 1.5 : 3;
  const settings = {
    instances: 2,
    server: { deadlineMs: 15_000 },
    providerSettings: { seleqt: { requestsPerSecond: CONFIGURED_RATE, burst: 1 } },
  };
  const measure = async (withRedis: boolean): Promise<{ hit: CrossHit; cold: Coalesced; rate: RateRun }> => {
    log(`  two gateway processes ${withRedis ? 'with' : 'without'} Redis…`);
    const stack = await startScaleoutStack({ ...settings, withRedis });
    try {
      await ready(stack);
      const hit = await crossInstanceHit(stack);
      const cold = await concurrentCold(stack, concurrent);
      const rate = await rateLimited(stack, seconds);
      return { hit, cold, rate };
    } finally {
      await stack.close();
    }
  };
  const shared = await measure(true);
  const alone = await measure(false);

  const rows: Row[] = [
    {
      id: '7a',
      scenario: 'result fetched by A, then asked on B',
      measured: `B: ${shared.hit.callsOnB} vendor calls (${shared.hit.cacheOnB}, ${fmt.ms(shared.hit.msOnB)})`,
      baseline: `no Redis: ${alone.hit.callsOnB} calls (A made ${shared.hit.callsOnA})`,
      ratio: null,
      target: '0 calls on B',
      pass: shared.hit.callsOnB === 0,
    },
    {
      id: '7b',
      scenario: `${concurrent} concurrent identical cold requests over 2 instances`,
      measured: `${shared.cold.calls} vendor calls (${shared.cold.ok}/${shared.cold.requests} ok, ${fmt.ms(shared.cold.ms)})`,
      baseline: `one request: ${shared.cold.callsOfOne}; no Redis: ${alone.cold.calls}`,
      ratio: shared.cold.calls / shared.cold.callsOfOne,
      target: '= calls of one request',
      pass: shared.cold.calls === shared.cold.callsOfOne && shared.cold.ok === shared.cold.requests,
    },
    {
      id: '7c',
      scenario: `demand 2× the vendor limit (${2 * VENDOR_LIMIT_PER_SECOND}/s) over 2 instances`,
      measured: `${shared.rate.rate.toFixed(2)}/s, peak ${shared.rate.peakPerSecond} in 1 s, ${shared.rate.tooMany}× 429`,
      baseline: `configured ${CONFIGURED_RATE}/s; no Redis: ${alone.rate.rate.toFixed(2)}/s, ${alone.rate.tooMany}× 429`,
      ratio: shared.rate.rate / CONFIGURED_RATE,
      target: `≤ 1.00 of configured, 0× 429`,
      pass: shared.rate.tooMany === 0 && shared.rate.rate <= CONFIGURED_RATE * 1.02 && shared.rate.peakPerSecond <= VENDOR_LIMIT_PER_SECOND,
    },
  ];
  return { rows, details: { withRedis: shared, withoutRedis: alone, configuredRate: CONFIGURED_RATE, vendorLimitPerSecond: VENDOR_LIMIT_PER_SECOND } };
}

if (require.main === module) {
  const smoke = process.argv.includes('--smoke');
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  log(`two-instance scenario${smoke ? ' (smoke)' : ''}: one Redis, two gateway processes, four simulators`);
  runTwoInstances({ smoke, log }).then(
    ({ rows, details }) => {
      log(`\n${renderTable(rows)}\n`);
      log(JSON.stringify(details));
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
