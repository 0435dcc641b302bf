/** Pure mapping: Seleqt dashboard record → normalized `CampaignAnalytics`. No I/O. */
import { emptyMetrics, type CampaignAnalytics, type CampaignStatus } from '../../schema/campaign';
import { finishRecord, mapStatus, sumCounts, toCount, toIsoOrNull } from '../shared';
import type { ProviderConnection } from '../types';
import type { SeleqtCampaign } from './schema';

/** Seleqt sends upper-case names; only ACTIVE and DRAFT are documented, the rest are plausible. */
export const SELEQT_STATUS: Readonly<Record<string, CampaignStatus>> = {
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
};

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  week: 604800,
};

/**
 * Parses Seleqt's `average_reply_time` ("2 days", "3 hours", "45 minutes", "1 day 4 hours") to
 * seconds. Anything that is not entirely `<number> <unit>` pairs is null, never a guess.
 */
export function parseReplyTime(text: string | null | undefined): number | null {
  if (typeof text !== 'string') return null;
  const input = text.trim().toLowerCase();
  if (input === '') return null;
  const pair = /(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?\b\s*(?:,|and)?\s*/gy;
  let total = 0;
  let matched = 0;
  pair.lastIndex = 0;
  while (pair.lastIndex < input.length) {
    const m = pair.exec(input);
    if (!m) return null;
    const unit = UNIT_SECONDS[m[2] ?? ''];
    if (unit === undefined) return null;
    total += Number(m[1]) * unit;
    matched += 1;
  }
  return matched > 0 ? Math.round(total) : null;
}

export function mapSeleqtCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  campaign: SeleqtCampaign,
  includeRaw: boolean,
): CampaignAnalytics {
  const a = campaign.analytics;
  const emails = toCount(a.amount_of_emails_sent);
  const messages = toCount(a.amount_of_linkedin_messages_sent);
  const invites = toCount(a.amount_of_invites_sent);
  const vendorStatus = campaign.status === null || campaign.status === undefined ? '' : String(campaign.status);
  const metrics = {
    ...emptyMetrics(),
    leads: toCount(a.amount_of_prospects),
    contacted: toCount(a.amount_of_prospects_contacted),
    sent: sumCounts(emails, messages, invites),
    emailsSent: emails,
    linkedinMessagesSent: messages,
    linkedinInvitesSent: invites,
    linkedinInvitesAccepted: toCount(a.amount_of_invites_accepted),
    replied: toCount(a.amount_of_replies),
    interested: toCount(a.amount_of_interested),
  };
  return finishRecord(
    'seleqt',
    connection,
    {
      id: String(campaign.id),
      name: campaign.name,
      status: mapStatus(SELEQT_STATUS, vendorStatus.toUpperCase()),
      vendorStatus,
      channels: ['email', 'linkedin'],
      createdAt: toIsoOrNull(campaign.created_at),
      metrics,
      averageReplySeconds: parseReplyTime(a.average_reply_time),
      steps: null,
      daily: null,
      leadStatus: null,
    },
    campaign,
    includeRaw,
  );
}
