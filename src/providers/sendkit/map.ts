/**
 * Pure mapping: SendKit list item + per-campaign analytics (+ daily rows) → normalized
 * `CampaignAnalytics`, per DESIGN.md section 3's SendKit column. No I/O.
 */
import type { CampaignAnalytics, CampaignStatus, DailyStats, Metrics, StepStats } from '../../schema/campaign';
import { finishRecord, mapStatus, toCount, toIsoOrNull } from '../shared';
import type { IncludeOptions, ProviderConnection } from '../types';
import type { SendkitAnalytics, SendkitDailyRow, SendkitListItem, SendkitStats, SendkitStepRow } from './schema';

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
  listItem: SendkitListItem | undefined;
  analytics: SendkitAnalytics;
  /** Valid daily rows, when `include.daily` asked for them. */
  daily: readonly SendkitDailyRow[] | undefined;
  /** The vendor's replies as they came, for `include=raw`. */
  raw: Readonly<Record<string, unknown>>;
}

/** The campaign name: the list's, else the analytics reply's; undefined when neither has one. */
export function sendkitCampaignName(listItem: SendkitListItem | undefined, analytics: SendkitAnalytics): string | undefined {
  return listItem?.name ?? analytics.campaign?.name ?? undefined;
}

/** A step index as a non-negative integer, or undefined for anything else. */
function stepIndex(value: SendkitStepRow['_id']): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * `stepStats` → 1-based steps, ascending. The old docs number steps from 1, the new ones from 0:
 * if any `_id` is 0 the series is 0-based and every step moves up by one. If any `_id` is not a
 * step index at all, the array order is the only numbering left, so steps are numbered by position.
 * Per-step replies and A/B variants are not in this reply: `replied` and `variant` are null.
 */
export function mapSendkitSteps(rows: readonly SendkitStepRow[]): StepStats[] {
  const indexes = rows.map((row) => stepIndex(row._id));
  const numbered = indexes.every((index) => index !== undefined);
  const offset = numbered && indexes.includes(0) ? 1 : 0;
  const steps = rows.map((row, position) => {
    const index = indexes[position];
    return {
      step: numbered && index !== undefined ? index + offset : position + 1,
      variant: null,
      sent: toCount(row.sent),
      opened: toCount(row.opened),
      clicked: toCount(row.clicked),
      replied: null,
      bounced: toCount(row.bounced),
    };
  });
  return steps.sort((a, b) => a.step - b.step);
}

/** Daily rows → `{date, sent, opened, clicked, replied, interested}`, ascending by date. */
export function mapSendkitDaily(rows: readonly SendkitDailyRow[]): DailyStats[] {
  return rows
    .map((row) => ({
      date: row._id.slice(0, 10),
      sent: toCount(row.sent),
      opened: toCount(row.opened),
      clicked: toCount(row.clicked),
      replied: toCount(row.replied),
      interested: toCount(row.positiveReplied),
    }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** `statusBreakdown` → lead-state counts with lower-case keys; numeric strings count, other values are ignored. */
export function mapSendkitLeadStatus(breakdown: SendkitAnalytics['statusBreakdown']): Record<string, number> | null {
  if (breakdown === null || breakdown === undefined) return null;
  // One pass (what `lowerCaseCounts` over the converted counts gives, without the copy in between).
  const counts: Record<string, number> = {};
  for (const state in breakdown) {
    if (!Object.prototype.hasOwnProperty.call(breakdown, state)) continue;
    const value = breakdown[state];
    const n = typeof value === 'number' || typeof value === 'string' ? toCount(value) : null;
    if (n !== null) counts[state.toLowerCase()] = n;
  }
  return counts;
}

/** The vendor's own count of leads contacted (`contacted`, else `contactedLeads`), or null. */
export function sendkitContacted(stats: SendkitStats | null | undefined): number | null {
  return toCount(stats?.contacted) ?? toCount(stats?.contactedLeads);
}

/** Whether mapping reads `stepStats`: steps were asked for, or `contacted` must come from step 1. */
export function sendkitNeedsSteps(include: Pick<IncludeOptions, 'steps'>, analytics: Pick<SendkitAnalytics, 'stats'>): boolean {
  return include.steps || sendkitContacted(analytics.stats) === null;
}

export function mapSendkitCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  source: SendkitCampaignSource,
  name: string,
  include: IncludeOptions,
): CampaignAnalytics {
  const { analytics, listItem } = source;
  const stats: SendkitStats = analytics.stats ?? {};
  // Steps are mapped only when asked for, or when `contacted` has to come from the first step.
  const contacted = sendkitContacted(stats);
  const steps = analytics.stepStats && sendkitNeedsSteps(include, analytics) ? mapSendkitSteps(analytics.stepStats) : null;
  const leadStatus = mapSendkitLeadStatus(analytics.statusBreakdown);
  const rawStatus = analytics.campaign?.status ?? listItem?.status;
  const vendorStatus = rawStatus === null || rawStatus === undefined ? '' : String(rawStatus);
  const sent = toCount(stats.sent);
  // Every metric written out (no `emptyMetrics()` copy: one object less per campaign, issue 6).
  const metrics: Metrics = {
    leads: toCount(stats.totalLeads),
    // Leads touched: the vendor's own count when it sends one, else everyone who got step 1.
    contacted: contacted ?? steps?.[0]?.sent ?? null,
    sent,
    emailsSent: sent,
    linkedinMessagesSent: null,
    linkedinInvitesSent: null,
    linkedinInvitesAccepted: null,
    opened: toCount(stats.opened),
    clicked: toCount(stats.clicked),
    replied: toCount(analytics.totalReplied) ?? toCount(stats.replied),
    bounced: toCount(stats.bounced),
    unsubscribed: toCount(stats.unsubscribed),
    completed: leadStatus?.completed ?? null,
    interested:
      toCount(analytics.totalPositiveReplied) ??
      toCount(analytics.positiveReplied) ??
      toCount(stats.totalPositiveReplied) ??
      toCount(stats.positiveReplied),
    won: null,
    opportunityValue: null,
  };
  return finishRecord(
    'sendkit',
    connection,
    {
      id: source.id,
      name,
      status: mapStatus(SENDKIT_STATUS, vendorStatus.toLowerCase()),
      vendorStatus,
      channels: ['email'],
      createdAt: toIsoOrNull(listItem?.createdAt),
      metrics,
      averageReplySeconds: null,
      steps: include.steps ? steps : null,
      daily: include.daily && source.daily ? mapSendkitDaily(source.daily) : null,
      leadStatus,
    },
    source.raw,
    include.raw,
  );
}
