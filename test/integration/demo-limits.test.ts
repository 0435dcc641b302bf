/**
 * The demo's default outbound settings stay under every simulator's limit: a cold walk of what the
 * demo prints (every workspace, steps and daily included) and a `refresh=true` of it get no 429 at
 * any simulator. The simulators count the statuses they answer, so the 429s are counted where the
 * vendor would send them, not as the gateway reports them.
 */
import { startDemo, type RunningDemo } from '../../src/demo';
import { PROVIDER_IDS } from '../../src/schema/campaign';

const KEY = 'demo-limits-test-key';

async function get(demo: RunningDemo, query: string): Promise<{ status: number; complete: boolean }> {
  const res = await fetch(`${demo.url}/v1/campaigns/analytics?${query}`, { headers: { 'X-API-Key': KEY } });
  const body = (await res.json()) as { meta?: { complete?: boolean } };
  return { status: res.status, complete: body.meta?.complete === true };
}

function statuses(demo: RunningDemo): Record<string, Record<string, number>> {
  return Object.fromEntries(PROVIDER_IDS.map((provider) => [provider, demo.simulators[provider].stats().byStatus]));
}

function count429(demo: RunningDemo): Record<string, number> {
  return Object.fromEntries(PROVIDER_IDS.map((provider) => [provider, demo.simulators[provider].stats().byStatus['429'] ?? 0]));
}

describe('demo defaults stay under the simulated vendor limits', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo({ env: { OUTREACH_GATEWAY_DEMO_KEY: KEY }, out: () => undefined, port: 0 });
  });
  afterAll(async () => {
    await demo.close();
  });

  test('a cold walk of every workspace and a refresh=true get no 429 from any simulator', async () => {
    const none = Object.fromEntries(PROVIDER_IDS.map((provider) => [provider, 0]));
    const cold = await get(demo, 'workspace_id=ALL&include=steps,daily');
    expect(cold).toEqual({ status: 200, complete: true });
    // Every simulator was called, so a zero below is a count, not silence.
    for (const provider of PROVIDER_IDS) expect(demo.simulators[provider].stats().byStatus['200']).toBeGreaterThan(0);
    expect({ counts: count429(demo), statuses: statuses(demo) }).toEqual({ counts: none, statuses: statuses(demo) });

    const before = Object.fromEntries(PROVIDER_IDS.map((provider) => [provider, demo.simulators[provider].stats().total]));
    const refreshed = await get(demo, 'workspace_id=ALL&include=steps,daily&refresh=true');
    expect(refreshed).toEqual({ status: 200, complete: true });
    // refresh=true really went to the vendors again.
    for (const provider of PROVIDER_IDS) expect(demo.simulators[provider].stats().total).toBeGreaterThan(before[provider] ?? 0);
    expect({ counts: count429(demo), statuses: statuses(demo) }).toEqual({ counts: none, statuses: statuses(demo) });
  }, 120_000);
});
