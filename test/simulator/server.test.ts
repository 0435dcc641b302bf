import { createServer } from 'node:net';
import {
  DEFAULT_RATE_LIMITS,
  NO_FAULTS,
  closeSimulators,
  perSecond,
  startSimulator,
  startSimulators,
  type SimulatorOptions,
  type VendorSimulator,
} from '../../src/simulator';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { REFERENCE_DATE, bearer, get, isBrokenJson, kakiyoKey } from './helpers';

const KEYS: Record<ProviderId, string> = {
  instantly: 'instantly-key-1',
  sendkit: 'sk_test_key_1',
  kakiyo: kakiyoKey('one'),
  seleqt: 'abcd1234.secret',
};
const AUTH: Record<ProviderId, Record<string, string>> = {
  instantly: bearer(KEYS.instantly),
  sendkit: { 'x-api-key': KEYS.sendkit },
  kakiyo: bearer(KEYS.kakiyo),
  seleqt: { 'x-api-key': KEYS.seleqt },
};
const PATHS: Record<ProviderId, string> = {
  instantly: '/api/v2/campaigns/analytics',
  sendkit: '/v1/campaigns',
  kakiyo: '/v1/campaigns',
  seleqt: '/api/v1/dashboard/campaign-analytics/',
};
const ERROR_500: Record<ProviderId, unknown> = {
  instantly: { statusCode: 500, error: 'Internal Server Error', message: 'An unexpected error occurred' },
  sendkit: { error: 'Internal Server Error', message: 'Internal server error', code: 500 },
  kakiyo: { error: 'internal_error', message: 'An internal error occurred' },
  seleqt: { error: 'Internal server error' },
};
const ERROR_503: Record<ProviderId, unknown> = {
  instantly: { statusCode: 503, error: 'Service Unavailable', message: 'Service temporarily unavailable' },
  sendkit: { error: 'Service Unavailable', message: 'Service unavailable', code: 503 },
  kakiyo: { error: 'service_unavailable', message: 'Service temporarily unavailable' },
  seleqt: { error: 'Service unavailable' },
};
const ERROR_429: Record<ProviderId, unknown> = {
  instantly: { statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded' },
  sendkit: { error: 'Too Many Requests', message: 'Too many requests, please try again later.', code: 429 },
  kakiyo: { error: 'rate_limit_exceeded', message: 'Rate limit exceeded: 60 requests per minute per endpoint' },
  seleqt: { error: 'Rate limit exceeded' },
};

function options(provider: ProviderId, extra: Partial<SimulatorOptions> = {}): SimulatorOptions {
  return { referenceDate: REFERENCE_DATE, accounts: [{ label: 'Acme', apiKey: KEYS[provider], seed: 5, campaigns: 6 }], ...extra };
}

let sims: Record<ProviderId, VendorSimulator>;

beforeAll(async () => {
  sims = await startSimulators({
    instantly: options('instantly'),
    sendkit: options('sendkit'),
    kakiyo: options('kakiyo'),
    seleqt: options('seleqt'),
  });
});

afterAll(async () => {
  await closeSimulators(sims);
});

afterEach(() => {
  for (const provider of PROVIDER_IDS) {
    sims[provider].setFaults(NO_FAULTS);
    sims[provider].setRateLimit(DEFAULT_RATE_LIMITS[provider]);
    sims[provider].resetStats();
  }
});

describe('startSimulators', () => {
  it('starts one simulator per vendor on distinct loopback ports', () => {
    const urls = PROVIDER_IDS.map((p) => sims[p].url);
    for (const provider of PROVIDER_IDS) {
      expect(sims[provider].provider).toBe(provider);
      expect(sims[provider].url).toBe(`http://127.0.0.1:${sims[provider].port}`);
      expect(sims[provider].accounts.map((a) => a.label)).toEqual(['Acme']);
    }
    expect(new Set(urls).size).toBe(4);
  });

  it('fails as a whole, closing what started, when one cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(
        startSimulators({
          instantly: options('instantly'),
          sendkit: options('sendkit', { port }),
          kakiyo: options('kakiyo'),
          seleqt: options('seleqt'),
        }),
      ).rejects.toThrow('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('rejects a bad reference date or bad knobs at start', async () => {
    await expect(startSimulator('instantly', options('instantly', { referenceDate: '30/06/2026' }))).rejects.toThrow('referenceDate');
    await expect(startSimulator('instantly', options('instantly', { faults: { errorRate: 2 } }))).rejects.toThrow('errorRate');
    await expect(startSimulator('instantly', options('instantly', { rateLimit: { rules: [{ limit: 0, windowMs: 1 }] } }))).rejects.toThrow('limit');
  });
});

describe('determinism', () => {
  it('the same seed gives the same bytes in another simulator; another seed does not', async () => {
    for (const provider of PROVIDER_IDS) {
      const twin = await startSimulator(provider, options(provider));
      const other = await startSimulator(provider, { ...options(provider), accounts: [{ label: 'Acme', apiKey: KEYS[provider], seed: 6, campaigns: 6 }] });
      try {
        const a = await get(sims[provider], PATHS[provider], AUTH[provider]);
        const b = await get(twin, PATHS[provider], AUTH[provider]);
        const c = await get(other, PATHS[provider], AUTH[provider]);
        expect(a.status).toBe(200);
        expect(b.text).toBe(a.text);
        expect(c.text).not.toBe(a.text);
      } finally {
        await Promise.all([twin.close(), other.close()]);
      }
    }
  });
});

describe('fault knobs', () => {
  it('errorRate 1: every call is a 500 with the vendor body', async () => {
    for (const provider of PROVIDER_IDS) {
      sims[provider].setFaults({ errorRate: 1 });
      const res = await get(sims[provider], PATHS[provider], AUTH[provider]);
      expect(res.status).toBe(500);
      expect(res.json()).toEqual(ERROR_500[provider]);
    }
  });

  it('errorRate 0.5 fails about half, the same calls for the same fault seed', async () => {
    const run = async (): Promise<string> => {
      const sim = await startSimulator('seleqt', options('seleqt', { faults: { errorRate: 0.5 }, faultSeed: 99 }));
      try {
        let out = '';
        for (let i = 0; i < 30; i += 1) out += (await get(sim, PATHS.seleqt, AUTH.seleqt)).status === 500 ? 'x' : '.';
        return out;
      } finally {
        await sim.close();
      }
    };
    const first = await run();
    expect(await run()).toBe(first);
    const failures = first.split('').filter((c) => c === 'x').length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(25);
  });

  it('down: every call is a 503 with the vendor body, even unauthenticated ones', async () => {
    for (const provider of PROVIDER_IDS) {
      sims[provider].setFaults({ down: true });
      const res = await get(sims[provider], PATHS[provider]);
      expect(res.status).toBe(503);
      expect(res.json()).toEqual(ERROR_503[provider]);
    }
    sims.instantly.setFaults({ down: false });
    expect((await get(sims.instantly, PATHS.instantly, AUTH.instantly)).status).toBe(200);
  });

  it('rateLimitBurst: the next N calls get the vendor 429, then calls pass', async () => {
    for (const provider of PROVIDER_IDS) {
      sims[provider].setFaults({ rateLimitBurst: 2 });
      const first = await get(sims[provider], PATHS[provider], AUTH[provider]);
      const second = await get(sims[provider], PATHS[provider], AUTH[provider]);
      const third = await get(sims[provider], PATHS[provider], AUTH[provider]);
      expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
      expect(first.json()).toEqual(ERROR_429[provider]);
      expect(first.headers.get('retry-after')).toBe(provider === 'instantly' || provider === 'sendkit' ? '1' : null);
      expect(sims[provider].faults().rateLimitBurst).toBe(0);
    }
  });

  it('latencyMs delays every answer; jitter is drawn on top', async () => {
    sims.kakiyo.setFaults({ latencyMs: 150, jitterMs: 30 });
    const started = Date.now();
    const res = await get(sims.kakiyo, PATHS.kakiyo, AUTH.kakiyo);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(sims.kakiyo.faults()).toEqual({ ...NO_FAULTS, latencyMs: 150, jitterMs: 30 });
  });

  it('timeoutRate 1: no answer until the client gives up; counted as "timeout"', async () => {
    sims.sendkit.setFaults({ timeoutRate: 1 });
    await expect(get(sims.sendkit, PATHS.sendkit, AUTH.sendkit, AbortSignal.timeout(300))).rejects.toThrow();
    expect(sims.sendkit.stats().byStatus).toEqual({ timeout: 1 });
    sims.sendkit.setFaults({ timeoutRate: 0 });
    expect((await get(sims.sendkit, PATHS.sendkit, AUTH.sendkit)).status).toBe(200);
  });

  it('malformedRate 1: 200 with a truncated JSON body or an HTML page', async () => {
    sims.instantly.setFaults({ malformedRate: 1 });
    const kinds = new Set<string>();
    for (let i = 0; i < 12; i += 1) {
      const res = await get(sims.instantly, PATHS.instantly, AUTH.instantly);
      expect(res.status).toBe(200);
      expect(isBrokenJson(res.text)).toBe(true);
      const type = res.headers.get('content-type') ?? '';
      kinds.add(type);
      if (type.startsWith('text/html')) expect(res.text).toContain('<html>');
      else expect(res.text.startsWith('[{"campaign_name":"Acme ')).toBe(true);
    }
    expect([...kinds].sort()).toEqual(['application/json; charset=utf-8', 'text/html; charset=utf-8']);
  });
});

describe('rate limits', () => {
  it('reports each vendor default', () => {
    expect(sims.instantly.rateLimit()).toEqual({ rules: [perSecond(100), { limit: 6000, windowMs: 60_000 }], perEndpoint: false, retryAfter: 'seconds' });
    expect(sims.sendkit.rateLimit()).toEqual({ rules: [perSecond(10)], perEndpoint: false, retryAfter: 'seconds' });
  });

  it('"5 requests/second" is exact: the 6th within the second is a 429 with Retry-After seconds', async () => {
    sims.instantly.setRateLimit({ rules: [perSecond(5)] });
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 6; i += 1) {
      const res = await get(sims.instantly, '/api/v2/campaigns', AUTH.instantly);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(limited?.json()).toEqual(ERROR_429.instantly);
    expect(limited?.headers.get('retry-after')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await get(sims.instantly, '/api/v2/campaigns', AUTH.instantly)).status).toBe(200);
  });

  it('Retry-After as an HTTP date, or not at all', async () => {
    sims.instantly.setRateLimit({ rules: [{ limit: 1, windowMs: 60_000 }], retryAfter: 'date' });
    await get(sims.instantly, PATHS.instantly, AUTH.instantly);
    const dated = await get(sims.instantly, PATHS.instantly, AUTH.instantly);
    expect(dated.status).toBe(429);
    const when = Date.parse(dated.headers.get('retry-after') ?? '');
    expect(when).toBeGreaterThan(Date.now() + 50_000);
    expect(when).toBeLessThanOrEqual(Date.now() + 61_000);
    sims.instantly.setRateLimit({ retryAfter: 'none' });
    await get(sims.instantly, PATHS.instantly, AUTH.instantly);
    const bare = await get(sims.instantly, PATHS.instantly, AUTH.instantly);
    expect(bare.status).toBe(429);
    expect(bare.headers.get('retry-after')).toBeNull();
  });

  it('limits per account: another key is not affected', async () => {
    const sim = await startSimulator('seleqt', {
      accounts: [
        { label: 'Acme', apiKey: 'aaaa0000.one', seed: 1, campaigns: 1 },
        { label: 'Globex', apiKey: 'bbbb0000.two', seed: 2, campaigns: 1 },
      ],
      rateLimit: { rules: [{ limit: 1, windowMs: 60_000 }] },
    });
    try {
      expect((await get(sim, PATHS.seleqt, { 'x-api-key': 'aaaa0000.one' })).status).toBe(200);
      expect((await get(sim, PATHS.seleqt, { 'x-api-key': 'aaaa0000.one' })).status).toBe(429);
      expect((await get(sim, PATHS.seleqt, { 'x-api-key': 'bbbb0000.two' })).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('stats', () => {
  it('counts calls by route, status and account label, never the key', async () => {
    const sim = sims.instantly;
    await get(sim, '/api/v2/campaigns/analytics', AUTH.instantly);
    await get(sim, '/api/v2/campaigns/analytics', AUTH.instantly);
    await get(sim, '/api/v2/campaigns?limit=5', AUTH.instantly);
    await get(sim, '/api/v2/campaigns');
    await get(sim, '/nowhere', AUTH.instantly);
    await fetch(`${sim.url}/api/v2/campaigns`, { method: 'POST', headers: AUTH.instantly });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = Date.now();
    await get(sim, '/api/v2/campaigns?limit=5', AUTH.instantly);
    const stats = sim.stats();
    expect(stats).toEqual({
      total: 7,
      byRoute: { 'GET /api/v2/campaigns/analytics': 2, 'GET /api/v2/campaigns': 3, 'GET *': 1, 'POST *': 1 },
      byStatus: { '200': 4, '401': 1, '404': 2 },
      byKey: { Acme: 4 },
      spanByKey: { Acme: { firstMs: expect.any(Number), lastMs: expect.any(Number) } },
    });
    const span = stats.spanByKey.Acme;
    // The first authenticated call came before the last one, which came after `before`.
    expect(span && span.firstMs < before && span.lastMs >= before).toBe(true);
    expect(JSON.stringify(stats)).not.toContain(KEYS.instantly);
    sim.resetStats();
    expect(sim.stats()).toEqual({ total: 0, byRoute: {}, byStatus: {}, byKey: {}, spanByKey: {} });
  });

  it('stats() is a copy: changing it changes nothing', async () => {
    await get(sims.kakiyo, PATHS.kakiyo, AUTH.kakiyo);
    const copy = sims.kakiyo.stats();
    copy.total = 99;
    copy.byRoute['GET /v1/campaigns'] = 99;
    expect(sims.kakiyo.stats().total).toBe(1);
    expect(sims.kakiyo.stats().byRoute['GET /v1/campaigns']).toBe(1);
  });
});

describe('close', () => {
  it('ends held sockets and pending latency so the process can exit; closing twice is fine', async () => {
    const sim = await startSimulator('kakiyo', options('kakiyo', { faults: { timeoutRate: 1 } }));
    const outcome = (call: Promise<unknown>): Promise<string> => call.then(() => 'answered', () => 'connection closed');
    const hanging = outcome(get(sim, PATHS.kakiyo, AUTH.kakiyo));
    const slow = await startSimulator('kakiyo', options('kakiyo', { faults: { latencyMs: 60_000 } }));
    const waiting = outcome(get(slow, PATHS.kakiyo, AUTH.kakiyo));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await Promise.all([sim.close(), slow.close()]);
    await sim.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await hanging).toBe('connection closed');
    expect(await waiting).toBe('connection closed');
  });
});
