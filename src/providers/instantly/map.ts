/**
 * Pure mapping: Instantly API v2 records → normalized `CampaignAnalytics` (DESIGN.md section 3,
 * Instantly column). No I/O.
 */
import {
  emptyMetrics,
  type CampaignAnalytics,
  type CampaignStatus,
  type DailyStats,
  type Metrics,
  type StepStats,
} from '../../schema/campaign';
import { finishRecord, mapStatus, toCount, toIsoOrNull } from '../shared';
import type { ProviderConnection } from '../types';
import type { InstantlyCampaign, InstantlyCampaignAnalytics, InstantlyDailyRow, InstantlyStepRow } from './schema';

/**
 * Instantly's numeric status enum (the spec's `x-enumDescriptions`): 4 "Running Subsequences" is
 * still sending, so active; -1 "Accounts Unhealthy", -2 "Bounce Protect" and -99 "Account
 * Suspended" all mean the campaign cannot send.
 */
export const INSTANTLY_STATUS: Readonly<Record<string, CampaignStatus>> = {
  '0': 'draft',
  '1': 'active',
  '2': 'paused',
  '3': 'completed',
  '4': 'active',
  '-1': 'error',
  '-2': 'error',
  '-99': 'error',
};

/** The vendor's status as a string (`1` → `"1"`); empty when it sent none. */
export function instantlyVendorStatus(value: number | string | null | undefined): string {
  return value === null || value === undefined ? '' : String(value).trim();
}

/** Fields that come from outside the analytics record itself. */
export interface InstantlyRecordExtras {
  /** From the campaign list's `timestamp_created`; null when the list was not read. */
  createdAt: string | null;
  steps: StepStats[] | null;
  daily: DailyStats[] | null;
  /** The vendor record exactly as it came (for `include=raw`). */
  raw: unknown;
  includeRaw: boolean;
}

/** The first of `preferred` and `fallback` that is a count (`*_unique` first, per the spec's semantics). */
function preferCount(preferred: number | string | null | undefined, fallback: number | string | null | undefined): number | null {
  return toCount(preferred) ?? toCount(fallback);
}

export function mapInstantlyMetrics(a: InstantlyCampaignAnalytics): Metrics {
  const emails = toCount(a.emails_sent_count);
  return {
    ...emptyMetrics(),
    leads: toCount(a.leads_count),
    contacted: toCount(a.contacted_count),
    // Instantly is email only: every touch is an email.
    sent: emails,
    emailsSent: emails,
    opened: preferCount(a.open_count_unique, a.open_count),
    clicked: preferCount(a.link_click_count_unique, a.link_click_count),
    // `reply_count_unique` is the first reply per lead with automatic replies excluded.
    replied: preferCount(a.reply_count_unique, a.reply_count),
    bounced: toCount(a.bounced_count),
    unsubscribed: toCount(a.unsubscribed_count),
    completed: toCount(a.completed_count),
    interested: toCount(a.total_opportunities),
    opportunityValue: toCount(a.total_opportunity_value),
  };
}

/** One Instantly record: what the two kinds of campaign (with and without analytics) share. */
function instantlyRecord(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  campaign: { id: string; name: string; status: InstantlyCampaignAnalytics['campaign_status']; createdAt: string | null; metrics: Metrics },
  extras: Omit<InstantlyRecordExtras, 'createdAt'>,
): CampaignAnalytics {
  const vendorStatus = instantlyVendorStatus(campaign.status);
  return finishRecord(
    'instantly',
    connection,
    {
      id: campaign.id,
      name: campaign.name,
      status: mapStatus(INSTANTLY_STATUS, vendorStatus),
      vendorStatus,
      channels: ['email'],
      createdAt: campaign.createdAt,
      metrics: campaign.metrics,
      averageReplySeconds: null,
      steps: extras.steps,
      daily: extras.daily,
      leadStatus: null,
    },
    extras.raw,
    extras.includeRaw,
  );
}

/** A campaign from `/campaigns/analytics`. */
export function mapInstantlyCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  a: InstantlyCampaignAnalytics,
  extras: InstantlyRecordExtras,
): CampaignAnalytics {
  return instantlyRecord(
    connection,
    { id: a.campaign_id, name: a.campaign_name, status: a.campaign_status, createdAt: extras.createdAt, metrics: mapInstantlyMetrics(a) },
    extras,
  );
}

/**
 * A campaign that is in the campaign list but not in the analytics reply (Instantly leaves a
 * campaign out of `/campaigns/analytics` until it has sent, e.g. a draft): its name, status and
 * creation time are known, no metric is reported.
 */
export function mapInstantlyListedCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  campaign: InstantlyCampaign,
  extras: Omit<InstantlyRecordExtras, 'createdAt'>,
): CampaignAnalytics {
  return instantlyRecord(
    connection,
    { id: campaign.id, name: campaign.name, status: campaign.status, createdAt: toIsoOrNull(campaign.timestamp_created), metrics: emptyMetrics() },
    extras,
  );
}

/** Spreadsheet-style letters for a 0-based variant index: 0 → A, 1 → B, 25 → Z, 26 → AA. */
export function variantLetters(index: number): string {
  let out = '';
  let rest = index;
  do {
    out = String.fromCharCode(65 + (rest % 26)) + out;
    rest = Math.floor(rest / 26) - 1;
  } while (rest >= 0);
  return out;
}

/**
 * Instantly's variant ("0" = A, "1" = B…, per the steps endpoint's field description) as a letter;
 * a value that is already a label ("B") is kept, null or blank is null.
 */
export function mapVariant(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === '') return null;
  return /^\d+$/.test(text) ? variantLetters(Number(text)) : text;
}

/**
 * Step rows → 1-based `StepStats`, sorted by step then variant. Rows with a null step are events
 * Instantly could not place in the sequence ("for instance for list leads"): left out. When any row
 * says step "0" the numbering is 0-based and every step is shifted by one.
 */
export function mapInstantlySteps(rows: readonly InstantlyStepRow[]): StepStats[] {
  const placed = rows.flatMap((row) =>
    row.step === null || row.step === undefined ? [] : [{ row, step: Number(row.step) }],
  );
  const offset = placed.some((entry) => entry.step === 0) ? 1 : 0;
  const steps = placed.map(({ row, step }) => ({
    step: step + offset,
    variant: mapVariant(row.variant),
    sent: toCount(row.sent),
    opened: preferCount(row.unique_opened, row.opened),
    clicked: preferCount(row.unique_clicks, row.clicks),
    replied: preferCount(row.unique_replies, row.replies),
    // The steps endpoint reports no bounces.
    bounced: null,
  }));
  return steps.sort((a, b) => a.step - b.step || compareVariants(a.variant, b.variant));
}

/** Null first, then shorter labels first (B before AA), then alphabetical. */
function compareVariants(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a.length - b.length || (a < b ? -1 : 1);
}

/** Daily rows → `DailyStats`, ascending by date (the `date` may come as a full timestamp). */
export function mapInstantlyDaily(rows: readonly InstantlyDailyRow[]): DailyStats[] {
  const days = rows.map((row) => ({
    date: row.date.slice(0, 10),
    sent: toCount(row.sent),
    opened: preferCount(row.unique_opened, row.opened),
    clicked: preferCount(row.unique_clicks, row.clicks),
    replied: preferCount(row.unique_replies, row.replies),
    interested: preferCount(row.unique_opportunities, row.opportunities),
  }));
  return days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
