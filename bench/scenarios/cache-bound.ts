/**
 * Scenario 6b: the cache's byte bound holds under a stream of distinct queries.
 *
 * A gateway with a small `cache.maxBytes` answers a stream of queries that are all different
 * (a distinct date range each, so every one is a new upstream walk, new per-provider cache
 * entries and a new serialized answer). After every few batches the process reports, for each
 * of its caches (one per provider and the serialized-answer cache, whose bounds add up to
 * `cache.maxBytes`), the bytes it counts against its bound, and its RSS. Every cache must stay
 * within its bound at every sample, the total within `cache.maxBytes`, and evictions must have
 * happened (otherwise the stream proved nothing). The row shows the fullest cache at its fullest.
 */
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { startGateway } from '../lib/gateway';
import { fmt } from '../lib/report';
import { get, metricSum, startUpstream } from '../lib/stack';
import type { ServerStats } from '../workers/server';

const MAX_BYTES = 4 * 1024 * 1024;
const PARALLEL = 4;

function dateRange(i: number): string {
  // Distinct ranges inside one year: start day i, end day i + 30 (both within 366 days).
  const day = (offset: number): string => new Date(Date.UTC(2025, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
  return `start_date=${day(i % 300)}&end_date=${day((i % 300) + 30 + Math.floor(i / 300))}`;
}

interface Sample {
  after: number;
  totalBytes: number;
  /** The fullest cache: its name and bytes / bound. */
  fullest: { cache: string; fill: number };
  rssBytes: number;
}

export async function cacheBound(context: BenchContext): Promise<ScenarioOutcome> {
  const queries = context.smoke ? 24 : 240;
  const upstream = await startUpstream({ instantly: { campaigns: 300 }, seleqt: { campaigns: 100 } });
  const gateway = await startGateway(upstream, { cacheMaxBytes: MAX_BYTES });
  try {
    const samples: Sample[] = [];
    let overBound = 0;
    const sample = async (after: number): Promise<void> => {
      const stats = await gateway.worker.call<ServerStats>('stats');
      const caches = Object.entries(stats.caches);
      const totalBytes = caches.reduce((sum, [, cache]) => sum + cache.bytes, 0);
      const fills = caches.map(([cache, { bytes, maxBytes }]) => ({ cache, fill: bytes / maxBytes }));
      const fullest = fills.reduce((a, b) => (b.fill > a.fill ? b : a), { cache: 'none', fill: 0 });
      overBound += fills.filter((f) => f.fill > 1).length + (totalBytes > MAX_BYTES ? 1 : 0);
      samples.push({ after, totalBytes, fullest, rssBytes: stats.rssBytes });
    };
    await sample(0);
    let failed = 0;
    for (let i = 0; i < queries; i += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, queries - i) }, (_, k) => get(gateway.analytics(dateRange(i + k))));
      for (const answer of await Promise.all(batch)) if (answer.status !== 200) failed += 1;
      if ((i / PARALLEL) % 5 === 4 || i + PARALLEL >= queries) await sample(i + PARALLEL);
    }
    const metrics = (await get(`${gateway.url}/metrics`)).body.toString('utf8');
    const evictions = metricSum(metrics, 'gateway_cache_events_total', { event: 'evict' });
    const peak = samples.reduce((a, b) => (b.fullest.fill > a.fullest.fill ? b : a));
    const peakTotal = Math.max(...samples.map((s) => s.totalBytes));
    const rss = samples.map((s) => s.rssBytes);
    return {
      rows: [
        {
          id: '6b',
          scenario: `cache byte bounds under ${queries} distinct queries (cache.maxBytes ${fmt.mb(MAX_BYTES)}, ${evictions} evictions; fullest: ${peak.fullest.cache})`,
          measured: `${(peak.fullest.fill * 100).toFixed(1)} % of its bound`,
          baseline: `total ≤ ${fmt.mb(peakTotal)} of ${fmt.mb(MAX_BYTES)}`,
          ratio: peak.fullest.fill,
          target: '≤ 1.00',
          pass: overBound === 0 && evictions > 0 && failed === 0,
        },
      ],
      details: { maxBytes: MAX_BYTES, queries, failed, evictions, overBound, samples, rssFirstBytes: rss[1] ?? rss[0], rssLastBytes: rss[rss.length - 1] },
    };
  } finally {
    await gateway.stop();
    await upstream.close();
  }
}
