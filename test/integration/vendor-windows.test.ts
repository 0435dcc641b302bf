/**
 * A vendor's window configured as it is documented (`providers.<id>.windows`), end to end from the
 * config: Kakiyo's simulator allows 3 calls in any 2 seconds per key and sends no rate-limit
 * headers, so nothing but the gateway's log of sends can keep the walk under it. With the window:
 * every call answered 200. The same walk with only a generous token bucket meets 429s (the test can
 * fail). Two seconds, not one: the log's 5 % margin is then 100 ms, more than the event-loop lag of
 * a test process on a busy machine (the simulator runs in it and stamps a call when it handles it).
 */
import { startStack, type Stack } from '../helpers/stack';

const KAKIYO_ONLY = '/v1/campaigns/analytics?workspace_id=ALL&providers=kakiyo';

async function walk(settings: Record<string, unknown>): Promise<{ stack: Stack; byStatus: Record<string, number>; status: number }> {
  const stack = await startStack({
    campaigns: 5,
    simulator: { kakiyo: { rateLimit: { rules: [{ limit: 3, windowMs: 2000 }], perEndpoint: false, retryAfter: 'seconds' } } },
    providerSettings: { kakiyo: { requestsPerSecond: 200, burst: 200, maxAttempts: 3, ...settings } },
    server: { deadlineMs: 15_000 },
  });
  const res = await stack.get(KAKIYO_ONLY);
  return { stack, byStatus: stack.sims.kakiyo.stats().byStatus, status: res.status };
}

describe('vendor windows from the config', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  test('windows: [{ requests: 3, seconds: 2 }] keeps a walk of two keys under the vendor\'s 3 per 2 seconds: no 429', async () => {
    const run = await walk({ windows: [{ requests: 3, seconds: 2 }] });
    stack = run.stack;
    expect(run.status).toBe(200);
    expect(Object.keys(run.byStatus)).toEqual(['200']);
    // Each key made more calls than one window holds, so the window did pace them.
    expect(Object.values(stack.sims.kakiyo.stats().byKey).every((calls) => calls > 3)).toBe(true);
  }, 30_000);

  test('without the window, the same walk under a generous bucket meets the vendor\'s 429s', async () => {
    const run = await walk({});
    stack = run.stack;
    expect(run.byStatus['429']).toBeGreaterThan(0);
  }, 30_000);
});
