/**
 * Canary secrets: vendor keys and client keys with a recognisable marker are configured, every failure
 * path is forced, and neither appears in any log line, response body or /metrics.
 */
import nock from 'nock';
import { PROVIDER_IDS } from '../../src/schema/campaign';
import { ALL_SECRETS, CLIENT_KEY, OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';

describe('canary secrets never leak', () => {
  let stack: Stack;
  const bodies: string[] = [];
  beforeAll(async () => {
    stack = await startStack({ server: { deadlineMs: 700 }, providerSettings: { instantly: { breakerThreshold: 2 } } });
  });
  afterAll(async () => {
    await stack.close();
  });

  const collect = async (path: string, headers?: Record<string, string>): Promise<void> => {
    const res = await stack.get(path, headers);
    bodies.push(res.text, JSON.stringify([...res.headers.entries()]));
  };

  test('through every failure path', async () => {
    await collect(ANALYTICS);
    // 5xx, timeouts, malformed bodies, 429 bursts, outage, breaker
    stack.sims.instantly.setFaults({ errorRate: 1 });
    stack.sims.sendkit.setFaults({ malformedRate: 1 });
    stack.sims.kakiyo.setFaults({ timeoutRate: 1 });
    stack.sims.seleqt.setFaults({ rateLimitBurst: 50 });
    for (let i = 0; i < 3; i += 1) await collect(`${ANALYTICS}?workspace_id=ALL&refresh=true`);
    for (const p of PROVIDER_IDS) stack.sims[p].setFaults({ errorRate: 0, malformedRate: 0, timeoutRate: 0, rateLimitBurst: 0, down: true });
    await collect(`${ANALYTICS}?workspace_id=ALL&refresh=true`);
    // wrong vendor keys (the vendor's 401 echoes nothing of ours, but we check anyway)
    for (const p of PROVIDER_IDS) stack.sims[p].setFaults({ down: false });
    // inbound failures: wrong key, key in query, unlinked workspace, bad params, long key
    await collect(ANALYTICS, { 'X-API-Key': `${CLIENT_KEY}x` });
    await collect(`${ANALYTICS}?api_key=${CLIENT_KEY}`, {});
    await collect(`${ANALYTICS}?workspace_id=acme`, { Authorization: `Bearer ${OTHER_CLIENT_KEY}` });
    await collect(`${ANALYTICS}?ids=../${CLIENT_KEY}`);
    await collect(ANALYTICS, { 'X-API-Key': 'k'.repeat(10_000) });
    await collect('/v1/connections');
    await collect('/nope');
    const metrics = await stack.get('/metrics');
    bodies.push(metrics.text);
    expect(stack.logs.length).toBeGreaterThan(10);
    expect(stack.logs.join('\n')).toMatch(/upstream walk failed/);
    for (const secret of ALL_SECRETS) {
      for (const text of [...bodies, ...stack.logs]) expect(text).not.toContain(secret);
    }
    expect(nock.pendingMocks()).toEqual([]);
  });
});
