/** The Express app with in-memory providers: headers, inbound limits, problem bodies, request ids. */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { resolveConfig } from '../../src/config';
import { ProviderError } from '../../src/errors';
import { PROVIDER_FACTORIES } from '../../src/providers/registry';
import type { AnalyticsProvider } from '../../src/providers/types';
import { finishRecord } from '../../src/providers/shared';
import { emptyMetrics, type ProviderId } from '../../src/schema/campaign';
import { createService, type GatewayService } from '../../src/service';

const KEY = 'test-client-key-abcdef';

function fakeProvider(id: ProviderId, behaviour: { fail?: boolean; calls: { n: number } }): AnalyticsProvider {
  return {
    id,
    defaults: PROVIDER_FACTORIES[id]().defaults,
    isCampaignId: () => true,
    estimateCalls: (campaigns) => 1 + campaigns,
    probe: () => Promise.resolve({ campaigns: 0, calls: 0, warnings: [] }),
    async fetchAnalytics(connection) {
      behaviour.calls.n += 1;
      if (behaviour.fail) throw new ProviderError({ provider: id, code: 'upstream_unavailable', status: 503, message: 'HTTP 503' });
      return {
        records: [1, 2].map((n) =>
          finishRecord(
            id,
            connection,
            {
              id: `${id}-${n}`,
              name: `${id} campaign ${n}`,
              status: n === 1 ? 'active' : 'paused',
              vendorStatus: String(n),
              channels: ['email'],
              createdAt: null,
              metrics: { ...emptyMetrics(), contacted: 10 * n, replied: n },
              averageReplySeconds: null,
              steps: null,
              daily: null,
              leadStatus: null,
            },
            {},
            false,
          ),
        ),
        warnings: [],
      };
    },
  };
}

function makeService(options: { requestsPerMinute?: number; failing?: ProviderId[] } = {}): { service: GatewayService; calls: { n: number } } {
  const calls = { n: 0 };
  const config = resolveConfig({
    clients: [
      { id: 'bi', keySha256: createHash('sha256').update(KEY).digest('hex'), workspaces: ['acme'], requestsPerMinute: options.requestsPerMinute ?? 600 },
    ],
    workspaces: [
      {
        id: 'acme',
        connections: (['instantly', 'sendkit', 'kakiyo', 'seleqt'] as const).map((provider) => ({ id: `acme-${provider}`, provider, apiKey: `vendor-key-${provider}` })),
      },
    ],
  });
  const providers = {
    instantly: fakeProvider('instantly', { calls, fail: options.failing?.includes('instantly') ?? false }),
    sendkit: fakeProvider('sendkit', { calls, fail: options.failing?.includes('sendkit') ?? false }),
    kakiyo: fakeProvider('kakiyo', { calls, fail: options.failing?.includes('kakiyo') ?? false }),
    seleqt: fakeProvider('seleqt', { calls, fail: options.failing?.includes('seleqt') ?? false }),
  };
  return { service: createService(config, { providers, logStream: new PassThrough() }), calls };
}

describe('HTTP app', () => {
  test('answers with data, totals from sums, helmet and cache headers', async () => {
    const { service } = makeService();
    const res = await request(service.server).get('/v1/campaigns/analytics').set('Authorization', `Bearer ${KEY}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(8);
    expect(res.body.totals.metrics.contacted).toBe(4 * 30);
    expect(res.body.totals.rates.replyRate).toBeCloseTo(12 / 120);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['ratelimit-policy']).toBe('"per-key";q=600;w=60');
    expect(res.headers.vary).toMatch(/Authorization/);
  });

  test('status filter narrows data and totals', async () => {
    const { service } = makeService();
    const res = await request(service.server).get('/v1/campaigns/analytics?status=paused').set('X-API-Key', KEY);
    expect(res.body.data.map((c: { status: string }) => c.status)).toEqual(['paused', 'paused', 'paused', 'paused']);
    expect(res.body.totals.campaigns).toBe(4);
  });

  test('echoes a valid X-Request-Id and replaces an invalid one', async () => {
    const { service } = makeService();
    const ok = await request(service.server).get('/healthz').set('X-Request-Id', 'abc-123');
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await request(service.server).get('/healthz').set('X-Request-Id', 'no spaces allowed');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('inbound limit: 429 with Retry-After and RateLimit headers, no vendor call', async () => {
    const { service, calls } = makeService({ requestsPerMinute: 2 });
    await request(service.server).get('/v1/campaigns/analytics').set('X-API-Key', KEY).expect(200);
    await request(service.server).get('/v1/campaigns/analytics').set('X-API-Key', KEY).expect(200);
    const before = calls.n;
    const limited = await request(service.server).get('/v1/campaigns/analytics').set('X-API-Key', KEY);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers.ratelimit).toMatch(/^"per-key";r=0;t=\d+$/);
    expect(limited.body.code).toBe('rate_limited');
    expect(calls.n).toBe(before);
  });

  test('a body on GET, other methods and unknown routes get problem+json', async () => {
    const { service } = makeService();
    const withBody = await request(service.server).get('/v1/campaigns/analytics').set('X-API-Key', KEY).set('Content-Type', 'application/json').send('{"a":1}');
    expect(withBody.status).toBe(400);
    const post = await request(service.server).post('/v1/campaigns/analytics').set('X-API-Key', KEY);
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const missing = await request(service.server).get('/v2/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, code: 'not_found', title: 'Not found' });
  });

  test('the fan-out cost cap refuses before any vendor call', async () => {
    const { service, calls } = makeService();
    service.config.server.maxUpstreamCalls = 3;
    const res = await request(service.server).get('/v1/campaigns/analytics?include=steps').set('X-API-Key', KEY);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('too_expensive');
    expect(calls.n).toBe(0);
  });

  test('every source failing is 502 with the analytics body shape', async () => {
    const { service } = makeService({ failing: ['instantly', 'sendkit', 'kakiyo', 'seleqt'] });
    const res = await request(service.server).get('/v1/campaigns/analytics').set('X-API-Key', KEY);
    expect(res.status).toBe(502);
    expect(res.body.meta.complete).toBe(false);
    expect(res.body.sources.map((s: { error: { code: string } }) => s.error.code)).toEqual(Array(4).fill('upstream_unavailable'));
  });

  test('readyz, metrics and openapi are served', async () => {
    const { service } = makeService();
    await request(service.server).get('/v1/campaigns/analytics').set('X-API-Key', KEY);
    expect((await request(service.server).get('/readyz')).body.status).toBe('ready');
    const metrics = await request(service.server).get('/metrics');
    expect(metrics.text).toMatch(/gateway_http_requests_total\{route="\/v1\/campaigns\/analytics",status="200"\} 1/);
    expect(metrics.text).toMatch(/gateway_cache_events_total\{provider="instantly",event="miss"\} 1/);
    const openapi = await request(service.server).get('/openapi.json');
    expect(openapi.body.openapi).toBe('3.1.0');
  });
});
