/**
 * Instantly API v2 reply shapes, as zod schemas. Source: Instantly's OpenAPI document
 * (https://api.instantly.ai/openapi/api_v2.json) and its reference pages under
 * https://developer.instantly.ai/api-reference/campaign/.
 *
 * Only the fields the gateway reads are declared; extra fields are ignored. Records are tolerant:
 * every count may be missing, null or a numeric string (the spec says integer, but a string costs
 * nothing to accept), and only the identity fields (id, name) make a record invalid.
 */
import { z } from 'zod';

/** A count: number, numeric string, null or missing. `toCount` turns anything non-numeric into null. */
const count = z.union([z.number(), z.string()]).nullish();

/** Campaign ids are UUID strings; a number is accepted and normalized to a string. */
const campaignId = z.union([z.string().trim().min(1), z.number().int()]).transform(String);

/** Numeric status enum (-99, -2, -1, 0..4); a string form ("1") is tolerated. */
const status = z.union([z.number(), z.string()]).nullish();

/**
 * One element of `GET /api/v2/campaigns/analytics`
 * (https://developer.instantly.ai/api-reference/campaign/get-campaign-analytics).
 */
export const InstantlyCampaignAnalyticsSchema = z.object({
  campaign_id: campaignId,
  campaign_name: z.string(),
  campaign_status: status,
  leads_count: count,
  contacted_count: count,
  emails_sent_count: count,
  open_count: count,
  open_count_unique: count,
  reply_count: count,
  /** First reply per lead, automatic replies excluded (the spec's own words). */
  reply_count_unique: count,
  link_click_count: count,
  link_click_count_unique: count,
  bounced_count: count,
  unsubscribed_count: count,
  completed_count: count,
  total_opportunities: count,
  total_opportunity_value: count,
});
export type InstantlyCampaignAnalytics = z.infer<typeof InstantlyCampaignAnalyticsSchema>;

/** The analytics reply is a bare JSON array; records are validated one by one afterwards. */
export const InstantlyAnalyticsEnvelopeSchema = z.array(z.unknown());

/** One `Campaign` of `GET /api/v2/campaigns` (https://developer.instantly.ai/api-reference/campaign/list-campaign). */
export const InstantlyCampaignSchema = z.object({
  id: campaignId,
  name: z.string(),
  status: status,
  /** ISO timestamp (the spec marks it required; tolerated missing). */
  timestamp_created: z.string().nullish(),
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

/** A step number: the spec says `string | null` ("1"); a plain integer is tolerated. */
const stepNumber = z.union([z.string().trim().regex(/^\d+$/, 'expected a step number'), z.number().int().nonnegative()]).nullish();

/**
 * One row of `GET /api/v2/campaigns/analytics/steps`
 * (https://developer.instantly.ai/api-reference/campaign/get-campaign-steps-analytics).
 * `variant` is "0" for A, "1" for B…; both may be null when Instantly cannot tell.
 */
export const InstantlyStepRowSchema = z.object({
  step: stepNumber,
  variant: z.union([z.string(), z.number().int().nonnegative()]).nullish(),
  sent: count,
  opened: count,
  unique_opened: count,
  replies: count,
  unique_replies: count,
  clicks: count,
  unique_clicks: count,
});
export type InstantlyStepRow = z.infer<typeof InstantlyStepRowSchema>;

/**
 * One row of `GET /api/v2/campaigns/analytics/daily`
 * (https://developer.instantly.ai/api-reference/campaign/get-daily-campaign-analytics). The spec describes
 * `date` as `YYYY-MM-DD` but its example is a full timestamp, so both are accepted.
 */
export const InstantlyDailyRowSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}(?:$|T)/, 'expected YYYY-MM-DD'),
  sent: count,
  opened: count,
  unique_opened: count,
  replies: count,
  unique_replies: count,
  clicks: count,
  unique_clicks: count,
  opportunities: count,
  unique_opportunities: count,
});
export type InstantlyDailyRow = z.infer<typeof InstantlyDailyRowSchema>;

/** Steps and daily replies are bare arrays too. */
export const InstantlyRowsEnvelopeSchema = z.array(z.unknown());
