/**
 * Pure mapping: SendKit list item + per-campaign analytics (+ step and daily rows) → normalized
 * `CampaignAnalytics`, per DESIGN.md section 3's SendKit column as revised by VENDORS.md section 7.
 * No I/O.
 *
 * Where each metric comes from (the first source that holds a value is read; a value there that
 * cannot be read is null and noted, the next source is not consulted):
 * - `leads`: the list item's `stats.totalLeads`, else the analytics `stats.totalLeads` (older replies).
 * - `contacted`: the list item's `stats.contacted`, `stats.contactedLeads`, else the same two in the
 *   analytics `stats` (older replies); else null. The first step's `sent` is not used: it counts
 *   emails of the date window, not leads.
 * - `sent`/`emailsSent`, `opened`, `clicked`, `bounced`, `unsubscribed`: analytics `stats.*`
 *   (date-scoped with `from`/`to`). `delivered` has no normalized field; it stays in `raw`.
 * - `replied`: `totalReplied`, else `stats.replied`. `interested`: `totalPositiveReplied`.
 * - `completed`: `statusBreakdown.completed`; `leadStatus`: every count of `statusBreakdown`.
 * Warning paths are relative to the `raw` object: `listItem.stats.totalLeads`, `analytics.stats.sent`,
 * `analytics.stepStats.sent`, `daily.sent`.
 */
import type { CampaignAnalytics, CampaignStatus, DailyStats, Metrics, StepStats } from '../../schema/campaign';
import { finishRecord, isJsonObject, mapStatus, readCount, readCountAt, readIso, sortByDate, vendorStatusOf, type FieldIssues } from '../shared';
import type { IncludeOptions, ProviderConnection } from '../types';
import type { SendkitAnalytics, SendkitDailyRow, SendkitListItem, SendkitStepRow } from './schema';

/**
 * SendKit sends lower-case names: `draft | active | paused | completed | archived` (list filter
 * values, https://docs.sendkit.ai/api-reference/get-v1-campaigns). Anything else is `unknown`.
 */
export const SENDKIT_STATUS: Readonly<Record<string, CampaignStatus>> = {
  draft: 'draft',
  active: 'active',
  paused: 'paused',
  completed: 'completed',
  archived: 'archived',
};

/** Everything one campaign's mapping needs; `listItem` is absent when the list was skipped. */
export interface SendkitCampaignSource {
  /** The id the analytics call was made with (the list's `_id`, or a requested id). */
  id: string;
  /** The list's name, else the analytics reply's (see `sendkitCampaignName`). */
  name: string;
  listItem: SendkitListItem | undefined;
  analytics: SendkitAnalytics;
  /** Valid `stepStats` rows when steps were asked for; null when the reply has none (or no array). */
  steps: readonly SendkitStepRow[] | null;
  /** Valid daily rows, when `include.daily` asked for them. */
  daily: readonly SendkitDailyRow[] | undefined;
  /** The vendor's replies as they came, for `include=raw`. */
  raw: Readonly<Record<string, unknown>>;
}

type Counts = Readonly<Record<string, unknown>>;

/** The vendor's names for the lead counts, in the order they are asked for. */
const LEADS_FIELDS: readonly string[] = ['totalLeads'];
const CONTACTED_FIELDS: readonly string[] = ['contacted', 'contactedLeads'];

/** The campaign name: the list's, else the analytics reply's; undefined when neither has one. */
export function sendkitCampaignName(listItem: Pick<SendkitListItem, 'name'> | undefined, analytics: SendkitAnalytics): string | undefined {
  return listItem?.name ?? analytics.campaign?.name ?? undefined;
}

/** An object of counts (`stats`, `statusBreakdown`): undefined when absent; anything else than an object is noted. */
export function sendkitCounts(value: unknown, path: string, issues: FieldIssues): Counts | undefined {
  if (value === null || value === undefined) return undefined;
  if (isJsonObject(value)) return value;
  issues.note(path);
  return undefined;
}

/** Whether the vendor sent something for a field (absent, null and '' report nothing). */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** The first of `fields` in `counts` that holds a value, read as a count at `<prefix>.<field>`; undefined when none holds one. */
function firstPresentCount(counts: Counts | undefined, prefix: string, fields: readonly string[], issues: FieldIssues): number | null | undefined {
  if (counts === undefined) return undefined;
  for (const field of fields) {
    const value = counts[field];
    if (present(value)) return readCountAt(value, prefix, field, issues);
  }
  return undefined;
}

/**
 * The first of `fields` that holds a value, looked up in `first` and then in `second`, read as a
 * count (an unreadable one is null and noted; the next source is not consulted); null when none does.
 */
function firstCount(
  issues: FieldIssues,
  fields: readonly string[],
  first: Counts | undefined,
  firstPrefix: string,
  second: Counts | undefined,
  secondPrefix: string,
): number | null {
  const found = firstPresentCount(first, firstPrefix, fields, issues);
  if (found !== undefined) return found;
  return firstPresentCount(second, secondPrefix, fields, issues) ?? null;
}

/** A status as sent, as text; a value that is neither text nor a number is noted and treated as absent. */
function statusText(value: unknown, path: string, issues: FieldIssues): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return vendorStatusOf(value);
  if (present(value)) issues.note(path);
  return undefined;
}

/** A step index as a non-negative integer, or undefined for anything else. */
function stepIndex(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `stepStats` → 1-based steps, ascending. The old docs number steps from 1, the current ones from
 * 0: if any `_id` is 0 the series is 0-based and every step moves up by one. If any `_id` is not a
 * step index at all, the array order is the only numbering left, so steps are numbered by position.
 * Per-step replies and A/B variants are not in this reply: `replied` and `variant` are null.
 */
export function mapSendkitSteps(rows: readonly SendkitStepRow[], issues: FieldIssues): StepStats[] {
  const indexes = rows.map((row) => stepIndex(row._id));
  const numbered = indexes.every((index) => index !== undefined);
  const offset = numbered && indexes.includes(0) ? 1 : 0;
  const steps = rows.map((row, position) => {
    const index = indexes[position];
    return {
      step: numbered && index !== undefined ? index + offset : position + 1,
      variant: null,
      sent: readCount(row.sent, 'analytics.stepStats.sent', issues),
      opened: readCount(row.opened, 'analytics.stepStats.opened', issues),
      clicked: readCount(row.clicked, 'analytics.stepStats.clicked', issues),
      replied: null,
      bounced: readCount(row.bounced, 'analytics.stepStats.bounced', issues),
    };
  });
  return steps.sort((a, b) => a.step - b.step);
}

/** Daily rows → `{date, sent, opened, clicked, replied, interested}`, ascending by date. */
export function mapSendkitDaily(rows: readonly SendkitDailyRow[], issues: FieldIssues): DailyStats[] {
  return sortByDate(
    rows.map((row) => ({
      date: row._id.slice(0, 10),
      sent: readCount(row.sent, 'daily.sent', issues),
      opened: readCount(row.opened, 'daily.opened', issues),
      clicked: readCount(row.clicked, 'daily.clicked', issues),
      replied: readCount(row.replied, 'daily.replied', issues),
      interested: readCount(row.positiveReplied, 'daily.positiveReplied', issues),
    })),
  );
}

/**
 * `statusBreakdown` → lead-state counts with lower-case keys (`failed`, `pending` and any other
 * state included). A value that is not a count is left out and noted at its path.
 */
export function mapSendkitLeadStatus(breakdown: Counts | undefined, issues: FieldIssues): Record<string, number> | null {
  if (breakdown === undefined) return null;
  const counts: Record<string, number> = {};
  for (const state in breakdown) {
    if (!Object.prototype.hasOwnProperty.call(breakdown, state)) continue;
    const n = readCountAt(breakdown[state], 'analytics.statusBreakdown', state, issues);
    if (n !== null) counts[state.toLowerCase()] = n;
  }
  return counts;
}

export function mapSendkitCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  source: SendkitCampaignSource,
  include: IncludeOptions,
  issues: FieldIssues,
): CampaignAnalytics {
  const { analytics, listItem } = source;
  const stats = sendkitCounts(analytics.stats, 'analytics.stats', issues);
  const listStats = listItem ? sendkitCounts(listItem.stats, 'listItem.stats', issues) : undefined;
  const leadStatus = mapSendkitLeadStatus(sendkitCounts(analytics.statusBreakdown, 'analytics.statusBreakdown', issues), issues);
  const vendorStatus =
    statusText(analytics.campaign?.status, 'analytics.campaign.status', issues) ??
    (listItem ? statusText(listItem.status, 'listItem.status', issues) : undefined) ??
    '';
  const sent = readCount(stats?.sent, 'analytics.stats.sent', issues);
  const replied = present(analytics.totalReplied)
    ? readCount(analytics.totalReplied, 'analytics.totalReplied', issues)
    : readCount(stats?.replied, 'analytics.stats.replied', issues);
  // Every metric written out (no `emptyMetrics()` copy: one object less per campaign).
  const metrics: Metrics = {
    leads: firstCount(issues, LEADS_FIELDS, listStats, 'listItem.stats', stats, 'analytics.stats'),
    contacted: firstCount(issues, CONTACTED_FIELDS, listStats, 'listItem.stats', stats, 'analytics.stats'),
    sent,
    emailsSent: sent,
    linkedinMessagesSent: null,
    linkedinInvitesSent: null,
    linkedinInvitesAccepted: null,
    opened: readCount(stats?.opened, 'analytics.stats.opened', issues),
    clicked: readCount(stats?.clicked, 'analytics.stats.clicked', issues),
    replied,
    bounced: readCount(stats?.bounced, 'analytics.stats.bounced', issues),
    unsubscribed: readCount(stats?.unsubscribed, 'analytics.stats.unsubscribed', issues),
    completed: leadStatus?.completed ?? null,
    interested: readCount(analytics.totalPositiveReplied, 'analytics.totalPositiveReplied', issues),
    won: null,
    opportunityValue: null,
  };
  return finishRecord(
    'sendkit',
    connection,
    {
      id: source.id,
      name: source.name,
      status: mapStatus(SENDKIT_STATUS, vendorStatus.toLowerCase()),
      vendorStatus,
      channels: ['email'],
      createdAt: listItem ? readIso(listItem.createdAt, 'listItem.createdAt', issues) : null,
      metrics,
      averageReplySeconds: null,
      steps: include.steps && source.steps ? mapSendkitSteps(source.steps, issues) : null,
      daily: include.daily && source.daily ? mapSendkitDaily(source.daily, issues) : null,
      leadStatus,
    },
    source.raw,
    include.raw,
  );
}
