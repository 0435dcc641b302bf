import { CampaignAnalyticsSchema } from '../../../src/schema/campaign';
import {
  INSTANTLY_STATUS,
  instantlyVendorStatus,
  mapInstantlyCampaign,
  mapInstantlyDaily,
  mapInstantlyListedCampaign,
  mapInstantlyMetrics,
  mapInstantlySteps,
  mapVariant,
  variantLetters,
} from '../../../src/providers/instantly/map';
import {
  InstantlyCampaignAnalyticsSchema,
  InstantlyCampaignPageSchema,
  InstantlyCampaignSchema,
  InstantlyDailyRowSchema,
  InstantlyStepRowSchema,
} from '../../../src/providers/instantly/schema';
import { loadFixture } from '../../helpers/fixtures';
import { C2, C3, CONNECTION, documentedRecord, metrics } from './helpers';

function bodyArray(name: string): unknown[] {
  const body = loadFixture('instantly', name).body;
  if (!Array.isArray(body)) throw new Error(`${name}: body is not an array`);
  return body;
}

function analyticsRecord(name: string, index: number) {
  return InstantlyCampaignAnalyticsSchema.parse(bodyArray(name)[index]);
}

const noExtras = { createdAt: null, steps: null, daily: null, raw: null, includeRaw: false };

describe('mapInstantlyCampaign', () => {
  it('maps the documented example to the exact normalized record', () => {
    const raw = bodyArray('analytics-documented')[0];
    const record = mapInstantlyCampaign(CONNECTION, InstantlyCampaignAnalyticsSchema.parse(raw), {
      ...noExtras,
      createdAt: '2026-08-03T09:15:27.512Z',
      raw,
    });
    expect(record).toStrictEqual(documentedRecord('2026-08-03T09:15:27.512Z'));
    expect(CampaignAnalyticsSchema.parse(record)).toStrictEqual(record);
  });

  it('prefers the *_unique counts: opened 750 (not 800), clicked 600 (not 800), replied 280 (not 300)', () => {
    const m = mapInstantlyMetrics(analyticsRecord('analytics-documented', 0));
    expect([m.opened, m.clicked, m.replied]).toEqual([750, 600, 280]);
  });

  it('keeps the vendor record as it came, extra fields included, only with includeRaw', () => {
    const raw = bodyArray('analytics-extra-fields')[0];
    const parsed = InstantlyCampaignAnalyticsSchema.parse(raw);
    const withRaw = mapInstantlyCampaign(CONNECTION, parsed, { ...noExtras, raw, includeRaw: true });
    expect(withRaw.raw).toStrictEqual(raw);
    expect(withRaw.raw?.ai_reply_rate_score).toEqual({ value: 0.42, model: 'v3' });
    const withoutRaw = mapInstantlyCampaign(CONNECTION, parsed, { ...noExtras, raw });
    expect('raw' in withoutRaw).toBe(false);
    expect(withoutRaw.metrics).toStrictEqual(documentedRecord(null).metrics);
    expect(withoutRaw.name).toBe('Extra Fields');
  });

  it('maps a record with only its identity to unknown status and every metric null', () => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsRecord('analytics-missing-optional', 0), noExtras);
    expect(record.status).toBe('unknown');
    expect(record.vendorStatus).toBe('');
    expect(record.metrics).toStrictEqual(metrics({}));
    expect(record.rates).toStrictEqual({
      openRate: null,
      clickRate: null,
      replyRate: null,
      bounceRate: null,
      interestedRate: null,
      inviteAcceptRate: null,
    });
  });

  it('falls back to open_count / link_click_count / reply_count without the *_unique fields', () => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsRecord('analytics-missing-optional', 1), noExtras);
    expect(record.metrics).toStrictEqual(
      metrics({
        leads: 300,
        contacted: 250,
        sent: 700,
        emailsSent: 700,
        opened: 140,
        clicked: 17,
        replied: 22,
        bounced: 6,
        unsubscribed: 2,
        completed: 90,
        interested: 3,
        opportunityValue: 1500.5,
      }),
    );
    expect(record.rates.openRate).toBe(140 / 250);
  });

  it('reads numeric strings, keeps nulls null, a reported 0 as 0, and garbage as null', () => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsRecord('analytics-missing-optional', 2), noExtras);
    expect(record.status).toBe('paused');
    expect(record.vendorStatus).toBe('2');
    expect(record.metrics).toStrictEqual(
      metrics({ leads: 120, contacted: 100, opened: 50, replied: 7, bounced: 0, interested: 0 }),
    );
    expect(record.rates).toStrictEqual({
      openRate: 0.5,
      clickRate: null,
      replyRate: 0.07,
      bounceRate: 0,
      interestedRate: 0,
      inviteAcceptRate: null,
    });
  });
});

describe('status mapping', () => {
  const expected: [string, string, string][] = [
    ['Status s0', '0', 'draft'],
    ['Status s1', '1', 'active'],
    ['Status s2', '2', 'paused'],
    ['Status s3', '3', 'completed'],
    ['Status s4', '4', 'active'],
    ['Status s-1', '-1', 'error'],
    ['Status s-2', '-2', 'error'],
    ['Status s-99', '-99', 'error'],
    ['Status s5', '5', 'unknown'],
    ['Status s-3', '-3', 'unknown'],
    ['Status str1', '1', 'active'],
    ['Status strpaused', 'paused', 'unknown'],
    ['Status null', '', 'unknown'],
  ];
  it.each(expected.map((row, index) => [index, ...row] as const))('record %i (%s): vendorStatus %j → %s', (index, name, vendorStatus, status) => {
    const record = mapInstantlyCampaign(CONNECTION, analyticsRecord('analytics-statuses', index), noExtras);
    expect([record.name, record.vendorStatus, record.status]).toEqual([name, vendorStatus, status]);
  });

  it('covers exactly the documented enum', () => {
    expect(Object.keys(INSTANTLY_STATUS).sort()).toEqual(['-1', '-2', '-99', '0', '1', '2', '3', '4']);
    expect(instantlyVendorStatus(undefined)).toBe('');
    expect(instantlyVendorStatus(' 3 ')).toBe('3');
  });
});

describe('mapInstantlyListedCampaign', () => {
  it('maps a campaign that has not sent yet: list name, status and creation time, every metric null', () => {
    const page = InstantlyCampaignPageSchema.parse(loadFixture('instantly', 'campaigns-documented').body);
    const raw = page.items[1];
    const campaign = InstantlyCampaignSchema.parse(raw);
    const record = mapInstantlyListedCampaign(CONNECTION, campaign, { steps: [], daily: null, raw, includeRaw: true });
    expect(record).toStrictEqual({
      key: `acme-instantly:${C3}`,
      id: C3,
      provider: 'instantly',
      connection: 'acme-instantly',
      workspace: 'acme',
      name: 'Holiday Draft',
      status: 'draft',
      vendorStatus: '0',
      channels: ['email'],
      createdAt: '2026-09-01T12:00:00.000Z',
      metrics: metrics({}),
      rates: {
        openRate: null,
        clickRate: null,
        replyRate: null,
        bounceRate: null,
        interestedRate: null,
        inviteAcceptRate: null,
      },
      averageReplySeconds: null,
      steps: [],
      daily: null,
      leadStatus: null,
      raw,
    });
  });

  it('normalizes a numeric id to a string', () => {
    const campaign = InstantlyCampaignSchema.parse({ id: 42, name: 'Numeric', status: 1 });
    const record = mapInstantlyListedCampaign(CONNECTION, campaign, { steps: null, daily: null, raw: null, includeRaw: false });
    expect([record.id, record.key, record.createdAt, record.status]).toEqual(['42', 'acme-instantly:42', null, 'active']);
  });
});

describe('mapInstantlySteps', () => {
  it('maps 1-based steps, sorts them, letters the variants and drops rows with a null step', () => {
    const rows = bodyArray('steps-c1').map((row) => InstantlyStepRowSchema.parse(row));
    expect(mapInstantlySteps(rows)).toStrictEqual([
      { step: 1, variant: 'A', sent: 1800, opened: 350, clicked: 250, replied: 100, bounced: null },
      { step: 1, variant: 'B', sent: 1700, opened: 400, clicked: 200, replied: 80, bounced: null },
      { step: 2, variant: 'A', sent: 1500, opened: 300, clicked: 40, replied: 60, bounced: null },
      { step: 3, variant: null, sent: 0, opened: 0, clicked: 0, replied: 0, bounced: null },
    ]);
  });

  it('shifts 0-based steps by one when any row says step "0"', () => {
    const rows = bodyArray('steps-c2-zero-based-dated')
      .slice(0, 3)
      .map((row) => InstantlyStepRowSchema.parse(row));
    expect(mapInstantlySteps(rows)).toStrictEqual([
      { step: 1, variant: 'A', sent: 80, opened: 15, clicked: 2, replied: 3, bounced: null },
      { step: 1, variant: 'B', sent: 40, opened: 10, clicked: 1, replied: 2, bounced: null },
      { step: 2, variant: 'B', sent: 40, opened: 9, clicked: 1, replied: 2, bounced: null },
    ]);
  });

  it('rejects a non-numeric step at the schema', () => {
    const row = bodyArray('steps-c2-zero-based-dated')[3];
    expect(InstantlyStepRowSchema.safeParse(row).success).toBe(false);
  });

  it('accepts integer steps and variants', () => {
    const rows = [InstantlyStepRowSchema.parse({ step: 2, variant: 27, sent: '5' })];
    expect(mapInstantlySteps(rows)).toStrictEqual([
      { step: 2, variant: 'AB', sent: 5, opened: null, clicked: null, replied: null, bounced: null },
    ]);
  });

  it('orders a null variant before lettered ones and short letters before long ones', () => {
    const rows = ['26', '1', null, '0'].map((variant) => InstantlyStepRowSchema.parse({ step: '1', variant }));
    expect(mapInstantlySteps(rows).map((s) => s.variant)).toEqual([null, 'A', 'B', 'AA']);
  });
});

describe('variants', () => {
  it.each([
    [0, 'A'],
    [1, 'B'],
    [25, 'Z'],
    [26, 'AA'],
    [27, 'AB'],
    [701, 'ZZ'],
    [702, 'AAA'],
  ])('variantLetters(%i) = %s', (index, letters) => {
    expect(variantLetters(index)).toBe(letters);
  });

  it.each([
    ['0', 'A'],
    ['1', 'B'],
    [2, 'C'],
    ['B', 'B'],
    ['', null],
    ['  ', null],
    [null, null],
    [undefined, null],
  ])('mapVariant(%j) = %j', (value, expected) => {
    expect(mapVariant(value)).toBe(expected);
  });
});

describe('mapInstantlyDaily', () => {
  it('maps daily rows ascending, preferring unique counts and falling back without them', () => {
    const rows = bodyArray('daily-c1').map((row) => InstantlyDailyRowSchema.parse(row));
    expect(mapInstantlyDaily(rows)).toStrictEqual([
      { date: '2026-09-01', sent: 100, opened: 35, clicked: 4, replied: 5, interested: 0 },
      { date: '2026-09-02', sent: 110, opened: 45, clicked: 5, replied: 6, interested: 1 },
      { date: '2026-09-03', sent: 120, opened: 50, clicked: 6, replied: 8, interested: 1 },
    ]);
  });

  it('cuts a full timestamp to its date and rejects a row without a date', () => {
    const [timestamped, plain, dateless] = bodyArray('daily-c2-dated');
    expect(InstantlyDailyRowSchema.safeParse(dateless).success).toBe(false);
    const rows = [timestamped, plain].map((row) => InstantlyDailyRowSchema.parse(row));
    expect(mapInstantlyDaily(rows)).toStrictEqual([
      { date: '2026-09-01', sent: 90, opened: 16, clicked: 2, replied: 3, interested: 0 },
      { date: '2026-09-02', sent: 70, opened: 12, clicked: 2, replied: 2, interested: 1 },
    ]);
  });

  it('keeps rows of the same day in their order', () => {
    const rows = [
      { date: '2026-09-02', sent: 1 },
      { date: '2026-09-01', sent: 2 },
      { date: '2026-09-02', sent: 3 },
    ].map((row) => InstantlyDailyRowSchema.parse(row));
    expect(mapInstantlyDaily(rows).map((d) => [d.date, d.sent])).toEqual([
      ['2026-09-01', 2],
      ['2026-09-02', 1],
      ['2026-09-02', 3],
    ]);
  });
});

describe('record schema', () => {
  it('requires campaign_id and campaign_name and nothing else', () => {
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: C2, campaign_name: 'x' }).success).toBe(true);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_name: 'x' }).success).toBe(false);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: '', campaign_name: 'x' }).success).toBe(false);
    expect(InstantlyCampaignAnalyticsSchema.safeParse({ campaign_id: C2 }).success).toBe(false);
  });
});
