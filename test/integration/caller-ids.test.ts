/**
 * A caller's mistake is a 400, never a vendor failure: a campaign key whose vendor id its vendor
 * cannot have is refused before any vendor call (counted at the simulators), and leaves no trace on
 * the connection's health; a vendor's own 400 for a caller's parameter does not either.
 */
import fc from 'fast-check';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { Gateway } from '../../src/gateway/gateway';
import { parseAnalyticsQuery } from '../../src/gateway/request';
import { createProviders } from '../../src/providers/registry';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';

interface Problem {
  status: number;
  code: string;
  errors?: { parameter: string; message: string }[];
}
interface ConnectionInfo {
  id: string;
  breaker: string;
  lastErrorAt: string | null;
  lastErrorCode: string | null;
}
interface Answer {
  data: { key: string; provider: ProviderId }[];
  sources: { connection: string; status: string; error: { code: string } | null }[];
}

/** A vendor id of the right alphabet for a campaign key that its vendor cannot have. */
const MALFORMED: Record<ProviderId, string> = {
  instantly: 'not-a-uuid',
  sendkit: 'ac',
  kakiyo: 'campaign.1', // a dot: no Kakiyo id has one, and the key syntax refuses it already
  seleqt: 'abc',
};

describe('campaign keys a vendor cannot have', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => stack.resetCounts());

  const connections = async (): Promise<ConnectionInfo[]> => ((await stack.get('/v1/connections')).body as { data: ConnectionInfo[] }).data;

  test.each(PROVIDER_IDS)('%s: a malformed vendor id is a 400 naming it, with no vendor call and no error on the connection', async (provider) => {
    const key = `acme-${provider}:${MALFORMED[provider]}`;
    const res = await stack.get(`${ANALYTICS}?ids=${key}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = res.body as Problem;
    expect(problem.code).toBe('invalid_query');
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors?.[0]?.parameter).toBe('ids');
    // The key is named; a key whose text breaks the key syntax itself (Kakiyo's dot) is named by position.
    expect(problem.errors?.[0]?.message).toMatch(provider === 'kakiyo' ? /^id 1 is not a campaign key/ : new RegExp(`^${key}: "${MALFORMED[provider]}" cannot be a ${provider} campaign id`));
    expect(stack.upstreamCalls()).toBe(0);
    for (const info of await connections()) {
      expect(info).toMatchObject({ breaker: 'closed', lastErrorAt: null, lastErrorCode: null });
    }
  });

  test('the example of the report: ids=<sendkit connection>:ac, beside a good key, names only the bad one', async () => {
    const res = await stack.get(`${ANALYTICS}?ids=acme-instantly:3f2a9c1e-0b7d-4e55-9a1c-2b3c4d5e6f70,acme-sendkit:ac,globex-seleqt:12x`);
    expect(res.status).toBe(400);
    expect((res.body as Problem).errors?.map((e) => e.message.split(':').slice(0, 2).join(':'))).toEqual(['acme-sendkit:ac', 'globex-seleqt:12x']);
    expect(stack.upstreamCalls()).toBe(0);
  });

  test('a key of a connection the caller is not linked to is not checked (it matches nothing, as before)', async () => {
    const res = await stack.get(`${ANALYTICS}?ids=acme-sendkit:ac`, { 'X-API-Key': OTHER_CLIENT_KEY });
    expect(res.status).toBe(200);
    expect((res.body as Answer).sources).toEqual([]);
    expect(stack.upstreamCalls()).toBe(0);
  });

  test('every campaign key the gateway hands out is accepted back as an ids filter', async () => {
    const all = (await stack.get(`${ANALYTICS}?workspace_id=ALL`)).body as Answer;
    for (const provider of PROVIDER_IDS) {
      const keys = all.data.filter((c) => c.provider === provider).slice(0, 3).map((c) => c.key);
      expect(keys.length).toBeGreaterThan(0);
      const res = await stack.get(`${ANALYTICS}?workspace_id=ALL&ids=${keys.join(',')}`);
      expect(res.status).toBe(200);
      expect((res.body as Answer).data.map((c) => c.key).sort()).toEqual([...keys].sort());
    }
  });

  test('property: any vendor id of the key alphabet is either its vendor\'s (200) or a 400 naming it with no call', async () => {
    const providers = createProviders();
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROVIDER_IDS), fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), async (provider, vendorId) => {
        stack.resetCounts();
        const key = `globex-${provider}:${vendorId}`;
        const res = await stack.get(`${ANALYTICS}?workspace_id=globex&ids=${key}`);
        if (providers[provider].isCampaignId(vendorId)) {
          accepted += 1;
          expect(res.status).toBe(200);
        } else {
          refused += 1;
          expect(res.status).toBe(400);
          expect(JSON.stringify(res.body)).toContain(key);
          expect(stack.upstreamCalls()).toBe(0);
        }
      }),
      { numRuns: 40, seed: 17 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    for (const info of await connections()) expect(info.lastErrorCode).toBeNull();
  });
});

describe("a vendor's 400 for the caller's parameter", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  /** A gateway over the same simulators whose SendKit provider lets any id through, so SendKit itself answers 400. */
  function lenientGateway(): Gateway {
    const real = createProviders();
    return new Gateway(stack.config, {
      providers: { ...real, sendkit: { ...real.sendkit, isCampaignId: () => true } },
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'error' }),
    });
  }

  test('is an error of that source, but never the connection failing (breaker and lastErrorCode untouched)', async () => {
    const gateway = lenientGateway();
    const client = stack.config.clients.find((c) => c.id === 'agency');
    if (!client) throw new Error('the stack has an agency client');
    const threshold = stack.config.connections.find((c) => c.id === 'acme-sendkit')?.settings.breakerThreshold ?? 5;
    stack.resetCounts();
    for (let i = 0; i <= threshold; i += 1) {
      const answer = await gateway.analytics(client, parseAnalyticsQuery({ ids: 'acme-sendkit:ac', refresh: 'true' }), `r${i}`);
      expect(answer.body.sources.map((s) => [s.connection, s.status, s.error?.code])).toEqual([['acme-sendkit', 'error', 'bad_request']]);
    }
    expect(stack.sims.sendkit.stats().total).toBeGreaterThan(threshold); // SendKit was asked, and said no
    const sendkit = gateway.connections(client).find((c) => c.id === 'acme-sendkit');
    expect(sendkit).toMatchObject({ breaker: 'closed', lastErrorAt: null, lastErrorCode: null });

    // The gateway's own query failing still counts: the health check above can see a failure.
    stack.sims.sendkit.setFaults({ down: true });
    await gateway.analytics(client, parseAnalyticsQuery({ providers: 'sendkit', refresh: 'true' }), 'down');
    stack.sims.sendkit.setFaults({ down: false });
    expect(gateway.connections(client).find((c) => c.id === 'acme-sendkit')?.lastErrorCode).not.toBeNull();
  });
});
