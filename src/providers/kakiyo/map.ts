/**
 * Pure mapping: one Kakiyo analytics reply → normalized `CampaignAnalytics`. No I/O.
 * The table is DESIGN.md section 3, Kakiyo column.
 */
import { emptyMetrics, type CampaignAnalytics, type CampaignStatus, type DailyStats } from '../../schema/campaign';
import { finishRecord, issuePath, lowerCaseCounts, mapStatus, toCount, toIsoOrNull } from '../shared';
import type { IncludeOptions, ProviderConnection } from '../types';
import { KakiyoDailyRowSchema, type KakiyoCampaignAnalytics } from './schema';

/**
 * Kakiyo sends lower-case names; `active` is documented, `paused` follows from the pause/resume
 * endpoints, the rest are the plausible lifecycle names. Matching is case-insensitive.
 */
export const KAKIYO_STATUS: Readonly<Record<string, CampaignStatus>> = {
  draft: 'draft',
  active: 'active',
  paused: 'paused',
  completed: 'completed',
  archived: 'archived',
};

export interface KakiyoMapOptions {
  include: IncludeOptions;
  /** `YYYY-MM-DD`, inclusive: daily rows outside the range are left out (totals stay lifetime). */
  startDate?: string | undefined;
  endDate?: string | undefined;
  /** Told about each daily row that fails its schema (path relative to the reply). */
  onInvalidRow?: ((path: string) => void) | undefined;
}

/** A count map with numbers or numeric strings, keys lower-cased; other values are left out. */
function countMap(record: Readonly<Record<string, unknown>> | null | undefined): Record<string, number> | null {
  if (!record) return null;
  const numeric: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    numeric[key] = typeof value === 'number' || typeof value === 'string' ? toCount(value) : null;
  }
  return lowerCaseCounts(numeric);
}

/** `totalProspects − statusDistribution.pending` when both exist; null when either is missing or they disagree. */
function contactedOf(leads: number | null, pending: number | null): number | null {
  if (leads === null || pending === null) return null;
  const contacted = leads - pending;
  return contacted >= 0 ? contacted : null;
}

/** `activity.dailyBreakdown` → ascending daily rows inside the range; LinkedIn has no opens or clicks. */
export function mapKakiyoDaily(rows: readonly unknown[] | null | undefined, options: KakiyoMapOptions): DailyStats[] | null {
  if (rows === null || rows === undefined) return null;
  const daily: DailyStats[] = [];
  rows.forEach((item, index) => {
    const parsed = KakiyoDailyRowSchema.safeParse(item);
    if (!parsed.success) {
      options.onInvalidRow?.(`activity.dailyBreakdown.${index}.${issuePath(parsed.error)}`.replace(/\.\(root\)$/, ''));
      return;
    }
    const row = parsed.data;
    if (options.startDate !== undefined && row.date < options.startDate) return;
    if (options.endDate !== undefined && row.date > options.endDate) return;
    daily.push({
      date: row.date,
      sent: toCount(row.messages),
      opened: null,
      clicked: null,
      replied: toCount(row.responses),
      interested: toCount(row.qualified),
    });
  });
  // The docs' example lists the newest day first; the normalized model is ascending.
  return daily.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/**
 * Maps one analytics reply. `id` is the campaign id the reply was requested for (the list's id or
 * the caller's), so the record key matches what the caller asked for.
 */
export function mapKakiyoCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  id: string,
  reply: KakiyoCampaignAnalytics,
  options: KakiyoMapOptions,
): CampaignAnalytics {
  const m = reply.metrics;
  const leadStatus = countMap(reply.statusDistribution);
  const leads = toCount(m?.totalProspects);
  const messages = toCount(m?.totalMessages);
  const status = reply.campaign.status;
  const vendorStatus = status === null || status === undefined ? '' : String(status);
  const metrics = {
    ...emptyMetrics(),
    leads,
    contacted: contactedOf(leads, leadStatus?.['pending'] ?? null),
    // Every Kakiyo touch is a LinkedIn message: `sent` and `linkedinMessagesSent` are the same count.
    sent: messages,
    linkedinMessagesSent: messages,
    replied: toCount(m?.totalAnswers),
    interested: toCount(m?.totalQualified),
    won: toCount(m?.totalClosed),
  };
  return finishRecord(
    'kakiyo',
    connection,
    {
      id,
      name: reply.campaign.name,
      status: mapStatus(KAKIYO_STATUS, vendorStatus.toLowerCase()),
      vendorStatus,
      channels: ['linkedin'],
      createdAt: toIsoOrNull(reply.campaign.createdAt),
      metrics,
      averageReplySeconds: null,
      steps: null,
      daily: options.include.daily ? mapKakiyoDaily(reply.activity?.dailyBreakdown, options) : null,
      leadStatus,
    },
    reply,
    options.include.raw,
  );
}
