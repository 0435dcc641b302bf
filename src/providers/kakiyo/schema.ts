/**
 * Kakiyo's reply shapes, as zod schemas.
 *
 * - per-campaign analytics: https://docs.kakiyo.com/api-reference/analytics/campaigns (documented
 *   example in /work/shared/vendor-examples/kakiyo-analytics-campaign.json);
 * - campaign list: `GET /v1/campaigns?limit&after` (https://docs.kakiyo.com/api-reference/introduction,
 *   and the vendor's n8n node `KakiyoAI/kakiyo-n8n-node` `nodes/Kakiyo/Kakiyo.node.ts`). Its
 *   envelope and next-cursor field are NOT documented, so the list schema accepts every plausible
 *   shape (VENDORS.md section 3, marked [?]).
 *
 * Only the fields the gateway reads are declared. Records are loose objects so extra fields pass
 * through untouched and `include=raw` returns the record as the vendor sent it. Counts may come as
 * numbers or numeric strings; optional fields are nullish; ids may be numbers or strings.
 */
import { z } from 'zod';

/** A count: a number or a numeric string (`toCount` turns it into a number or null). */
const count = z.union([z.number(), z.string()]).nullish();

/** A vendor id: documented as strings (`campaign_123`); numbers are accepted and stringified. */
export const KakiyoIdSchema = z.union([z.string().min(1), z.number().int()]);

/** A cursor value: a string or a number; null means "no next page". */
const cursor = z.union([z.string(), z.number()]).nullish();
const hasMore = z.boolean().nullish();

/** One item of the campaign list. Only the id is needed: the analytics call supplies the rest. */
export const KakiyoListItemSchema = z.looseObject({ id: KakiyoIdSchema });
export type KakiyoListItem = z.infer<typeof KakiyoListItemSchema>;

export const KakiyoPaginationSchema = z.looseObject({
  nextCursor: cursor,
  next_cursor: cursor,
  cursor,
  after: cursor,
  hasMore,
  has_more: hasMore,
});

/**
 * The list reply when it is an object: the array under one of `campaigns | data | items | results`
 * (checked afterwards, in that order), cursor and `hasMore` at the top level or under `pagination`.
 */
export const KakiyoListObjectSchema = z.looseObject({
  campaigns: z.unknown().optional(),
  data: z.unknown().optional(),
  items: z.unknown().optional(),
  results: z.unknown().optional(),
  nextCursor: cursor,
  next_cursor: cursor,
  cursor,
  after: cursor,
  hasMore,
  has_more: hasMore,
  pagination: KakiyoPaginationSchema.nullish(),
});
export type KakiyoListObject = z.infer<typeof KakiyoListObjectSchema>;

/** The analytics reply's envelope: an object with a `campaign` object. */
export const KakiyoAnalyticsEnvelopeSchema = z.looseObject({ campaign: z.looseObject({}) });

/** The same envelope wrapped as `{data: {...}}` (not documented; accepted in case a version wraps it). */
export const KakiyoWrappedAnalyticsSchema = z.looseObject({ data: z.looseObject({ campaign: z.unknown() }) });

export const KakiyoCampaignInfoSchema = z.looseObject({
  /** The requested id is used as the record id; this one is informational. */
  id: KakiyoIdSchema.nullish(),
  name: z.string(),
  status: z.union([z.string(), z.number()]).nullish(),
  createdAt: z.union([z.string(), z.number()]).nullish(),
});

/** `metrics`; the vendor's rates (percentages 0..100) are not read: the gateway computes its own. */
export const KakiyoMetricsSchema = z.looseObject({
  totalProspects: count,
  totalMessages: count,
  totalQualified: count,
  totalAnswers: count,
  totalClosed: count,
});

export const KakiyoActivitySchema = z.looseObject({
  /** Rows are validated one by one when `include=daily` asks for them. */
  dailyBreakdown: z.array(z.unknown()).nullish(),
});

/** One analytics reply = one campaign record. */
export const KakiyoCampaignAnalyticsSchema = z.looseObject({
  campaign: KakiyoCampaignInfoSchema,
  metrics: KakiyoMetricsSchema.nullish(),
  activity: KakiyoActivitySchema.nullish(),
  /** Prospects by state: `pending, contacted, responded, qualified, closed` in the docs. */
  statusDistribution: z.record(z.string(), z.unknown()).nullish(),
});
export type KakiyoCampaignAnalytics = z.infer<typeof KakiyoCampaignAnalyticsSchema>;

/** One `activity.dailyBreakdown` row. `date` is `YYYY-MM-DD`; a full ISO timestamp is cut to its day. */
export const KakiyoDailyRowSchema = z.looseObject({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(?:$|T)/)
    .transform((value) => value.slice(0, 10)),
  messages: count,
  responses: count,
  qualified: count,
});
export type KakiyoDailyRow = z.infer<typeof KakiyoDailyRowSchema>;
