/**
 * Scenario 2: cold fan-out latency against its critical-path lower bound.
 *
 * Four simulated vendors answer every call after a fixed latency L (no jitter). Each request
 * bypasses the cache (`refresh=true`, still one upstream walk per connection), so every answer
 * waits for the slowest connection's walk. No implementation can beat that walk's critical path:
 *
 *   bound = max over connections of  max( L · rounds, (calls − burst) / rate )
 *
 * where `rounds` is the number of calls that must happen one after another:
 *   - Instantly: the analytics call runs beside the campaign-list walk, and list pages follow each
 *     other (each page's cursor comes from the one before): rounds = max(1, pages), with
 *     pages = ceil(n / 100) + 1 (Instantly sends a cursor on its last page, so the walk ends on an
 *     empty page; 1 when n = 0).
 *   - SendKit and Kakiyo: the list pages, then one analytics call per campaign with at most `c`
 *     in flight (the connection's `concurrency`, which both the provider and the account limiter
 *     enforce): rounds = pages + ceil(n / c), pages = max(1, ceil(n / size)) with the list's page
 *     size (SendKit 100, Kakiyo 20).
 *   - Seleqt: one call, rounds = 1.
 * and the token-bucket term is the time the account's bucket needs for the calls beyond its burst
 * (zero here: rate 1000/s, burst 1000, so only latency and concurrency bind).
 *
 * The table shows p50 of the measured latencies (seen by the client) over this bound; target ≤ 1.15.
 * The upstream calls each request made (simulator counters) are checked against the same model.
 */
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { startGateway, summarizeAnswer } from '../lib/gateway';
import { fmt, median, percentile } from '../lib/report';
import { get, startUpstream } from '../lib/stack';
import { INSTANTLY_LIST_PAGE_SIZE } from '../../src/providers/instantly/client';
import { KAKIYO_LIST_LIMIT } from '../../src/providers/kakiyo/client';
import { SENDKIT_LIST_LIMIT } from '../../src/providers/sendkit/client';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';

/** List page sizes, as the providers ask for them. */
const PAGE_SIZE: Readonly<Record<'instantly' | 'sendkit' | 'kakiyo', number>> = { instantly: INSTANTLY_LIST_PAGE_SIZE, sendkit: SENDKIT_LIST_LIMIT, kakiyo: KAKIYO_LIST_LIMIT };
const RATE = 1000;
const BURST = 1000;

export interface FanoutModel {
  rounds: number;
  calls: number;
  boundMs: number;
}

/** The critical path of one connection's cold walk (see the header). */
export function criticalPath(provider: ProviderId, campaigns: number, latencyMs: number, concurrency: number, rate = RATE, burst = BURST): FanoutModel {
  const pages = (n: number, size: number): number => Math.max(1, Math.ceil(n / size));
  let rounds: number;
  let calls: number;
  switch (provider) {
    case 'instantly': {
      const listPages = campaigns === 0 ? 1 : Math.ceil(campaigns / PAGE_SIZE.instantly) + 1;
      rounds = Math.max(1, listPages);
      calls = listPages + 1;
      break;
    }
    case 'sendkit':
    case 'kakiyo':
      rounds = pages(campaigns, PAGE_SIZE[provider]) + Math.ceil(campaigns / concurrency);
      calls = pages(campaigns, PAGE_SIZE[provider]) + campaigns;
      break;
    case 'seleqt':
      rounds = 1;
      calls = 1;
      break;
  }
  const bucketMs = (Math.max(0, calls - burst) / rate) * 1000;
  return { rounds, calls, boundMs: Math.max(rounds * latencyMs, bucketMs) };
}

export async function coldFanout(context: BenchContext): Promise<ScenarioOutcome> {
  const latencyMs = 100;
  const concurrency = 4;
  const counts: Record<ProviderId, number> = context.smoke
    ? { instantly: 150, sendkit: 12, kakiyo: 8, seleqt: 10 }
    : { instantly: 300, sendkit: 60, kakiyo: 25, seleqt: 40 };
  const requests = context.smoke ? 2 : 7;
  const faults = { latencyMs, jitterMs: 0 };
  const upstream = await startUpstream({
    instantly: { campaigns: counts.instantly, faults },
    sendkit: { campaigns: counts.sendkit, faults },
    kakiyo: { campaigns: counts.kakiyo, faults },
    seleqt: { campaigns: counts.seleqt, faults },
  });
  const perConnection = { requestsPerSecond: RATE, burst: BURST, concurrency };
  const gateway = await startGateway(upstream, {
    providerSettings: { instantly: perConnection, sendkit: perConnection, kakiyo: perConnection, seleqt: perConnection },
  });
  try {
    const model = (provider: ProviderId): FanoutModel => criticalPath(provider, counts[provider], latencyMs, concurrency);
    const models: Record<ProviderId, FanoutModel> = { instantly: model('instantly'), sendkit: model('sendkit'), kakiyo: model('kakiyo'), seleqt: model('seleqt') };
    const boundMs = Math.max(...Object.values(models).map((m) => m.boundMs));
    const expectedCalls = Object.values(models).reduce((sum, m) => sum + m.calls, 0);
    const expectedCampaigns = Object.values(counts).reduce((sum, n) => sum + n, 0);

    // One cold request first: the process's first walk pays for JIT compilation and connections.
    const first = await get(gateway.analytics());
    if (first.status !== 200) throw new Error(`cold fan-out: first answer ${first.status}`);

    const latencies: number[] = [];
    const callsPerRequest: number[] = [];
    for (let i = 0; i < requests; i += 1) {
      upstream.resetCounts();
      const answer = await get(gateway.analytics('refresh=true'));
      const summary = summarizeAnswer(answer.body);
      if (answer.status !== 200 || !summary.complete || summary.campaigns !== expectedCampaigns || summary.sources.some((s) => s.cache !== 'bypass')) {
        throw new Error(`cold fan-out: expected a complete bypass answer with ${expectedCampaigns} campaigns, got ${answer.status} ${JSON.stringify(summary)}`);
      }
      latencies.push(answer.ms);
      callsPerRequest.push(upstream.calls());
    }
    const p50 = median(latencies);
    const ratio = p50 / boundMs;
    const callsMatch = callsPerRequest.every((calls) => calls === expectedCalls);
    const critical = PROVIDER_IDS.map((provider): [ProviderId, FanoutModel] => [provider, models[provider]]).reduce((a, b) => (b[1].boundMs > a[1].boundMs ? b : a));
    return {
      rows: [
        {
          id: '2',
          scenario: `cold fan-out p50 vs critical path (L=${latencyMs} ms, c=${concurrency}; ${critical[0]} ${counts[critical[0]]} campaigns = ${critical[1].rounds} rounds)`,
          measured: fmt.ms(p50),
          baseline: fmt.ms(boundMs),
          ratio,
          target: '≤ 1.15',
          pass: ratio <= 1.15 && callsMatch,
        },
      ],
      details: {
        latencyMs,
        concurrency,
        campaigns: counts,
        models,
        boundMs,
        latenciesMs: latencies,
        p90Ms: percentile(latencies, 90),
        upstreamCallsPerRequest: callsPerRequest,
        expectedCallsPerRequest: expectedCalls,
      },
    };
  } finally {
    await gateway.stop();
    await upstream.close();
  }
}
