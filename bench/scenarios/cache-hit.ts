/**
 * Scenario 1 (cache-hit throughput) and 6a (steady RSS under it).
 *
 * A gateway process in front of four simulated vendors (50 campaigns each: 200 in the answer) is
 * warmed with one request; then autocannon (its own process) hits the same warm request, and in
 * the same rounds the same number of connections hit two baselines, each in its own process too,
 * sending a warm gateway answer as captured (the same headers and body bytes): a bare Express 5
 * app and raw `node:http`. A third baseline is a bare Express 5 app with its defaults (ETag on,
 * its own headers only) sending the same body bytes: what a plain Express service would do.
 * Each round runs every target in one-second slices, interleaved (all targets once per pass, the
 * order rotating each pass, five passes), and each ratio is taken within one round, so a drift of
 * the machine's speed (which moves by a third within a minute on a shared host) falls on every
 * target alike rather than on whichever ran in a slow stretch; the table shows the median over
 * rounds. A target's round sums its slices (answers, seconds, server CPU); its latency is the
 * median of its slices' p50 and p99.
 * The gateway's RSS is sampled twice a second while it is under load.
 *
 * Row 1e: the same hit asked with `Accept-Encoding: gzip` (the gateway sends its prefix compressed
 * once per cache generation and frames the per-request tail, server/compression.ts) against a bare
 * Express app sending the warm gzip answer as captured (headers and compressed bytes).
 */
import { gunzipSync } from 'node:zlib';
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { nodeArgsFrom, startWorker, type Worker } from '../lib/proc';
import { fmt, median, type Row } from '../lib/report';
import { BENCH_CLIENT_KEY, gatewayDocument, get, startUpstream } from '../lib/stack';
import type { LoadResult } from '../workers/load';
import type { ServerStats } from '../workers/server';

const CAMPAIGNS_PER_VENDOR = 50;
const CONNECTIONS = 10;
const NODE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
export const RSS_TARGET_BYTES = 256 * 1024 * 1024;

type Target = 'gateway' | 'express' | 'expressDefaults' | 'raw' | 'gatewayGzip' | 'expressGzip';
const TARGETS: readonly Target[] = ['gateway', 'express', 'expressDefaults', 'raw', 'gatewayGzip', 'expressGzip'];

interface Measured extends LoadResult {
  /** Server CPU (user + system) per 2xx answer, in µs. */
  cpuMicrosPerRequest: number;
}

interface Round {
  round: number;
  results: Record<Target, Measured>;
}

async function sampleRss(worker: Worker, samples: number[], stop: { done: boolean }): Promise<void> {
  while (!stop.done) {
    const stats = await worker.call<ServerStats>('stats');
    samples.push(stats.rssBytes);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One target's slices of a round as one measurement: answers, seconds and CPU summed, latencies the slices' median. */
export function combine(slices: readonly Measured[]): Measured {
  const first = slices[0];
  if (!first) throw new Error('a target ran no slice');
  const sum = (pick: (m: Measured) => number): number => slices.reduce((total, m) => total + pick(m), 0);
  const ok = sum((m) => m.ok);
  const durationSeconds = sum((m) => m.durationSeconds);
  const statusCodes: Record<string, number> = {};
  for (const m of slices) for (const [code, count] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  return {
    requestsPerSecond: ok / durationSeconds,
    ok,
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
    timeouts: sum((m) => m.timeouts),
    durationSeconds,
    latencyP50Ms: median(slices.map((m) => m.latencyP50Ms)),
    latencyP99Ms: median(slices.map((m) => m.latencyP99Ms)),
    bytesPerSecond: sum((m) => m.bytesPerSecond * m.durationSeconds) / durationSeconds,
    statusCodes,
    clientCpuMicrosPerRequest: sum((m) => m.clientCpuMicrosPerRequest * (m.ok + m.non2xx)) / Math.max(1, ok + sum((m) => m.non2xx)),
    cpuMicrosPerRequest: sum((m) => m.cpuMicrosPerRequest * Math.max(1, m.ok)) / Math.max(1, ok),
  };
}

export async function cacheHit(context: BenchContext): Promise<ScenarioOutcome> {
  const rounds = context.smoke ? 1 : 3;
  /** Passes per round; each runs every target for one `slice` (seconds). */
  const passes = context.smoke ? 1 : 5;
  const slice = 1;
  const warmupSeconds = context.smoke ? 0.5 : 1;
  const upstream = await startUpstream({
    instantly: { campaigns: CAMPAIGNS_PER_VENDOR },
    sendkit: { campaigns: CAMPAIGNS_PER_VENDOR },
    kakiyo: { campaigns: CAMPAIGNS_PER_VENDOR },
    seleqt: { campaigns: CAMPAIGNS_PER_VENDOR },
  });
  const workers: Worker[] = [];
  try {
    const gatewayWorker = startWorker('server', { execArgv: nodeArgsFrom('BENCH_HIT_GATEWAY_ARGS') });
    workers.push(gatewayWorker);
    const { url: gatewayUrl } = await gatewayWorker.call<{ url: string }>('gateway', {
      document: gatewayDocument(upstream),
      extraSecrets: [BENCH_CLIENT_KEY],
    });
    const path = '/v1/campaigns/analytics';
    const cold = await get(`${gatewayUrl}${path}`);
    const warm = await get(`${gatewayUrl}${path}`);
    const parsed: unknown = JSON.parse(warm.body.toString('utf8'));
    const summary = summarize(parsed);
    if (cold.status !== 200 || warm.status !== 200 || summary.campaigns !== CAMPAIGNS_PER_VENDOR * 4 || !summary.allHits) {
      throw new Error(`cache-hit setup: expected a warm 200 with ${CAMPAIGNS_PER_VENDOR * 4} campaigns, all sources hit; got ${warm.status} ${JSON.stringify(summary)}`);
    }
    // The baselines send the warm answer as it was captured, headers included (helmet's and the
    // gateway's): the load generator parses every header, so equal answers keep the comparison
    // about the work behind them. Node adds Date, Connection and Keep-Alive itself.
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(warm.headers)) {
      if (value !== undefined && !NODE_HEADERS.has(name)) headers[name] = value;
    }
    const bytes = { bodyBase64: warm.body.toString('base64'), headers };
    const gzipRequest = { 'X-API-Key': BENCH_CLIENT_KEY, 'Accept-Encoding': 'gzip' };
    await get(`${gatewayUrl}${path}`, gzipRequest);
    const warmGzip = await get(`${gatewayUrl}${path}`, gzipRequest);
    if (warmGzip.headers['content-encoding'] !== 'gzip' || !gunzipSync(warmGzip.body).subarray(0, 9).equals(Buffer.from('{"data":['))) {
      throw new Error(`cache-hit setup: expected a gzip answer, got ${warmGzip.status} ${String(warmGzip.headers['content-encoding'])}`);
    }
    const gzipHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(warmGzip.headers)) {
      if (value !== undefined && !NODE_HEADERS.has(name)) gzipHeaders[name] = value;
    }
    const expressWorker = startWorker('server');
    const expressDefaultsWorker = startWorker('server');
    const rawWorker = startWorker('server');
    const expressGzipWorker = startWorker('server');
    workers.push(expressWorker, expressDefaultsWorker, rawWorker, expressGzipWorker);
    const urls: Record<Target, string> = {
      gateway: `${gatewayUrl}${path}`,
      express: `${(await expressWorker.call<{ url: string }>('express', bytes)).url}${path}`,
      expressDefaults: `${(await expressDefaultsWorker.call<{ url: string }>('expressDefaults', bytes)).url}${path}`,
      raw: `${(await rawWorker.call<{ url: string }>('raw', bytes)).url}${path}`,
      gatewayGzip: `${gatewayUrl}${path}`,
      expressGzip: `${(await expressGzipWorker.call<{ url: string }>('express', { bodyBase64: warmGzip.body.toString('base64'), headers: gzipHeaders })).url}${path}`,
    };
    const plainRequest = { 'X-API-Key': BENCH_CLIENT_KEY };
    const requestHeaders = (target: Target): Record<string, string> => (target === 'gatewayGzip' || target === 'expressGzip' ? gzipRequest : plainRequest);
    const upstreamBefore = upstream.calls();

    const servers: Record<Target, Worker> = {
      gateway: gatewayWorker,
      express: expressWorker,
      expressDefaults: expressDefaultsWorker,
      raw: rawWorker,
      gatewayGzip: gatewayWorker,
      expressGzip: expressGzipWorker,
    };
    const runOne = async (target: Target, durationSeconds: number): Promise<Measured> => {
      const before = await servers[target].call<ServerStats>('stats');
      const result = await context.load.call<LoadResult>('run', { url: urls[target], connections: CONNECTIONS, durationSeconds, headers: requestHeaders(target) });
      const after = await servers[target].call<ServerStats>('stats');
      return { ...result, cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, result.ok) };
    };

    // JIT warm-up of every target (not measured).
    for (const target of TARGETS) await runOne(target, warmupSeconds);

    const rss: number[] = [];
    const list: Round[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const slices = new Map<Target, Measured[]>(TARGETS.map((target) => [target, []]));
      for (let pass = 0; pass < passes; pass += 1) {
        const shift = round * passes + pass;
        for (const target of TARGETS.map((_, i) => TARGETS[(i + shift) % TARGETS.length] ?? 'gateway')) {
          const stop = { done: false };
          const sampling = target === 'gateway' || target === 'gatewayGzip' ? sampleRss(gatewayWorker, rss, stop) : Promise.resolve();
          slices.get(target)?.push(await runOne(target, slice));
          stop.done = true;
          await sampling;
        }
      }
      const results: Partial<Record<Target, Measured>> = {};
      for (const [target, measured] of slices) results[target] = combine(measured);
      const { gateway, express, expressDefaults, raw, gatewayGzip, expressGzip } = results;
      if (!gateway || !express || !expressDefaults || !raw || !gatewayGzip || !expressGzip) throw new Error('a round did not run every target');
      list.push({ round, results: { gateway, express, expressDefaults, raw, gatewayGzip, expressGzip } });
      const show = (m: Measured): string => `${fmt.rps(m.requestsPerSecond)} (${Math.round(m.cpuMicrosPerRequest)} µs CPU/req)`;
      context.log(`  round ${round + 1}: gateway ${show(gateway)}, express ${show(express)}, express defaults ${show(expressDefaults)}, raw ${show(raw)}, gateway gzip ${show(gatewayGzip)}, express gzip ${show(expressGzip)}`);
    }
    const upstreamDuring = upstream.calls() - upstreamBefore;
    const failures = list.reduce((sum, r) => sum + r.results.gateway.non2xx + r.results.gateway.errors + r.results.gatewayGzip.non2xx + r.results.gatewayGzip.errors, 0);

    const rps = (target: Target): number => median(list.map((r) => r.results[target].requestsPerSecond));
    const p = (target: Target, key: 'latencyP50Ms' | 'latencyP99Ms'): number => median(list.map((r) => r.results[target][key]));
    const vsExpress = median(list.map((r) => r.results.gateway.requestsPerSecond / r.results.express.requestsPerSecond));
    const vsExpressDefaults = median(list.map((r) => r.results.gateway.requestsPerSecond / r.results.expressDefaults.requestsPerSecond));
    const gzipVsExpress = median(list.map((r) => r.results.gatewayGzip.requestsPerSecond / r.results.expressGzip.requestsPerSecond));
    const vsRaw = median(list.map((r) => r.results.gateway.requestsPerSecond / r.results.raw.requestsPerSecond));
    const latency = (target: Target): string => `p50 ${fmt.ms(p(target, 'latencyP50Ms'))} / p99 ${fmt.ms(p(target, 'latencyP99Ms'))}`;
    // RSS once the process is in its steady state: the samples after the first round's.
    const steady = rss.slice(Math.min(rss.length - 1, Math.floor(rss.length / rounds)));
    const steadyMax = Math.max(...steady);

    const rows: Row[] = [
      {
        id: '1a',
        scenario: `cache hit: gateway vs bare Express sending the same answer (${summary.campaigns} campaigns, ${(warm.body.length / 1024).toFixed(0)} KB, ${Object.keys(headers).length} headers, ${CONNECTIONS} conns)`,
        measured: fmt.rps(rps('gateway')),
        baseline: fmt.rps(rps('express')),
        ratio: vsExpress,
        target: '≥ 0.90',
        pass: vsExpress >= 0.9 && failures === 0 && upstreamDuring === 0,
      },
      {
        id: '1d',
        scenario: `cache hit vs bare Express defaults (ETag on, its own headers only; the same ${(warm.body.length / 1024).toFixed(0)} KB body)`,
        measured: fmt.rps(rps('gateway')),
        baseline: fmt.rps(rps('expressDefaults')),
        ratio: vsExpressDefaults,
        target: '≥ 0.90',
        pass: vsExpressDefaults >= 0.9 && failures === 0 && upstreamDuring === 0,
      },
      {
        id: '1b',
        scenario: 'cache hit: gateway vs raw node:http sending the same answer',
        measured: fmt.rps(rps('gateway')),
        baseline: fmt.rps(rps('raw')),
        ratio: vsRaw,
        target: '≥ 0.80',
        pass: vsRaw >= 0.8,
      },
      {
        id: '1c',
        scenario: 'cache hit latency: gateway vs bare Express',
        measured: latency('gateway'),
        baseline: latency('express'),
        ratio: p('gateway', 'latencyP50Ms') / p('express', 'latencyP50Ms'),
        target: 'report (p50 ratio)',
        pass: null,
      },
      {
        id: '1e',
        scenario: `cache hit with Accept-Encoding: gzip: gateway vs bare Express sending the same gzip answer (${(warmGzip.body.length / 1024).toFixed(0)} KB of ${(warm.body.length / 1024).toFixed(0)} KB)`,
        measured: fmt.rps(rps('gatewayGzip')),
        baseline: fmt.rps(rps('expressGzip')),
        ratio: gzipVsExpress,
        target: '≥ 0.90',
        pass: gzipVsExpress >= 0.9 && failures === 0 && upstreamDuring === 0,
      },
      {
        id: '6a',
        scenario: 'steady RSS of the gateway under the cache-hit load',
        measured: fmt.mb(steadyMax),
        baseline: fmt.mb(RSS_TARGET_BYTES),
        ratio: steadyMax / RSS_TARGET_BYTES,
        target: '≤ 256 MB',
        pass: steadyMax <= RSS_TARGET_BYTES,
      },
    ];
    return {
      rows,
      details: {
        responseBytes: warm.body.length,
        gzipResponseBytes: warmGzip.body.length,
        campaigns: summary.campaigns,
        connections: CONNECTIONS,
        secondsPerTargetAndRound: passes * slice,
        passesPerRound: passes,
        rounds: list,
        gatewayFailures: failures,
        upstreamCallsDuringLoad: upstreamDuring,
        rssSamplesBytes: rss,
        raw: { latency: latency('raw') },
        expressDefaults: { latency: latency('expressDefaults') },
      },
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await upstream.close();
  }
}

function summarize(body: unknown): { campaigns: number; allHits: boolean } {
  if (typeof body !== 'object' || body === null || !('data' in body) || !('sources' in body)) return { campaigns: -1, allHits: false };
  const data = Array.isArray(body.data) ? body.data.length : -1;
  const sources = Array.isArray(body.sources) ? body.sources : [];
  const allHits = sources.length > 0 && sources.every((s: unknown) => typeof s === 'object' && s !== null && 'cache' in s && s.cache === 'hit');
  return { campaigns: data, allHits };
}
