/** Pure mapping: every analytics fixture → exact normalized values (DESIGN.md section 3, Kakiyo column). */
import { CampaignAnalyticsSchema, emptyMetrics } from '../../../src/schema/campaign';
import { KAKIYO_STATUS, mapKakiyoCampaign, mapKakiyoDaily } from '../../../src/providers/kakiyo/map';
import { KakiyoCampaignAnalyticsSchema, type KakiyoCampaignAnalytics } from '../../../src/providers/kakiyo/schema';
import { issuePath } from '../../../src/providers/shared';
import { CONNECTION, documentedRecord, fixture } from './helpers';

const NONE = { steps: false, daily: false, raw: false };
const DAILY = { steps: false, daily: true, raw: false };
const RAW = { steps: false, daily: false, raw: true };

function reply(name: string): KakiyoCampaignAnalytics {
  return KakiyoCampaignAnalyticsSchema.parse(fixture(name).body);
}

const ALL_NULL_RATES = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

describe('mapKakiyoCampaign', () => {
  it('maps the documented example exactly (analytics-documented)', () => {
    const record = mapKakiyoCampaign(CONNECTION, 'campaign_123', reply('analytics-documented'), { include: NONE });
    expect(record).toEqual(documentedRecord());
    expect(CampaignAnalyticsSchema.parse(record)).toEqual(record);
    // The brief's spot checks, and the vendor's own rates (23.33 %, 34.29 %) are not copied.
    expect(record.metrics.linkedinMessagesSent).toBe(420);
    expect(record.metrics.interested).toBe(12);
    expect(record.metrics.won).toBe(8);
    expect(record.metrics.contacted).toBe(65);
    expect(record.rates.replyRate).toBeCloseTo(0.538461, 5);
    expect('raw' in record).toBe(false);
  });

  it('maps the documented daily breakdown ascending with include.daily', () => {
    const record = mapKakiyoCampaign(CONNECTION, 'campaign_123', reply('analytics-documented'), { include: DAILY });
    expect(record).toEqual(documentedRecord({ daily: true }));
  });

  it('keeps reported zeros as 0 and matches status case-insensitively (analytics-paused)', () => {
    const record = mapKakiyoCampaign(CONNECTION, 'campaign_paused', reply('analytics-paused'), { include: DAILY });
    expect(record).toEqual({
      key: 'acme-kakiyo:campaign_paused',
      id: 'campaign_paused',
      provider: 'kakiyo',
      connection: 'acme-kakiyo',
      workspace: 'acme',
      name: 'Paused Follow-up',
      status: 'paused',
      vendorStatus: 'PAUSED',
      channels: ['linkedin'],
      createdAt: '2024-02-01T08:00:00.000Z',
      metrics: { ...emptyMetrics(), leads: 0, contacted: 0, sent: 0, linkedinMessagesSent: 0, replied: 0, interested: 0, won: 0 },
      rates: ALL_NULL_RATES,
      averageReplySeconds: null,
      steps: null,
      daily: [],
      leadStatus: { pending: 0, contacted: 0, responded: 0, qualified: 0, closed: 0 },
    });
  });

  it('maps an unknown status to unknown and keeps the raw value (analytics-unknown-status)', () => {
    const record = mapKakiyoCampaign(CONNECTION, 'campaign_unknown', reply('analytics-unknown-status'), { include: DAILY });
    expect(record.status).toBe('unknown');
    expect(record.vendorStatus).toBe('warming_up');
    expect(record.metrics).toEqual({ ...emptyMetrics(), leads: 40, contacted: 10, sent: 10, linkedinMessagesSent: 10, replied: 2, interested: 1, won: 0 });
    expect(record.rates).toEqual({ ...ALL_NULL_RATES, replyRate: 0.2, interestedRate: 0.1 });
    // No activity block: daily is "not reported", even when asked for.
    expect(record.daily).toBeNull();
    expect(record.createdAt).toBe('2024-03-05T12:00:00.000Z');
  });

  it('maps every missing optional field to null (analytics-missing-optional)', () => {
    const record = mapKakiyoCampaign(CONNECTION, 'campaign_bare', reply('analytics-missing-optional'), { include: DAILY });
    expect(record).toEqual({
      key: 'acme-kakiyo:campaign_bare',
      id: 'campaign_bare',
      provider: 'kakiyo',
      connection: 'acme-kakiyo',
      workspace: 'acme',
      name: 'Bare Campaign',
      status: 'unknown',
      vendorStatus: '',
      channels: ['linkedin'],
      createdAt: null,
      metrics: emptyMetrics(),
      rates: ALL_NULL_RATES,
      averageReplySeconds: null,
      steps: null,
      daily: null,
      leadStatus: null,
    });
    expect(CampaignAnalyticsSchema.parse(record)).toEqual(record);
  });

  it('ignores extra fields, reads numeric strings, lower-cases lead states (analytics-extra-fields)', () => {
    const record = mapKakiyoCampaign(CONNECTION, '4711', reply('analytics-extra-fields'), { include: DAILY });
    expect(record).toEqual({
      key: 'acme-kakiyo:4711',
      id: '4711',
      provider: 'kakiyo',
      connection: 'acme-kakiyo',
      workspace: 'acme',
      name: 'Numeric Id Campaign',
      status: 'completed',
      vendorStatus: 'completed',
      channels: ['linkedin'],
      createdAt: '2024-04-10T07:15:00.000Z',
      metrics: { ...emptyMetrics(), leads: 200, contacted: 160, sent: 510, linkedinMessagesSent: 510, replied: 60, interested: 20, won: 5 },
      rates: { ...ALL_NULL_RATES, replyRate: 60 / 160, interestedRate: 20 / 160 },
      averageReplySeconds: null,
      steps: null,
      daily: [{ date: '2024-04-11', sent: 12, opened: null, clicked: null, replied: 3, interested: 1 }],
      // `note: "synced hourly"` is not a count and is left out.
      leadStatus: { pending: 40, contacted: 100, responded: 60, qualified: 20, closed: 5 },
    });
    expect(CampaignAnalyticsSchema.parse(record)).toEqual(record);
  });

  it('returns the reply as it came under raw with include.raw (extra fields and strings kept)', () => {
    const body = fixture('analytics-extra-fields').body;
    const record = mapKakiyoCampaign(CONNECTION, '4711', reply('analytics-extra-fields'), { include: RAW });
    expect(record.raw).toEqual(body);
    expect(record.daily).toBeNull();
  });

  it('maps the inner reply of a {data: …} wrapper (analytics-data-wrapped)', () => {
    const body = KakiyoCampaignAnalyticsSchema.parse((fixture('analytics-data-wrapped').body as { data: unknown }).data);
    const record = mapKakiyoCampaign(CONNECTION, 'campaign_wrapped', body, { include: NONE });
    expect(record.status).toBe('draft');
    expect(record.metrics).toEqual({ ...emptyMetrics(), leads: 5, contacted: 0, sent: 0, linkedinMessagesSent: 0, replied: 0, interested: 0, won: 0 });
    expect(record.leadStatus).toEqual({ pending: 5 });
  });

  it('rejects a record without a name at campaign.name (analytics-malformed)', () => {
    const parsed = KakiyoCampaignAnalyticsSchema.safeParse(fixture('analytics-malformed').body);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(issuePath(parsed.error)).toBe('campaign.name');
  });

  it('leaves contacted null when pending is missing or larger than the prospects', () => {
    const base = reply('analytics-documented');
    const noPending = mapKakiyoCampaign(CONNECTION, 'c', { ...base, statusDistribution: { contacted: 45 } }, { include: NONE });
    expect(noPending.metrics.contacted).toBeNull();
    expect(noPending.rates.replyRate).toBeNull();
    const noDistribution = mapKakiyoCampaign(CONNECTION, 'c', { ...base, statusDistribution: null }, { include: NONE });
    expect(noDistribution.metrics.contacted).toBeNull();
    expect(noDistribution.leadStatus).toBeNull();
    const inconsistent = mapKakiyoCampaign(CONNECTION, 'c', { ...base, statusDistribution: { pending: 151 } }, { include: NONE });
    expect(inconsistent.metrics.contacted).toBeNull();
    const noProspects = mapKakiyoCampaign(CONNECTION, 'c', { ...base, metrics: { totalMessages: 3 } }, { include: NONE });
    expect(noProspects.metrics).toEqual({ ...emptyMetrics(), sent: 3, linkedinMessagesSent: 3 });
  });

  it('stringifies a numeric status and reads an epoch createdAt', () => {
    const base = reply('analytics-documented');
    const record = mapKakiyoCampaign(
      CONNECTION,
      'c',
      { ...base, campaign: { name: 'n', status: 3, createdAt: Date.UTC(2024, 0, 2) } },
      { include: NONE },
    );
    expect(record.vendorStatus).toBe('3');
    expect(record.status).toBe('unknown');
    expect(record.createdAt).toBe('2024-01-02T00:00:00.000Z');
  });

  it('maps each documented and plausible status name', () => {
    const base = reply('analytics-documented');
    const statuses = ['draft', 'active', 'paused', 'completed', 'archived', 'Active', 'stopped', 'error'].map(
      (status) => mapKakiyoCampaign(CONNECTION, 'c', { ...base, campaign: { name: 'n', status } }, { include: NONE }).status,
    );
    expect(statuses).toEqual(['draft', 'active', 'paused', 'completed', 'archived', 'active', 'unknown', 'unknown']);
    expect(Object.keys(KAKIYO_STATUS)).toEqual(['draft', 'active', 'paused', 'completed', 'archived']);
  });
});

describe('mapKakiyoDaily (analytics-daily)', () => {
  const rows = reply('analytics-daily').activity?.dailyBreakdown;

  it('sorts ascending, cuts ISO timestamps to the day and reports a bad row', () => {
    const bad: string[] = [];
    expect(mapKakiyoDaily(rows, { include: DAILY, onInvalidRow: (path) => bad.push(path) })).toEqual([
      { date: '2024-05-01', sent: 0, opened: null, clicked: null, replied: 0, interested: 0 },
      { date: '2024-05-02', sent: 20, opened: null, clicked: null, replied: 3, interested: 0 },
      { date: '2024-05-03', sent: 30, opened: null, clicked: null, replied: null, interested: null },
      { date: '2024-05-04', sent: 10, opened: null, clicked: null, replied: 2, interested: 1 },
    ]);
    expect(bad).toEqual(['activity.dailyBreakdown.2.date']);
  });

  it('filters to an inclusive date range', () => {
    const dates = (startDate?: string, endDate?: string): string[] =>
      (mapKakiyoDaily(rows, { include: DAILY, startDate, endDate }) ?? []).map((row) => row.date);
    expect(dates('2024-05-02', '2024-05-03')).toEqual(['2024-05-02', '2024-05-03']);
    expect(dates('2024-05-03')).toEqual(['2024-05-03', '2024-05-04']);
    expect(dates(undefined, '2024-05-01')).toEqual(['2024-05-01']);
    expect(dates('2024-06-01', '2024-06-30')).toEqual([]);
  });

  it('names a row that is not an object by its index', () => {
    const bad: string[] = [];
    expect(mapKakiyoDaily([5, { date: '2024-05-01', messages: 1 }], { include: DAILY, onInvalidRow: (p) => bad.push(p) })).toEqual([
      { date: '2024-05-01', sent: 1, opened: null, clicked: null, replied: null, interested: null },
    ]);
    expect(bad).toEqual(['activity.dailyBreakdown.0']);
    expect(mapKakiyoDaily(null, { include: DAILY })).toBeNull();
    expect(mapKakiyoDaily(undefined, { include: DAILY })).toBeNull();
  });

  it('is part of the record with include.daily and null without', () => {
    const body = reply('analytics-daily');
    expect(mapKakiyoCampaign(CONNECTION, 'campaign_daily', body, { include: NONE }).daily).toBeNull();
    expect(mapKakiyoCampaign(CONNECTION, 'campaign_daily', body, { include: DAILY }).daily).toHaveLength(4);
  });
});
