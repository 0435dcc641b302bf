/**
 * Pure mapping: every analytics fixture → exact normalized values (DESIGN.md section 3, Kakiyo
 * column), and the field issues each one notes (present but unreadable values, by vendor path).
 */
import { CampaignAnalyticsSchema, emptyMetrics, type CampaignAnalytics } from '../../../src/schema/campaign';
import { KAKIYO_STATUS, mapKakiyoCampaign, readNested, type KakiyoCampaignSource } from '../../../src/providers/kakiyo/map';
import { KakiyoCampaignAnalyticsSchema, KakiyoMetricsSchema } from '../../../src/providers/kakiyo/schema';
import { FieldIssues, issuePath } from '../../../src/providers/shared';
import type { IncludeOptions } from '../../../src/providers/types';
import { CONNECTION, documentedRecord, fixture, sourceOf } from './helpers';

const NONE = { steps: false, daily: false, raw: false };
const DAILY = { steps: false, daily: true, raw: false };
const RAW = { steps: false, daily: false, raw: true };

const ALL_NULL_RATES = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

/** Maps a fixture as the client would (its daily rows read for `include`); returns the record and the noted fields. */
function mapFixture(name: string, include: IncludeOptions = NONE): { record: CampaignAnalytics; fields: Record<string, number> } {
  const issues = new FieldIssues();
  const record = mapKakiyoCampaign(CONNECTION, sourceOf(name, { include }, undefined, issues), include, issues);
  return { record, fields: issues.fields() };
}

/** Maps the documented example with some of its parts replaced. */
function mapVariant(changes: Partial<KakiyoCampaignSource['reply']>): { record: CampaignAnalytics; fields: Record<string, number> } {
  const base = sourceOf('analytics-documented');
  const issues = new FieldIssues();
  const record = mapKakiyoCampaign(CONNECTION, { ...base, id: 'c', reply: { ...base.reply, ...changes } }, NONE, issues);
  return { record, fields: issues.fields() };
}

describe('mapKakiyoCampaign', () => {
  it('maps the documented example exactly, with nothing noted (analytics-documented)', () => {
    const { record, fields } = mapFixture('analytics-documented');
    expect(record).toEqual(documentedRecord());
    expect(fields).toEqual({});
    expect(CampaignAnalyticsSchema.parse(record)).toEqual(record);
    // The vendor's own rates (23.33 %, 34.29 %) are not copied: the gateway computes its own.
    expect(record.rates.replyRate).toBeCloseTo(0.538461, 5);
    expect('raw' in record).toBe(false);
  });

  it('maps the documented daily breakdown ascending with include.daily', () => {
    expect(mapFixture('analytics-documented', DAILY)).toEqual({ record: documentedRecord({ daily: true }), fields: {} });
  });

  it('keeps reported zeros as 0 and matches status case-insensitively (analytics-paused)', () => {
    const { record, fields } = mapFixture('analytics-paused', DAILY);
    expect(fields).toEqual({});
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
    const { record, fields } = mapFixture('analytics-unknown-status', DAILY);
    expect(fields).toEqual({});
    expect(record.status).toBe('unknown');
    expect(record.vendorStatus).toBe('warming_up');
    expect(record.metrics).toEqual({ ...emptyMetrics(), leads: 40, contacted: 10, sent: 10, linkedinMessagesSent: 10, replied: 2, interested: 1, won: 0 });
    expect(record.rates).toEqual({ ...ALL_NULL_RATES, replyRate: 0.2, interestedRate: 0.1 });
    // No activity block: daily is "not reported", even when asked for.
    expect(record.daily).toBeNull();
    expect(record.createdAt).toBe('2024-03-05T12:00:00.000Z');
  });

  it('maps every missing optional field to null, with nothing noted (analytics-missing-optional)', () => {
    const { record, fields } = mapFixture('analytics-missing-optional', DAILY);
    expect(fields).toEqual({});
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

  it('ignores extra fields, reads numeric strings, lower-cases lead states and notes a non-count state (analytics-extra-fields)', () => {
    const { record, fields } = mapFixture('analytics-extra-fields', DAILY);
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
      leadStatus: { pending: 40, contacted: 100, responded: 60, qualified: 20, closed: 5 },
    });
    // `note: "synced hourly"` sits among the counts but is not one: left out, and said so.
    expect(fields).toEqual({ 'statusDistribution.note': 1 });
    expect(CampaignAnalyticsSchema.parse(record)).toEqual(record);
  });

  it('returns the reply as it came under raw with include.raw (extra fields and strings kept)', () => {
    const { record } = mapFixture('analytics-extra-fields', RAW);
    expect(record.raw).toEqual(fixture('analytics-extra-fields').body);
    expect(record.daily).toBeNull();
  });

  it('keeps a campaign whose counts are unreadable: each such field null and noted at its path (analytics-garbage)', () => {
    const { record, fields } = mapFixture('analytics-garbage', DAILY);
    expect(record).toEqual({
      key: 'acme-kakiyo:campaign_garbage',
      id: 'campaign_garbage',
      provider: 'kakiyo',
      connection: 'acme-kakiyo',
      workspace: 'acme',
      name: 'Garbage Counts',
      status: 'unknown',
      vendorStatus: '',
      channels: ['linkedin'],
      createdAt: null,
      metrics: { ...emptyMetrics(), won: 2 },
      rates: ALL_NULL_RATES,
      averageReplySeconds: null,
      steps: null,
      daily: [
        { date: '2024-07-01', sent: 4, opened: null, clicked: null, replied: 0, interested: 0 },
        { date: '2024-07-02', sent: null, opened: null, clicked: null, replied: 1, interested: null },
      ],
      leadStatus: { contacted: 4, responded: 1 },
    });
    expect(fields).toEqual({
      'campaign.status': 1,
      'campaign.createdAt': 1,
      'metrics.totalProspects': 1,
      'metrics.totalMessages': 1,
      'metrics.totalAnswers': 1,
      'metrics.totalQualified': 1,
      'statusDistribution.pending': 1,
      'activity.dailyBreakdown[].messages': 1,
      'activity.dailyBreakdown[].qualified': 1,
    });
  });

  it('reads a nested object that is not one as absent and notes it (analytics-nested-not-object)', () => {
    const { record, fields } = mapFixture('analytics-nested-not-object', DAILY);
    expect(record.metrics).toEqual(emptyMetrics());
    expect(record.leadStatus).toBeNull();
    expect(record.daily).toBeNull();
    expect(record.status).toBe('active');
    expect(record.createdAt).toBe('2024-08-01T00:00:00.000Z');
    expect(fields).toEqual({ metrics: 1, statusDistribution: 1, activity: 1 });
    // Without include.daily, activity is not read, so it is not noted either.
    expect(mapFixture('analytics-nested-not-object').fields).toEqual({ metrics: 1, statusDistribution: 1 });
  });

  it('maps the inner reply of a {data: …} wrapper (analytics-data-wrapped)', () => {
    const body = KakiyoCampaignAnalyticsSchema.parse((fixture('analytics-data-wrapped').body as { data: unknown }).data);
    const issues = new FieldIssues();
    const record = mapKakiyoCampaign(CONNECTION, { id: 'campaign_wrapped', reply: body, daily: null }, NONE, issues);
    expect(record.status).toBe('draft');
    expect(record.metrics).toEqual({ ...emptyMetrics(), leads: 5, contacted: 0, sent: 0, linkedinMessagesSent: 0, replied: 0, interested: 0, won: 0 });
    expect(record.leadStatus).toEqual({ pending: 5 });
    expect(issues.fields()).toEqual({});
  });

  it('rejects a record without a name at campaign.name (analytics-malformed), and one without an id at campaign.id', () => {
    const parsed = KakiyoCampaignAnalyticsSchema.safeParse(fixture('analytics-malformed').body);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(issuePath(parsed.error)).toBe('campaign.name');
    const noId = KakiyoCampaignAnalyticsSchema.safeParse({ campaign: { name: 'No id' }, metrics: { totalProspects: 3 } });
    expect(noId.success).toBe(false);
    if (!noId.success) expect(issuePath(noId.error)).toBe('campaign.id');
  });

  it('uses the requested id as the record id, whatever campaign.id says', () => {
    const base = sourceOf('analytics-documented');
    const record = mapKakiyoCampaign(CONNECTION, { ...base, id: 'asked_for' }, NONE, new FieldIssues());
    expect(record.key).toBe('acme-kakiyo:asked_for');
  });

  it('derives contacted only from a reported totalProspects and pending that agree', () => {
    const noPending = mapVariant({ statusDistribution: { contacted: 45 } });
    expect(noPending.record.metrics.contacted).toBeNull();
    expect(noPending.record.rates.replyRate).toBeNull();
    expect(noPending.fields).toEqual({});
    const noDistribution = mapVariant({ statusDistribution: null });
    expect(noDistribution.record.metrics.contacted).toBeNull();
    expect(noDistribution.record.leadStatus).toBeNull();
    const noProspects = mapVariant({ metrics: { totalMessages: 3 } });
    expect(noProspects.record.metrics).toEqual({ ...emptyMetrics(), sent: 3, linkedinMessagesSent: 3 });
    expect(noProspects.fields).toEqual({});
  });

  it('notes pending when it exceeds the prospects (the two disagree: contacted null, never silently)', () => {
    const inconsistent = mapVariant({ statusDistribution: { Pending: 151 } });
    expect(inconsistent.record.metrics.contacted).toBeNull();
    expect(inconsistent.record.leadStatus).toEqual({ pending: 151 });
    expect(inconsistent.fields).toEqual({ 'statusDistribution.Pending': 1 });
  });

  it('stringifies a numeric status and reads an epoch createdAt', () => {
    const { record, fields } = mapVariant({ campaign: { id: 'c', name: 'n', status: 3, createdAt: Date.UTC(2024, 0, 2) } });
    expect(record.vendorStatus).toBe('3');
    expect(record.status).toBe('unknown');
    expect(record.createdAt).toBe('2024-01-02T00:00:00.000Z');
    expect(fields).toEqual({});
  });

  it('maps each documented and plausible status name', () => {
    const statuses = ['draft', 'active', 'paused', 'completed', 'archived', 'Active', 'stopped', 'error'].map(
      (status) => mapVariant({ campaign: { id: 'c', name: 'n', status } }).record.status,
    );
    expect(statuses).toEqual(['draft', 'active', 'paused', 'completed', 'archived', 'active', 'unknown', 'unknown']);
    expect(Object.keys(KAKIYO_STATUS)).toEqual(['draft', 'active', 'paused', 'completed', 'archived']);
  });
});

describe('readNested', () => {
  it('is null without a note for absent or null, the object when it fits, null with a note otherwise', () => {
    const issues = new FieldIssues();
    expect(readNested(KakiyoMetricsSchema, undefined, 'metrics', issues)).toBeNull();
    expect(readNested(KakiyoMetricsSchema, null, 'metrics', issues)).toBeNull();
    expect(readNested(KakiyoMetricsSchema, { totalProspects: 'x' }, 'metrics', issues)).toEqual({ totalProspects: 'x' });
    expect(issues.fields()).toEqual({});
    expect(readNested(KakiyoMetricsSchema, [1], 'metrics', issues)).toBeNull();
    expect(readNested(KakiyoMetricsSchema, 'n/a', 'metrics', issues)).toBeNull();
    expect(issues.fields()).toEqual({ metrics: 2 });
  });
});
