/** Expected values shared by the SendKit tests. */
import type { CampaignAnalytics } from '../../../src/schema/campaign';

/** The campaign id of SendKit's documented example reply. */
export const DOCUMENTED_ID = '664a1b2c3d4e5f6a7b8c9d02';

/**
 * The documented example (list item, analytics reply, daily rows) normalized with steps and daily
 * (DESIGN.md section 3, SendKit column), for connection `acme-sendkit` of workspace `acme`.
 */
export function documentedRecord(): CampaignAnalytics {
  return {
    key: `acme-sendkit:${DOCUMENTED_ID}`,
    id: DOCUMENTED_ID,
    provider: 'sendkit',
    connection: 'acme-sendkit',
    workspace: 'acme',
    name: 'Q1 Outreach',
    status: 'active',
    vendorStatus: 'active',
    channels: ['email'],
    createdAt: '2026-01-10T09:30:00.000Z',
    metrics: {
      leads: 500,
      contacted: 500,
      sent: 1200,
      emailsSent: 1200,
      linkedinMessagesSent: null,
      linkedinInvitesSent: null,
      linkedinInvitesAccepted: null,
      opened: 540,
      clicked: 120,
      replied: 60,
      bounced: 36,
      unsubscribed: null,
      completed: 250,
      interested: null,
      won: null,
      opportunityValue: null,
    },
    rates: {
      openRate: 540 / 500,
      clickRate: 120 / 500,
      replyRate: 60 / 500,
      bounceRate: 36 / 500,
      interestedRate: null,
      inviteAcceptRate: null,
    },
    averageReplySeconds: null,
    steps: [
      { step: 1, variant: null, sent: 500, opened: 300, clicked: 80, replied: null, bounced: 20 },
      { step: 2, variant: null, sent: 400, opened: 180, clicked: 30, replied: null, bounced: 12 },
      { step: 3, variant: null, sent: 300, opened: 60, clicked: 10, replied: null, bounced: 4 },
    ],
    daily: [
      { date: '2026-01-12', sent: 500, opened: 260, clicked: 60, replied: 30, interested: 11 },
      { date: '2026-01-13', sent: 400, opened: 160, clicked: 35, replied: 16, interested: 4 },
      { date: '2026-01-14', sent: 300, opened: 120, clicked: 25, replied: 14, interested: 5 },
    ],
    leadStatus: { active: 180, completed: 250, paused: 30, bounced: 36, removed: 4 },
  };
}
