import { SELEQT_SPA_HTML } from '../../src/simulator/seleqt';
import { startSimulator, type VendorSimulator } from '../../src/simulator';
import { REFERENCE_DATE, allStartWith, get, numbers, stringOrNull, strings, type Json } from './helpers';

const ACME = 'a1c3e5d7.acmeSecretForTests';
const GLOBEX = 'b2d4f6a8.globexSecretForTests';
const PATH = '/api/v1/dashboard/campaign-analytics/';

let sim: VendorSimulator;

beforeAll(async () => {
  sim = await startSimulator('seleqt', {
    referenceDate: REFERENCE_DATE,
    rateLimit: { rules: [] },
    accounts: [
      { label: 'Acme', apiKey: ACME, seed: 41, campaigns: 300, vendorWorkspaceId: '340' },
      { label: 'Globex', apiKey: GLOBEX, seed: 42, campaigns: 5 },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

const acme = { 'x-api-key': ACME };

describe('Seleqt simulator: auth and paths', () => {
  it('401 bodies for a missing or wrong key', async () => {
    const missing = await get(sim, PATH);
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({ error: 'Missing API key', message: 'Provide X-API-Key header' });
    const wrong = await get(sim, PATH, { 'x-api-key': 'a1c3e5d7.wrong' });
    expect(wrong.json()).toEqual({ error: 'Invalid API key' });
    expect((await get(sim, PATH, { authorization: `Bearer ${ACME}` })).status).toBe(401);
  });

  it('the trailing slash is part of the path', async () => {
    const res = await get(sim, '/api/v1/dashboard/campaign-analytics', acme);
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: 'Not found' });
  });

  it('workspace_id: own id, ALL or omitted are served; another workspace is 403 Access denied', async () => {
    const own = await get(sim, `${PATH}?workspace_id=340`, acme);
    expect(own.status).toBe(200);
    expect((await get(sim, `${PATH}?workspace_id=ALL`, acme)).text).toBe(own.text);
    expect((await get(sim, PATH, acme)).text).toBe(own.text);
    const other = await get(sim, `${PATH}?workspace_id=341`, acme);
    expect(other.status).toBe(403);
    expect(other.json()).toEqual({ error: 'Access denied' });
    expect((await get(sim, '/api/v1/campaigns/?workspace_id=341', acme)).status).toBe(403);
  });

  it('derives a numeric workspace id when none is configured', async () => {
    const globex = sim.accounts.find((a) => a.label === 'Globex');
    expect(globex?.vendorWorkspaceId).toMatch(/^\d+$/);
    const body = (await get(sim, PATH, { 'x-api-key': GLOBEX })).json();
    expect(body.campaigns.every((c: Json) => c.workspace_id === Number(globex?.vendorWorkspaceId))).toBe(true);
    expect(allStartWith(body.campaigns, 'name', 'Globex ')).toBe(true);
  });
});

describe('Seleqt simulator: dashboard analytics', () => {
  let campaigns: Json[];
  beforeAll(async () => {
    campaigns = (await get(sim, PATH, acme)).json().campaigns;
  });

  it('has the documented shape: integer ids, upper-case statuses, every analytics field', () => {
    expect(campaigns).toHaveLength(300);
    const fields = [
      'amount_of_prospects',
      'amount_of_emails_sent',
      'amount_of_invites_sent',
      'amount_of_invites_accepted',
      'amount_of_linkedin_messages_sent',
      'amount_of_prospects_contacted',
      'amount_of_replies',
      'amount_of_interested',
      'average_reply_time',
    ];
    for (const c of campaigns) {
      expect(Object.keys(c)).toEqual(['id', 'name', 'status', 'workspace_id', 'analytics']);
      expect(Number.isInteger(c.id)).toBe(true);
      expect(c.workspace_id).toBe(340);
      expect(Object.keys(c.analytics)).toEqual(fields);
      const a = c.analytics;
      expect(a.amount_of_prospects_contacted).toBeLessThanOrEqual(a.amount_of_prospects);
      expect(a.amount_of_replies).toBeLessThanOrEqual(a.amount_of_prospects_contacted);
      expect(a.amount_of_interested).toBeLessThanOrEqual(a.amount_of_replies);
      expect(a.amount_of_invites_accepted).toBeLessThanOrEqual(a.amount_of_invites_sent);
    }
    expect(new Set(numbers(campaigns, 'id')).size).toBe(300);
  });

  it('statuses are the two seen (ACTIVE, DRAFT); a draft has sent nothing', () => {
    expect(new Set(strings(campaigns, 'status'))).toEqual(new Set(['ACTIVE', 'DRAFT']));
    for (const c of campaigns.filter((x) => x.status === 'DRAFT')) expect(c.analytics.amount_of_prospects_contacted).toBe(0);
  });

  it('average_reply_time is human-readable text in every documented style, or null without replies', () => {
    const texts = campaigns.map((c) => stringOrNull(c.analytics.average_reply_time));
    const pattern = /^(\d+ (minute|hour|day)s?|\d+ days? \d+ hours?)$/;
    for (const [i, text] of texts.entries()) {
      if (campaigns[i].analytics.amount_of_replies === 0) expect(text).toBeNull();
      else expect(text).toMatch(pattern);
    }
    expect(texts.some((t) => /minutes$/.test(t ?? ''))).toBe(true);
    expect(texts.some((t) => /^\d+ hours?$/.test(t ?? ''))).toBe(true);
    expect(texts.some((t) => /^\d+ days?$/.test(t ?? ''))).toBe(true);
    expect(texts.some((t) => /^\d+ days? \d+ hours?$/.test(t ?? ''))).toBe(true);
  });

  it('mixes email-only, LinkedIn-only and two-channel campaigns', () => {
    const sent: Json[] = [];
    for (const c of campaigns) if (c.analytics.amount_of_prospects_contacted > 0) sent.push(c.analytics);
    expect(sent.some((a) => a.amount_of_emails_sent === 0 && a.amount_of_invites_sent > 0)).toBe(true);
    expect(sent.some((a) => a.amount_of_emails_sent > 0 && a.amount_of_invites_sent === 0)).toBe(true);
    expect(sent.some((a) => a.amount_of_emails_sent > 0 && a.amount_of_invites_sent > 0)).toBe(true);
  });

  it('the campaign list has the documented fields and the same ids', async () => {
    const list = (await get(sim, '/api/v1/campaigns/?workspace_id=ALL', acme)).json().campaigns;
    expect(Object.keys(list[0])).toEqual(['id', 'name', 'status', 'workspace_id', 'timezone', 'language', 'created_at', 'updated_at', 'prospect_count']);
    expect(numbers(list, 'id')).toEqual(numbers(campaigns, 'id'));
    expect(list[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

describe('Seleqt simulator: rate limit', () => {
  it('50/min per key by default; 429 {"error":"Rate limit exceeded"} and no Retry-After', async () => {
    const limited = await startSimulator('seleqt', { accounts: [{ apiKey: ACME, seed: 1, campaigns: 1 }] });
    try {
      expect(limited.rateLimit()).toEqual({ rules: [{ limit: 50, windowMs: 60_000 }], perEndpoint: false, retryAfter: 'none' });
      const statuses: number[] = [];
      for (let i = 0; i < 51; i += 1) statuses.push((await get(limited, PATH, acme)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
      const last = await get(limited, '/api/v1/campaigns/', acme);
      expect(last.status).toBe(429);
      expect(last.json()).toEqual({ error: 'Rate limit exceeded' });
      expect(last.headers.get('retry-after')).toBeNull();
      expect(last.headers.get('x-ratelimit-limit')).toBeNull();
    } finally {
      await limited.close();
    }
  });
});

describe('Seleqt simulator: modes', () => {
  const started: VendorSimulator[] = [];
  async function withMode(options: Parameters<typeof startSimulator>[1]): Promise<VendorSimulator> {
    const mode = await startSimulator('seleqt', options);
    started.push(mode);
    return mode;
  }
  const accounts = [{ label: 'Acme', apiKey: ACME, seed: 41, campaigns: 60, vendorWorkspaceId: '340' }];

  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });

  it('seleqtNullAnalytics: drafts answer analytics null, every other campaign as usual', async () => {
    const plain = (await get(sim, PATH, acme)).json().campaigns.slice(0, 60);
    const mode = await withMode({ referenceDate: REFERENCE_DATE, rateLimit: { rules: [] }, accounts, seleqtNullAnalytics: true });
    const campaigns: Json[] = (await get(mode, PATH, acme)).json().campaigns;
    expect(campaigns.map((c) => c.id)).toEqual(plain.map((c: Json) => c.id));
    const drafts = campaigns.filter((c) => c.status === 'DRAFT');
    expect(drafts.length).toBeGreaterThan(0);
    for (const c of drafts) expect(c.analytics).toBeNull();
    const others = campaigns.filter((c) => c.status !== 'DRAFT');
    expect(others).toEqual(plain.filter((c: Json) => c.status !== 'DRAFT'));
  });

  it("seleqtHost 'spa': the SPA's HTML shell with 200 on every path, with or without a key, no rate limit", async () => {
    const spa = await withMode({ accounts, seleqtHost: 'spa', rateLimit: { rules: [{ limit: 1, windowMs: 60_000 }] } });
    for (const [path, headers] of [
      [`${PATH}?workspace_id=340`, acme],
      [PATH, {}],
      ['/api/v1/campaigns/', { 'x-api-key': 'a1c3e5d7.wrong' }],
      ['/dashboard/campaigns', {}],
    ] as const) {
      const res = await get(spa, path, headers);
      expect([path, res.status, res.headers.get('content-type'), res.text]).toEqual([path, 200, 'text/html; charset=utf-8', SELEQT_SPA_HTML]);
    }
    expect(SELEQT_SPA_HTML).toMatch(/^<!doctype html>/);
  });

  it("seleqtHost 'redirect': a 302 to the same path and query on api.seleqt.ai, whatever the key", async () => {
    const redirect = await withMode({ accounts, seleqtHost: 'redirect' });
    const res = await fetch(`${redirect.url}${PATH}?workspace_id=340`, { headers: acme, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`https://api.seleqt.ai${PATH}?workspace_id=340`);
    expect(await res.text()).toBe('');
    const keyless = await fetch(`${redirect.url}/anything`, { redirect: 'manual' });
    expect([keyless.status, keyless.headers.get('location')]).toEqual([302, 'https://api.seleqt.ai/anything']);
  });
});
