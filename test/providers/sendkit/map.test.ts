/**
 * Pure mapping tests: fixture bodies in, normalized records out, exact values. No network.
 */
import {
  SENDKIT_STATUS,
  mapSendkitCampaign,
  mapSendkitDaily,
  mapSendkitLeadStatus,
  mapSendkitSteps,
  sendkitCampaignName,
} from '../../../src/providers/sendkit/map';
import {
  SendkitAnalyticsEnvelopeSchema,
  SendkitAnalyticsSchema,
  SendkitDailyRowSchema,
  SendkitListEnvelopeSchema,
  SendkitListItemSchema,
  type SendkitAnalytics,
  type SendkitListItem,
} from '../../../src/providers/sendkit/schema';
import type { IncludeOptions } from '../../../src/providers/types';
import { loadFixture } from '../../helpers/fixtures';
import { documentedRecord } from './helpers';

const CONNECTION = { id: 'acme-sendkit', workspace: 'acme' };
const NONE: IncludeOptions = { steps: false, daily: false, raw: false };
const ALL: IncludeOptions = { steps: true, daily: true, raw: true };

function analyticsOf(name: string): SendkitAnalytics {
  const envelope = SendkitAnalyticsEnvelopeSchema.parse(loadFixture('sendkit', name).body);
  return SendkitAnalyticsSchema.parse(envelope.data);
}

function listItemOf(name: string, index: number): SendkitListItem {
  const envelope = SendkitListEnvelopeSchema.parse(loadFixture('sendkit', name).body);
  return SendkitListItemSchema.parse(envelope.data[index]);
}

const NULL_RATES = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

describe('mapSendkitCampaign: the documented example', () => {
  it('maps the docs example (with its list item) to exactly this record', () => {
    const analytics = analyticsOf('analytics-documented');
    const listItem = listItemOf('list-single', 0);
    const dailyBody = loadFixture('sendkit', 'daily-documented').body as { data: unknown[] };
    const daily = dailyBody.data.map((row) => SendkitDailyRowSchema.parse(row));
    const record = mapSendkitCampaign(
      CONNECTION,
      { id: '664a1b2c3d4e5f6a7b8c9d02', listItem, analytics, daily, raw: { analytics: 'as-it-came' } },
      'Q1 Outreach',
      { steps: true, daily: true, raw: false },
    );
    expect(record).toEqual(documentedRecord());
    expect(record).not.toHaveProperty('raw');
  });

  it('without a list item (ids requested) createdAt is null and the status comes from the analytics reply', () => {
    const record = mapSendkitCampaign(
      CONNECTION,
      { id: '664a1b2c3d4e5f6a7b8c9d02', listItem: undefined, analytics: analyticsOf('analytics-documented'), daily: undefined, raw: {} },
      'Q1 Outreach',
      NONE,
    );
    expect(record.createdAt).toBeNull();
    expect(record.status).toBe('active');
    expect(record.steps).toBeNull();
    expect(record.daily).toBeNull();
    expect(record.metrics.contacted).toBe(500);
  });

  it('include.raw keeps the raw object it was given, as a copy', () => {
    const raw = { analytics: { any: 'thing' }, listItem: { _id: 'x' } };
    const record = mapSendkitCampaign(
      CONNECTION,
      { id: 'x', listItem: undefined, analytics: analyticsOf('analytics-documented'), daily: [], raw },
      'Q1 Outreach',
      ALL,
    );
    expect(record.raw).toEqual(raw);
    expect(record.raw).not.toBe(raw);
    expect(record.daily).toEqual([]);
  });
});

describe('mapSendkitCampaign: other documented shapes', () => {
  it('newer docs generation: contacted from stats, 0-based steps, positive replies, lower-cased lead states', () => {
    const record = mapSendkitCampaign(
      CONNECTION,
      {
        id: '665a1b2c3d4e5f6a7b8c9d01',
        listItem: listItemOf('list-cursor-page1', 0),
        analytics: analyticsOf('analytics-extra-fields'),
        daily: undefined,
        raw: {},
      },
      'Newer Docs Campaign',
      { steps: true, daily: false, raw: false },
    );
    expect(record.metrics).toEqual({
      leads: null,
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
  });

  it('missing optional fields are null (not 0); a numeric string count is a number; status falls back to the list item', () => {
    const record = mapSendkitCampaign(
      CONNECTION,
      {
        id: '665a1b2c3d4e5f6a7b8c9d02',
        listItem: listItemOf('list-cursor-page1', 1),
        analytics: analyticsOf('analytics-missing-optional'),
        daily: undefined,
        raw: {},
      },
      'Sparse Fields Campaign',
      { steps: true, daily: false, raw: false },
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
  });

  it('an unknown status maps to unknown and keeps the raw value; zeros stay zeros', () => {
    const record = mapSendkitCampaign(
      CONNECTION,
      { id: '665a1b2c3d4e5f6a7b8c9d03', listItem: undefined, analytics: analyticsOf('analytics-unknown-status'), daily: undefined, raw: {} },
      'Unknown Status Campaign',
      { steps: true, daily: false, raw: false },
    );
    expect(record.status).toBe('unknown');
    expect(record.vendorStatus).toBe('warming_up');
    expect(record.metrics.leads).toBe(50);
    expect(record.metrics.sent).toBe(0);
    expect(record.metrics.replied).toBe(0);
    // stepStats: [] reports no steps, so there is no first step to count contacts from.
    expect(record.metrics.contacted).toBeNull();
    expect(record.steps).toEqual([]);
    expect(record.leadStatus).toEqual({ pending: 50 });
    expect(record.metrics.completed).toBeNull();
  });

  it('the date-range reply: contacted from the first step, interested from positiveReplied', () => {
    const record = mapSendkitCampaign(
      CONNECTION,
      { id: '664a1b2c3d4e5f6a7b8c9d02', listItem: undefined, analytics: analyticsOf('analytics-date-range'), daily: undefined, raw: {} },
      'Q1 Outreach',
      NONE,
    );
    expect(record.metrics.contacted).toBe(200);
    expect(record.metrics.replied).toBe(15);
    expect(record.metrics.interested).toBe(6);
    expect(record.rates.interestedRate).toBe(6 / 200);
  });
});

describe('metric precedence', () => {
  const base = { campaign: { name: 'P' } };
  const metricsOf = (analytics: SendkitAnalytics) =>
    mapSendkitCampaign(CONNECTION, { id: 'p', listItem: undefined, analytics, daily: undefined, raw: {} }, 'P', NONE).metrics;

  it('contacted: stats.contacted, then stats.contactedLeads, then the first step, else null', () => {
    const steps = [
      { _id: 2, sent: 10 },
      { _id: 1, sent: 90 },
    ];
    expect(metricsOf({ ...base, stats: { contacted: 7, contactedLeads: 8 }, stepStats: steps }).contacted).toBe(7);
    expect(metricsOf({ ...base, stats: { contactedLeads: '8' }, stepStats: steps }).contacted).toBe(8);
    expect(metricsOf({ ...base, stats: { contacted: 'n/a' }, stepStats: steps }).contacted).toBe(90);
    expect(metricsOf({ ...base, stats: {} }).contacted).toBeNull();
    expect(metricsOf(base).contacted).toBeNull();
  });

  it('replied: totalReplied (even 0), else stats.replied', () => {
    expect(metricsOf({ ...base, totalReplied: 0, stats: { replied: 9 } }).replied).toBe(0);
    expect(metricsOf({ ...base, stats: { replied: 9 } }).replied).toBe(9);
  });

  it('interested: the positive-replied count wherever the reply carries it, else null', () => {
    expect(metricsOf({ ...base, totalPositiveReplied: 3, positiveReplied: 4 }).interested).toBe(3);
    expect(metricsOf({ ...base, positiveReplied: 4 }).interested).toBe(4);
    expect(metricsOf({ ...base, stats: { totalPositiveReplied: 5, positiveReplied: 6 } }).interested).toBe(5);
    expect(metricsOf({ ...base, stats: { positiveReplied: 6 } }).interested).toBe(6);
    expect(metricsOf(base).interested).toBeNull();
  });

  it('completed comes from the lead states, whatever the case of the key', () => {
    expect(metricsOf({ ...base, statusBreakdown: { Completed: '11' } }).completed).toBe(11);
    expect(metricsOf({ ...base, statusBreakdown: { active: 3 } }).completed).toBeNull();
  });

  it('negative or non-numeric counts are null, never a wrong number', () => {
    const metrics = metricsOf({ ...base, stats: { sent: -1, opened: 'many' } });
    expect(metrics.sent).toBeNull();
    expect(metrics.emailsSent).toBeNull();
    expect(metrics.opened).toBeNull();
  });
});

describe('status', () => {
  const statusOf = (status: string | number | null | undefined, listStatus?: string) =>
    mapSendkitCampaign(
      CONNECTION,
      {
        id: 's',
        listItem: listStatus === undefined ? undefined : { _id: 's', name: 'S', status: listStatus },
        analytics: { campaign: { name: 'S', status } },
        daily: undefined,
        raw: {},
      },
      'S',
      NONE,
    );

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
    const record = statusOf(vendor);
    expect(record.status).toBe(normalized);
    expect(record.vendorStatus).toBe(vendor);
  });

  it('a number is kept as a string and is unknown', () => {
    expect(statusOf(3).vendorStatus).toBe('3');
    expect(statusOf(3).status).toBe('unknown');
  });

  it('no status anywhere: vendorStatus is empty, status unknown', () => {
    expect(statusOf(undefined).vendorStatus).toBe('');
    expect(statusOf(null).status).toBe('unknown');
  });

  it('the analytics reply wins over the list item', () => {
    expect(statusOf('completed', 'active').status).toBe('completed');
    expect(statusOf(undefined, 'archived').status).toBe('archived');
  });

  it('the table holds exactly the five documented names', () => {
    expect(SENDKIT_STATUS).toEqual({ draft: 'draft', active: 'active', paused: 'paused', completed: 'completed', archived: 'archived' });
  });
});

describe('mapSendkitSteps', () => {
  it('1-based ids stay as they are, sorted', () => {
    expect(mapSendkitSteps([{ _id: 2, sent: 5 }, { _id: 1, sent: 9 }]).map((s) => [s.step, s.sent])).toEqual([
      [1, 9],
      [2, 5],
    ]);
  });

  it('0-based ids (any 0) move up by one; numeric-string ids count', () => {
    expect(mapSendkitSteps([{ _id: '0', sent: 1 }, { _id: '1', sent: 2 }, { _id: 2, sent: '3' }]).map((s) => [s.step, s.sent])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('ids that are not step indexes: steps are numbered by position', () => {
    expect(mapSendkitSteps([{ _id: 'intro', sent: 4 }, { _id: 7, sent: 3 }, { sent: 2 }]).map((s) => [s.step, s.sent])).toEqual([
      [1, 4],
      [2, 3],
      [3, 2],
    ]);
    expect(mapSendkitSteps([{ _id: -1 }, { _id: 1.5 }]).map((s) => s.step)).toEqual([1, 2]);
  });

  it('missing counts are null; replied and variant are always null', () => {
    expect(mapSendkitSteps([{ _id: 1 }])).toEqual([{ step: 1, variant: null, sent: null, opened: null, clicked: null, replied: null, bounced: null }]);
  });
});

describe('mapSendkitDaily', () => {
  it('sorts ascending, keeps the day of a timestamp, maps positiveReplied to interested', () => {
    expect(
      mapSendkitDaily([
        { _id: '2026-01-03T00:00:00.000Z', sent: 1, positiveReplied: 1 },
        { _id: '2026-01-01', sent: '2', replied: 0 },
        { _id: '2026-01-02', sent: 3 },
      ]),
    ).toEqual([
      { date: '2026-01-01', sent: 2, opened: null, clicked: null, replied: 0, interested: null },
      { date: '2026-01-02', sent: 3, opened: null, clicked: null, replied: null, interested: null },
      { date: '2026-01-03', sent: 1, opened: null, clicked: null, replied: null, interested: 1 },
    ]);
  });

  it('the date-range fixture (older row shape) maps with null replies', () => {
    const body = loadFixture('sendkit', 'daily-date-range').body as { data: unknown[] };
    expect(mapSendkitDaily(body.data.map((row) => SendkitDailyRowSchema.parse(row)))).toEqual([
      { date: '2026-01-05', sent: 120, opened: 70, clicked: 14, replied: null, interested: null },
      { date: '2026-01-06', sent: 180, opened: 80, clicked: 16, replied: null, interested: null },
    ]);
  });
});

describe('mapSendkitLeadStatus', () => {
  it('lower-cases keys, reads numeric strings, ignores other values', () => {
    expect(mapSendkitLeadStatus({ Active: 1, COMPLETED: '2', note: 'x', nested: { a: 1 }, gone: null, neg: -4 })).toEqual({ active: 1, completed: 2 });
  });

  it('absent is null, empty is empty', () => {
    expect(mapSendkitLeadStatus(undefined)).toBeNull();
    expect(mapSendkitLeadStatus(null)).toBeNull();
    expect(mapSendkitLeadStatus({})).toEqual({});
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
  it('list item ids are normalized to strings; a name is required', () => {
    expect(SendkitListItemSchema.parse({ _id: 42, name: 'N', extra: true })).toEqual({ _id: '42', name: 'N' });
    expect(SendkitListItemSchema.safeParse({ _id: 'a' }).success).toBe(false);
    expect(SendkitListItemSchema.safeParse({ _id: '', name: 'N' }).success).toBe(false);
  });

  it('the malformed analytics fixture fails at stats', () => {
    const envelope = SendkitAnalyticsEnvelopeSchema.parse(loadFixture('sendkit', 'analytics-malformed').body);
    const parsed = SendkitAnalyticsSchema.safeParse(envelope.data);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['stats']);
  });

  it('daily rows need a YYYY-MM-DD day', () => {
    expect(SendkitDailyRowSchema.safeParse({ _id: 'last-week' }).success).toBe(false);
    expect(SendkitDailyRowSchema.safeParse({ _id: '2026-01-01' }).success).toBe(true);
  });
});
