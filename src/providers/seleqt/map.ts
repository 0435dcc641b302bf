/** Pure mapping: one Seleqt dashboard record → normalized `CampaignAnalytics`. No I/O. */
import { emptyMetrics, type CampaignAnalytics, type CampaignStatus } from '../../schema/campaign';
import { finishRecord, isJsonObject, mapStatus, readCount, sumCounts, vendorStatusOf, type FieldIssues } from '../shared';
import type { IncludeOptions, ProviderConnection } from '../types';
import type { SeleqtAnalytics, SeleqtCampaign, SeleqtCountField } from './schema';

/** Everything the mapping of one campaign needs: the dashboard reply's record. */
export interface SeleqtCampaignSource {
  campaign: SeleqtCampaign;
}

/**
 * Seleqt's statuses, matched upper-cased. Only ACTIVE and DRAFT have been seen (VENDORS.md section
 * 7); PAUSED, COMPLETED and ARCHIVED are the values section 4 expects. Anything else is `unknown`.
 */
export const SELEQT_STATUS: Readonly<Record<string, CampaignStatus>> = {
  ACTIVE: 'active',
  DRAFT: 'draft',
  PAUSED: 'paused',
  COMPLETED: 'completed',
  ARCHIVED: 'archived',
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

/** `average_reply_time` in seconds: null when absent or blank; a value that is not a reply time is null and noted. */
function readReplyTime(value: unknown, issues: FieldIssues): number | null {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return null;
  const seconds = typeof value === 'string' ? parseReplyTime(value) : null;
  if (seconds === null) issues.note('analytics.average_reply_time');
  return seconds;
}

/** The vendor status as text; a value that is neither text nor a number is noted and shown as ''. */
function readStatus(value: unknown, issues: FieldIssues): string {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number') return vendorStatusOf(value);
  issues.note('status');
  return '';
}

/** The analytics object; null (a new campaign) or absent is "not reported", anything else that is not an object is noted. */
function readAnalytics(value: unknown, issues: FieldIssues): SeleqtAnalytics {
  if (isJsonObject(value)) return value;
  if (value !== null && value !== undefined) issues.note('analytics');
  return {};
}

/** Unreadable values noted so far, all paths together. */
function notedCount(issues: FieldIssues): number {
  let total = 0;
  for (const n of Object.values(issues.fields())) total += n;
  return total;
}

export function mapSeleqtCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  source: SeleqtCampaignSource,
  include: IncludeOptions,
  issues: FieldIssues,
): CampaignAnalytics {
  const { campaign } = source;
  const a = readAnalytics(campaign.analytics, issues);
  const count = (field: SeleqtCountField): number | null => readCount(a[field], `analytics.${field}`, issues);

  // `sent` adds up the three outbound counts; one that is present but unreadable makes the sum
  // unknown (null, the part named in `invalid_fields`), never a smaller number.
  const before = notedCount(issues);
  const emails = count('amount_of_emails_sent');
  const messages = count('amount_of_linkedin_messages_sent');
  const invites = count('amount_of_invites_sent');
  const sent = notedCount(issues) > before ? null : sumCounts(emails, messages, invites);

  const vendorStatus = readStatus(campaign.status, issues);
  const metrics = {
    ...emptyMetrics(),
    leads: count('amount_of_prospects'),
    contacted: count('amount_of_prospects_contacted'),
    sent,
    emailsSent: emails,
    linkedinMessagesSent: messages,
    linkedinInvitesSent: invites,
    linkedinInvitesAccepted: count('amount_of_invites_accepted'),
    replied: count('amount_of_replies'),
    interested: count('amount_of_interested'),
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
      // The dashboard reply has no `created_at` (only `/api/v1/campaigns/` does, which one fetch
      // does not call): null, "not reported".
      createdAt: null,
      metrics,
      averageReplySeconds: readReplyTime(a.average_reply_time, issues),
      steps: null,
      daily: null,
      leadStatus: null,
    },
    campaign,
    include.raw,
  );
}
