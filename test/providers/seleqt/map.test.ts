/** The pure Seleqt mapping and schemas: reply times, statuses, sums, tolerance of odd values. */
import { FieldIssues } from '../../../src/providers/shared';
import { SELEQT_STATUS, mapSeleqtCampaign, parseReplyTime } from '../../../src/providers/seleqt/map';
import { SeleqtCampaignSchema, SeleqtDashboardEnvelopeSchema } from '../../../src/providers/seleqt/schema';
import { emptyMetrics } from '../../../src/schema/campaign';
import { NO_INCLUDE } from './helpers';

const connection = { id: 'c1', workspace: 'w1' };

/** Maps one raw vendor record (parsed with the client's schema) and returns it with the noted paths. */
function mapRaw(input: unknown, include = NO_INCLUDE): { record: ReturnType<typeof mapSeleqtCampaign>; fields: Record<string, number> } {
  const issues = new FieldIssues();
  const record = mapSeleqtCampaign(connection, { campaign: SeleqtCampaignSchema.parse(input) }, include, issues);
  return { record, fields: issues.fields() };
}

describe('parseReplyTime', () => {
  it.each<[string | null | undefined, number | null]>([
    ['2 days', 172_800],
    ['3 hours', 10_800],
    ['45 minutes', 2_700],
    ['1 day 4 hours', 100_800],
    ['1 week', 604_800],
    ['30 seconds', 30],
    ['2 days and 3 hours', 183_600],
    ['1 day, 2 hours', 93_600],
    ['1 hour', 3_600],
    ['1 minute', 60],
    ['0 minutes', 0],
    ['1.5 hours', 5_400],
    ['3hours', 10_800],
    ['  2 Days ', 172_800],
    ['1 week 1 day 1 hour 1 minute 1 second', 694_861],
    ['garbage', null],
    ['', null],
    ['   ', null],
    ['5', null],
    ['hours', null],
    ['2 months', null],
    ['2 days ago', null],
    ['2 daysx', null],
    ['about 2 days', null],
    ['-2 days', null],
    [null, null],
    [undefined, null],
  ])('%p -> %p', (text, seconds) => {
    expect(parseReplyTime(text)).toBe(seconds);
  });
});

describe('SELEQT_STATUS', () => {
  it('maps the two statuses seen and the three VENDORS.md expects, nothing invented', () => {
    expect(SELEQT_STATUS).toEqual({ ACTIVE: 'active', DRAFT: 'draft', PAUSED: 'paused', COMPLETED: 'completed', ARCHIVED: 'archived' });
  });

  it.each<[unknown, string, string]>([
    ['ACTIVE', 'active', 'ACTIVE'],
    ['draft', 'draft', 'draft'],
    ['RUNNING', 'unknown', 'RUNNING'],
    [4, 'unknown', '4'],
    [null, 'unknown', ''],
  ])('status %p -> %s (vendorStatus %p)', (status, normalized, vendorStatus) => {
    const { record, fields } = mapRaw({ id: 1, name: 'n', status, analytics: {} });
    expect([record.status, record.vendorStatus, fields]).toEqual([normalized, vendorStatus, {}]);
  });
});

describe('mapSeleqtCampaign', () => {
  it('sums emails, LinkedIn messages and invites into sent, and reports only what Seleqt has', () => {
    const { record, fields } = mapRaw({
      id: 9,
      name: 'x',
      status: 'ACTIVE',
      analytics: { amount_of_emails_sent: 1, amount_of_linkedin_messages_sent: 2, amount_of_invites_sent: 4, amount_of_invites_accepted: 0 },
    });
    expect(fields).toEqual({});
    expect(record.metrics).toEqual({
      ...emptyMetrics(),
      sent: 7,
      emailsSent: 1,
      linkedinMessagesSent: 2,
      linkedinInvitesSent: 4,
      linkedinInvitesAccepted: 0,
    });
    expect(record.rates.inviteAcceptRate).toBe(0);
    expect(record.averageReplySeconds).toBeNull();
    expect(record.createdAt).toBeNull();
    expect(record.channels).toEqual(['email', 'linkedin']);
  });

  it('sent is the sum of the parts reported, and null (not smaller) when a part is unreadable', () => {
    expect(mapRaw({ id: 1, name: 'n', analytics: { amount_of_emails_sent: 3 } }).record.metrics.sent).toBe(3);
    expect(mapRaw({ id: 1, name: 'n', analytics: { amount_of_emails_sent: null, amount_of_invites_sent: '' } }).record.metrics.sent).toBeNull();
    const { record, fields } = mapRaw({ id: 1, name: 'n', analytics: { amount_of_emails_sent: 3, amount_of_linkedin_messages_sent: 'many' } });
    expect([record.metrics.sent, record.metrics.emailsSent, fields]).toEqual([null, 3, { 'analytics.amount_of_linkedin_messages_sent': 1 }]);
  });

  it('ignores created_at even when a record carries it (the dashboard reply does not document it)', () => {
    expect(mapRaw({ id: 1, name: 'n', created_at: '2025-09-14T10:21:05Z', analytics: {} }).record.createdAt).toBeNull();
  });

  it.each<[string, unknown, Record<string, number>]>([
    ['null (a new campaign)', null, {}],
    ['absent', undefined, {}],
    ['a string', 'n/a', { analytics: 1 }],
    ['an array', [1, 2], { analytics: 1 }],
    ['a number', 0, { analytics: 1 }],
  ])('analytics %s: every metric null; noted only when present', (_label, analytics, noted) => {
    const input: Record<string, unknown> = { id: 1, name: 'n', status: 'DRAFT' };
    if (analytics !== undefined) input.analytics = analytics;
    const { record, fields } = mapRaw(input);
    expect(record.metrics).toEqual(emptyMetrics());
    expect(record.averageReplySeconds).toBeNull();
    expect(fields).toEqual(noted);
  });

  it.each<[unknown, number | null, boolean]>([
    ['2 days', 172_800, false],
    ['', null, false],
    ['  ', null, false],
    [null, null, false],
    ['about 2 days', null, true],
    [7200, null, true],
    [{ seconds: 3 }, null, true],
  ])('average_reply_time %p -> %p (noted: %p)', (value, seconds, noted) => {
    const { record, fields } = mapRaw({ id: 1, name: 'n', analytics: { average_reply_time: value } });
    expect(record.averageReplySeconds).toBe(seconds);
    expect(fields).toEqual(noted ? { 'analytics.average_reply_time': 1 } : {});
  });

  it('an object status is noted and shown as unknown, the campaign kept', () => {
    const { record, fields } = mapRaw({ id: 1, name: 'n', status: { v: 1 }, analytics: { amount_of_replies: 2 } });
    expect([record.status, record.vendorStatus, record.metrics.replied, fields]).toEqual(['unknown', '', 2, { status: 1 }]);
  });

  it('is pure: the same input gives the same output and the input is not changed', () => {
    const input = { id: 1, name: 'n', status: 'ACTIVE', analytics: { amount_of_replies: 2, amount_of_prospects_contacted: 4 } };
    const snapshot = JSON.stringify(input);
    const include = { ...NO_INCLUDE, raw: true };
    expect(mapRaw(input, include)).toEqual(mapRaw(input, include));
    expect(mapRaw(input, include).record.raw).toEqual(input);
    expect(JSON.stringify(input)).toBe(snapshot);
  });
});

describe('Seleqt schemas', () => {
  it.each<[string, unknown, string]>([
    ['a fractional id', { id: 1.5, name: 'n', analytics: {} }, 'id'],
    ['an empty string id', { id: '', name: 'n', analytics: {} }, 'id'],
    ['a null id', { id: null, name: 'n' }, 'id'],
    ['a missing name', { id: 1, analytics: {} }, 'name'],
    ['a numeric name', { id: 1, name: 5 }, 'name'],
  ])('a campaign with %s fails at %s (only identity invalidates a record)', (_label, value, path) => {
    const parsed = SeleqtCampaignSchema.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join('.')).toBe(path);
  });

  it.each<[string, unknown]>([
    ['a boolean count', { id: 1, name: 'n', analytics: { amount_of_replies: true } }],
    ['missing analytics', { id: 1, name: 'n' }],
    ['null analytics', { id: 1, name: 'n', analytics: null }],
    ['text analytics', { id: 1, name: 'n', analytics: 'n/a' }],
    ['a numeric reply time', { id: 1, name: 'n', analytics: { average_reply_time: 3600 } }],
    ['an object status', { id: 1, name: 'n', status: { v: 1 }, analytics: {} }],
    ['a string id', { id: '302', name: 'n' }],
  ])('a campaign with %s passes (the mapper reads and notes the rest)', (_label, value) => {
    expect(SeleqtCampaignSchema.safeParse(value).success).toBe(true);
  });

  it('the envelope only needs a campaigns array (records are checked one by one)', () => {
    expect(SeleqtDashboardEnvelopeSchema.safeParse({ campaigns: [1, 'x', null] }).success).toBe(true);
    expect(SeleqtDashboardEnvelopeSchema.safeParse({ campaigns: {} }).success).toBe(false);
  });
});
