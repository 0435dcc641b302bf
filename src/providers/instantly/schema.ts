/**
 * Instantly API v2 reply shapes, as zod schemas. Source: Instantly's OpenAPI document
 * (https://api.instantly.ai/openapi/api_v2.json) and its reference pages under
 * https://developer.instantly.ai/api-reference/campaign/.
 *
 * Only the fields the gateway reads are declared; extra fields are ignored. Only identity fields
 * make a record invalid (`invalid_records`): a campaign's id and name, a steps row's `step`, a daily
 * row's `date`. Counts, statuses and timestamps are `unknown` here: the mapper reads them with
 * `readCount`/`readIso`, so a present but unreadable value is a null field counted in an
 * `invalid_fields` warning, never a lost campaign and never a quiet null.
 */
import { z } from 'zod';

/** A count, status or timestamp: read (and judged) by the mapper. */
const loose = z.unknown().optional();

/**
 * Campaign ids are UUID strings (trimmed, non-empty); an integer is tolerated. The value stays a
 * number here and is read as text with `instantlyIdText` (map.ts): a zod `.transform` makes every
 * record pass through a pipe, which cost more than the rest of the record's validation together
 * on a 20,000-record reply.
 */
const campaignId = z.union([z.string().trim().min(1), z.number().int()]);

/**
 * One element of `GET /api/v2/campaigns/analytics`
 * (https://developer.instantly.ai/api-reference/campaign/get-campaign-analytics). The spec marks
 * the `*_unique` fields optional, and recorded live replies lack them.
 */
export const InstantlyCampaignAnalyticsSchema = z.object({
  campaign_id: campaignId,
  campaign_name: z.string(),
  /** Numeric enum (-99, -2, -1, 0..4); a string form ("1") is tolerated. */
  campaign_status: loose,
  leads_count: loose,
  contacted_count: loose,
  emails_sent_count: loose,
  open_count: loose,
  open_count_unique: loose,
  reply_count: loose,
  /** First reply per lead, automatic replies excluded (the spec's own words). */
  reply_count_unique: loose,
  link_click_count: loose,
  link_click_count_unique: loose,
  bounced_count: loose,
  unsubscribed_count: loose,
  completed_count: loose,
  total_opportunities: loose,
  total_opportunity_value: loose,
});
export type InstantlyCampaignAnalytics = z.infer<typeof InstantlyCampaignAnalyticsSchema>;

/** The analytics reply is a bare JSON array; records are validated one by one afterwards. */
export const InstantlyAnalyticsEnvelopeSchema = z.array(z.unknown());

/**
 * One `Campaign` of `GET /api/v2/campaigns` (https://developer.instantly.ai/api-reference/campaign/list-campaign).
 * `sequences` is deliberately not declared: it holds every email's copy, and a parsed item is kept
 * for the whole walk. The client reads `sequences[0].steps.length` from the item as it arrives
 * (`instantlySequenceSteps`), and only when steps are asked for.
 */
export const InstantlyCampaignSchema = z.object({
  id: campaignId,
  name: z.string(),
  status: loose,
  /** ISO timestamp (the spec marks it required; tolerated missing). */
  timestamp_created: loose,
});
export type InstantlyCampaign = z.infer<typeof InstantlyCampaignSchema>;

/**
 * A page of the campaign list: `{items, next_starting_after?}`. The cursor is documented as an
 * opaque string ("a UUID, a timestamp, or an email"); a number is tolerated.
 */
export const InstantlyCampaignPageSchema = z.object({
  items: z.array(z.unknown()),
  next_starting_after: z.union([z.string(), z.number()]).nullish(),
});

/**
 * A step number: the spec says `string | null` ("1"); a plain integer is tolerated, and so is the
 * string "null" that client code has seen (a row the vendor could not place, like `null`).
 */
const stepNumber = z
  .union([z.literal('null'), z.string().trim().regex(/^\d+$/, 'expected a step number'), z.number().int().nonnegative()])
  .nullish();

/** The counts steps rows and daily rows share (both read by the mapper, unique-first). */
const ROW_COUNTS = {
  sent: loose,
  opened: loose,
  unique_opened: loose,
  replies: loose,
  unique_replies: loose,
  clicks: loose,
  unique_clicks: loose,
};

/**
 * One row of `GET /api/v2/campaigns/analytics/steps`
 * (https://developer.instantly.ai/api-reference/campaign/get-campaign-steps-analytics).
 * `variant` is "0" for A, "1" for B…; both may be null when Instantly cannot tell.
 */
export const InstantlyStepRowSchema = z.object({
  step: stepNumber,
  variant: loose,
  ...ROW_COUNTS,
});
export type InstantlyStepRow = z.infer<typeof InstantlyStepRowSchema>;

/**
 * One row of `GET /api/v2/campaigns/analytics/daily`
 * (https://developer.instantly.ai/api-reference/campaign/get-daily-campaign-analytics). The spec describes
 * `date` as `YYYY-MM-DD` but its example is a full timestamp, so both are accepted.
 */
export const InstantlyDailyRowSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}(?:$|T)/, 'expected YYYY-MM-DD'),
  ...ROW_COUNTS,
  opportunities: loose,
  unique_opportunities: loose,
});
export type InstantlyDailyRow = z.infer<typeof InstantlyDailyRowSchema>;

/** Steps and daily replies are bare arrays too. */
export const InstantlyRowsEnvelopeSchema = z.array(z.unknown());
