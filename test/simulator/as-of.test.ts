/**
 * The simulators "as of day D" (`setReferenceDate`): for every vendor, cumulative counts never go
 * down as D advances and campaigns never disappear (read through the real providers, so every
 * vendor's numbers are compared the same way); the same seeds and day give the same bytes; the
 * start's reference date gives back today's replies byte for byte; daily rows end on D; a
 * vendor's date range equals the difference of its cumulative counts as of the range's two ends.
 */
import fc from 'fast-check';
import { createHttpClient } from '../../src/http/client';
import { PROVIDER_FACTORIES } from '../../src/providers/registry';
import { METRIC_NAMES, PROVIDER_IDS, type CampaignAnalytics, type ProviderId } from '../../src/schema/campaign';
import { coreAsOf, epochDay, existsOn, generateCampaigns, isoDay, parseDay, totalsInRange, type StatusOption, type TotalName } from '../../src/simulator/data';
import { DEMO_ACCOUNTS, startSimulator, type VendorSimulator } from '../../src/simulator';
import { REFERENCE_DATE, bearer, get, type Json } from './helpers';

const REF_DAY = parseDay(REFERENCE_DATE) ?? 0;

function dayBefore(days: number): string {
  return isoDay(REF_DAY - days);
}

async function start(provider: ProviderId): Promise<VendorSimulator> {
  return startSimulator(provider, { accounts: DEMO_ACCOUNTS[provider], referenceDate: REFERENCE_DATE, rateLimit: { rules: [] } });
}

/** Every campaign of every account of `sim`, through the gateway's own provider. */
async function walk(sim: VendorSimulator): Promise<CampaignAnalytics[]> {
  const provider = PROVIDER_FACTORIES[sim.provider]();
  const out: CampaignAnalytics[] = [];
  for (const account of DEMO_ACCOUNTS[sim.provider]) {
    const http = createHttpClient({ provider: sim.provider, baseUrl: sim.url, secrets: [account.apiKey], retry: { maxAttempts: 1 } });
    const result = await provider.fetchAnalytics(
      { id: `${account.workspace}-${sim.provider}`, workspace: account.workspace, apiKey: account.apiKey, vendorWorkspaceId: account.vendorWorkspaceId },
      { include: { steps: false, daily: false, raw: false } },
      http,
    );
    out.push(...result.records);
  }
  return out;
}

/** One raw reply per vendor that carries counts, for byte comparisons. */
async function rawCounts(sim: VendorSimulator): Promise<string> {
  const [account] = DEMO_ACCOUNTS[sim.provider];
  if (account === undefined) throw new Error('no demo account');
  switch (sim.provider) {
    case 'instantly':
      return (await get(sim, '/api/v2/campaigns/analytics', bearer(account.apiKey))).text;
    case 'sendkit': {
      const list = await get(sim, '/v1/campaigns?limit=100', { 'x-api-key': account.apiKey });
      const daily = await get(sim, '/v1/analytics/daily', { 'x-api-key': account.apiKey });
      return list.text + daily.text;
    }
    case 'kakiyo': {
      const list = await get(sim, '/v1/campaigns?limit=100', bearer(account.apiKey));
      const ids: string[] = list.json().campaigns.map((c: Json) => String(c.id));
      const replies = await Promise.all(ids.map(async (id) => (await get(sim, `/v1/analytics/campaigns/${id}`, bearer(account.apiKey))).text));
      return list.text + replies.join('');
    }
    case 'seleqt':
      return (await get(sim, '/api/v1/dashboard/campaign-analytics/', { 'x-api-key': account.apiKey })).text;
  }
}

describe.each(PROVIDER_IDS)('%s as of a day', (provider) => {
  let sim: VendorSimulator;
  beforeAll(async () => {
    sim = await start(provider);
  });
  afterAll(async () => {
    await sim.close();
  });

  test('cumulative counts never go down and campaigns never disappear as the day advances', async () => {
    let previous = new Map<string, CampaignAnalytics>();
    let grew = 0;
    let appeared = 0;
    for (let back = 63; back >= 0; back -= 3) {
      sim.setReferenceDate(dayBefore(back));
      const records = await walk(sim);
      const now = new Map(records.map((r) => [r.key, r]));
      for (const [key, before] of previous) {
        const after = now.get(key);
        expect(after).toBeDefined();
        if (after === undefined) continue;
        for (const metric of METRIC_NAMES) {
          const a = before.metrics[metric];
          const b = after.metrics[metric];
          if (a === null) continue;
          expect({ key, metric, value: b }).toEqual({ key, metric, value: expect.any(Number) });
          expect(b ?? -1).toBeGreaterThanOrEqual(a);
          if (b !== null && b > a) grew += 1;
        }
      }
      if (previous.size > 0) appeared += records.filter((r) => !previous.has(r.key)).length;
      previous = now;
    }
    // The window is not frozen: counts grow, and new campaigns show up in it.
    expect(grew).toBeGreaterThan(0);
    expect(appeared).toBeGreaterThan(0);
  }, 60_000); // 40 walks of the simulator, one per day

  test('the same seeds and day give the same bytes; the reference date gives back today', async () => {
    const fresh = await start(provider);
    try {
      const today = await rawCounts(fresh);
      sim.setReferenceDate(dayBefore(20));
      const past = await rawCounts(sim);
      expect(past).not.toBe(today);
      sim.setReferenceDate(dayBefore(5));
      await rawCounts(sim);
      sim.setReferenceDate(dayBefore(20));
      expect(await rawCounts(sim)).toBe(past);
      fresh.setReferenceDate(dayBefore(20));
      expect(await rawCounts(fresh)).toBe(past);
      sim.setReferenceDate(REFERENCE_DATE);
      expect(sim.referenceDate()).toBe(REFERENCE_DATE);
      fresh.setReferenceDate(REFERENCE_DATE);
      const other = await start(provider);
      try {
        expect(await rawCounts(sim)).toBe(await rawCounts(other));
      } finally {
        await other.close();
      }
    } finally {
      await fresh.close();
    }
  });

  test('refuses a day after its history or a non-date', () => {
    expect(() => sim.setReferenceDate(isoDay(REF_DAY + 1))).toThrow(RangeError);
    expect(() => sim.setReferenceDate('2026-02-30')).toThrow(RangeError);
    expect(() => sim.setReferenceDate('yesterday')).toThrow(RangeError);
    expect(sim.referenceDate()).toBe(REFERENCE_DATE);
  });
});

describe('daily rows and ranges as of a day', () => {
  const sims: Partial<Record<ProviderId, VendorSimulator>> = {};
  beforeAll(async () => {
    for (const provider of ['instantly', 'sendkit', 'kakiyo'] as const) sims[provider] = await start(provider);
  });
  afterAll(async () => {
    await Promise.all(Object.values(sims).map((sim) => sim.close()));
  });
  const sim = (provider: ProviderId): VendorSimulator => {
    const found = sims[provider];
    if (found === undefined) throw new Error(`no ${provider} simulator`);
    return found;
  };

  test('Instantly: a date range equals the difference of the cumulative counts as of its two ends', async () => {
    const instantly = sim('instantly');
    const key = bearer(DEMO_ACCOUNTS.instantly[0]?.apiKey ?? '');
    const asOf = async (date: string): Promise<Map<string, Json>> => {
      instantly.setReferenceDate(date);
      const rows: Json[] = (await get(instantly, '/api/v2/campaigns/analytics', key)).json();
      return new Map(rows.map((row) => [String(row.campaign_id), row]));
    };
    const before = await asOf(dayBefore(15));
    const after = await asOf(dayBefore(8));
    instantly.setReferenceDate(REFERENCE_DATE);
    const ranged: Json[] = (await get(instantly, `/api/v2/campaigns/analytics?start_date=${dayBefore(14)}&end_date=${dayBefore(8)}`, key)).json();
    let total = 0;
    for (const row of ranged) {
      const end = after.get(String(row.campaign_id));
      const startRow = before.get(String(row.campaign_id));
      for (const field of ['emails_sent_count', 'contacted_count', 'reply_count', 'open_count', 'total_opportunities']) {
        const expected = end === undefined ? 0 : Number(end[field]) - (startRow === undefined ? 0 : Number(startRow[field]));
        expect({ id: row.campaign_id, field, value: row[field] }).toEqual({ id: row.campaign_id, field, value: expected });
      }
      total += Number(row.emails_sent_count);
    }
    expect(total).toBeGreaterThan(0);
  });

  test('daily rows end on the day: Instantly, SendKit (default range), Kakiyo (dailyBreakdown, last7Days)', async () => {
    const day = dayBefore(10);
    const instantly = sim('instantly');
    instantly.setReferenceDate(day);
    const instantlyRows: Json[] = (await get(instantly, '/api/v2/campaigns/analytics/daily', bearer(DEMO_ACCOUNTS.instantly[0]?.apiKey ?? ''))).json();
    expect(instantlyRows.length).toBeGreaterThan(0);
    expect(instantlyRows.every((row) => String(row.date) <= day)).toBe(true);
    expect(instantlyRows.some((row) => String(row.date) === day)).toBe(true);

    const sendkit = sim('sendkit');
    sendkit.setReferenceDate(day);
    const sendkitRows: Json[] = (await get(sendkit, '/v1/analytics/daily', { 'x-api-key': DEMO_ACCOUNTS.sendkit[0]?.apiKey ?? '' })).json().data;
    expect(sendkitRows.length).toBeGreaterThan(0);
    expect(sendkitRows.every((row) => String(row._id) <= day && String(row._id) >= dayBefore(39))).toBe(true);

    const kakiyo = sim('kakiyo');
    const kakiyoKey = bearer(DEMO_ACCOUNTS.kakiyo[0]?.apiKey ?? '');
    kakiyo.setReferenceDate(day);
    const list = (await get(kakiyo, '/v1/campaigns?limit=100', kakiyoKey)).json().campaigns;
    let active = 0;
    for (const item of list) {
      const body = (await get(kakiyo, `/v1/analytics/campaigns/${String(item.id)}`, kakiyoKey)).json();
      const breakdown: Json[] = body.activity.dailyBreakdown;
      expect(breakdown.every((row) => String(row.date) <= day)).toBe(true);
      // last7Days is the breakdown's last seven days up to the day.
      const week = breakdown.filter((row) => String(row.date) >= dayBefore(16));
      expect(body.activity.last7Days.messages).toBe(week.reduce((sum: number, row) => sum + Number(row.messages), 0));
      if (breakdown.some((row) => String(row.date) === day)) active += 1;
    }
    expect(active).toBeGreaterThan(0);
  });
});

describe('coreAsOf (property)', () => {
  const STATUSES: readonly StatusOption<string>[] = [
    { value: 'on', weight: 3, kind: 'running' },
    { value: 'done', weight: 2, kind: 'ended' },
    { value: 'draft', weight: 1, kind: 'draft' },
  ];
  const NAMES: readonly TotalName[] = ['contacted', 'emailsSent', 'opened', 'replied', 'interested', 'won', 'invitesSent', 'linkedinMessages'];

  test('counts through an earlier day never exceed counts through a later one, and a range is their difference', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 60 }), (seed, back, gap) => {
        const env = { provider: 'sendkit' as const, referenceDay: REF_DAY };
        const cores = generateCampaigns({ label: 'p', apiKey: 'k', seed, campaigns: 12, vendorWorkspaceId: undefined }, env, STATUSES);
        const later = REF_DAY - back;
        const earlier = later - gap;
        for (const core of cores) {
          if (!existsOn(core, later)) {
            expect(existsOn(core, earlier)).toBe(false);
            continue;
          }
          const b = coreAsOf(core, later, 'on');
          expect(epochDay(b.updatedMs)).toBeLessThanOrEqual(later);
          if (b.status !== core.status) expect(core.activity !== null && core.activity.lastDay > later && b.status === 'on').toBe(true);
          if (!existsOn(core, earlier)) continue;
          const a = coreAsOf(core, earlier, 'on');
          const ranged = totalsInRange(core, { fromDay: earlier + 1, toDay: later });
          const rangedOnView = totalsInRange(b, { fromDay: earlier + 1 });
          for (const name of NAMES) {
            expect(a.totals[name]).toBeLessThanOrEqual(b.totals[name]);
            expect(b.totals[name] - a.totals[name]).toBe(ranged[name]);
            expect(rangedOnView[name]).toBe(ranged[name]);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
