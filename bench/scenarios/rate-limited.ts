/**
 * Scenario 4: a rate-limited walk uses the vendor's allowed rate without one 429.
 *
 * A SendKit account with 500 campaigns (5 list pages + 500 analytics calls) whose simulator allows
 * R requests in any sliding 1-second window, exact to the millisecond, and a gateway configured at
 * the same R. The achieved rate is the calls the simulator served over the walk's wall time (as the
 * client saw it, the first call's latency included), so it slightly understates the steady rate.
 *
 * The gateway is configured with the vendor's window as it is documented (`windows`: R per second)
 * and its bucket at the same rate, so the window paces the walk: its log of sends starts a call
 * once fewer than R were sent in the second (plus the 5 % pacing margin) before it, and since the
 * simulator's `X-RateLimit-Remaining` then counts no more calls than the log, a full window does
 * not hold the account for the simulator's whole-second reset. (A token bucket alone can only stay
 * under a sliding window with `burst + R·window ≤ R`, i.e. burst 1 at a lower rate; with the
 * headers' whole-second holds it reached 0.49 of R.)
 */
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { startGateway, summarizeAnswer } from '../lib/gateway';
import { fmt } from '../lib/report';
import { get, startUpstream } from '../lib/stack';
import { perSecond } from '../../src/simulator';

export async function rateLimitedWalk(context: BenchContext): Promise<ScenarioOutcome> {
  const campaigns = context.smoke ? 60 : 500;
  const rate = 50;
  const upstream = await startUpstream({
    sendkit: { campaigns, faults: { latencyMs: 5, jitterMs: 0 }, rateLimit: { rules: [perSecond(rate)], perEndpoint: false } },
  });
  const gateway = await startGateway(upstream, {
    providerSettings: { sendkit: { requestsPerSecond: rate, burst: rate, concurrency: 4, windows: [{ requests: rate, seconds: 1 }] } },
    server: { deadlineMs: 60_000 },
  });
  try {
    upstream.resetCounts();
    const started = process.hrtime.bigint();
    const answer = await get(gateway.analytics());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = summarizeAnswer(answer.body);
    const sim = upstream.sims.sendkit;
    if (!sim) throw new Error('rate-limited walk: no SendKit simulator');
    const stats = sim.stats();
    const tooMany = stats.byStatus['429'] ?? 0;
    const achieved = stats.total / seconds;
    const complete = answer.status === 200 && summary.complete && summary.campaigns === campaigns;
    const ratio = achieved / rate;
    return {
      rows: [
        {
          id: '4',
          scenario: `rate-limited walk: SendKit ${campaigns} campaigns (${stats.total} calls), vendor and gateway at ${rate}/s`,
          measured: `${achieved.toFixed(1)} req/s, ${tooMany} × 429`,
          baseline: `${rate} req/s`,
          ratio,
          target: '≥ 0.90, zero 429',
          pass: ratio >= 0.9 && tooMany === 0 && complete,
        },
      ],
      details: { campaigns, rate, burst: rate, window: `${rate} per second`, seconds, calls: stats.total, byStatus: stats.byStatus, byRoute: stats.byRoute, complete, wallSeconds: fmt.ms(seconds * 1000) },
    };
  } finally {
    await gateway.stop();
    await upstream.close();
  }
}
