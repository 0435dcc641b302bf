/**
 * Pure mapping: one Kakiyo analytics reply (with its daily rows, already validated by the client)
 * → normalized `CampaignAnalytics`. No I/O. The table is DESIGN.md section 3, Kakiyo column.
 *
 * Every count and date goes through `readCount` / `readIso`: absent or null is "not reported"
 * (null), a value present but unreadable is null too and noted in `issues` at its path in the
 * vendor's reply (`metrics.totalProspects`, `statusDistribution.pending`,
 * `activity.dailyBreakdown[].messages`). A nested object that is not one (`metrics: "n/a"`) is
 * noted at its path and read as absent.
 */
import type { z } from 'zod';
import { emptyMetrics, type CampaignAnalytics, type CampaignStatus, type DailyStats } from '../../schema/campaign';
import { finishRecord, issuePath, lowerCaseCounts, mapStatus, readCount, readIso, sortByDate, vendorStatusOf, type FieldIssues } from '../shared';
import type { IncludeOptions, ProviderConnection } from '../types';
import { KakiyoMetricsSchema, KakiyoStatusDistributionSchema, type KakiyoCampaignAnalytics, type KakiyoDailyRow } from './schema';

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

/** Everything one campaign's mapping needs. */
export interface KakiyoCampaignSource {
  /** The campaign id the reply was requested for (the list's id or the caller's): the record id. */
  id: string;
  /** The analytics reply (validated: `campaign.id` and `campaign.name` are there). */
  reply: KakiyoCampaignAnalytics;
  /**
   * `activity.dailyBreakdown` rows the client validated and kept (inside the query's date range);
   * null when not asked for (`include.daily` false) or not reported.
   */
  daily: readonly KakiyoDailyRow[] | null;
}

/**
 * A nested object of a vendor record read with `schema`: null when absent or null; when present
 * but not of that shape, noted at `path` (or at the failing field below it) and read as absent.
 */
export function readNested<S extends z.ZodType>(schema: S, value: unknown, path: string, issues: FieldIssues): z.infer<S> | null {
  if (value === null || value === undefined) return null;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const inner = issuePath(parsed.error);
  issues.note(inner === '(root)' ? path : `${path}.${inner}`);
  return null;
}

/** The daily rows' count paths: one entry per field, whatever row or campaign it was in. */
const DAILY_PATH = 'activity.dailyBreakdown[]';

/** Daily rows → ascending normalized rows; LinkedIn has no opens or clicks. */
function mapDaily(rows: readonly KakiyoDailyRow[], issues: FieldIssues): DailyStats[] {
  const daily = rows.map(
    (row): DailyStats => ({
      date: row.date,
      sent: readCount(row.messages, `${DAILY_PATH}.messages`, issues),
      opened: null,
      clicked: null,
      replied: readCount(row.responses, `${DAILY_PATH}.responses`, issues),
      interested: readCount(row.qualified, `${DAILY_PATH}.qualified`, issues),
    }),
  );
  // The docs' example lists the newest day first; the normalized model is ascending.
  return sortByDate(daily);
}

interface LeadStatus {
  counts: Record<string, number> | null;
  /** `pending`, and the key the vendor wrote it under (for the issue path). */
  pending: { value: number | null; key: string };
}

/** `statusDistribution` → lower-cased counts; unreadable values are noted and left out. */
function readLeadStatus(value: unknown, issues: FieldIssues): LeadStatus {
  const pending: LeadStatus['pending'] = { value: null, key: 'pending' };
  const distribution = readNested(KakiyoStatusDistributionSchema, value, 'statusDistribution', issues);
  if (distribution === null) return { counts: null, pending };
  const numeric: Record<string, number | null> = {};
  for (const [key, raw] of Object.entries(distribution)) {
    const count = readCount(raw, `statusDistribution.${key}`, issues);
    numeric[key] = count;
    if (key.toLowerCase() === 'pending') {
      pending.value = count;
      pending.key = key;
    }
  }
  return { counts: lowerCaseCounts(numeric), pending };
}

/**
 * `totalProspects − statusDistribution.pending` when both are reported. When pending exceeds the
 * prospects the two disagree: contacted is null and pending is noted, never a silent null.
 */
function contactedOf(leads: number | null, pending: LeadStatus['pending'], issues: FieldIssues): number | null {
  if (leads === null || pending.value === null) return null;
  const contacted = leads - pending.value;
  if (contacted >= 0) return contacted;
  issues.note(`statusDistribution.${pending.key}`);
  return null;
}

/** `campaign.status` as text; a value that is neither text nor a number is noted and read as absent. */
function readStatus(value: unknown, issues: FieldIssues): string {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number') return vendorStatusOf(value);
  issues.note('campaign.status');
  return '';
}

/** Maps one analytics reply. The record id is `source.id`, so the key matches what was asked for. */
export function mapKakiyoCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  source: KakiyoCampaignSource,
  include: IncludeOptions,
  issues: FieldIssues,
): CampaignAnalytics {
  const { reply } = source;
  const m = readNested(KakiyoMetricsSchema, reply.metrics, 'metrics', issues);
  const leadStatus = readLeadStatus(reply.statusDistribution, issues);
  const leads = readCount(m?.totalProspects, 'metrics.totalProspects', issues);
  const messages = readCount(m?.totalMessages, 'metrics.totalMessages', issues);
  const vendorStatus = readStatus(reply.campaign.status, issues);
  const metrics = {
    ...emptyMetrics(),
    leads,
    contacted: contactedOf(leads, leadStatus.pending, issues),
    // Every Kakiyo touch is a LinkedIn message: `sent` and `linkedinMessagesSent` are the same count.
    sent: messages,
    linkedinMessagesSent: messages,
    replied: readCount(m?.totalAnswers, 'metrics.totalAnswers', issues),
    interested: readCount(m?.totalQualified, 'metrics.totalQualified', issues),
    won: readCount(m?.totalClosed, 'metrics.totalClosed', issues),
  };
  return finishRecord(
    'kakiyo',
    connection,
    {
      id: source.id,
      name: reply.campaign.name,
      status: mapStatus(KAKIYO_STATUS, vendorStatus.toLowerCase()),
      vendorStatus,
      channels: ['linkedin'],
      createdAt: readIso(reply.campaign.createdAt, 'campaign.createdAt', issues),
      metrics,
      averageReplySeconds: null,
      steps: null,
      daily: include.daily && source.daily !== null ? mapDaily(source.daily, issues) : null,
      leadStatus: leadStatus.counts,
    },
    reply,
    include.raw,
  );
}
