/** Expected values shared by the SendKit tests: the documented examples, normalized. */
import { emptyMetrics, type CampaignAnalytics, type Metrics } from '../../../src/schema/campaign';
import { computeRates } from '../../../src/schema/rates';

/** The campaign id of SendKit's documented analytics examples (both doc generations use it). */
export const DOCUMENTED_ID = '664a1b2c3d4e5f6a7b8c9d02';

/** The daily fixture `daily-documented`, mapped (ascending). */
const DOCUMENTED_DAILY = [
  { date: '2026-01-12', sent: 500, opened: 260, clicked: 60, replied: 30, interested: 11 },
  { date: '2026-01-13', sent: 400, opened: 160, clicked: 35, replied: 16, interested: 4 },
  { date: '2026-01-14', sent: 300, opened: 120, clicked: 25, replied: 14, interested: 5 },
];

function record(fields: Omit<CampaignAnalytics, 'key' | 'id' | 'provider' | 'connection' | 'workspace' | 'channels' | 'rates' | 'averageReplySeconds' | 'daily'>): CampaignAnalytics {
  return {
    key: `acme-sendkit:${DOCUMENTED_ID}`,
    id: DOCUMENTED_ID,
    provider: 'sendkit',
    connection: 'acme-sendkit',
    workspace: 'acme',
    name: fields.name,
    status: fields.status,
    vendorStatus: fields.vendorStatus,
    channels: ['email'],
    createdAt: fields.createdAt,
    metrics: fields.metrics,
    rates: computeRates(fields.metrics),
    averageReplySeconds: null,
    steps: fields.steps,
    daily: DOCUMENTED_DAILY,
    leadStatus: fields.leadStatus,
  };
}

function metrics(values: Partial<Metrics>): Metrics {
  return { ...emptyMetrics(), ...values };
}

/**
 * The current documented examples (`list-documented`, `analytics-documented`, `daily-documented`)
 * normalized with steps and daily, for connection `acme-sendkit` of workspace `acme`: leads and
 * contacted from the list item's stats, interested from `totalPositiveReplied`, 0-based steps.
 */
export function documentedRecord(): CampaignAnalytics {
  const expected = record({
    name: 'Webinar Attendee Nurture',
    status: 'paused',
    vendorStatus: 'paused',
    createdAt: '2025-06-10T10:30:00.000Z',
    metrics: metrics({
      leads: 200,
      contacted: 150,
      sent: 195,
      emailsSent: 195,
      opened: 51,
      clicked: 16,
      replied: 18,
      bounced: 18,
      unsubscribed: 8,
      completed: 28,
      interested: 7,
    }),
    steps: [
      { step: 1, variant: null, sent: 100, opened: 30, clicked: 9, replied: null, bounced: 11 },
      { step: 2, variant: null, sent: 75, opened: 15, clicked: 4, replied: null, bounced: 6 },
    ],
    leadStatus: { active: 40, completed: 28, paused: 12, bounced: 18, removed: 3, failed: 2, pending: 17 },
  });
  // Written out once, so that a change in the rate rule shows here too.
  expect(expected.rates).toEqual({
    openRate: 51 / 150,
    clickRate: 16 / 150,
    replyRate: 18 / 150,
    bounceRate: 18 / 150,
    interestedRate: 7 / 150,
    inviteAcceptRate: null,
  });
  return expected;
}

/**
 * The older documented examples (`list-documented-older`, `analytics-documented-older`,
 * `daily-documented`) normalized with steps and daily: leads from the analytics `stats.totalLeads`
 * (the list has none), no contacted (so no rates) and no positive-replied count, 1-based steps.
 */
export function documentedOlderRecord(): CampaignAnalytics {
  return record({
    name: 'Q1 Outreach',
    status: 'active',
    vendorStatus: 'active',
    createdAt: '2026-01-10T09:30:00.000Z',
    metrics: metrics({ leads: 500, sent: 1200, emailsSent: 1200, opened: 540, clicked: 120, replied: 60, bounced: 36, completed: 250 }),
    steps: [
      { step: 1, variant: null, sent: 500, opened: 300, clicked: 80, replied: null, bounced: 20 },
      { step: 2, variant: null, sent: 400, opened: 180, clicked: 30, replied: null, bounced: 12 },
      { step: 3, variant: null, sent: 300, opened: 60, clicked: 10, replied: null, bounced: 4 },
    ],
    leadStatus: { active: 180, completed: 250, paused: 30, bounced: 36, removed: 4 },
  });
}
