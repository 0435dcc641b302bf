import {
  Lazy,
  coreAsOf,
  countInRange,
  dailyCounts,
  firstIndexAfter,
  generateCampaigns,
  isoDay,
  parseDay,
  resolveAccounts,
  shareThrough,
  splitCount,
  totalsInRange,
  type CampaignCore,
  type DayRange,
  type StatusOption,
  type TotalName,
} from '../../src/simulator/data';
import type { AccountSpec } from '../../src/simulator';
import { between, hashSeed, hex, intBetween, mulberry32, pick, pickWeighted, randomString, unitHash } from '../../src/simulator/random';

const REF = parseDay('2026-06-30') ?? NaN;
const STATUSES: readonly StatusOption<string>[] = [
  { value: 'on', weight: 3, kind: 'running' },
  { value: 'done', weight: 2, kind: 'ended' },
  { value: 'draft', weight: 1, kind: 'draft' },
];

function account(seed: number, campaigns: number, label = 'Acme') {
  const [resolved] = resolveAccounts([{ apiKey: `key-${seed}`, seed, campaigns, label }]);
  if (!resolved) throw new Error('no account');
  return resolved;
}

describe('random', () => {
  it('mulberry32 is the reference generator (seed 42)', () => {
    const rng = mulberry32(42);
    expect([rng(), rng(), rng()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('hashSeed separates parts, so ("a","bc") and ("ab","c") differ', () => {
    expect(hashSeed('a')).toBe(723832900);
    expect(hashSeed('a', 'bc')).toBe(2972042649);
    expect(hashSeed('ab', 'c')).toBe(896568933);
    expect(unitHash('x', 1)).toBe(unitHash('x', 1));
    expect(unitHash('x', 1)).not.toBe(unitHash('x', 2));
  });

  it('helpers stay in their ranges', () => {
    const rng = mulberry32(7);
    for (let i = 0; i < 500; i += 1) {
      const f = between(rng, 2, 3);
      expect(f >= 2 && f < 3).toBe(true);
      const n = intBetween(rng, 1, 3);
      expect([1, 2, 3]).toContain(n);
    }
    expect(hex(rng, 13)).toMatch(/^[0-9a-f]{13}$/);
    expect(randomString(rng, 'ab', 6)).toMatch(/^[ab]{6}$/);
    expect(() => pick(rng, [])).toThrow('empty');
    expect(() => pickWeighted(rng, [])).toThrow('empty');
    expect(pickWeighted(() => 0.99999, [{ weight: 1, v: 'a' }, { weight: 0, v: 'b' }]).v).toBe('a');
  });
});

describe('dates', () => {
  it('parses YYYY-MM-DD as UTC midnight and ISO timestamps as their UTC day', () => {
    expect(parseDay('2026-06-30')).toBe(Date.UTC(2026, 5, 30) / 86_400_000);
    expect(parseDay('2026-06-30T23:59:59Z')).toBe(parseDay('2026-06-30'));
    expect(parseDay('2026-07-01T01:00:00+02:00')).toBe(parseDay('2026-06-30'));
    expect(isoDay(REF)).toBe('2026-06-30');
  });

  it('rejects anything else, impossible dates included', () => {
    for (const bad of ['2026-02-30', '2026-6-30', 'yesterday', '1719705600', '2026-06-30 10:00', '']) {
      expect(parseDay(bad)).toBeUndefined();
    }
  });
});

describe('generateCampaigns', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const env = { provider: 'instantly' as const, referenceDay: REF };
    const a = generateCampaigns(account(1, 50), env, STATUSES);
    const b = generateCampaigns(account(1, 50), env, STATUSES);
    const c = generateCampaigns(account(2, 50), env, STATUSES);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
    expect(a[0]?.name).toBe('Acme Event Invite - Heads of Growth #1');
  });

  it('gives each vendor its own stream for the same account', () => {
    const acct = account(1, 5);
    const instantly = generateCampaigns(acct, { provider: 'instantly', referenceDay: REF }, STATUSES);
    const seleqt = generateCampaigns(acct, { provider: 'seleqt', referenceDay: REF }, STATUSES);
    expect(instantly.map((c) => c.seed)).not.toEqual(seleqt.map((c) => c.seed));
  });

  it('keeps the funnel consistent, creation times increasing, activity before the reference day', () => {
    const campaigns = generateCampaigns(account(9, 3000), { provider: 'sendkit', referenceDay: REF }, STATUSES);
    let previous = -Infinity;
    const kinds = new Set<string>();
    for (const c of campaigns) {
      const t = c.totals;
      kinds.add(c.kind);
      expect(c.createdMs).toBeGreaterThan(previous);
      previous = c.createdMs;
      expect(c.name).toMatch(new RegExp(`^Acme .+ #${c.index + 1}$`));
      expect(t.contacted).toBeLessThanOrEqual(c.leads);
      expect(t.newLeadsContacted).toBeLessThanOrEqual(t.contacted);
      expect(t.emailsSent).toBeGreaterThanOrEqual(t.contacted);
      expect(t.opened).toBeLessThanOrEqual(t.contacted);
      expect(t.opens).toBeGreaterThanOrEqual(t.opened);
      expect(t.openedByStep).toBeGreaterThanOrEqual(t.opened);
      expect(t.clicked).toBeLessThanOrEqual(t.opened);
      expect(t.replied).toBeLessThanOrEqual(t.contacted);
      expect(t.replies).toBeGreaterThanOrEqual(t.replied + t.autoReplies);
      expect(t.interested).toBeLessThanOrEqual(t.replied);
      expect(t.meetings).toBeLessThanOrEqual(t.interested);
      expect(t.won).toBeLessThanOrEqual(t.meetings);
      expect(t.invitesAccepted).toBeLessThanOrEqual(t.invitesSent);
      expect(t.completed).toBeLessThanOrEqual(t.contacted);
      if (c.kind === 'draft') {
        expect(c.activity).toBeNull();
        expect(t.contacted).toBe(0);
      } else {
        expect(c.activity?.lastDay).toBeLessThanOrEqual(REF);
        expect(c.activity?.firstDay).toBeLessThanOrEqual(c.activity?.lastDay ?? -1);
      }
      if (c.kind === 'running') expect(c.activity?.lastDay).toBe(REF);
    }
    expect([...kinds].sort()).toEqual(['draft', 'ended', 'running']);
  });

  // Its speed is measured by the big-tenant benchmark (npm run bench), not asserted here.
  it('generates a 20,000-campaign account', () => {
    const campaigns = generateCampaigns(account(5, 20_000), { provider: 'instantly', referenceDay: REF }, STATUSES);
    expect(campaigns).toHaveLength(20_000);
    expect(campaigns[19_999]?.name).toMatch(/ #20000$/);
    expect(new Set(campaigns.map((c) => c.name)).size).toBe(20_000);
  });
});

describe('date ranges', () => {
  const [campaign] = generateCampaigns(account(3, 1), { provider: 'kakiyo', referenceDay: REF }, [STATUSES[0] ?? { value: 'on', weight: 1, kind: 'running' }]);
  if (!campaign?.activity) throw new Error('expected an active campaign');
  const activity = campaign.activity;

  it('the cumulative share rises from 0 to 1 over the active days', () => {
    expect(shareThrough(activity, activity.firstDay - 1)).toBe(0);
    expect(shareThrough(activity, activity.lastDay)).toBe(1);
    expect(shareThrough(null, REF)).toBe(0);
    const mid = shareThrough(activity, Math.floor((activity.firstDay + activity.lastDay) / 2));
    expect(mid > 0 && mid < 1).toBe(true);
  });

  it('a sub-range gives smaller numbers than lifetime, and the halves add up to the whole', () => {
    const total = campaign.totals.emailsSent;
    const middle = Math.floor((activity.firstDay + activity.lastDay) / 2);
    const firstHalf = countInRange(activity, total, { toDay: middle });
    const secondHalf = countInRange(activity, total, { fromDay: middle + 1 });
    expect(countInRange(activity, total, {})).toBe(total);
    expect(firstHalf).toBeLessThan(total);
    expect(secondHalf).toBeLessThan(total);
    expect(firstHalf + secondHalf).toBe(total);
    expect(countInRange(activity, total, { fromDay: REF + 1 })).toBe(0);
  });

  it('scaled totals keep the funnel ordering', () => {
    const t = totalsInRange(campaign, { fromDay: activity.firstDay + 3, toDay: activity.lastDay - 3 });
    expect(t.opened).toBeLessThanOrEqual(t.contacted);
    expect(t.interested).toBeLessThanOrEqual(t.replied);
    expect(t.emailsSent).toBeLessThan(campaign.totals.emailsSent);
    expect(totalsInRange(campaign, {})).toBe(campaign.totals);
  });

  it('daily rows sum exactly to the range totals, over several campaigns', () => {
    const many = generateCampaigns(account(4, 40), { provider: 'instantly', referenceDay: REF }, STATUSES);
    const range = { fromDay: REF - 60, toDay: REF - 10 };
    const rows = dailyCounts(many, range, ['emailsSent']);
    const sum = rows.reduce((acc, row) => acc + row.totals.emailsSent, 0);
    const expected = many.reduce((acc, c) => acc + totalsInRange(c, range).emailsSent, 0);
    expect(sum).toBe(expected);
    expect(rows.every((row, i) => i === 0 || row.day > (rows[i - 1]?.day ?? Infinity))).toBe(true);
    expect(rows[0]?.day).toBeGreaterThanOrEqual(REF - 60);
    expect(rows[rows.length - 1]?.day).toBeLessThanOrEqual(REF - 10);
    expect(dailyCounts([], {}, ['emailsSent'])).toEqual([]);
  });
});

describe('daily rows against one range per day', () => {
  /** Each day's row as its one-day range (`totalsInRange`), summed over the campaigns; a day is a row when any total counts there. */
  function reference(cores: readonly CampaignCore<unknown>[], range: DayRange, names: readonly TotalName[]): { day: number; totals: Record<string, number> }[] {
    const rows: { day: number; totals: Record<string, number> }[] = [];
    const days = cores.flatMap((c) => (c.activity ? [c.activity.firstDay, c.activity.lastDay] : []));
    if (days.length === 0) return rows;
    for (let day = Math.max(Math.min(...days), range.fromDay ?? -Infinity); day <= Math.min(Math.max(...days), range.toDay ?? Infinity); day += 1) {
      const sums = cores.map((c) => totalsInRange(c, { fromDay: day, toDay: day }));
      const any = sums.some((t) => Object.values(t).some((v) => v !== 0));
      if (!any) continue;
      rows.push({ day, totals: Object.fromEntries(names.map((name) => [name, sums.reduce((acc, t) => acc + t[name], 0)])) });
    }
    return rows;
  }
  const ALL_NAMES = Object.keys(generateCampaigns(account(5, 1), { provider: 'sendkit', referenceDay: REF }, STATUSES)[0]?.totals ?? {}) as TotalName[];

  it.each([
    ['one campaign, all time', 1, {}],
    ['one campaign, a range', 1, { fromDay: REF - 40, toDay: REF - 5 }],
    ['12 campaigns, all time', 12, {}],
    ['12 campaigns, open start', 12, { toDay: REF - 20 }],
  ] as const)('%s: the same days and counts, all totals or only those shown', (_, campaigns, range) => {
    for (const seed of [11, 12]) {
      const cores = generateCampaigns(account(seed, campaigns), { provider: 'kakiyo', referenceDay: REF }, STATUSES);
      // As of 30 days back too (counts cut at that day, campaigns created later left out).
      const asOf = cores.filter((c) => c.createdMs <= (REF - 30 + 1) * 86_400_000 - 1).map((c) => coreAsOf(c, REF - 30, 'on'));
      for (const set of [cores, asOf]) {
        expect(dailyCounts(set, range, ALL_NAMES)).toEqual(reference(set, range, ALL_NAMES));
        const shown: TotalName[] = ['contacted', 'linkedinMessages', 'replied', 'interested'];
        expect(dailyCounts(set, range, shown)).toEqual(reference(set, range, shown));
      }
    }
  });
});

describe('helpers', () => {
  it('splitCount splits exactly, remainder to the first part', () => {
    expect(splitCount(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitCount(7, [0, 0])).toEqual([7, 0]);
    expect(splitCount(5, [])).toEqual([]);
    expect(splitCount(100, [0.5, 0.25, 0.25]).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('firstIndexAfter finds the first key greater than the cursor', () => {
    const keys = ['a', 'c', 'e'];
    expect(firstIndexAfter(keys, 'a', (k) => k)).toBe(1);
    expect(firstIndexAfter(keys, 'b', (k) => k)).toBe(1);
    expect(firstIndexAfter(keys, 'e', (k) => k)).toBe(3);
    expect(firstIndexAfter(keys, '0', (k) => k)).toBe(0);
  });

  it('Lazy computes once', () => {
    let calls = 0;
    const lazy = new Lazy(() => {
      calls += 1;
      return calls;
    });
    expect([lazy.get(), lazy.get()]).toEqual([1, 1]);
  });

  it('resolveAccounts fills labels and rejects bad or duplicate accounts', () => {
    expect(resolveAccounts([{ apiKey: 'a', seed: 1, campaigns: 1 }])[0]?.label).toBe('account-1');
    expect(() => resolveAccounts([{ apiKey: '', seed: 1, campaigns: 1 }])).toThrow('apiKey is empty');
    expect(() => resolveAccounts([{ apiKey: 'a', seed: 1, campaigns: 1.5 }])).toThrow('campaigns must be');
    expect(() => resolveAccounts([{ apiKey: 'a', seed: NaN, campaigns: 1 }])).toThrow('seed');
    expect(() =>
      resolveAccounts([
        { apiKey: 'a', seed: 1, campaigns: 1, label: 'X' },
        { apiKey: 'b', seed: 1, campaigns: 1, label: 'X' },
      ]),
    ).toThrow('used twice');
    expect(() =>
      resolveAccounts([
        { apiKey: 'a', seed: 1, campaigns: 1 },
        { apiKey: 'a', seed: 2, campaigns: 1 },
      ]),
    ).toThrow('used by another account');
  });

  it('resolveAccounts keeps Instantly sub-workspaces and rejects ones that name no single other account', () => {
    const client = (label: string, vendorWorkspaceId: string): AccountSpec => ({ apiKey: `key-${label}`, seed: 1, campaigns: 1, label, vendorWorkspaceId });
    const admin = (subWorkspaces: string[]): AccountSpec => ({ ...client('Admin', 'ws-admin'), subWorkspaces });
    const resolved = resolveAccounts([admin(['ws-a', 'ws-a']), client('A', 'ws-a')], 'instantly');
    expect(resolved[0]?.subWorkspaces).toEqual(['ws-a']);
    // Accounts without sub-workspaces are exactly what they were (no new key).
    expect(Object.keys(resolved[1] ?? {})).toEqual(['label', 'apiKey', 'seed', 'campaigns', 'vendorWorkspaceId']);
    expect(Object.keys(resolveAccounts([admin([]), client('A', 'ws-a')])[0] ?? {})).not.toContain('subWorkspaces');
    expect(() => resolveAccounts([admin(['ws-typo']), client('A', 'ws-a')], 'instantly')).toThrow(
      'simulator account Admin: subWorkspaces lists "ws-typo", which is no account\'s vendorWorkspaceId',
    );
    expect(() => resolveAccounts([admin(['ws-a']), client('A', 'ws-a'), client('B', 'ws-a')], 'instantly')).toThrow('vendorWorkspaceId of 2 accounts');
    expect(() => resolveAccounts([admin(['ws-admin'])], 'instantly')).toThrow('its own vendorWorkspaceId');
    expect(() => resolveAccounts([admin(['']), client('A', '')], 'instantly')).toThrow('is empty or has surrounding spaces');
    expect(() => resolveAccounts([admin([' ws-a']), client('A', ' ws-a')], 'instantly')).toThrow('is empty or has surrounding spaces');
    expect(() => resolveAccounts([admin(['ws-a']), client('A', 'ws-a')], 'sendkit')).toThrow('subWorkspaces is Instantly only');
  });
});
