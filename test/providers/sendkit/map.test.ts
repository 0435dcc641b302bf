/**
 * Pure mapping tests: fixture bodies and hand-made records in, normalized records and noted field
 * paths out, exact values. No network.
 */
import type { CampaignAnalytics } from '../../../src/schema/campaign';
import { FieldIssues } from '../../../src/providers/shared';
import {
  SENDKIT_STATUS,
  mapSendkitCampaign,
  mapSendkitDaily,
  mapSendkitLeadStatus,
  mapSendkitSteps,
  sendkitCampaignName,
  type SendkitCampaignSource,
} from '../../../src/providers/sendkit/map';
import {
  SendkitAnalyticsEnvelopeSchema,
  SendkitAnalyticsSchema,
  SendkitDailyRowSchema,
  SendkitListEnvelopeSchema,
  SendkitListItemSchema,
  SendkitStepRowSchema,
  type SendkitAnalytics,
  type SendkitListItem,
  type SendkitStepRow,
} from '../../../src/providers/sendkit/schema';
import type { IncludeOptions } from '../../../src/providers/types';
import { loadFixture } from '../../helpers/fixtures';

const CONNECTION = { id: 'acme-sendkit', workspace: 'acme' };
const NONE: IncludeOptions = { steps: false, daily: false, raw: false };
const STEPS: IncludeOptions = { steps: true, daily: false, raw: false };

function analyticsOf(name: string): SendkitAnalytics {
  const envelope = SendkitAnalyticsEnvelopeSchema.parse(loadFixture('sendkit', name).body);
  return SendkitAnalyticsSchema.parse(envelope.data);
}

function listItemOf(name: string, index: number): SendkitListItem {
  const envelope = SendkitListEnvelopeSchema.parse(loadFixture('sendkit', name).body);
  return SendkitListItemSchema.parse(envelope.data[index]);
}

function stepRowsOf(analytics: SendkitAnalytics): SendkitStepRow[] | null {
  return Array.isArray(analytics.stepStats) ? analytics.stepStats.map((row) => SendkitStepRowSchema.parse(row)) : null;
}

/** Maps one campaign; returns the record and the field paths noted while mapping it. */
function map(
  source: Partial<SendkitCampaignSource> & Pick<SendkitCampaignSource, 'analytics'>,
  include: IncludeOptions = NONE,
): { record: CampaignAnalytics; fields: Record<string, number> } {
  const issues = new FieldIssues();
  const record = mapSendkitCampaign(
    CONNECTION,
    { id: 'c', name: 'C', listItem: undefined, steps: stepRowsOf(source.analytics), daily: undefined, raw: {}, ...source },
    include,
    issues,
  );
  return { record, fields: issues.fields() };
}

const NULL_RATES = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

describe('mapSendkitCampaign: fixtures', () => {
  it('current generation with extra fields: lead counts from the list, 0-based steps, positive replies, lower-cased lead states', () => {
    const { record, fields } = map(
      { id: '665a1b2c3d4e5f6a7b8c9d01', name: 'Newer Docs Campaign', listItem: listItemOf('list-cursor-page1', 0), analytics: analyticsOf('analytics-extra-fields') },
      STEPS,
    );
    expect(record.metrics).toEqual({
      leads: 500,
      contacted: 410,
      sent: 800,
      emailsSent: 800,
      linkedinMessagesSent: null,
      linkedinInvitesSent: null,
      linkedinInvitesAccepted: null,
      opened: 300,
      clicked: 40,
      replied: 33,
      bounced: 20,
      unsubscribed: 7,
      completed: 250,
      interested: 12,
      won: null,
      opportunityValue: null,
    });
    expect(record.rates).toEqual({
      openRate: 300 / 410,
      clickRate: 40 / 410,
      replyRate: 33 / 410,
      bounceRate: 20 / 410,
      interestedRate: 12 / 410,
      inviteAcceptRate: null,
    });
    expect(record.steps).toEqual([
      { step: 1, variant: null, sent: 420, opened: 190, clicked: 28, replied: null, bounced: 12 },
      { step: 2, variant: null, sent: 260, opened: 90, clicked: 10, replied: null, bounced: 6 },
      { step: 3, variant: null, sent: 120, opened: 20, clicked: 2, replied: null, bounced: 2 },
    ]);
    expect(record.leadStatus).toEqual({ active: 120, completed: 250, paused: 10, bounced: 20, unsubscribed: 7, replied: 33, removed: 0 });
    expect(record.createdAt).toBe('2026-02-01T08:00:00.000Z');
    expect(fields).toEqual({});
  });

  it('missing optional fields are null (not 0) and noted nowhere; a numeric string count is a number; status falls back to the list item', () => {
    const { record, fields } = map(
      { id: '665a1b2c3d4e5f6a7b8c9d02', listItem: listItemOf('list-cursor-page1', 1), analytics: analyticsOf('analytics-missing-optional') },
      STEPS,
    );
    expect(record.metrics).toEqual({
      leads: null,
      contacted: null,
      sent: 42,
      emailsSent: 42,
      linkedinMessagesSent: null,
      linkedinInvitesSent: null,
      linkedinInvitesAccepted: null,
      opened: null,
      clicked: null,
      replied: null,
      bounced: null,
      unsubscribed: null,
      completed: null,
      interested: null,
      won: null,
      opportunityValue: null,
    });
    expect(record.rates).toEqual(NULL_RATES);
    expect(record.status).toBe('paused');
    expect(record.vendorStatus).toBe('paused');
    expect(record.steps).toBeNull();
    expect(record.leadStatus).toBeNull();
    expect(fields).toEqual({});
  });

  it('an unknown status maps to unknown and keeps the raw value; zeros stay zeros; an older reply still gives leads', () => {
    const { record } = map({ analytics: analyticsOf('analytics-unknown-status') }, STEPS);
    expect(record.status).toBe('unknown');
    expect(record.vendorStatus).toBe('warming_up');
    expect(record.metrics.leads).toBe(50);
    expect(record.metrics.sent).toBe(0);
    expect(record.metrics.replied).toBe(0);
    expect(record.metrics.contacted).toBeNull();
    expect(record.steps).toEqual([]);
    expect(record.leadStatus).toEqual({ pending: 50 });
    expect(record.metrics.completed).toBeNull();
  });

  it('the date-range reply: no lead counts without the list (never the first step), interested from totalPositiveReplied', () => {
    const { record } = map({ analytics: analyticsOf('analytics-date-range') });
    expect(record.metrics.contacted).toBeNull();
    expect(record.metrics.leads).toBeNull();
    expect(record.metrics.replied).toBe(15);
    expect(record.metrics.interested).toBe(6);
    expect(record.rates).toEqual(NULL_RATES);
  });

  it('without a list item createdAt is null; include.raw keeps the raw object it was given, as a copy', () => {
    const raw = { analytics: { any: 'thing' } };
    const { record } = map({ analytics: analyticsOf('analytics-documented'), raw, daily: [] }, { steps: false, daily: true, raw: true });
    expect(record.createdAt).toBeNull();
    expect(record.raw).toEqual(raw);
    expect(record.raw).not.toBe(raw);
    expect(record.daily).toEqual([]);
    expect(record.steps).toBeNull();
  });
});

describe('metric sources and precedence', () => {
  const list = (stats: unknown): SendkitListItem => ({ _id: 'c', name: 'C', stats });
  const run = (analytics: SendkitAnalytics, listItem?: SendkitListItem) => map({ analytics, listItem });

  it('leads: the list stats, else the analytics stats (older replies), else null', () => {
    expect(run({ stats: { totalLeads: 9 } }, list({ totalLeads: 7 })).record.metrics.leads).toBe(7);
    expect(run({ stats: { totalLeads: 9 } }, list({ sent: 1 })).record.metrics.leads).toBe(9);
    expect(run({ stats: { totalLeads: 9 } }, list({ totalLeads: null })).record.metrics.leads).toBe(9);
    expect(run({ stats: {} }, list({})).record.metrics.leads).toBeNull();
  });

  it('contacted: list contacted, list contactedLeads, then the same in the analytics stats; never a step', () => {
    expect(run({}, list({ contacted: 7, contactedLeads: 8 })).record.metrics.contacted).toBe(7);
    expect(run({}, list({ contactedLeads: '8' })).record.metrics.contacted).toBe(8);
    expect(run({ stats: { contacted: 5 } }, list({ totalLeads: 1 })).record.metrics.contacted).toBe(5);
    expect(run({ stats: { contactedLeads: 6 } }).record.metrics.contacted).toBe(6);
    expect(run({ stepStats: [{ _id: 0, sent: 90 }] }).record.metrics.contacted).toBeNull();
  });

  it('the first source that holds a value is read: an unreadable one is null and named, not replaced by the next', () => {
    const { record, fields } = run({ stats: { totalLeads: 9, contacted: 4 } }, list({ totalLeads: 'lots', contacted: -1, contactedLeads: 3 }));
    expect(record.metrics.leads).toBeNull();
    expect(record.metrics.contacted).toBeNull();
    expect(fields).toEqual({ 'listItem.stats.totalLeads': 1, 'listItem.stats.contacted': 1 });
  });

  it('replied: totalReplied (even 0), else stats.replied', () => {
    expect(run({ totalReplied: 0, stats: { replied: 9 } }).record.metrics.replied).toBe(0);
    expect(run({ stats: { replied: 9 } }).record.metrics.replied).toBe(9);
    expect(run({ totalReplied: '', stats: { replied: 9 } }).record.metrics.replied).toBe(9);
  });

  it('interested: totalPositiveReplied only', () => {
    expect(run({ totalPositiveReplied: 3 }).record.metrics.interested).toBe(3);
    expect(run({ stats: { positiveReplied: 6, totalPositiveReplied: 5 } }).record.metrics.interested).toBeNull();
  });

  it('delivered has no normalized field', () => {
    const { record, fields } = run({ stats: { sent: 10, delivered: 9 } });
    expect(Object.values(record.metrics).filter((value) => value === 9)).toEqual([]);
    expect(fields).toEqual({});
  });

  it('completed comes from the lead states, whatever the case of the key; failed and pending are lead states too', () => {
    expect(run({ statusBreakdown: { Completed: '11' } }).record.metrics.completed).toBe(11);
    expect(run({ statusBreakdown: { active: 3, failed: 1, pending: 2 } }).record.leadStatus).toEqual({ active: 3, failed: 1, pending: 2 });
    expect(run({ statusBreakdown: { active: 3 } }).record.metrics.completed).toBeNull();
  });

  it('unreadable counts are null and named by path, never a wrong number', () => {
    const { record, fields } = run({ stats: { sent: -1, opened: 'many', clicked: {} }, totalPositiveReplied: '1e400' });
    expect([record.metrics.sent, record.metrics.emailsSent, record.metrics.opened, record.metrics.clicked, record.metrics.interested]).toEqual([null, null, null, null, null]);
    expect(fields).toEqual({ 'analytics.stats.sent': 1, 'analytics.stats.opened': 1, 'analytics.stats.clicked': 1, 'analytics.totalPositiveReplied': 1 });
  });

  it('objects of counts that are not objects are named and treated as absent; the campaign is kept', () => {
    const { record, fields } = run({ stats: 'unavailable', statusBreakdown: [1, 2], totalReplied: 4 }, list(7));
    expect(record.metrics.sent).toBeNull();
    expect(record.metrics.replied).toBe(4);
    expect(record.leadStatus).toBeNull();
    expect(fields).toEqual({ 'analytics.stats': 1, 'analytics.statusBreakdown': 1, 'listItem.stats': 1 });
  });

  it('a createdAt that is not a date is null and named', () => {
    const { record, fields } = map({ analytics: {}, listItem: { _id: 'c', name: 'C', createdAt: 'yesterday' } });
    expect(record.createdAt).toBeNull();
    expect(fields).toEqual({ 'listItem.createdAt': 1 });
  });
});

describe('status', () => {
  const statusOf = (status: unknown, listStatus?: unknown) =>
    map({ listItem: listStatus === undefined ? undefined : { _id: 's', name: 'S', status: listStatus }, analytics: { campaign: { name: 'S', status } } });

  it.each([
    ['draft', 'draft'],
    ['active', 'active'],
    ['paused', 'paused'],
    ['completed', 'completed'],
    ['archived', 'archived'],
    ['ACTIVE', 'active'],
    ['Paused', 'paused'],
    ['warming_up', 'unknown'],
    ['error', 'unknown'],
    ['constructor', 'unknown'],
  ])('%s → %s', (vendor, normalized) => {
    const { record } = statusOf(vendor);
    expect(record.status).toBe(normalized);
    expect(record.vendorStatus).toBe(vendor);
  });

  it('a number is kept as a string and is unknown', () => {
    expect(statusOf(3).record.vendorStatus).toBe('3');
    expect(statusOf(3).record.status).toBe('unknown');
  });

  it('no status anywhere: vendorStatus is empty, status unknown', () => {
    expect(statusOf(undefined).record.vendorStatus).toBe('');
    expect(statusOf(null).record.status).toBe('unknown');
  });

  it('a status that is neither text nor a number is named and the list item is asked instead', () => {
    const { record, fields } = statusOf({ state: 'active' }, 'paused');
    expect(record.vendorStatus).toBe('paused');
    expect(fields).toEqual({ 'analytics.campaign.status': 1 });
  });

  it('the analytics reply wins over the list item', () => {
    expect(statusOf('completed', 'active').record.status).toBe('completed');
    expect(statusOf(undefined, 'archived').record.status).toBe('archived');
  });

  it('the table holds exactly the five documented names', () => {
    expect(SENDKIT_STATUS).toEqual({ draft: 'draft', active: 'active', paused: 'paused', completed: 'completed', archived: 'archived' });
  });
});

describe('mapSendkitSteps', () => {
  const steps = (rows: SendkitStepRow[]) => mapSendkitSteps(rows, new FieldIssues());

  it('1-based ids stay as they are, sorted', () => {
    expect(steps([{ _id: 2, sent: 5 }, { _id: 1, sent: 9 }]).map((s) => [s.step, s.sent])).toEqual([
      [1, 9],
      [2, 5],
    ]);
  });

  it('0-based ids (any 0) move up by one; numeric-string ids count', () => {
    expect(steps([{ _id: '0', sent: 1 }, { _id: '1', sent: 2 }, { _id: 2, sent: '3' }]).map((s) => [s.step, s.sent])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('ids that are not step indexes: steps are numbered by position', () => {
    expect(steps([{ _id: 'intro', sent: 4 }, { _id: 7, sent: 3 }, { sent: 2 }]).map((s) => [s.step, s.sent])).toEqual([
      [1, 4],
      [2, 3],
      [3, 2],
    ]);
    expect(steps([{ _id: -1 }, { _id: 1.5 }]).map((s) => s.step)).toEqual([1, 2]);
  });

  it('missing counts are null; replied and variant are always null; unreadable counts are named', () => {
    const issues = new FieldIssues();
    expect(mapSendkitSteps([{ _id: 1, sent: 'x' }], issues)).toEqual([{ step: 1, variant: null, sent: null, opened: null, clicked: null, replied: null, bounced: null }]);
    expect(issues.fields()).toEqual({ 'analytics.stepStats.sent': 1 });
  });
});

describe('mapSendkitDaily', () => {
  it('sorts ascending, keeps the day of a timestamp, maps positiveReplied to interested', () => {
    expect(
      mapSendkitDaily(
        [
          { _id: '2026-01-03T00:00:00.000Z', sent: 1, positiveReplied: 1 },
          { _id: '2026-01-01', sent: '2', replied: 0 },
          { _id: '2026-01-02', sent: 3 },
        ],
        new FieldIssues(),
      ),
    ).toEqual([
      { date: '2026-01-01', sent: 2, opened: null, clicked: null, replied: 0, interested: null },
      { date: '2026-01-02', sent: 3, opened: null, clicked: null, replied: null, interested: null },
      { date: '2026-01-03', sent: 1, opened: null, clicked: null, replied: null, interested: 1 },
    ]);
  });

  it('the date-range fixture (older row shape) maps with null replies; an unreadable count is named', () => {
    const body = loadFixture('sendkit', 'daily-date-range').body as { data: unknown[] };
    expect(mapSendkitDaily(body.data.map((row) => SendkitDailyRowSchema.parse(row)), new FieldIssues())).toEqual([
      { date: '2026-01-05', sent: 120, opened: 70, clicked: 14, replied: null, interested: null },
      { date: '2026-01-06', sent: 180, opened: 80, clicked: 16, replied: null, interested: null },
    ]);
    const issues = new FieldIssues();
    mapSendkitDaily([{ _id: '2026-01-01', replied: 'some' }], issues);
    expect(issues.fields()).toEqual({ 'daily.replied': 1 });
  });
});

describe('mapSendkitLeadStatus', () => {
  it('lower-cases keys, reads numeric strings, names other values present', () => {
    const issues = new FieldIssues();
    expect(mapSendkitLeadStatus({ Active: 1, COMPLETED: '2', note: 'x', nested: { a: 1 }, gone: null, neg: -4 }, issues)).toEqual({ active: 1, completed: 2 });
    expect(issues.fields()).toEqual({ 'analytics.statusBreakdown.note': 1, 'analytics.statusBreakdown.nested': 1, 'analytics.statusBreakdown.neg': 1 });
  });

  it('absent is null, empty is empty', () => {
    expect(mapSendkitLeadStatus(undefined, new FieldIssues())).toBeNull();
    expect(mapSendkitLeadStatus({}, new FieldIssues())).toEqual({});
  });
});

describe('sendkitCampaignName', () => {
  it('prefers the list name, then the analytics name, else undefined', () => {
    const listItem = { _id: 'n', name: 'From List' };
    expect(sendkitCampaignName(listItem, { campaign: { name: 'From Analytics' } })).toBe('From List');
    expect(sendkitCampaignName(undefined, { campaign: { name: 'From Analytics' } })).toBe('From Analytics');
    expect(sendkitCampaignName(undefined, { campaign: { name: null } })).toBeUndefined();
    expect(sendkitCampaignName(undefined, {})).toBeUndefined();
  });
});

describe('vendor schemas', () => {
  it('list item ids are normalized to strings; a name is required; counts and dates are not judged here', () => {
    expect(SendkitListItemSchema.parse({ _id: 42, name: 'N', extra: true })).toEqual({ _id: '42', name: 'N' });
    expect(SendkitListItemSchema.safeParse({ _id: 'a' }).success).toBe(false);
    expect(SendkitListItemSchema.safeParse({ _id: '', name: 'N' }).success).toBe(false);
    expect(SendkitListItemSchema.safeParse({ _id: 'a', name: 'N', stats: 'x', createdAt: {} }).success).toBe(true);
  });

  it('the malformed analytics fixture fails at campaign (the identity); odd counts do not fail a reply', () => {
    const envelope = SendkitAnalyticsEnvelopeSchema.parse(loadFixture('sendkit', 'analytics-malformed').body);
    const parsed = SendkitAnalyticsSchema.safeParse(envelope.data);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['campaign']);
    expect(SendkitAnalyticsSchema.safeParse({ stats: 'x', totalReplied: {}, statusBreakdown: [] }).success).toBe(true);
    expect(SendkitAnalyticsSchema.safeParse({ campaign: { name: 7 } }).success).toBe(false);
  });

  it('step rows must be objects; daily rows need a YYYY-MM-DD day', () => {
    expect(SendkitStepRowSchema.safeParse(3).success).toBe(false);
    expect(SendkitStepRowSchema.safeParse({ sent: 'x' }).success).toBe(true);
    expect(SendkitDailyRowSchema.safeParse({ _id: 'last-week' }).success).toBe(false);
    expect(SendkitDailyRowSchema.safeParse({ _id: '2026-01-01' }).success).toBe(true);
  });
});
