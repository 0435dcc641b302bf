/**
 * Scenario 3: 1,000 concurrent identical cold requests make the upstream calls of one.
 *
 * A fresh gateway process (empty cache) in front of four simulated vendors with a fixed latency,
 * so one cold walk takes over a second and the whole burst arrives while it runs. autocannon (its
 * own process) opens 1,000 connections and sends one request on each. Every answer must be a 200,
 * and the calls the simulators counted must equal those of a single request, measured right after
 * on the same gateway with `refresh=true` (a forced walk of the same query). The gateway's own
 * metrics say how the burst was served (coalesced onto the running walk, or hits after it).
 */
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { startGateway, summarizeAnswer } from '../lib/gateway';
import type { Row } from '../lib/report';
import { BENCH_CLIENT_KEY, get, metricSum, startUpstream } from '../lib/stack';
import type { LoadResult } from '../workers/load';

export async function coalescing(context: BenchContext): Promise<ScenarioOutcome> {
  const burst = context.smoke ? 200 : 1000;
  const faults = { latencyMs: 100, jitterMs: 0 };
  const counts = context.smoke ? { instantly: 50, sendkit: 12, kakiyo: 8, seleqt: 10 } : { instantly: 300, sendkit: 60, kakiyo: 25, seleqt: 40 };
  const upstream = await startUpstream({
    instantly: { campaigns: counts.instantly, faults },
    sendkit: { campaigns: counts.sendkit, faults },
    kakiyo: { campaigns: counts.kakiyo, faults },
    seleqt: { campaigns: counts.seleqt, faults },
  });
  const gateway = await startGateway(upstream, { server: { deadlineMs: 30_000 } });
  try {
    upstream.resetCounts();
    const load = await context.load.call<LoadResult>(
      'run',
      { url: gateway.analytics(), connections: burst, amount: burst, headers: { 'X-API-Key': BENCH_CLIENT_KEY }, timeoutSeconds: 30 },
      120_000,
    );
    const burstCalls = upstream.byProvider();
    const burstTotal = upstream.calls();
    const metrics = (await get(`${gateway.url}/metrics`)).body.toString('utf8');
    const coalesced = metricSum(metrics, 'gateway_cache_events_total', { event: 'coalesced' });
    const misses = metricSum(metrics, 'gateway_cache_events_total', { event: 'miss' });
    const hits = metricSum(metrics, 'gateway_cache_events_total', { event: 'hit' });

    upstream.resetCounts();
    const single = await get(gateway.analytics('refresh=true'));
    const summary = summarizeAnswer(single.body);
    const singleTotal = upstream.calls();
    if (single.status !== 200 || !summary.complete) throw new Error(`coalescing: the single request answered ${single.status}`);

    const allOk = load.ok === burst && load.non2xx === 0 && load.errors === 0;
    const row: Row = {
      id: '3',
      scenario: `${burst.toLocaleString('en-US')} concurrent identical cold requests: upstream calls`,
      measured: `${burstTotal} calls (${load.ok}/${burst} answered 200)`,
      baseline: `${singleTotal} calls (1 request)`,
      ratio: singleTotal > 0 ? burstTotal / singleTotal : null,
      target: '= calls of one',
      pass: burstTotal === singleTotal && allOk,
    };
    return {
      rows: [row],
      details: {
        burst,
        campaigns: counts,
        upstreamCallsByProvider: burstCalls,
        upstreamCallsBurst: burstTotal,
        upstreamCallsSingle: singleTotal,
        sourceEvents: { miss: misses, coalesced, hit: hits },
        load,
      },
    };
  } finally {
    await gateway.stop();
    await upstream.close();
  }
}
