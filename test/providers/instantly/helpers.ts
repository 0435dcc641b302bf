/** Shared constants and expected values for the Instantly tests. */
import type { CampaignAnalytics, Metrics } from '../../../src/schema/campaign';
import { emptyMetrics } from '../../../src/schema/campaign';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';

export const ORIGIN = 'https://api.instantly.ai';
export const CANARY_KEY = 'canary-instantly-key-1234567890';

export const C1 = '019e18e2-a525-762d-b9c9-04b674a9549d';
export const C2 = '019e18e2-b001-7a00-8000-000000000002';
export const C3 = '019e18e2-b001-7a00-8000-000000000003';
export const C4 = '019e18e2-b001-7a00-8000-000000000004';
export const C5 = '019e18e2-b001-7a00-8000-000000000005';
export const C7 = '019e18e2-b001-7a00-8000-000000000007';
export const C9 = '019e18e2-b001-7a00-8000-000000000009';

export const CONNECTION: ProviderConnection = { id: 'acme-instantly', workspace: 'acme', apiKey: CANARY_KEY };

export function analyticsQuery(overrides: Partial<AnalyticsQuery> = {}): AnalyticsQuery {
  return { include: { steps: false, daily: false, raw: false }, ...overrides };
}

/** Metrics with the given counts set and every other one null. */
export function metrics(values: Partial<Metrics>): Metrics {
  return { ...emptyMetrics(), ...values };
}

/** The documented example record, normalized (DESIGN.md section 3, Instantly column). */
export function documentedRecord(createdAt: string | null): CampaignAnalytics {
  return {
    key: `acme-instantly:${C1}`,
    id: C1,
    provider: 'instantly',
    connection: 'acme-instantly',
    workspace: 'acme',
    name: 'My Test Campaign',
    status: 'active',
    vendorStatus: '1',
    channels: ['email'],
    createdAt,
    metrics: {
      leads: 1500,
      contacted: 1200,
      sent: 5000,
      emailsSent: 5000,
      linkedinMessagesSent: null,
      linkedinInvitesSent: null,
      linkedinInvitesAccepted: null,
      opened: 750,
      clicked: 600,
      replied: 280,
      bounced: 50,
      unsubscribed: 20,
      completed: 1100,
      interested: 10,
      won: null,
      opportunityValue: 1000,
    },
    rates: {
      openRate: 750 / 1200,
      clickRate: 600 / 1200,
      replyRate: 280 / 1200,
      bounceRate: 50 / 1200,
      interestedRate: 10 / 1200,
      inviteAcceptRate: null,
    },
    averageReplySeconds: null,
    steps: null,
    daily: null,
    leadStatus: null,
  };
}

/** The fixtures documented.test.ts maps (client.test.ts checks that every fixture is used somewhere). */
export const DOCUMENTED_FIXTURES = ['analytics-documented', 'campaigns-documented', 'steps-documented', 'daily-documented'] as const;

/** A campaign-list item of the spec's shape whose sequence has `steps` steps of one variant each. */
export function listItem(id: string, name: string, steps: number): Record<string, unknown> {
  return {
    id,
    name,
    status: 1,
    campaign_schedule: { schedules: [] },
    sequences: [{ steps: Array.from({ length: steps }, (_, i) => ({ type: 'email', delay: 2, variants: [{ subject: `Step ${i}`, body: 'Hi' }] })) }],
    timestamp_created: '2026-08-01T00:00:00.000Z',
    timestamp_updated: '2026-08-01T00:00:00.000Z',
  };
}

/** An analytics record with the spec's required fields, every count 1. */
export function analyticsItem(id: string, name: string): Record<string, unknown> {
  const counts = ['leads_count', 'contacted_count', 'emails_sent_count', 'new_leads_contacted_count', 'open_count', 'reply_count', 'link_click_count'];
  const rest = ['bounced_count', 'unsubscribed_count', 'completed_count', 'total_opportunities', 'total_opportunity_value'];
  return {
    campaign_name: name,
    campaign_id: id,
    campaign_status: 1,
    campaign_is_evergreen: false,
    ...Object.fromEntries([...counts, ...rest].map((field) => [field, 1])),
  };
}

/** A steps row of variant "0" with `sent` sends and nothing else. */
export function stepRow(step: string | null, sent: number): Record<string, unknown> {
  return { step, variant: '0', sent, opened: 0, unique_opened: 0, replies: 0, unique_replies: 0, clicks: 0, unique_clicks: 0 };
}
