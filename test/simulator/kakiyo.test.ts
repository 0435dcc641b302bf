/** The Kakiyo simulator over real HTTP: auth, the four list envelopes, analytics as documented (full and minimal), rate limit. */
import { startSimulator, type KakiyoEnvelope, type VendorSimulator } from '../../src/simulator';
import { REFERENCE_DATE, allStartWith, bearer, get, kakiyoKey, stringOrNull, strings, sumOf, type Json } from './helpers';

const ACME = kakiyoKey('acme');
const GLOBEX = kakiyoKey('globex');
/** The example reply of https://docs.kakiyo.com/api-reference/analytics/campaigns, transcribed. */
const EXAMPLE = {
  campaign: {
    id: 'campaign_123',
    name: 'Q4 Enterprise Outreach',
    status: 'active',
    createdAt: '2024-01-15T10:30:00Z',
    agent: 'agent_456',
    product: 'Enterprise Solution',
  },
  metrics: {
    totalProspects: 150,
    totalMessages: 420,
    totalQualified: 12,
    totalAnswers: 35,
    totalClosed: 8,
    conversionRate: 8.0,
    responseRate: 23.33,
    qualificationRate: 34.29,
    averageMessagesPerProspect: 2.8,
  },
  activity: {
    dailyBreakdown: [
      { date: '2024-01-20', messages: 25, responses: 4, qualified: 1 },
      { date: '2024-01-19', messages: 30, responses: 6, qualified: 2 },
    ],
    last7Days: { messages: 180, responses: 28, qualified: 8 },
  },
  statusDistribution: { pending: 85, contacted: 45, responded: 35, qualified: 12, closed: 8 },
  qualificationBreakdown: { pending: 123, qualified: 12, disqualified: 15 },
};

const sims: VendorSimulator[] = [];
async function start(envelope?: KakiyoEnvelope, rateLimit = false): Promise<VendorSimulator> {
  const sim = await startSimulator('kakiyo', {
    referenceDate: REFERENCE_DATE,
    accounts: [
      { label: 'Acme', apiKey: ACME, seed: 31, campaigns: 23 },
      { label: 'Globex', apiKey: GLOBEX, seed: 32, campaigns: 4 },
    ],
    ...(envelope ? { envelope } : {}),
    ...(rateLimit ? {} : { rateLimit: { rules: [] } }),
  });
  sims.push(sim);
  return sim;
}

afterAll(async () => {
  await Promise.all(sims.map((sim) => sim.close()));
});

/** Keys of an object, recursively, as dotted paths (arrays: their first element). */
function shape(value: Json, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [`${prefix}[]`] : shape(value[0], `${prefix}[]`);
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.keys(value)
    .sort()
    .flatMap((key) => shape(value[key], prefix === '' ? key : `${prefix}.${key}`));
}

describe('Kakiyo simulator: auth', () => {
  let sim: VendorSimulator;
  beforeAll(async () => {
    sim = await start();
  });

  it('answers each documented 401 code', async () => {
    const missing = await get(sim, '/v1/campaigns');
    expect(missing.status).toBe(401);
    expect(missing.json().error).toBe('missing_api_key');
    const format = await get(sim, '/v1/campaigns', bearer('short-key'));
    expect(format.json()).toEqual({ error: 'invalid_api_key_format', message: 'API key must be 40 characters, sent as Bearer' });
    const wrong = await get(sim, '/v1/campaigns', bearer(kakiyoKey('nobody')));
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ error: 'invalid_api_key', message: 'Invalid API key' });
  });

  it('404 not_found for unknown paths and campaigns', async () => {
    expect((await get(sim, '/v1/nothing', bearer(ACME))).json()).toEqual({ error: 'not_found', message: 'Endpoint not found' });
    const res = await get(sim, '/v1/analytics/campaigns/campaign_missing', bearer(ACME));
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'Campaign not found' });
  });

  it('refuses accounts whose key is not 40 characters', async () => {
    await expect(startSimulator('kakiyo', { accounts: [{ apiKey: 'abc', seed: 1, campaigns: 1 }] })).rejects.toThrow('keys are 40 characters');
  });
});

describe('Kakiyo simulator: campaign list envelopes', () => {
  async function walk(sim: VendorSimulator, next: (body: Json, items: Json[]) => string | null): Promise<{ bodies: Json[]; ids: string[] }> {
    const bodies: Json[] = [];
    const ids: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i += 1) {
      const body = (await get(sim, `/v1/campaigns?limit=10${after ? `&after=${after}` : ''}`, bearer(ACME))).json();
      bodies.push(body);
      const items: Json[] = Array.isArray(body) ? body : (body.campaigns ?? (Array.isArray(body.data) ? body.data : body.data.campaigns));
      ids.push(...strings(items, 'id'));
      after = next(body, items);
      if (after === null) break;
    }
    return { bodies, ids };
  }

  it("default `{campaigns, nextCursor}` with nextCursor null at the end", async () => {
    const sim = await start();
    const { bodies, ids } = await walk(sim, (body) => stringOrNull(body.nextCursor));
    expect(bodies.map((b) => Number(b.campaigns.length))).toEqual([10, 10, 3]);
    expect(bodies[2].nextCursor).toBeNull();
    expect(bodies[0].nextCursor).toBe(bodies[0].campaigns[9].id);
    expect(new Set(ids).size).toBe(23);
    // The introduction's example object: `{id, name, status}`.
    expect(Object.keys(bodies[0].campaigns[0])).toEqual(['id', 'name', 'status']);
    expect(ids[0]).toMatch(/^campaign_[0-9a-f]+$/);
    expect(allStartWith(bodies[0].campaigns, 'name', 'Acme ')).toBe(true);
  });

  it("'array': a bare array; a short page is the end", async () => {
    const sim = await start('array');
    const { bodies, ids } = await walk(sim, (_body, items) => (items.length === 10 ? stringOrNull(items[9].id) : null));
    expect(bodies.every((b) => Array.isArray(b))).toBe(true);
    expect(bodies.map((b) => Number(b.length))).toEqual([10, 10, 3]);
    expect(new Set(ids).size).toBe(23);
  });

  it("'data': `{data, pagination:{nextCursor, hasMore}}`", async () => {
    const sim = await start('data');
    const { bodies, ids } = await walk(sim, (body) => (body.pagination.hasMore ? stringOrNull(body.pagination.nextCursor) : null));
    expect(bodies[0].pagination).toEqual({ nextCursor: bodies[0].data[9].id, hasMore: true });
    expect(bodies[2].pagination).toEqual({ nextCursor: null, hasMore: false });
    expect(new Set(ids).size).toBe(23);
  });

  it("'data-campaigns': `{data:{campaigns, nextCursor, hasMore}}`", async () => {
    const sim = await start('data-campaigns');
    const { bodies, ids } = await walk(sim, (body) => (body.data.hasMore ? stringOrNull(body.data.nextCursor) : null));
    expect(bodies.every((b) => Object.keys(b).join() === 'data')).toBe(true);
    expect(Object.keys(bodies[0].data)).toEqual(['campaigns', 'nextCursor', 'hasMore']);
    expect(bodies[0].data.nextCursor).toBe(bodies[0].data.campaigns[9].id);
    expect(bodies[2].data).toMatchObject({ nextCursor: null, hasMore: false });
    expect(bodies.map((b) => Number(b.data.campaigns.length))).toEqual([10, 10, 3]);
    expect(new Set(ids).size).toBe(23);
  });

  it('validates limit (1–100, default 20) and the after cursor', async () => {
    const sim = await start();
    expect((await get(sim, '/v1/campaigns', bearer(ACME))).json().campaigns).toHaveLength(20);
    expect((await get(sim, '/v1/campaigns?limit=100', bearer(ACME))).json().campaigns).toHaveLength(23);
    const big = await get(sim, '/v1/campaigns?limit=101', bearer(ACME));
    expect(big.status).toBe(400);
    expect(big.json()).toEqual({ error: 'validation_error', message: 'limit must be <= 100' });
    const after = await get(sim, '/v1/campaigns?after=campaign_zzz', bearer(ACME));
    expect(after.json()).toEqual({ error: 'validation_error', message: 'after must be the id of a campaign' });
    const globexId = (await get(sim, '/v1/campaigns', bearer(GLOBEX))).json().campaigns[0].id;
    expect((await get(sim, `/v1/campaigns?after=${globexId}`, bearer(ACME))).status).toBe(400);
  });
});

describe('Kakiyo simulator: analytics', () => {
  let sim: VendorSimulator;
  let list: Json[];
  beforeAll(async () => {
    sim = await start();
    list = (await get(sim, '/v1/campaigns?limit=100', bearer(ACME))).json().campaigns;
  });

  it('has exactly the documented shape', async () => {
    const active = list.find((c) => c.status === 'active');
    const body = (await get(sim, `/v1/analytics/campaigns/${active.id}`, bearer(ACME))).json();
    expect(shape(body)).toEqual(shape(EXAMPLE));
    expect(body.campaign).toMatchObject({ id: active.id, name: active.name, status: 'active' });
    expect(body.campaign.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("analyticsShape 'minimal' serves the docs' minimal example: campaign{id,name}, metrics{totalProspects,conversionRate}", async () => {
    const minimal = await startSimulator('kakiyo', {
      referenceDate: REFERENCE_DATE,
      accounts: [{ label: 'Acme', apiKey: ACME, seed: 31, campaigns: 23 }],
      analyticsShape: 'minimal',
      rateLimit: { rules: [] },
    });
    sims.push(minimal);
    const full = (await get(sim, `/v1/analytics/campaigns/${list[0].id}`, bearer(ACME))).json();
    const body = (await get(minimal, `/v1/analytics/campaigns/${list[0].id}`, bearer(ACME))).json();
    expect(shape(body)).toEqual(['campaign.id', 'campaign.name', 'metrics.conversionRate', 'metrics.totalProspects']);
    expect(body).toEqual({
      campaign: { id: full.campaign.id, name: full.campaign.name },
      metrics: { totalProspects: full.metrics.totalProspects, conversionRate: full.metrics.conversionRate },
    });
  });

  it('numbers are consistent; rates are percentages with two decimals at most', async () => {
    for (const campaign of list) {
      const { metrics, statusDistribution: dist, qualificationBreakdown: qual, activity } = (
        await get(sim, `/v1/analytics/campaigns/${campaign.id}`, bearer(ACME))
      ).json();
      expect(Object.values(dist).reduce((a: number, b) => a + Number(b), 0)).toBe(metrics.totalProspects);
      expect(qual.pending + qual.qualified + qual.disqualified).toBe(metrics.totalProspects);
      expect(metrics.totalQualified).toBeLessThanOrEqual(metrics.totalAnswers);
      expect(metrics.totalClosed).toBeLessThanOrEqual(metrics.totalQualified);
      expect(metrics.responseRate).toBe(metrics.totalProspects === 0 ? 0 : Math.round((metrics.totalAnswers / metrics.totalProspects) * 10000) / 100);
      expect(metrics.responseRate).toBeLessThanOrEqual(100);
      const dates = strings(activity.dailyBreakdown, 'date');
      expect(dates).toEqual([...dates].sort().reverse());
      expect(sumOf(activity.dailyBreakdown, 'messages')).toBe(metrics.totalMessages);
      expect(sumOf(activity.dailyBreakdown, 'responses')).toBe(metrics.totalAnswers);
      const lastWeek = activity.dailyBreakdown.filter((d: Json) => d.date >= '2026-06-24');
      expect(sumOf(lastWeek, 'messages')).toBe(activity.last7Days.messages);
      if (campaign.status === 'draft') {
        expect(activity.dailyBreakdown).toEqual([]);
        expect(metrics.totalMessages).toBe(0);
      }
    }
  });

  it('statuses include an undocumented value', () => {
    const statuses = new Set(strings(list, 'status'));
    expect(statuses.has('active')).toBe(true);
    expect([...statuses].some((s) => !['active', 'paused', 'completed', 'draft', 'archived'].includes(s))).toBe(true);
  });

  it('ignores date parameters (none are documented)', async () => {
    const plain = await get(sim, `/v1/analytics/campaigns/${list[1].id}`, bearer(ACME));
    const dated = await get(sim, `/v1/analytics/campaigns/${list[1].id}?from=2026-06-01&to=2026-06-02`, bearer(ACME));
    expect(dated.text).toBe(plain.text);
  });
});

describe('Kakiyo simulator: rate limit', () => {
  it('60/min per endpoint per key, 429 rate_limit_exceeded without Retry-After', async () => {
    const sim = await start(undefined, true);
    expect(sim.rateLimit()).toEqual({ rules: [{ limit: 60, windowMs: 60_000 }], perEndpoint: true, retryAfter: 'none' });
    sim.setRateLimit({ rules: [{ limit: 2, windowMs: 60_000 }] });
    const list = (await get(sim, '/v1/campaigns', bearer(ACME))).json().campaigns;
    expect((await get(sim, '/v1/campaigns', bearer(ACME))).status).toBe(200);
    const limited = await get(sim, '/v1/campaigns', bearer(ACME));
    expect(limited.status).toBe(429);
    expect(limited.json()).toEqual({ error: 'rate_limit_exceeded', message: 'Rate limit exceeded: 60 requests per minute per endpoint' });
    expect(limited.headers.get('retry-after')).toBeNull();
    // Another endpoint and another key have their own windows.
    expect((await get(sim, `/v1/analytics/campaigns/${list[0].id}`, bearer(ACME))).status).toBe(200);
    expect((await get(sim, '/v1/campaigns', bearer(GLOBEX))).status).toBe(200);
  });
});
