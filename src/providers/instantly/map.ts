/**
 * Pure mapping: Instantly API v2 records → normalized `CampaignAnalytics` (DESIGN.md section 3,
 * Instantly column), and the rule that numbers a campaign's steps. No I/O.
 *
 * Every count and date goes through `readCount`/`readIso`: a value present but unreadable is null
 * and noted in `issues` at its path within the vendor's record (`open_count_unique`,
 * `timestamp_created`, `steps.sent`, `daily.replies`).
 */
import { emptyMetrics, type CampaignAnalytics, type CampaignStatus, type DailyStats, type Metrics, type StepStats } from '../../schema/campaign';
import { finishRecord, mapStatus, readCount, readIso, sortByDate, vendorStatusOf, type FieldIssues } from '../shared';
import type { IncludeOptions, ProviderConnection } from '../types';
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

/** A campaign id as the gateway writes it: the (trimmed) string, or an integer's digits. */
export function instantlyIdText(id: string | number): string {
  return typeof id === 'string' ? id : String(id);
}

/** How Instantly numbers the steps of a steps reply: from 0 or from 1. */
export type StepBase = 0 | 1;

/** Where a campaign's identity comes from: its analytics record and/or its campaign-list item. */
export type InstantlyCampaignIdentity =
  | {
      /** Its `/campaigns/analytics` record. */
      analytics: InstantlyCampaignAnalytics;
      /** Its campaign-list item; null when the list was not walked (ids given) or does not hold it. */
      listed: InstantlyCampaign | null;
    }
  | {
      /** null: Instantly leaves a campaign out of `/campaigns/analytics` until it has sent (a draft, a new campaign). */
      analytics: null;
      listed: InstantlyCampaign;
    };

/** What the mapping of one campaign needs, all of it from the client's calls. */
export type InstantlyCampaignSource = InstantlyCampaignIdentity & {
  /** Its steps rows (validated, `step: null`/"null" rows included) and the base they are numbered from; null when not asked for or not available. */
  steps: { rows: readonly InstantlyStepRow[]; base: StepBase } | null;
  /** Its daily rows (validated); null when not asked for or not available. */
  daily: readonly InstantlyDailyRow[] | null;
  /** The vendor record as it came (the analytics record, or the list item of a campaign without one), for `include=raw`. */
  raw: unknown;
};

/** The vendor's status as text (`1` → `"1"`); '' when absent; anything but a number or string is noted at `path`. */
function readStatus(value: unknown, path: string, issues: FieldIssues): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return vendorStatusOf(value);
  if (value !== null && value !== undefined) issues.note(path);
  return '';
}

/** The first of `preferred` and `fallback` that is a count (`*_unique` first, per the spec's semantics); each read at its own path. */
function preferCount(preferred: unknown, preferredPath: string, fallback: unknown, fallbackPath: string, issues: FieldIssues): number | null {
  return readCount(preferred, preferredPath, issues) ?? readCount(fallback, fallbackPath, issues);
}

export function mapInstantlyMetrics(a: InstantlyCampaignAnalytics, issues: FieldIssues): Metrics {
  const emails = readCount(a.emails_sent_count, 'emails_sent_count', issues);
  // Every metric written out in the model's order (no spread of an empty copy: one object, one
  // hidden class, per campaign of a 20,000-campaign walk).
  return {
    leads: readCount(a.leads_count, 'leads_count', issues),
    contacted: readCount(a.contacted_count, 'contacted_count', issues),
    // Instantly is email only: every touch is an email.
    sent: emails,
    emailsSent: emails,
    linkedinMessagesSent: null,
    linkedinInvitesSent: null,
    linkedinInvitesAccepted: null,
    opened: preferCount(a.open_count_unique, 'open_count_unique', a.open_count, 'open_count', issues),
    clicked: preferCount(a.link_click_count_unique, 'link_click_count_unique', a.link_click_count, 'link_click_count', issues),
    // `reply_count_unique` is the first reply per lead with automatic replies excluded.
    replied: preferCount(a.reply_count_unique, 'reply_count_unique', a.reply_count, 'reply_count', issues),
    bounced: readCount(a.bounced_count, 'bounced_count', issues),
    unsubscribed: readCount(a.unsubscribed_count, 'unsubscribed_count', issues),
    completed: readCount(a.completed_count, 'completed_count', issues),
    interested: readCount(a.total_opportunities, 'total_opportunities', issues),
    won: null,
    opportunityValue: readCount(a.total_opportunity_value, 'total_opportunity_value', issues),
  };
}

/**
 * One campaign. Identity, status and metrics come from the analytics record when there is one;
 * a campaign without one (not sent yet) has its list item's name and status and every metric null.
 * `createdAt` is the list item's `timestamp_created` (null when the list was not walked).
 */
export function mapInstantlyCampaign(
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  source: InstantlyCampaignSource,
  include: IncludeOptions,
  issues: FieldIssues,
): CampaignAnalytics {
  const { analytics, listed } = source;
  const status = analytics === null ? readStatus(listed.status, 'status', issues) : readStatus(analytics.campaign_status, 'campaign_status', issues);
  return finishRecord(
    'instantly',
    connection,
    {
      id: instantlyIdText(analytics === null ? listed.id : analytics.campaign_id),
      name: analytics === null ? listed.name : analytics.campaign_name,
      status: mapStatus(INSTANTLY_STATUS, status),
      vendorStatus: status,
      channels: ['email'],
      createdAt: listed === null ? null : readIso(listed.timestamp_created, 'timestamp_created', issues),
      metrics: analytics === null ? emptyMetrics() : mapInstantlyMetrics(analytics, issues),
      averageReplySeconds: null,
      steps: source.steps === null ? null : mapInstantlySteps(source.steps.rows, source.steps.base, issues),
      daily: source.daily === null ? null : mapInstantlyDaily(source.daily, issues),
      leadStatus: null,
    },
    source.raw,
    include.raw,
  );
}

/**
 * The step number a row gives as Instantly numbers it, or null for a row that is not a step: `step`
 * null or the string "null" ("we couldn't determine the step number for the event, for instance for
 * list leads").
 */
export function instantlyStepNumber(row: Pick<InstantlyStepRow, 'step'>): number | null {
  const { step } = row;
  return step === null || step === undefined || step === 'null' ? null : Number(step);
}

/**
 * What one campaign's rows prove about the numbering, given its sequence's length (`sequences[0].steps`
 * of its list item; null when unknown):
 * - a step 0 → 0-based (a 1-based numbering has no step 0);
 * - else a step equal to the sequence's length N → 1-based (0-based numbers stop at N - 1);
 * - else null: rows within 1..N-1 fit both, so they prove nothing (a date window without the first
 *   step's sends must not shift the others).
 */
export function instantlyStepBaseEvidence(rows: readonly InstantlyStepRow[], sequenceSteps: number | null): StepBase | null {
  let reachesEnd = false;
  for (const row of rows) {
    const step = instantlyStepNumber(row);
    if (step === 0) return 0;
    if (step !== null && step === sequenceSteps) reachesEnd = true;
  }
  return reachesEnd ? 1 : null;
}

/**
 * The base shared by every campaign of one fetch that proved one (Instantly numbers all campaigns
 * alike); null when none did or when they disagree.
 */
export function instantlyFetchStepBase(evidence: Iterable<StepBase | null>): StepBase | null {
  let found: StepBase | null = null;
  for (const base of evidence) {
    if (base === null) continue;
    if (found !== null && found !== base) return null;
    found = base;
  }
  return found;
}

/**
 * The base a campaign's steps are numbered from: its own evidence, else the fetch's, else 1 (the
 * spec's example row is `step: "1"` beside `variant: "0"`, and only the variant is described as
 * "starting from 0"; recorded live replies show `step: 1, variant: 0`).
 */
export function instantlyStepBase(own: StepBase | null, fetch: StepBase | null): StepBase {
  return own ?? fetch ?? 1;
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
 * a value that is already a label ("B") is kept; null, blank and "null" are null; anything else
 * (an object, a negative or fractional number) is null and noted at `steps.variant`.
 */
export function mapVariant(value: unknown, issues: FieldIssues): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return variantLetters(value);
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text === '' || text === 'null') return null;
    return /^\d+$/.test(text) ? variantLetters(Number(text)) : text;
  }
  issues.note('steps.variant');
  return null;
}

/**
 * Step rows → 1-based `StepStats` (`base` as `instantlyStepBase` gives it for these rows), sorted by
 * step then variant. Rows that are not a step (`step` null or "null") are left out and counted at
 * `steps.step` (`skipped_rows`).
 */
export function mapInstantlySteps(rows: readonly InstantlyStepRow[], base: StepBase, issues: FieldIssues): StepStats[] {
  const steps: StepStats[] = [];
  for (const row of rows) {
    const step = instantlyStepNumber(row);
    if (step === null) {
      issues.skipRow('steps.step');
      continue;
    }
    steps.push({
      step: step + 1 - base,
      variant: mapVariant(row.variant, issues),
      sent: readCount(row.sent, 'steps.sent', issues),
      opened: preferCount(row.unique_opened, 'steps.unique_opened', row.opened, 'steps.opened', issues),
      clicked: preferCount(row.unique_clicks, 'steps.unique_clicks', row.clicks, 'steps.clicks', issues),
      replied: preferCount(row.unique_replies, 'steps.unique_replies', row.replies, 'steps.replies', issues),
      // The steps endpoint reports no bounces.
      bounced: null,
    });
  }
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
export function mapInstantlyDaily(rows: readonly InstantlyDailyRow[], issues: FieldIssues): DailyStats[] {
  return sortByDate(
    rows.map((row) => ({
      date: row.date.slice(0, 10),
      sent: readCount(row.sent, 'daily.sent', issues),
      opened: preferCount(row.unique_opened, 'daily.unique_opened', row.opened, 'daily.opened', issues),
      clicked: preferCount(row.unique_clicks, 'daily.unique_clicks', row.clicks, 'daily.clicks', issues),
      replied: preferCount(row.unique_replies, 'daily.unique_replies', row.replies, 'daily.replies', issues),
      interested: preferCount(row.unique_opportunities, 'daily.unique_opportunities', row.opportunities, 'daily.opportunities', issues),
    })),
  );
}
