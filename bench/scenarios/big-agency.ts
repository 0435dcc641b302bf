/**
 * Scenario 8: the big agency. 200 workspaces × 4 vendors (60,000 campaigns: 110 Instantly, 80
 * SendKit, 50 Kakiyo and 60 Seleqt campaigns per workspace), the vendor simulators in their own
 * process with their documented rate limits per account (workers/agency-vendors.ts), the gateway
 * in its own (workers/agency-gateway.ts), the requests and the timing here.
 *
 * - 8a cold walk: one `workspace_id=ALL` request on an empty cache walks all 800 connections; its
 *   wall time against the bound the vendors' limits set: per account, the calls it made under each
 *   sliding window (per route for Kakiyo's per-endpoint limit) need at least
 *   `floor((calls - 1) / limit) × window`, and the accounts are walked in parallel, so the bound is
 *   the largest of those (the smoke size stays under every limit: its bound is 0 and its ratio
 *   meaningless). The gateway's outbound limits are set to the documented ones (PROVIDER_SETTINGS).
 *   Sources that failed for the gateway's own reasons (a timeout, a 429 it caused) fail the row.
 * - 8b-8g warm `ALL` as JSON, CSV and NDJSON: time to the first and to the last byte, against raw
 *   `node:http` (its own process) sending the same bytes and headers, alternating, in the same run.
 * - 8h a sorted and filtered page of 100 (`limit=100&sort=-replyRate&status=active`), paged on with
 *   each `nextCursor` (every page a query of its own): p50.
 * - 8i/8j while big answers stream (two at a time), small requests one after another (`/healthz`
 *   and a one-workspace warm hit, from a process of their own, workers/prober.ts, so the pauses of
 *   the process reading the big answers do not count): their p99, and the gateway's event-loop
 *   delay p99 measured inside its process.
 * - 8k the gateway's RSS with every campaign cached, after the rest.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import type { SimulatorStats } from '../../src/simulator';
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { nodeArgsFrom, startWorker, type Worker } from '../lib/proc';
import { fmt, median, percentile, type Row } from '../lib/report';
import { BENCH_CLIENT_KEY, REFERENCE_DATE } from '../lib/stack';
import { timedGet, type Timed } from '../lib/timed-get';
import type { HeapWatch, LoopDelay } from '../workers/agency-gateway';
import type { AgencyVendors, AgencyVendorsStart } from '../workers/agency-vendors';
import type { ProbeResult } from '../workers/prober';

/** Campaigns per workspace and vendor (an Instantly-heavy agency; 300 per workspace). */
const CAMPAIGNS: Readonly<Record<ProviderId, number>> = { instantly: 110, sendkit: 80, kakiyo: 50, seleqt: 60 };
/** The smoke run: a few workspaces with a tenth of the campaigns (seconds, not minutes). */
const SMOKE_CAMPAIGNS: Readonly<Record<ProviderId, number>> = { instantly: 11, sendkit: 8, kakiyo: 5, seleqt: 6 };
const WORKSPACES = Number(process.env.BENCH_AGENCY_WORKSPACES ?? 200);
const SMOKE_WORKSPACES = 4;
/**
 * What-if knobs, not part of the targets: the simulators' latency per call (a vendor over the
 * internet instead of loopback) and the gateway's `maxSocketsPerOrigin` for every vendor.
 */
const LATENCY_MS = Number(process.env.BENCH_AGENCY_LATENCY_MS ?? 0);
const SOCKETS_PER_ORIGIN = process.env.BENCH_AGENCY_SOCKETS === undefined ? undefined : Number(process.env.BENCH_AGENCY_SOCKETS);
/**
 * The gateway's outbound limits at the vendors' documented ones (an operator who knows them sets
 * them so). SendKit's 10 per second (the simulator's number; SendKit publishes none) is configured
 * as the window it is (`windows`), with the bucket at the same rate, so the window paces the calls.
 * The others keep a token bucket that never exceeds their sliding window (`burst + rate × window ≤
 * limit`): Kakiyo's 60 per minute is per endpoint, and the gateway's bucket is per account, so it
 * holds the whole 60 for both endpoints.
 */
const PROVIDER_SETTINGS: Readonly<Record<ProviderId, { requestsPerSecond: number; burst: number; windows?: { requests: number; seconds: number }[] }>> = {
  instantly: { requestsPerSecond: 90, burst: 10 },
  sendkit: { requestsPerSecond: 10, burst: 10, windows: [{ requests: 10, seconds: 1 }] },
  kakiyo: { requestsPerSecond: 1 / 60, burst: 59 },
  seleqt: { requestsPerSecond: 49 / 60, burst: 1 },
};
/** How long big answers stream while the small requests of 8i/8j are timed. */
const STREAMING_MS = 6000;
const SMOKE_STREAMING_MS = 300;
const NODE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
export const AGENCY_RSS_TARGET_BYTES = 512 * 1024 * 1024;

function workspaceId(i: number): string {
  return `client-${String(i).padStart(4, '0')}`;
}

function gatewayDocument(vendors: AgencyVendors, workspaces: number): Record<string, unknown> {
  const ids = Array.from({ length: workspaces }, (_, i) => workspaceId(i));
  return {
    server: { host: '127.0.0.1', port: 0, deadlineMs: 600_000, maxUpstreamCalls: 100_000 },
    clients: [
      {
        id: 'agency',
        keySha256: createHash('sha256').update(BENCH_CLIENT_KEY).digest('hex'),
        workspaces: ids,
        requestsPerMinute: 100_000_000,
      },
    ],
    workspaces: ids.map((id, i) => ({
      id,
      name: `Client ${i}`,
      connections: PROVIDER_IDS.flatMap((provider) => {
        const vendor = vendors.vendors[provider];
        const account = vendor?.accounts[i];
        if (!vendor || !account) return [];
        return [{ id: `${id}-${provider}`, provider, apiKey: account.apiKey, baseUrl: vendor.url, ...(account.vendorWorkspaceId ? { vendorWorkspaceId: account.vendorWorkspaceId } : {}) }];
      }),
    })),
    providers:
      SOCKETS_PER_ORIGIN === undefined ? PROVIDER_SETTINGS : Object.fromEntries(PROVIDER_IDS.map((provider) => [provider, { ...PROVIDER_SETTINGS[provider], maxSocketsPerOrigin: SOCKETS_PER_ORIGIN }])),
    log: { level: 'info' },
  };
}

/**
 * The least wall time the vendors' limits allow for the calls each account made: per account and
 * sliding-window rule (per route when the limit is per endpoint), `floor((calls - 1) / limit)`
 * whole windows; per vendor the largest over its accounts, which run in parallel (the walk's bound
 * is the largest of these).
 */
export function boundsByVendor(vendors: AgencyVendors, stats: Partial<Record<ProviderId, SimulatorStats>>, workspaces: number): Partial<Record<ProviderId, number>> {
  const bounds: Partial<Record<ProviderId, number>> = {};
  for (const provider of PROVIDER_IDS) {
    const vendor = vendors.vendors[provider];
    const stat = stats[provider];
    if (!vendor || !stat) continue;
    // Every account has the same campaigns count and walk, so a route's calls per account are its
    // share of the route's total; the per-account totals are counted by the simulator.
    const perAccount = vendor.rateLimit.perEndpoint
      ? Object.entries(stat.byRoute).map(([, calls]) => Math.ceil(calls / workspaces))
      : Object.values(stat.byKey);
    let bound = 0;
    for (const calls of perAccount) {
      for (const rule of vendor.rateLimit.rules) bound = Math.max(bound, Math.floor(Math.max(0, calls - 1) / rule.limit) * rule.windowMs);
    }
    bounds[provider] = bound;
  }
  return bounds;
}

/**
 * When each vendor's accounts were called, as the vendor saw it (ms after the walk's request was
 * sent): their first and last calls (p50 and max over the accounts) and the span between, against
 * the vendor's part of the bound. Shows where a walk's time went: a late first call is the start,
 * a span past the bound is pacing.
 */
export function accountSpansText(stats: Partial<Record<ProviderId, SimulatorStats>>, bounds: Partial<Record<ProviderId, number>>, sentAtMs: number): string {
  const parts: string[] = [];
  for (const provider of PROVIDER_IDS) {
    const spans = Object.values(stats[provider]?.spanByKey ?? {});
    if (spans.length === 0) continue;
    const firsts = spans.map((span) => span.firstMs - sentAtMs);
    const lasts = spans.map((span) => span.lastMs - sentAtMs);
    const lengths = spans.map((span) => span.lastMs - span.firstMs);
    const p50 = (values: number[]): string => fmt.ms(percentile(values, 50));
    const max = (values: number[]): string => fmt.ms(Math.max(...values));
    parts.push(`${provider} first ${p50(firsts)}/${max(firsts)}, last ${p50(lasts)}/${max(lasts)}, span ${p50(lengths)}/${max(lengths)} (bound ${fmt.ms(bounds[provider] ?? 0)})`);
  }
  return parts.join('; ');
}

/** `minor 164 × = 1,990 ms, major 7 × = 78 ms, …`: the pauses of a process's collections by kind. */
function collectionsText(collections: HeapWatch['collections']): string {
  const kinds = Object.entries(collections);
  if (kinds.length === 0) return 'none';
  return kinds.map(([kind, { count, ms }]) => `${kind} ${count} × = ${Math.round(ms)} ms`).join(', ');
}

type Format = 'json' | 'csv' | 'ndjson';
const FORMATS: readonly Format[] = ['json', 'csv', 'ndjson'];

export async function bigAgency(context: BenchContext): Promise<ScenarioOutcome> {
  const workspaces = context.smoke ? SMOKE_WORKSPACES : WORKSPACES;
  const campaigns = context.smoke ? SMOKE_CAMPAIGNS : CAMPAIGNS;
  const repeats = context.smoke ? 1 : 3;
  // Alternated gateway/raw pairs per warm format: the ratio is the median of the pairs' ratios, and
  // this machine's speed moves a single big answer by 2x (raw 42-229 ms), so three pairs were a
  // coin toss; nine make the median a property of the code.
  const warmPairs = context.smoke ? 1 : 9;
  const workers: Worker[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'bench-agency-'));
  try {
    const vendorWorker = startWorker('agency-vendors', { execArgv: nodeArgsFrom('BENCH_AGENCY_VENDORS_ARGS') });
    workers.push(vendorWorker);
    const start: AgencyVendorsStart = { workspaces, campaigns: { ...campaigns }, referenceDate: REFERENCE_DATE, latencyMs: LATENCY_MS };
    const vendors = await vendorWorker.call<AgencyVendors>('start', start);
    if (LATENCY_MS > 0 || SOCKETS_PER_ORIGIN !== undefined) {
      context.log(`  what-if, not the targets' setting: the vendors answer after ${LATENCY_MS} ms, sockets per origin ${SOCKETS_PER_ORIGIN ?? 'as configured'}`);
    }
    const gatewayWorker = startWorker('agency-gateway', { execArgv: ['--expose-gc', ...nodeArgsFrom('BENCH_AGENCY_GATEWAY_ARGS')] });
    workers.push(gatewayWorker);
    const { url } = await gatewayWorker.call<{ url: string }>('gateway', {
      document: gatewayDocument(vendors, workspaces),
      extraSecrets: [BENCH_CLIENT_KEY],
    });
    const key = { 'X-API-Key': BENCH_CLIENT_KEY };
    const analytics = (query: string): string => `${url}/v1/campaigns/analytics?${query}`;
    const expected = workspaces * PROVIDER_IDS.reduce((sum, p) => sum + campaigns[p], 0);

    // 8a: the cold walk.
    await vendorWorker.call('reset');
    const cpuBefore = { gateway: (await gatewayWorker.call<{ cpuMicros: number }>('stats')).cpuMicros, vendors: await vendorWorker.call<number>('cpuMicros') };
    await gatewayWorker.call('heapWatchStart');
    const sentAtMs = Date.now();
    const cold = await timedGet(analytics('workspace_id=ALL'), key, true);
    const heapWatch = await gatewayWorker.call<HeapWatch>('heapWatchStop');
    const cpuWalk = {
      gateway: (await gatewayWorker.call<{ cpuMicros: number }>('stats')).cpuMicros - cpuBefore.gateway,
      vendors: (await vendorWorker.call<number>('cpuMicros')) - cpuBefore.vendors,
    };
    const coldBody = JSON.parse(cold.body?.toString('utf8') ?? '{}') as { data?: unknown[]; sources?: { connection: string; provider: string; status: string; durationMs: number; error: { code: string } | null }[] };
    const stats = await vendorWorker.call<Partial<Record<ProviderId, SimulatorStats>>>('stats');
    const bounds = boundsByVendor(vendors, stats, workspaces);
    const boundMs = Math.max(0, ...Object.values(bounds));
    const failing = (coldBody.sources ?? []).filter((s) => s.status !== 'ok');
    const vendorCalls = Object.values(stats).reduce((sum, s) => sum + (s?.total ?? 0), 0);
    const throttled = Object.values(stats).reduce((sum, s) => sum + (s?.byStatus['429'] ?? 0), 0);
    const throttledBy = Object.entries(stats)
      .filter(([, s]) => (s?.byStatus['429'] ?? 0) > 0)
      .map(([provider, s]) => `${provider} ${s?.byStatus['429'] ?? 0}`)
      .join(', ');
    const failures: Record<string, number> = {};
    for (const source of failing) {
      const reason = `${source.connection.slice(source.connection.lastIndexOf('-') + 1)}:${source.status}:${source.error?.code ?? ''}`;
      failures[reason] = (failures[reason] ?? 0) + 1;
    }
    if (failing.length > 0) context.log(`  sources not ok: ${JSON.stringify(failures)}`);
    const slowest: Record<string, number> = {};
    for (const source of coldBody.sources ?? []) slowest[source.provider] = Math.max(slowest[source.provider] ?? 0, source.durationMs);
    const lastSourceMs = Math.max(0, ...Object.values(slowest));
    context.log(`  slowest source per vendor (ms): ${JSON.stringify(slowest)}; the answer's last byte ${fmt.ms(cold.totalMs - lastSourceMs)} after the slowest source`);
    context.log(
      `  cold walk: ${fmt.ms(cold.totalMs)}, ${coldBody.data?.length ?? 0} campaigns of ${expected}, ${vendorCalls} vendor calls (${throttled} answered 429${throttled > 0 ? `: ${throttledBy}` : ''}), ${failing.length} sources not ok; bound ${fmt.ms(boundMs)}`,
    );
    context.log(`  calls per account at the vendors, ms after the request (p50/max): ${accountSpansText(stats, bounds, sentAtMs)}`);
    // CPU (every thread, user + system) is steadier than wall time on a shared machine: what a change to the walk's cost per call shows in.
    context.log(
      `  cold walk CPU: gateway ${(cpuWalk.gateway / 1e6).toFixed(1)} s (${Math.round(cpuWalk.gateway / Math.max(1, vendorCalls))} µs per vendor call), vendors ${(cpuWalk.vendors / 1e6).toFixed(1)} s (${Math.round(cpuWalk.vendors / Math.max(1, vendorCalls))} µs per call); gateway heap peak ${fmt.mb(heapWatch.usedBytes)} used, ${fmt.mb(heapWatch.committedBytes)} committed; its collections: ${collectionsText(heapWatch.collections)}`,
    );
    // The warm rows need every campaign cached: sources that failed are walked again (not timed).
    let cached = coldBody.data?.length ?? 0;
    for (let attempt = 0; cached !== expected && attempt < 4; attempt += 1) {
      const again = await timedGet(analytics('workspace_id=ALL'), key, true);
      cached = (JSON.parse(again.body?.toString('utf8') ?? '{}') as { data?: unknown[] }).data?.length ?? 0;
      context.log(`  filling the cache again: ${cached} campaigns of ${expected} (${fmt.ms(again.totalMs)})`);
    }
    if (cold.status !== 200 || cached !== expected) throw new Error(`cold walk: status ${cold.status}, ${cached} campaigns of ${expected} cached`);

    // Warm-up: the first warm answer of each format (not measured), and the JIT.
    for (const format of FORMATS) await timedGet(analytics(`workspace_id=ALL&format=${format}`), key);

    // 8b-8g: warm ALL against raw node:http sending the same bytes, alternating.
    const warm: Record<Format, { gateway: Timed[]; raw: Timed[] }> = { json: { gateway: [], raw: [] }, csv: { gateway: [], raw: [] }, ndjson: { gateway: [], raw: [] } };
    for (const format of FORMATS) {
      const query = `workspace_id=ALL&format=${format}`;
      const captured = await timedGet(analytics(query), key, true);
      if (captured.status !== 200 || !captured.body) throw new Error(`warm ${format}: status ${captured.status}`);
      const file = join(dir, `answer.${format}`);
      writeFileSync(file, captured.body);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(captured.headers)) if (value !== undefined && !NODE_HEADERS.has(name)) headers[name] = value;
      const rawWorker = startWorker('agency-gateway');
      workers.push(rawWorker);
      const raw = await rawWorker.call<{ url: string }>('raw', { file, headers });
      await timedGet(`${raw.url}/v1/campaigns/analytics?${query}`, key);
      for (let i = 0; i < warmPairs; i += 1) {
        warm[format].gateway.push(await timedGet(analytics(query), key));
        warm[format].raw.push(await timedGet(`${raw.url}/v1/campaigns/analytics?${query}`, key));
      }
      await rawWorker.call('close');
      await rawWorker.stop();
      const g = warm[format].gateway;
      context.log(
        `  warm ALL ${format}: ${(captured.bytes / 1024 / 1024).toFixed(1)} MB, gateway first byte ${fmt.ms(median(g.map((t) => t.ttfbMs)))} / last ${fmt.ms(median(g.map((t) => t.totalMs)))}, raw last ${fmt.ms(median(warm[format].raw.map((t) => t.totalMs)))}`,
      );
    }

    // 8h: sorted and filtered pages of 100, each page a query of its own (the next cursor).
    const pageMs: number[] = [];
    let cursor: string | undefined;
    const pages = context.smoke ? 3 : 30;
    for (let i = 0; i < pages; i += 1) {
      const query = `workspace_id=ALL&limit=100&sort=-replyRate&status=active${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await timedGet(analytics(query), key, true);
      if (page.status !== 200) throw new Error(`page ${i}: status ${page.status}`);
      pageMs.push(page.totalMs);
      const body = JSON.parse(page.body?.toString('utf8') ?? '{}') as { page?: { nextCursor: string | null } };
      cursor = body.page?.nextCursor ?? undefined;
      if (!cursor) break;
    }
    context.log(`  pages of 100: p50 ${fmt.ms(median(pageMs))}, max ${fmt.ms(Math.max(...pageMs))} over ${pageMs.length} pages`);

    // 8i/8j: small requests one after another (from a process of their own: this one reads the
    // big answers) while big answers stream, two at a time.
    const prober = startWorker('prober');
    workers.push(prober);
    const smallUrls = Array.from({ length: workspaces }, (_, i) => [`${url}/healthz`, analytics(`workspace_id=${workspaceId(i)}`)]).flat();
    await gatewayWorker.call('loopDelayStart');
    await prober.call('start', { urls: smallUrls, headers: key, pauseMs: 5 });
    // Big answers for a few seconds: hundreds of small requests, so their p99 is a percentile (over
    // the 60-100 that 8 big answers leave time for, it was their slowest).
    const streamUntil = performance.now() + (context.smoke ? SMOKE_STREAMING_MS : STREAMING_MS);
    const bigLoop = async (): Promise<void> => {
      for (let i = 0; i < repeats + 1 || performance.now() < streamUntil; i += 1) await timedGet(analytics(`workspace_id=ALL&format=${FORMATS[i % FORMATS.length] ?? 'json'}`), key);
    };
    await Promise.all([bigLoop(), bigLoop()]);
    const probed = await prober.call<ProbeResult>('stop');
    if (probed.failed.length > 0) throw new Error(`small requests: ${probed.failed.slice(0, 3).join(', ')}`);
    const small = probed.ms;
    const loopDelay = await gatewayWorker.call<LoopDelay>('loopDelayStop');
    const smallP99 = percentile(small, 99);
    context.log(`  while streaming: ${small.length} small requests p50 ${fmt.ms(percentile(small, 50))} / p99 ${fmt.ms(smallP99)} / max ${fmt.ms(Math.max(...small))}; event-loop delay p99 ${fmt.ms(loopDelay.p99Ms)}, max ${fmt.ms(loopDelay.maxMs)}`);

    // 8k: RSS with everything cached (after a collection, so garbage does not count).
    await gatewayWorker.call('gc');
    const memory = await gatewayWorker.call<{ rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; spaces: string }>('stats');
    context.log(`  memory after a collection: RSS ${fmt.mb(memory.rssBytes)}, V8 heap ${fmt.mb(memory.heapUsedBytes)} used of ${fmt.mb(memory.heapTotalBytes)} (MB used/committed: ${memory.spaces}), outside it (buffers) ${fmt.mb(memory.externalBytes)}`);

    const rows: Row[] = [];
    // Under every limit (the smoke size) the bound is 0 and there is no ratio to judge.
    const coldRatio = boundMs > 0 ? cold.totalMs / boundMs : null;
    rows.push({
      id: '8a',
      scenario: `big agency cold walk of ${workspaces * PROVIDER_IDS.length} connections (${expected.toLocaleString('en-US')} campaigns, ${vendorCalls} vendor calls) vs the vendor-limit bound`,
      measured: fmt.ms(cold.totalMs),
      baseline: fmt.ms(boundMs),
      ratio: coldRatio,
      target: '≤ 1.15, no source failing',
      pass: coldRatio === null ? null : coldRatio <= 1.15 && failing.length === 0,
    });
    const ids: Record<Format, [string, string]> = { json: ['8b', '8c'], csv: ['8d', '8e'], ndjson: ['8f', '8g'] };
    for (const format of FORMATS) {
      const g = warm[format].gateway;
      const r = warm[format].raw;
      const ratio = median(g.map((t, i) => t.totalMs / (r[i]?.totalMs ?? Number.NaN)));
      const ttfb = median(g.map((t) => t.ttfbMs));
      const mb = ((g[0]?.bytes ?? 0) / 1024 / 1024).toFixed(1);
      rows.push({
        id: ids[format][0],
        scenario: `warm ALL ${format.toUpperCase()} (${mb} MB): last byte, gateway vs raw node:http sending the same bytes`,
        measured: fmt.ms(median(g.map((t) => t.totalMs))),
        baseline: fmt.ms(median(r.map((t) => t.totalMs))),
        ratio,
        target: format === 'json' ? '≤ 2.0' : 'report',
        pass: format === 'json' ? ratio <= 2 : null,
      });
      rows.push({
        id: ids[format][1],
        scenario: `warm ALL ${format.toUpperCase()}: time to first byte`,
        measured: fmt.ms(ttfb),
        baseline: fmt.ms(median(r.map((t) => t.ttfbMs))),
        ratio: null,
        target: '≤ 50 ms',
        pass: ttfb <= 50,
      });
    }
    const pageP50 = median(pageMs);
    rows.push({
      id: '8h',
      scenario: `sorted + filtered page of 100 (sort=-replyRate, status=active) over ${pageMs.length} pages`,
      measured: `p50 ${fmt.ms(pageP50)}`,
      baseline: '20 ms',
      ratio: pageP50 / 20,
      target: '≤ 20 ms p50',
      pass: pageP50 <= 20,
    });
    rows.push({
      id: '8i',
      scenario: `small requests (/healthz, one-workspace hit) while big answers stream: p99 over ${small.length}`,
      measured: `p99 ${fmt.ms(smallP99)}`,
      baseline: '50 ms',
      ratio: smallP99 / 50,
      target: '≤ 50 ms',
      pass: smallP99 <= 50,
    });
    rows.push({
      id: '8j',
      scenario: 'gateway event-loop delay p99 while big answers stream (monitorEventLoopDelay)',
      measured: `p99 ${fmt.ms(loopDelay.p99Ms)}`,
      baseline: '50 ms',
      ratio: loopDelay.p99Ms / 50,
      target: '≤ 50 ms',
      pass: loopDelay.p99Ms <= 50,
    });
    rows.push({
      id: '8k',
      scenario: `gateway RSS with ${expected.toLocaleString('en-US')} campaigns cached`,
      measured: fmt.mb(memory.rssBytes),
      baseline: fmt.mb(AGENCY_RSS_TARGET_BYTES),
      ratio: memory.rssBytes / AGENCY_RSS_TARGET_BYTES,
      target: '≤ 512 MB',
      pass: memory.rssBytes <= AGENCY_RSS_TARGET_BYTES,
    });
    return {
      rows,
      details: {
        workspaces,
        campaignsPerWorkspace: campaigns,
        providerSettings: PROVIDER_SETTINGS,
        latencyMs: LATENCY_MS,
        socketsPerOrigin: SOCKETS_PER_ORIGIN ?? null,
        cold: { ms: cold.totalMs, boundMs, vendorCalls, throttled, failing: failing.map((s) => `${s.connection}:${s.status}:${s.error?.code ?? ''}`), byProvider: stats },
        warm: Object.fromEntries(FORMATS.map((f) => [f, { gateway: warm[f].gateway.map(({ ttfbMs, totalMs, bytes }) => ({ ttfbMs, totalMs, bytes })), raw: warm[f].raw.map(({ ttfbMs, totalMs }) => ({ ttfbMs, totalMs })) }])),
        pageMs,
        small: { count: small.length, p50Ms: percentile(small, 50), p99Ms: smallP99 },
        loopDelay,
        memory,
      },
    };
  } finally {
    for (const worker of workers) {
      await worker.call('close').catch(() => undefined);
      await worker.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
