import { emptyMetrics } from '../../../src/schema/campaign';
import { SELEQT_STATUS, mapSeleqtCampaign, parseReplyTime } from '../../../src/providers/seleqt/map';
import { SeleqtCampaignSchema, SeleqtDashboardEnvelopeSchema } from '../../../src/providers/seleqt/schema';

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
  it('maps the documented and plausible upper-case values', () => {
    expect(SELEQT_STATUS).toEqual({
      DRAFT: 'draft',
      ACTIVE: 'active',
      RUNNING: 'active',
      PAUSED: 'paused',
      STOPPED: 'paused',
      COMPLETED: 'completed',
      FINISHED: 'completed',
      ARCHIVED: 'archived',
      ERROR: 'error',
      FAILED: 'error',
    });
  });
});

describe('mapSeleqtCampaign', () => {
  const connection = { id: 'c1', workspace: 'w1' };

  it('sums emails, LinkedIn messages and invites into sent, and reports only what Seleqt has', () => {
    const campaign = SeleqtCampaignSchema.parse({
      id: 9,
      name: 'x',
      status: 'RUNNING',
      analytics: { amount_of_emails_sent: 1, amount_of_linkedin_messages_sent: 2, amount_of_invites_sent: 4, amount_of_invites_accepted: 0 },
    });
    const record = mapSeleqtCampaign(connection, campaign, false);
    expect(record.status).toBe('active');
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
  });

  it('is pure: the same input gives the same output and the input is not changed', () => {
    const input = { id: 1, name: 'n', status: 'ACTIVE', analytics: { amount_of_replies: 2, amount_of_prospects_contacted: 4 } };
    const snapshot = JSON.stringify(input);
    const campaign = SeleqtCampaignSchema.parse(input);
    expect(mapSeleqtCampaign(connection, campaign, true)).toEqual(mapSeleqtCampaign(connection, campaign, true));
    expect(JSON.stringify(input)).toBe(snapshot);
  });
});

describe('Seleqt schemas', () => {
  it.each<[string, unknown, string]>([
    ['a boolean count', { id: 1, name: 'n', analytics: { amount_of_replies: true } }, 'analytics.amount_of_replies'],
    ['a fractional id', { id: 1.5, name: 'n', analytics: {} }, 'id'],
    ['an empty string id', { id: '', name: 'n', analytics: {} }, 'id'],
    ['a missing name', { id: 1, analytics: {} }, 'name'],
    ['missing analytics', { id: 1, name: 'n' }, 'analytics'],
    ['a numeric reply time', { id: 1, name: 'n', analytics: { average_reply_time: 3600 } }, 'analytics.average_reply_time'],
    ['an object status', { id: 1, name: 'n', status: { v: 1 }, analytics: {} }, 'status'],
  ])('a campaign with %s fails at %s', (_label, value, path) => {
    const parsed = SeleqtCampaignSchema.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join('.')).toBe(path);
  });

  it('the envelope only needs a campaigns array (records are checked one by one)', () => {
    expect(SeleqtDashboardEnvelopeSchema.safeParse({ campaigns: [1, 'x', null] }).success).toBe(true);
    expect(SeleqtDashboardEnvelopeSchema.safeParse({ campaigns: {} }).success).toBe(false);
  });
});
