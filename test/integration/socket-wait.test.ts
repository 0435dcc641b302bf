/**
 * The time calls wait for a socket of their vendor's pool (`maxSocketsPerOrigin`) after their
 * permit is measured per call and exported as `gateway_upstream_socket_wait_seconds{provider}`:
 * every call written to a socket is counted once, in its provider's series.
 */
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    providerSettings: { sendkit: { maxSocketsPerOrigin: 1 } },
    simulator: { sendkit: { faults: { latencyMs: 20, jitterMs: 0 } } },
  });
});

afterAll(async () => {
  await stack.close();
});

/** A histogram series' value from the exposition: `<name>_<part>{provider="<provider>"} <value>`. */
function series(text: string, part: 'sum' | 'count', provider: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`gateway_upstream_socket_wait_seconds_${part}{provider="${provider}"}`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('counts every call once and shows the wait where the pool is one socket', async () => {
  const answer = await stack.get('/v1/campaigns/analytics?workspace_id=ALL');
  expect(answer.status).toBe(200);
  const text = (await stack.get('/metrics')).text;
  // Every call written to a socket is observed once (the simulators count what reached them).
  expect(series(text, 'count', 'sendkit')).toBe(stack.sims.sendkit.stats().total);
  expect(series(text, 'count', 'instantly')).toBe(stack.sims.instantly.stats().total);
  // SendKit's calls waited for its one socket and are in its series. How long each waited is the
  // client's measure (test/http/agents.test.ts: the second call on a one-socket pool waits out the
  // first's answer); here a wait also holds the event loop's delay before the write, which a loaded
  // machine adds to every vendor's calls alike, so the two vendors' sums are not compared.
  expect(series(text, 'sum', 'sendkit')).toBeGreaterThan(0);
  expect(series(text, 'sum', 'instantly')).toBeGreaterThanOrEqual(0);
});
