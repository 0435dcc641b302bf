/**
 * The demo's default outbound settings stay under every simulator's limit: a cold walk of every
 * workspace (steps and daily included, the most calls the demo's printed requests make) and a
 * `refresh=true` of it get no 429 from any simulator. The simulators count the statuses they
 * answer, so a 429 is counted where the vendor would send it, whether or not the gateway's retry
 * hid it from the answer.
 */
import { startDemo, type RunningDemo } from '../../src/demo';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { checkedFetch } from '../helpers/contract';

const KEY = 'demo-limits-test-key';

/**
 * The answer's status and the error codes of the sources that were not ok. The walk is paced by
 * the demo's outbound limits (include=steps,daily is a few hundred calls) and runs beside the
 * scheduled sync, so on a slow machine a source can still be walking at the 15 s deadline
 * (upstream_timeout; the walk goes on in the background). That is allowed; a rate-limit error is not.
 */
async function walk(demo: RunningDemo, query: string): Promise<{ status: number; failures: string[] }> {
  const res = await checkedFetch(`${demo.url}/v1/campaigns/analytics?${query}`, { headers: { 'X-API-Key': KEY } });
  const body = (await res.json()) as { sources: { status: string; error: { code: string } | null }[] };
  return { status: res.status, failures: body.sources.filter((s) => s.status !== 'ok').map((s) => s.error?.code ?? s.status) };
}

function expectNoRateLimit(answer: { status: number; failures: string[] }): void {
  expect(answer.status).toBe(200);
  expect(answer.failures.filter((code) => code !== 'upstream_timeout')).toEqual([]);
}

/** Per simulator: the statuses it answered since the last call. */
function answered(demo: RunningDemo): Record<ProviderId, Record<string, number>> {
  const out = Object.fromEntries(PROVIDER_IDS.map((provider) => [provider, demo.simulators[provider].stats().byStatus])) as Record<ProviderId, Record<string, number>>;
  for (const provider of PROVIDER_IDS) demo.simulators[provider].resetStats();
  return out;
}

/** Only 200s, and some: every simulator was called, so "no 429" is a count, not silence. */
function expectOnly200s(statuses: Record<ProviderId, Record<string, number>>): void {
  for (const provider of PROVIDER_IDS) {
    expect({ provider, statuses: Object.keys(statuses[provider]) }).toEqual({ provider, statuses: ['200'] });
    expect(statuses[provider]['200']).toBeGreaterThan(0);
  }
}

describe('demo defaults stay under the simulated vendor limits', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo({ env: { OUTREACH_GATEWAY_DEMO_KEY: KEY }, out: () => undefined, port: 0, backfillDays: 0 });
  });
  afterAll(async () => {
    await demo.close();
  });

  test('a cold walk of every workspace, then a refresh=true of it, get no 429 from any simulator', async () => {
    const query = 'workspace_id=ALL&include=steps,daily';
    expectNoRateLimit(await walk(demo, query));
    expectOnly200s(answered(demo));

    expectNoRateLimit(await walk(demo, `${query}&refresh=true`));
    expectOnly200s(answered(demo));
  }, 120_000);
});
