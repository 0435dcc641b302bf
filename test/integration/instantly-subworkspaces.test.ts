/**
 * One Instantly admin key, two client sub-workspaces: two gateway workspaces whose Instantly
 * connections share the key and differ only in `vendorWorkspaceId` (sent as `x-as-workspace`).
 * Built the way test/helpers/stack.ts builds its gateway, with the Instantly simulator alone.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { resolveConfig } from '../../src/config';
import { createService, type GatewayService } from '../../src/service';
import { startSimulator, type VendorSimulator } from '../../src/simulator';
import { checkedFetch } from '../helpers/contract';

const CLIENT_KEY = 'canary-subworkspace-client-key-5e6f';
const ADMIN_KEY = 'canaryInstantlyAgencyAdminKey01';
const SUB_KEYS = { a: 'canaryInstantlyClientAKey0002', b: 'canaryInstantlyClientBKey0003' };

interface Body {
  data: { key: string; connection: string; workspace: string; name: string }[];
  sources: { connection: string; status: string; error: { code: string } | null }[];
}

let sim: VendorSimulator;
let service: GatewayService;
let url: string;
const logs: string[] = [];

async function analytics(workspace: string): Promise<{ status: number; text: string; body: Body }> {
  const res = await checkedFetch(`${url}/v1/campaigns/analytics?workspace_id=${workspace}`, { headers: { 'X-API-Key': CLIENT_KEY } });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Body };
}

beforeAll(async () => {
  sim = await startSimulator('instantly', {
    rateLimit: { rules: [] },
    referenceDate: '2026-11-20',
    accounts: [
      { label: 'Agency', apiKey: ADMIN_KEY, seed: 31, campaigns: 4, vendorWorkspaceId: 'ws-agency', subWorkspaces: ['ws-client-a', 'ws-client-b'] },
      { label: 'ClientA', apiKey: SUB_KEYS.a, seed: 32, campaigns: 6, vendorWorkspaceId: 'ws-client-a' },
      { label: 'ClientB', apiKey: SUB_KEYS.b, seed: 33, campaigns: 3, vendorWorkspaceId: 'ws-client-b' },
    ],
  });
  const connection = (id: string, vendorWorkspaceId: string): Record<string, unknown> => ({
    id,
    provider: 'instantly',
    apiKey: ADMIN_KEY,
    vendorWorkspaceId,
    baseUrl: sim.url,
  });
  const config = resolveConfig({
    server: { host: '127.0.0.1', port: 0, deadlineMs: 3000 },
    clients: [
      {
        id: 'agency',
        keySha256: createHash('sha256').update(CLIENT_KEY).digest('hex'),
        workspaces: ['client-a', 'client-b'],
        requestsPerMinute: 10_000,
      },
    ],
    workspaces: [
      { id: 'client-a', connections: [connection('client-a-instantly', 'ws-client-a')] },
      { id: 'client-b', connections: [connection('client-b-instantly', 'ws-client-b')] },
    ],
    providers: { instantly: { maxAttempts: 2, timeoutMs: 2000, requestsPerSecond: 200, burst: 200 } },
  });
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  service = createService({ ...config, log: { level: 'debug' } }, { logStream, extraSecrets: [CLIENT_KEY] });
  url = await service.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await service.close(100);
  await sim.close();
});

describe('Instantly sub-workspaces through the gateway (one admin key, x-as-workspace)', () => {
  test('each gateway workspace gets only its own sub-workspace’s campaigns, from its own cache entry and limiter', async () => {
    const a = await analytics('client-a');
    expect(a.status).toBe(200);
    expect(a.body.sources.map((s) => [s.connection, s.status])).toEqual([['client-a-instantly', 'ok']]);
    // The list walk returns every campaign, drafts included: all six of ClientA, nothing else.
    expect(a.body.data).toHaveLength(6);
    expect(a.body.data.every((c) => c.name.startsWith('ClientA ') && c.workspace === 'client-a')).toBe(true);
    // The analytics call and two list pages (the last one empty).
    expect(sim.stats().byKey).toEqual({ ClientA: 3 });

    const b = await analytics('client-b');
    expect(b.status).toBe(200);
    expect(b.body.data).toHaveLength(3);
    expect(b.body.data.every((c) => c.name.startsWith('ClientB ') && c.workspace === 'client-b')).toBe(true);
    // Client B was fetched from the vendor as ClientB, not answered from client A's entry; the admin
    // workspace's own campaigns were never read.
    expect(sim.stats().byKey).toEqual({ ClientA: 3, ClientB: 3 });

    // Both answers are cached now, in two separate entries whose credential tags differ (the key
    // is the same, the vendor workspace is not), and each connection has its own limiter.
    const gateway = service.gateway;
    expect(gateway.caches.instantly.size).toBe(2);
    const query = { campaignIds: undefined, startDate: undefined, endDate: undefined, steps: false, daily: false, raw: false };
    const [keyA, keyB] = ['client-a-instantly', 'client-b-instantly'].map((id) => gateway.runtimes.get(id)?.cacheKey(query) ?? '');
    expect(keyA?.split('|')[1]).not.toBe(keyB?.split('|')[1]);
    expect(gateway.caches.instantly.get(keyA ?? '')?.records.map((r) => r.name.slice(0, 8))).toEqual(Array(6).fill('ClientA '));
    expect(gateway.caches.instantly.get(keyB ?? '')?.records.map((r) => r.name.slice(0, 8))).toEqual(Array(3).fill('ClientB '));
    expect(gateway.limiters.size).toBe(2);

    const again = await analytics('client-a');
    expect(again.body.data.map((c) => c.key)).toEqual(a.body.data.map((c) => c.key));
    expect(sim.stats().total).toBe(6); // a cache hit

    // Neither the admin key nor the sub-workspaces' keys show up anywhere the gateway writes.
    for (const text of [a.text, b.text, again.text, logs.join('')]) {
      for (const secret of [ADMIN_KEY, SUB_KEYS.a, SUB_KEYS.b, CLIENT_KEY]) expect(text).not.toContain(secret);
    }
  });
});
