/** The Instantly simulator over real HTTP: auth, analytics, list paging, steps/daily (and their modes), sub-workspaces. */
import { startSimulator, type VendorSimulator } from '../../src/simulator';
import { INSTANTLY_DEFAULT_RATE_LIMIT } from '../../src/simulator/instantly';
import { REFERENCE_DATE, allStartWith, bearer, get, numbers, strings, sumOf, type Json } from './helpers';

const ACME = 'instantly-acme-key';
const GLOBEX = 'instantly-globex-key';
const INITECH = 'instantly-initech-key';

let sim: VendorSimulator;

beforeAll(async () => {
  sim = await startSimulator('instantly', {
    referenceDate: REFERENCE_DATE,
    accounts: [
      { label: 'Acme', apiKey: ACME, seed: 11, campaigns: 57 },
      { label: 'Globex', apiKey: GLOBEX, seed: 12, campaigns: 8 },
      { label: 'Initech', apiKey: INITECH, seed: 13, campaigns: 400 },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

const REQUIRED = [
  'campaign_name',
  'campaign_id',
  'campaign_status',
  'campaign_is_evergreen',
  'leads_count',
  'contacted_count',
  'open_count',
  'reply_count',
  'link_click_count',
  'bounced_count',
  'unsubscribed_count',
  'completed_count',
  'emails_sent_count',
  'new_leads_contacted_count',
  'total_opportunities',
  'total_opportunity_value',
];
const OPTIONAL = [
  'open_count_unique',
  'open_count_unique_by_step',
  'reply_count_unique',
  'reply_count_unique_by_step',
  'reply_count_automatic',
  'reply_count_automatic_unique',
  'reply_count_automatic_unique_by_step',
  'link_click_count_unique',
  'link_click_count_unique_by_step',
];

async function listAll(key: string, limit: number): Promise<{ pages: Json[]; ids: string[] }> {
  const pages: Json[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i += 1) {
    const query = `limit=${limit}${cursor ? `&starting_after=${cursor}` : ''}`;
    const page = (await get(sim, `/api/v2/campaigns?${query}`, bearer(key))).json();
    pages.push(page);
    if (page.items.length === 0) break;
    cursor = page.next_starting_after;
  }
  return { pages, ids: pages.flatMap((p) => strings(p.items, 'id')) };
}

describe('Instantly simulator: auth and errors', () => {
  it('401 with the vendor body when the header is missing or the key is wrong', async () => {
    const missing = await get(sim, '/api/v2/campaigns/analytics');
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Missing Authorization header' });
    const wrong = await get(sim, '/api/v2/campaigns/analytics', bearer('nope'));
    expect(wrong.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid API key' });
    const scheme = await get(sim, '/api/v2/campaigns/analytics', { authorization: ACME });
    expect(scheme.status).toBe(401);
    const xApiKey = await get(sim, '/api/v2/campaigns/analytics', { 'x-api-key': ACME });
    expect(xApiKey.status).toBe(401);
  });

  it('unknown paths get the Fastify-style 404', async () => {
    const res = await get(sim, '/api/v2/campaign/analytics', bearer(ACME));
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Route GET:/api/v2/campaign/analytics not found' });
    expect((await get(sim, '/api/v2/campaigns/analytics/', bearer(ACME))).status).toBe(404);
  });

  it('a 400 on analytics is just {message}', async () => {
    const order = await get(sim, '/api/v2/campaigns/analytics?start_date=2026-06-10&end_date=2026-06-01', bearer(ACME));
    expect(order.status).toBe(400);
    expect(order.json()).toEqual({ message: 'Start Date must be earlier than End Date' });
    const bad = await get(sim, '/api/v2/campaigns/analytics?start_date=last-week', bearer(ACME));
    expect(bad.json()).toEqual({ message: 'start_date must be a date (YYYY-MM-DD or ISO 8601)' });
    const flag = await get(sim, '/api/v2/campaigns/analytics/steps?include_opportunities_count=yes', bearer(ACME));
    expect(flag.json()).toEqual({ message: 'include_opportunities_count must be boolean' });
  });
});

describe('Instantly simulator: analytics', () => {
  it('returns every campaign that has sent, with all documented fields, and none of the other tenant', async () => {
    const res = await get(sim, '/api/v2/campaigns/analytics', bearer(ACME));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const rows = res.json();
    const { ids } = await listAll(ACME, 100);
    expect(ids).toHaveLength(57);
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.length).toBeLessThan(57);
    for (const row of rows) {
      for (const field of REQUIRED) expect(row).toHaveProperty(field);
      expect(row.campaign_name).toMatch(/^Acme /);
      expect(row.campaign_status).not.toBe(0);
      expect(row.contacted_count).toBeLessThanOrEqual(row.leads_count);
      expect(row.open_count_unique ?? 0).toBeLessThanOrEqual(row.contacted_count);
      expect(row.reply_count_unique ?? 0).toBeLessThanOrEqual(row.reply_count);
      expect(row.total_opportunities).toBeLessThanOrEqual(row.reply_count);
      expect(ids).toContain(row.campaign_id);
    }
    // Optional fields are sometimes left out, as the spec allows.
    const sparse = rows.filter((row: Json) => !('open_count_unique' in row));
    expect(sparse.length).toBeGreaterThan(0);
    for (const row of sparse) for (const field of OPTIONAL) expect(row).not.toHaveProperty(field);
    const full = rows.find((row: Json) => 'open_count_unique' in row);
    for (const field of OPTIONAL) expect(full).toHaveProperty(field);
    const globex = (await get(sim, '/api/v2/campaigns/analytics', bearer(GLOBEX))).json();
    expect(allStartWith(globex, 'campaign_name', 'Globex ')).toBe(true);
    const acmeIds = new Set(strings(rows, 'campaign_id'));
    expect(strings(globex, 'campaign_id').some((id) => acmeIds.has(id))).toBe(false);
  });

  it('mode instantlyAnalytics live: the same records without any optional field, as recorded live replies', async () => {
    const live = await startSimulator('instantly', { referenceDate: REFERENCE_DATE, instantlyAnalytics: 'live', accounts: [{ label: 'Acme', apiKey: ACME, seed: 11, campaigns: 57 }] });
    try {
      const documented = (await get(sim, '/api/v2/campaigns/analytics', bearer(ACME))).json();
      const rows = (await get(live, '/api/v2/campaigns/analytics', bearer(ACME))).json();
      expect(rows).toEqual(
        documented.map((row: Json) => Object.fromEntries(Object.entries(row as Record<string, unknown>).filter(([field]) => !OPTIONAL.includes(field)))),
      );
      for (const row of rows) for (const field of REQUIRED) expect(row).toHaveProperty(field);
    } finally {
      await live.close();
    }
  });

  it('has a mix of statuses, the undocumented 5 included', async () => {
    const { pages } = await listAll(INITECH, 100);
    const statuses = new Set(pages.flatMap((p) => numbers(p.items, 'status')));
    expect([...statuses].sort((a, b) => a - b)).toEqual([-99, -2, -1, 0, 1, 2, 3, 4, 5]);
  });

  it('`ids` (repeated) and `id` restrict the array; unknown ids and drafts are absent', async () => {
    const { pages } = await listAll(ACME, 100);
    const items: Json[] = pages.flatMap((p): Json[] => p.items);
    const draft = items.find((c: Json) => c.status === 0);
    const sent = items.filter((c: Json) => c.status !== 0).slice(0, 2);
    const two = (await get(sim, `/api/v2/campaigns/analytics?ids=${sent[0].id}&ids=${sent[1].id}&ids=nope`, bearer(ACME))).json();
    expect(strings(two, 'campaign_id')).toEqual([sent[0].id, sent[1].id]);
    const one = (await get(sim, `/api/v2/campaigns/analytics?id=${sent[0].id}`, bearer(ACME))).json();
    expect(one).toHaveLength(1);
    expect((await get(sim, `/api/v2/campaigns/analytics?id=${draft.id}`, bearer(ACME))).json()).toEqual([]);
    const other = (await get(sim, `/api/v2/campaigns/analytics?id=${sent[0].id}`, bearer(GLOBEX))).json();
    expect(other).toEqual([]);
  });

  it('a date range scales the counts down deterministically; lead counts stay', async () => {
    const lifetime = (await get(sim, '/api/v2/campaigns/analytics', bearer(ACME))).json();
    const ranged = (await get(sim, '/api/v2/campaigns/analytics?start_date=2026-05-01&end_date=2026-05-31', bearer(ACME))).json();
    const again = await get(sim, '/api/v2/campaigns/analytics?start_date=2026-05-01T00:00:00.000Z&end_date=2026-05-31', bearer(ACME));
    expect(again.text).toBe(JSON.stringify(ranged));
    expect(sumOf(ranged, 'emails_sent_count')).toBeLessThan(sumOf(lifetime, 'emails_sent_count'));
    expect(sumOf(ranged, 'emails_sent_count')).toBeGreaterThan(0);
    expect(sumOf(ranged, 'leads_count')).toBe(sumOf(lifetime, 'leads_count'));
    ranged.forEach((row: Json, i: number) => {
      expect(row.contacted_count).toBeLessThanOrEqual(lifetime[i].contacted_count);
      expect(row.reply_count).toBeLessThanOrEqual(lifetime[i].reply_count);
    });
  });
});

describe('Instantly simulator: campaign list', () => {
  it('pages with starting_after, and the last page with data still carries next_starting_after', async () => {
    const { pages, ids } = await listAll(ACME, 20);
    expect(pages.map((p) => Number(p.items.length))).toEqual([20, 20, 17, 0]);
    expect(pages[2].next_starting_after).toBe(pages[2].items[16].id);
    expect(pages[3]).toEqual({ items: [] });
    expect(new Set(ids).size).toBe(57);
    expect([...ids].sort()).toEqual(ids);
    const first = pages[0].items[0];
    for (const field of ['id', 'name', 'status', 'campaign_schedule', 'timestamp_created', 'timestamp_updated']) {
      expect(first).toHaveProperty(field);
    }
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('defaults to 10 per page, validates `limit` 1–100 with the Fastify body', async () => {
    expect((await get(sim, '/api/v2/campaigns', bearer(ACME))).json().items).toHaveLength(10);
    const high = await get(sim, '/api/v2/campaigns?limit=101', bearer(ACME));
    expect(high.status).toBe(400);
    expect(high.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'querystring/limit must be <= 100' });
    expect((await get(sim, '/api/v2/campaigns?limit=0', bearer(ACME))).json().message).toBe('querystring/limit must be >= 1');
    expect((await get(sim, '/api/v2/campaigns?limit=ten', bearer(ACME))).json().message).toBe('querystring/limit must be integer');
  });

  it('filters by search and status', async () => {
    const found = (await get(sim, '/api/v2/campaigns?limit=100&search=%2312', bearer(ACME))).json();
    expect(strings(found.items, 'name')).toEqual([expect.stringMatching(/ #12$/)]);
    const active = (await get(sim, '/api/v2/campaigns?limit=100&status=1', bearer(ACME))).json();
    expect(active.items.length).toBeGreaterThan(0);
    expect(active.items.every((c: Json) => c.status === 1)).toBe(true);
    const notActive = (await get(sim, '/api/v2/campaigns?limit=100&exclude_status=1', bearer(ACME))).json();
    expect(notActive.items.length + active.items.length).toBe(57);
  });

  it('GET /api/v2/campaigns/:id returns one campaign or 404', async () => {
    const { ids } = await listAll(ACME, 100);
    const one = await get(sim, `/api/v2/campaigns/${ids[3]}`, bearer(ACME));
    expect(one.json().id).toBe(ids[3]);
    const missing = await get(sim, `/api/v2/campaigns/${ids[3]}`, bearer(GLOBEX));
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Campaign not found' });
  });
});

describe('Instantly simulator: steps and daily', () => {
  it('step rows use string step/variant, step 1 to N of the listed sequence, and add up to the campaign totals', async () => {
    const rows = (await get(sim, '/api/v2/campaigns/analytics', bearer(ACME))).json();
    const listed = (await get(sim, '/api/v2/campaigns?limit=100', bearer(ACME))).json().items;
    for (const row of rows.slice(0, 10)) {
      const steps = (await get(sim, `/api/v2/campaigns/analytics/steps?campaign_id=${row.campaign_id}`, bearer(ACME))).json();
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        expect(step.step === null || typeof step.step === 'string').toBe(true);
        expect(step.variant === null || typeof step.variant === 'string').toBe(true);
        expect(step).not.toHaveProperty('opportunities');
      }
      expect(steps[0]).toMatchObject({ step: '1', variant: '0' });
      const sequence = listed.find((item: Json) => item.id === row.campaign_id).sequences[0].steps;
      const numbered = steps.filter((step: Json) => step.step !== null && step.step !== 'null');
      expect(Math.max(...numbers(numbered, 'step'))).toBe(sequence.length);
      expect(sumOf(steps, 'sent')).toBe(row.emails_sent_count);
      expect(sumOf(steps, 'replies')).toBe(row.reply_count);
      expect(sumOf(steps, 'clicks')).toBe(row.link_click_count);
    }
  });

  it('mode instantlyStepBase 0 numbers the first step 0 and the last N - 1, the same counts otherwise', async () => {
    const zero = await startSimulator('instantly', { referenceDate: REFERENCE_DATE, instantlyStepBase: 0, accounts: [{ label: 'Acme', apiKey: ACME, seed: 11, campaigns: 57 }] });
    try {
      const rows = (await get(sim, '/api/v2/campaigns/analytics', bearer(ACME))).json();
      for (const row of rows.slice(0, 5)) {
        const path = `/api/v2/campaigns/analytics/steps?campaign_id=${row.campaign_id}`;
        const oneBased = (await get(sim, path, bearer(ACME))).json();
        const zeroBased = (await get(zero, path, bearer(ACME))).json();
        expect(zeroBased).toEqual(
          oneBased.map((step: Json) => (step.step === null || step.step === 'null' ? step : { ...step, step: String(Number(step.step) - 1) })),
        );
      }
    } finally {
      await zero.close();
    }
  });

  it('unattributed replies come in a row whose step is JSON null for some campaigns and the string "null" for others', async () => {
    const rows = (await get(sim, '/api/v2/campaigns/analytics', bearer(INITECH))).json();
    const unplaced: Json[] = [];
    for (const row of rows.slice(0, 60)) {
      const steps = (await get(sim, `/api/v2/campaigns/analytics/steps?campaign_id=${row.campaign_id}`, bearer(INITECH))).json();
      unplaced.push(...steps.filter((step: Json) => step.step === null || step.step === 'null'));
    }
    expect(unplaced.some((step) => step.step === null && step.variant === null)).toBe(true);
    expect(unplaced.some((step) => step.step === 'null' && step.variant === 'null')).toBe(true);
    expect(unplaced.every((step) => step.sent === 0 && step.replies > 0)).toBe(true);
  });

  it('some campaigns have an unplaced row; include_opportunities_count adds the extra fields', async () => {
    const all = (await get(sim, '/api/v2/campaigns/analytics/steps', bearer(ACME))).json();
    const last = all[all.length - 1];
    expect(last.step === null || last.step === 'null').toBe(true);
    expect(last).toMatchObject({ sent: 0 });
    const withOpps = (await get(sim, '/api/v2/campaigns/analytics/steps?include_opportunities_count=true', bearer(ACME))).json();
    for (const field of ['opportunities', 'unique_opportunities', 'meetings_booked', 'won']) expect(withOpps[0]).toHaveProperty(field);
    const rows = (await get(sim, '/api/v2/campaigns/analytics', bearer(ACME))).json();
    const total = sumOf(rows, 'total_opportunities');
    expect(sumOf(withOpps, 'opportunities')).toBe(total);
    expect((await get(sim, '/api/v2/campaigns/analytics/steps?campaign_id=unknown', bearer(ACME))).json()).toEqual([]);
  });

  it('daily rows are ascending YYYY-MM-DD inside the range and sum to the ranged analytics', async () => {
    const rows = (await get(sim, '/api/v2/campaigns/analytics?start_date=2026-06-01&end_date=2026-06-30', bearer(ACME))).json();
    const row = rows.find((r: Json) => r.emails_sent_count > 0);
    const daily = (
      await get(sim, `/api/v2/campaigns/analytics/daily?campaign_id=${row.campaign_id}&start_date=2026-06-01&end_date=2026-06-30`, bearer(ACME))
    ).json();
    expect(daily.length).toBeGreaterThan(0);
    expect(daily.every((d: Json) => /^2026-06-\d\d$/.test(d.date))).toBe(true);
    expect(strings(daily, 'date')).toEqual(strings(daily, 'date').sort());
    expect(sumOf(daily, 'sent')).toBe(row.emails_sent_count);
    expect(sumOf(daily, 'replies')).toBe(row.reply_count);
    const all = (await get(sim, '/api/v2/campaigns/analytics/daily?start_date=2026-06-01&end_date=2026-06-30', bearer(ACME))).json();
    const sent = sumOf(rows, 'emails_sent_count');
    expect(sumOf(all, 'sent')).toBe(sent);
    const byStatus = (await get(sim, '/api/v2/campaigns/analytics/daily?campaign_status=1&start_date=2026-06-01', bearer(ACME))).json();
    expect(sumOf(byStatus, 'sent')).toBeLessThan(sent);
    expect((await get(sim, '/api/v2/campaigns/analytics/daily?campaign_id=nope', bearer(ACME))).json()).toEqual([]);
  });
});

describe('Instantly simulator: admin keys acting on sub-workspaces (x-as-workspace)', () => {
  const AGENCY = 'instantly-agency-admin-key';
  const CLIENT_A = 'instantly-client-a-key';
  const CLIENT_B = 'instantly-client-b-key';
  const OTHER = 'instantly-unrelated-key';
  const FORBIDDEN = { statusCode: 403, error: 'Forbidden', message: 'This API key cannot act on the requested workspace' };
  let admin: VendorSimulator;

  beforeAll(async () => {
    admin = await startSimulator('instantly', {
      referenceDate: REFERENCE_DATE,
      accounts: [
        { label: 'Agency', apiKey: AGENCY, seed: 21, campaigns: 5, vendorWorkspaceId: 'ws-agency', subWorkspaces: ['ws-client-a', 'ws-client-b'] },
        { label: 'ClientA', apiKey: CLIENT_A, seed: 22, campaigns: 12, vendorWorkspaceId: 'ws-client-a' },
        { label: 'ClientB', apiKey: CLIENT_B, seed: 23, campaigns: 7, vendorWorkspaceId: 'ws-client-b' },
        { label: 'Other', apiKey: OTHER, seed: 24, campaigns: 3, vendorWorkspaceId: 'ws-other' },
      ],
    });
  });

  afterAll(async () => {
    await admin.close();
  });

  beforeEach(() => {
    admin.resetStats();
  });

  const as = (key: string, workspace: string): Record<string, string> => ({ ...bearer(key), 'x-as-workspace': workspace });

  it('serves the sub-workspace’s own data (the same bytes its key gets) on every route', async () => {
    for (const path of ['/api/v2/campaigns/analytics', '/api/v2/campaigns?limit=100', '/api/v2/campaigns/analytics/steps', '/api/v2/campaigns/analytics/daily']) {
      const viaAdmin = await get(admin, path, as(AGENCY, 'ws-client-a'));
      const own = await get(admin, path, bearer(CLIENT_A));
      expect([path, viaAdmin.status]).toEqual([path, 200]);
      expect(viaAdmin.text).toBe(own.text);
    }
    const analytics = (await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-b'))).json();
    expect(analytics.length).toBeGreaterThan(0);
    expect(allStartWith(analytics, 'campaign_name', 'ClientB ')).toBe(true);
    const list = (await get(admin, '/api/v2/campaigns?limit=100', as(AGENCY, 'ws-client-a'))).json();
    expect(list.items).toHaveLength(12);
    expect(allStartWith(list.items, 'name', 'ClientA ')).toBe(true);
    const one = list.items[0].id;
    expect((await get(admin, `/api/v2/campaigns/${one}`, as(AGENCY, 'ws-client-a'))).status).toBe(200);
    expect((await get(admin, `/api/v2/campaigns/${one}`, bearer(AGENCY))).status).toBe(404);
  });

  it('without the header (or with an empty one) the admin key reads its own workspace', async () => {
    for (const headers of [bearer(AGENCY), { ...bearer(AGENCY), 'x-as-workspace': '' }]) {
      const list = (await get(admin, '/api/v2/campaigns?limit=100', headers)).json();
      expect(list.items).toHaveLength(5);
      expect(allStartWith(list.items, 'name', 'Agency ')).toBe(true);
    }
    expect(admin.stats().byKey).toEqual({ Agency: 2 });
  });

  it('403 {statusCode, error, message} for a workspace the key does not list, and no call is counted for any account', async () => {
    const refused = [
      as(AGENCY, 'ws-other'), // another account, not listed
      as(AGENCY, 'ws-nowhere'), // no such workspace
      as(AGENCY, 'ws-agency'), // its own workspace is not a sub-workspace
      as(AGENCY, 'WS-CLIENT-A'), // ids are exact
      as(CLIENT_A, 'ws-client-b'), // a key without sub-workspaces
      as(CLIENT_A, 'ws-client-a'), // ... even for its own workspace
    ];
    for (const headers of refused) {
      const res = await get(admin, '/api/v2/campaigns/analytics', headers);
      expect([headers['x-as-workspace'], res.status]).toEqual([headers['x-as-workspace'], 403]);
      expect(res.json()).toEqual(FORBIDDEN);
    }
    expect(admin.stats().byKey).toEqual({});
    expect(admin.stats().byStatus).toEqual({ '403': refused.length });
    // A bad key is still a 401 first, whatever the header says.
    const wrong = await get(admin, '/api/v2/campaigns/analytics', as('nope', 'ws-client-a'));
    expect([wrong.status, wrong.json().message]).toEqual([401, 'Invalid API key']);
  });

  it('counts the calls under the sub-workspace’s label and in its own rate-limit window', async () => {
    await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-a'));
    await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-a'));
    await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-b'));
    await get(admin, '/api/v2/campaigns/analytics', bearer(AGENCY));
    expect(admin.stats().byKey).toEqual({ ClientA: 2, ClientB: 1, Agency: 1 });

    admin.setRateLimit({ rules: [{ limit: 2, windowMs: 60_000 }] });
    try {
      expect((await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-a'))).status).toBe(200);
      expect((await get(admin, '/api/v2/campaigns/analytics', bearer(CLIENT_A))).status).toBe(200);
      // ClientA's window is full, whichever key spent it; the admin's and ClientB's are not.
      expect((await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-a'))).status).toBe(429);
      expect((await get(admin, '/api/v2/campaigns/analytics', bearer(CLIENT_A))).status).toBe(429);
      expect((await get(admin, '/api/v2/campaigns/analytics', bearer(AGENCY))).status).toBe(200);
      expect((await get(admin, '/api/v2/campaigns/analytics', as(AGENCY, 'ws-client-b'))).status).toBe(200);
    } finally {
      admin.setRateLimit(INSTANTLY_DEFAULT_RATE_LIMIT);
    }
  });
});
