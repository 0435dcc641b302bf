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

async function walk(demo: RunningDemo, query: string): Promise<{ status: number; complete: boolean }> {
  const res = await checkedFetch(`${demo.url}/v1/campaigns/analytics?${query}`, { headers: { 'X-API-Key': KEY } });
  const body = (await res.json()) as { meta?: { complete?: boolean } };
  return { status: res.status, complete: body.meta?.complete === true };
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
    expect(await walk(demo, query)).toEqual({ status: 200, complete: true });
    expectOnly200s(answered(demo));

    expect(await walk(demo, `${query}&refresh=true`)).toEqual({ status: 200, complete: true });
    expectOnly200s(answered(demo));
  }, 120_000);
});
