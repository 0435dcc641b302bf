/**
 * The SendKit simulator over real HTTP: auth and key types, the documented error body, both list
 * paging generations (sparse pages included), both reply generations, analytics, daily series,
 * overview and rate-limit headers.
 */
import { startSimulator, type SimulatorOptions, type VendorSimulator } from '../../src/simulator';
import { REFERENCE_DATE, allStartWith, bearer, get, stringOrNull, strings, sumOf, type Json } from './helpers';

const WORKSPACE_KEY = 'sk_live_acme_0123456789abcdef';
const PLATFORM_KEY = 'sk_user_globex_fedcba9876543210';
const PLATFORM_WS = '65f0a1b2c3d4e5f6a7b8c9d0';

const ACCOUNTS: SimulatorOptions['accounts'] = [
  { label: 'Acme', apiKey: WORKSPACE_KEY, seed: 21, campaigns: 45 },
  { label: 'Globex', apiKey: PLATFORM_KEY, seed: 22, campaigns: 12, vendorWorkspaceId: PLATFORM_WS },
];

const sims: VendorSimulator[] = [];
async function start(options: Partial<SimulatorOptions> = {}): Promise<VendorSimulator> {
  const sim = await startSimulator('sendkit', { referenceDate: REFERENCE_DATE, accounts: ACCOUNTS, rateLimit: { rules: [] }, ...options });
  sims.push(sim);
  return sim;
}

afterAll(async () => {
  await Promise.all(sims.map((sim) => sim.close()));
});

const acme = { 'x-api-key': WORKSPACE_KEY };

/** The documented error body: `{error: <reason phrase>, message, code: <status>}`. */
function failure(code: number, message: string): Json {
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };
  return { error: reasons[code], message, code };
}

async function walkCursor(sim: VendorSimulator, limit: number): Promise<{ pages: Json[]; ids: string[] }> {
  const pages: Json[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i += 1) {
    const page = (await get(sim, `/v1/campaigns?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, acme)).json();
    pages.push(page);
    if (!page.pagination.hasMore) break;
    cursor = page.pagination.nextCursor;
  }
  return { pages, ids: pages.flatMap((p) => strings(p.data, '_id')) };
}

describe('SendKit simulator: auth', () => {
  let sim: VendorSimulator;
  beforeAll(async () => {
    sim = await start();
  });

  it('accepts X-Api-Key or Bearer for a workspace key', async () => {
    expect((await get(sim, '/v1/campaigns', acme)).status).toBe(200);
    expect((await get(sim, '/v1/campaigns', bearer(WORKSPACE_KEY))).status).toBe(200);
  });

  it('401 {error, message, code} for a missing or wrong key', async () => {
    const missing = await get(sim, '/v1/campaigns');
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual(failure(401, 'API key is required'));
    const wrong = await get(sim, '/v1/campaigns', { 'x-api-key': 'sk_nope' });
    expect(wrong.json()).toEqual(failure(401, 'Invalid API key'));
  });

  it('a platform key needs X-Workspace-Id (400 without, 403 for another workspace)', async () => {
    const without = await get(sim, '/v1/campaigns', { 'x-api-key': PLATFORM_KEY });
    expect(without.status).toBe(400);
    expect(without.json()).toEqual(failure(400, 'X-Workspace-Id header is required when using a platform API key'));
    const other = await get(sim, '/v1/campaigns', { 'x-api-key': PLATFORM_KEY, 'x-workspace-id': '000000000000000000000000' });
    expect(other.status).toBe(403);
    expect(other.json()).toEqual(failure(403, 'You do not have access to this workspace'));
    const ok = await get(sim, '/v1/campaigns', { 'x-api-key': PLATFORM_KEY, 'x-workspace-id': PLATFORM_WS });
    expect(ok.status).toBe(200);
    expect(allStartWith(ok.json().data, 'name', 'Globex ')).toBe(true);
  });

  it('a workspace key gets a derived workspace id; sending another one is refused', async () => {
    const served = sim.accounts.find((a) => a.label === 'Acme');
    expect(served?.vendorWorkspaceId).toMatch(/^[0-9a-f]{24}$/);
    expect((await get(sim, '/v1/campaigns', { ...acme, 'x-workspace-id': PLATFORM_WS })).status).toBe(403);
    expect((await get(sim, '/v1/campaigns', { ...acme, 'x-workspace-id': served?.vendorWorkspaceId ?? '' })).status).toBe(200);
  });

  it('unknown paths get the documented 404 body', async () => {
    const res = await get(sim, '/v1/campaign', acme);
    expect(res.status).toBe(404);
    expect(res.json()).toEqual(failure(404, 'The requested resource was not found'));
  });
});

describe('SendKit simulator: cursor paging', () => {
  let sim: VendorSimulator;
  beforeAll(async () => {
    sim = await start();
  });

  it('walks every campaign newest first with nextCursor/hasMore/limit', async () => {
    const { pages, ids } = await walkCursor(sim, 20);
    expect(pages.map((p) => Number(p.data.length))).toEqual([20, 20, 5]);
    expect(pages[0].pagination).toEqual({ nextCursor: pages[0].data[19]._id, hasMore: true, limit: 20 });
    expect(pages[2].pagination).toEqual({ nextCursor: null, hasMore: false, limit: 20 });
    expect(new Set(ids).size).toBe(45);
    const created = pages.flatMap((p) => strings(p.data, 'createdAt'));
    expect(created).toEqual([...created].sort().reverse());
    const item = pages[0].data[0];
    expect(item._id).toMatch(/^[0-9a-f]{24}$/);
    for (const field of ['totalLeads', 'contacted', 'sent', 'delivered', 'opened', 'clicked', 'replied', 'bounced', 'unsubscribed']) {
      expect(typeof item.stats[field]).toBe('number');
    }
  });

  it('defaults to 20, serves at most 100 whatever is asked, rejects junk', async () => {
    expect((await get(sim, '/v1/campaigns', acme)).json().pagination.limit).toBe(20);
    const big = (await get(sim, '/v1/campaigns?limit=200', acme)).json();
    expect(big.pagination).toEqual({ nextCursor: null, hasMore: false, limit: 100 });
    expect(big.data).toHaveLength(45);
    const bad = await get(sim, '/v1/campaigns?limit=abc', acme);
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual(failure(400, 'limit must be integer'));
    const cursor = await get(sim, '/v1/campaigns?cursor=ffffffffffffffffffffffff', acme);
    expect(cursor.json()).toEqual(failure(400, 'Invalid cursor'));
  });

  it('filters by status and search', async () => {
    const active = (await get(sim, '/v1/campaigns?limit=100&status=active', acme)).json();
    expect(active.data.length).toBeGreaterThan(0);
    expect(active.data.every((c: Json) => c.status === 'active')).toBe(true);
    const one = (await get(sim, '/v1/campaigns?search=%237', acme)).json();
    expect(strings(one.data, 'name')).toEqual([expect.stringMatching(/ #7$/)]);
  });

  it('sparse pages: data [] with hasMore and a fresh cursor, and nothing is lost', async () => {
    const sparse = await start({ sparsePages: true });
    const { pages, ids } = await walkCursor(sparse, 5);
    const empty = pages.filter((p) => p.data.length === 0 && p.pagination.hasMore);
    expect(empty.length).toBeGreaterThan(0);
    for (const page of empty) expect(page.pagination.nextCursor).toMatch(/^[0-9a-f]{24}$/);
    const cursors = pages.map((p) => stringOrNull(p.pagination.nextCursor)).filter((c) => c !== null);
    expect(new Set(cursors).size).toBe(cursors.length);
    const plain = await walkCursor(sim, 5);
    expect(ids).toEqual(plain.ids);
    const again = await walkCursor(sparse, 5);
    expect(JSON.stringify(again.pages)).toBe(JSON.stringify(pages));
  });
});

describe('SendKit simulator: page paging (older docs)', () => {
  it('serves {page, limit, total, pages} driven by page=', async () => {
    const sim = await start({ pagination: 'page' });
    const first = (await get(sim, '/v1/campaigns?limit=20', acme)).json();
    expect(first.pagination).toEqual({ page: 1, limit: 20, total: 45, pages: 3 });
    const third = (await get(sim, '/v1/campaigns?limit=20&page=3', acme)).json();
    expect(third.data).toHaveLength(5);
    expect((await get(sim, '/v1/campaigns?limit=20&page=4', acme)).json().data).toEqual([]);
    expect((await get(sim, '/v1/campaigns?page=0', acme)).json()).toEqual(failure(400, 'page must be >= 1'));
  });

  it('with sparse pages, `pages` counts the empty ones and every campaign is still served', async () => {
    const sim = await start({ pagination: 'page', sparsePages: true });
    const first = (await get(sim, '/v1/campaigns?limit=5', acme)).json();
    const { pages, total } = first.pagination;
    expect(total).toBe(45);
    expect(pages).toBeGreaterThan(9);
    const all: Json[] = [];
    for (let page = 1; page <= pages; page += 1) all.push((await get(sim, `/v1/campaigns?limit=5&page=${page}`, acme)).json());
    expect(all.some((p) => p.data.length === 0)).toBe(true);
    expect(new Set(all.flatMap((p) => strings(p.data, '_id'))).size).toBe(45);
  });
});

describe('SendKit simulator: analytics', () => {
  let sim: VendorSimulator;
  let ids: string[];
  beforeAll(async () => {
    sim = await start();
    ids = strings((await get(sim, '/v1/campaigns?limit=100&status=active', acme)).json().data, '_id');
  });

  it('per-campaign analytics has the current documented shape; lead counts come from the list item, consistently', async () => {
    const res = (await get(sim, `/v1/analytics/campaigns/${ids[0]}`, acme)).json();
    expect(res.success).toBe(true);
    const data = res.data;
    expect(Object.keys(data).sort()).toEqual(['bySequence', 'campaign', 'stats', 'statusBreakdown', 'stepStats', 'subsequences', 'totalPositiveReplied', 'totalReplied']);
    expect(data.campaign).toEqual({ id: ids[0], name: expect.stringMatching(/^Acme /), status: 'active' });
    expect(Object.keys(data.stats).sort()).toEqual(['bounced', 'clicked', 'delivered', 'opened', 'replied', 'sent', 'unsubscribed']);
    expect(Object.keys(data.statusBreakdown).sort()).toEqual(['active', 'bounced', 'completed', 'failed', 'paused', 'pending', 'removed']);
    const item = (await get(sim, '/v1/campaigns?limit=100&status=active', acme)).json().data[0];
    expect(Object.keys(item.stats).sort()).toEqual(
      ['bounced', 'clicked', 'contacted', 'contactedLeads', 'delivered', 'opened', 'replied', 'sent', 'totalEmailsSent', 'totalLeads', 'unsubscribed'].sort(),
    );
    const breakdown = Object.values(data.statusBreakdown).reduce((a: number, b) => a + Number(b), 0);
    expect(breakdown).toBe(item.stats.totalLeads);
    expect(data.statusBreakdown.pending).toBe(item.stats.totalLeads - item.stats.contacted);
    expect(item.stats.contacted).toBeLessThanOrEqual(item.stats.totalLeads);
    expect(item.stats.contactedLeads).toBe(item.stats.contacted);
    expect(data.totalReplied).toBe(data.stats.replied);
    expect(data.totalPositiveReplied).toBeLessThanOrEqual(data.totalReplied);
    expect(data.bySequence.main.sent).toBe(data.stats.sent);
    expect(data.subsequences).toEqual([]);
    expect(data.stepStats[0]._id).toBe(0);
    expect(sumOf(data.stepStats, 'sent')).toBe(data.stats.sent);
  });

  it('the older generation: lead count in the analytics stats, none in the list, no positive count', async () => {
    const older = await start({ generation: 'older' });
    const data = (await get(older, `/v1/analytics/campaigns/${ids[0]}`, acme)).json().data;
    expect(Object.keys(data).sort()).toEqual(['campaign', 'stats', 'statusBreakdown', 'stepStats', 'totalReplied']);
    expect(Object.keys(data.stats).sort()).toEqual(['bounced', 'clicked', 'opened', 'replied', 'sent', 'totalLeads']);
    expect(Object.keys(data.statusBreakdown).sort()).toEqual(['active', 'bounced', 'completed', 'paused', 'removed']);
    expect(Object.values(data.statusBreakdown).reduce((a: number, b) => a + Number(b), 0)).toBe(data.stats.totalLeads);
    const item = (await get(older, '/v1/campaigns?limit=100&status=active', acme)).json().data[0];
    expect(Object.keys(item.stats).sort()).toEqual(['bounced', 'clicked', 'delivered', 'opened', 'replied', 'sent', 'unsubscribed']);
  });

  it('from/to scale the sends but not the lead states', async () => {
    const lifetime = (await get(sim, `/v1/analytics/campaigns/${ids[0]}`, acme)).json().data;
    const ranged = (await get(sim, `/v1/analytics/campaigns/${ids[0]}?from=2026-06-20&to=2026-06-30`, acme)).json().data;
    expect(ranged.stats.sent).toBeLessThan(lifetime.stats.sent);
    expect(ranged.statusBreakdown).toEqual(lifetime.statusBreakdown);
    const bad = await get(sim, `/v1/analytics/campaigns/${ids[0]}?from=2026-06-30&to=2026-06-01`, acme);
    expect(bad.json()).toEqual(failure(400, "'from' must be before 'to'"));
  });

  it('400 for a malformed id, 404 for an unknown or another tenant’s campaign', async () => {
    expect((await get(sim, '/v1/analytics/campaigns/not-an-id', acme)).json()).toEqual(failure(400, 'Invalid campaign ID'));
    const unknown = await get(sim, '/v1/analytics/campaigns/000000000000000000000000', acme);
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual(failure(404, 'Campaign not found'));
    const cross = await get(sim, `/v1/analytics/campaigns/${ids[0]}`, { 'x-api-key': PLATFORM_KEY, 'x-workspace-id': PLATFORM_WS });
    expect(cross.status).toBe(404);
  });

  it('stepIndexBase 1 numbers steps like the old docs', async () => {
    const old = await start({ stepIndexBase: 1 });
    const data = (await get(old, `/v1/analytics/campaigns/${ids[0]}`, acme)).json().data;
    expect(data.stepStats[0]._id).toBe(1);
  });

  it('daily rows default to the last 30 days, ascending, and sum to the ranged stats', async () => {
    const daily = (await get(sim, `/v1/analytics/daily/campaigns/${ids[0]}`, acme)).json();
    expect(daily.success).toBe(true);
    const days = strings(daily.data, '_id');
    expect(days).toEqual([...days].sort());
    expect((days[0] ?? '') >= '2026-06-01').toBe(true);
    expect((days[days.length - 1] ?? '9') <= '2026-06-30').toBe(true);
    expect(Object.keys(daily.data[0])).toEqual(['_id', 'sent', 'opened', 'clicked', 'bounced', 'replied', 'positiveReplied']);
    const ranged = (await get(sim, `/v1/analytics/campaigns/${ids[0]}?from=2026-06-01&to=2026-06-30`, acme)).json().data;
    expect(sumOf(daily.data, 'sent')).toBe(ranged.stats.sent);
    const workspace = (await get(sim, '/v1/analytics/daily?from=2026-06-01&to=2026-06-30', acme)).json();
    expect(sumOf(workspace.data, 'sent')).toBeGreaterThan(ranged.stats.sent);
  });

  it('overview rates are strings with one decimal; campaign detail carries the workspace', async () => {
    const overview = (await get(sim, '/v1/analytics/overview', acme)).json().data;
    expect(overview.totalCampaigns).toBe(45);
    for (const rate of Object.values(overview.rates)) expect(rate).toMatch(/^\d+\.\d$/);
    const detail = (await get(sim, `/v1/campaigns/${ids[0]}`, acme)).json().data;
    expect(detail._id).toBe(ids[0]);
    expect(detail.workspaceId).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('SendKit simulator: rate limit headers', () => {
  it('sends X-RateLimit-* on every authenticated answer and 429 with Retry-After over the limit', async () => {
    const sim = await start({ rateLimit: { rules: [{ limit: 3, windowMs: 1000 }] } });
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await get(sim, '/v1/campaigns', acme));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    expect(answers[0]?.headers.get('x-ratelimit-limit')).toBe('3');
    expect(Number(answers[0]?.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(answers[3]?.json()).toEqual(failure(429, 'Too many requests, please try again later.'));
    expect(answers[3]?.headers.get('retry-after')).toBe('1');
    expect(answers[0]?.headers.get('retry-after')).toBeNull();
    // Unauthenticated answers carry no account headers.
    expect((await get(sim, '/v1/campaigns')).headers.get('x-ratelimit-limit')).toBeNull();
  });
});
