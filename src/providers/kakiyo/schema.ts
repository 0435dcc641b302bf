/**
 * Kakiyo's reply shapes, as zod schemas.
 *
 * - per-campaign analytics: https://docs.kakiyo.com/api-reference/analytics/campaigns. The page
 *   shows two examples: the full one (/work/shared/vendor-examples/kakiyo-analytics-campaign.json)
 *   and a minimal one holding only `campaign{id,name}` and `metrics{totalProspects,conversionRate}`.
 *   So `campaign.id` and `campaign.name` are the only required fields; everything else is optional.
 * - campaign list: `GET /v1/campaigns?limit&after` (https://docs.kakiyo.com/api-reference/introduction,
 *   and the vendor's n8n node `KakiyoAI/kakiyo-n8n-node` `nodes/Kakiyo/Kakiyo.node.ts`). Its
 *   envelope and next-cursor field are NOT documented, so the list schemas accept every plausible
 *   shape: a bare array, `{campaigns|data|items|results: […]}` and `{data: {campaigns|items|results: […]}}`.
 *
 * Only the fields the gateway reads are declared. Records are loose objects so extra fields pass
 * through untouched and `include=raw` returns the record as the vendor sent it. Counts, dates and
 * statuses are `unknown` here: the mapper reads them with `readCount` / `readIso`, so a value that
 * is present but unreadable keeps the campaign (that field null, counted in `invalid_fields`). Only
 * the identity fields (`campaign.id`, `campaign.name`, a list item's `id`, a daily row's `date`)
 * make a record invalid.
 */
import { z } from 'zod';

/** A value the mapper reads and checks itself (a count, a date, a status). */
const vendorValue = z.unknown().optional();

/** A vendor id: documented as strings (`campaign_123`); numbers are accepted and stringified. */
export const KakiyoIdSchema = z.union([z.string().min(1), z.number().int()]);

/** A cursor value: a string or a number; null means "no next page". */
const cursor = z.union([z.string(), z.number()]).nullish();
const hasMore = z.boolean().nullish();

/** One item of the campaign list. Only the id is needed: the analytics call supplies the rest. */
export const KakiyoListItemSchema = z.looseObject({ id: KakiyoIdSchema });
export type KakiyoListItem = z.infer<typeof KakiyoListItemSchema>;

/** Where a cursor and `hasMore` may be: at the level of the array, or under `pagination`. */
const cursorFields = {
  nextCursor: cursor,
  next_cursor: cursor,
  cursor,
  after: cursor,
  hasMore,
  has_more: hasMore,
};

export const KakiyoPaginationSchema = z.looseObject(cursorFields);
export type KakiyoPagination = z.infer<typeof KakiyoPaginationSchema>;

/**
 * The list reply when it is an object: the array under one of `campaigns | data | items | results`
 * (checked afterwards, in that order), cursor and `hasMore` beside it or under `pagination`.
 * `data` may also be an object holding the array (`{data: {campaigns: […]}}`): it is read with the
 * same schema, one level down.
 */
export const KakiyoListObjectSchema = z.looseObject({
  campaigns: z.unknown().optional(),
  data: z.unknown().optional(),
  items: z.unknown().optional(),
  results: z.unknown().optional(),
  ...cursorFields,
  pagination: KakiyoPaginationSchema.nullish(),
});
export type KakiyoListObject = z.infer<typeof KakiyoListObjectSchema>;

/** The analytics reply's envelope: an object with a `campaign` object. */
export const KakiyoAnalyticsEnvelopeSchema = z.looseObject({ campaign: z.looseObject({}) });

/** The same envelope wrapped as `{data: {...}}` (not documented; accepted in case a version wraps it). */
export const KakiyoWrappedAnalyticsSchema = z.looseObject({ data: z.looseObject({ campaign: z.unknown() }) });

/** `campaign`: id and name are the record's identity (both in the docs' minimal example). */
export const KakiyoCampaignInfoSchema = z.looseObject({
  id: KakiyoIdSchema,
  name: z.string(),
  status: vendorValue,
  createdAt: vendorValue,
});

/** `metrics`; the vendor's rates (percentages 0..100) are not read: the gateway computes its own. */
export const KakiyoMetricsSchema = z.looseObject({
  totalProspects: vendorValue,
  totalMessages: vendorValue,
  totalQualified: vendorValue,
  totalAnswers: vendorValue,
  totalClosed: vendorValue,
});
export type KakiyoMetrics = z.infer<typeof KakiyoMetricsSchema>;

/** Prospects by state: `pending, contacted, responded, qualified, closed` in the docs. */
export const KakiyoStatusDistributionSchema = z.record(z.string(), z.unknown());

/** `activity`: only `dailyBreakdown` is read (with `include=daily`); its rows are checked one by one. */
export const KakiyoActivitySchema = z.looseObject({
  dailyBreakdown: z.array(z.unknown()).nullish(),
});

/**
 * One analytics reply = one campaign record. The nested objects are `unknown` here and read with
 * their own schemas above, so one that is not an object is noted at its path and treated as absent
 * instead of hiding the campaign.
 */
export const KakiyoCampaignAnalyticsSchema = z.looseObject({
  campaign: KakiyoCampaignInfoSchema,
  metrics: vendorValue,
  activity: vendorValue,
  statusDistribution: vendorValue,
});
export type KakiyoCampaignAnalytics = z.infer<typeof KakiyoCampaignAnalyticsSchema>;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * `YYYY-MM-DD` (four digits, two, two: the row's regex) that is a real day of the proleptic
 * Gregorian calendar, as `Date` reads it; by arithmetic, as a reply has a row per day.
 */
function isCalendarDay(day: string): boolean {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  const date = Number(day.slice(8, 10));
  if (month < 1 || month > 12 || date < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return date <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/**
 * One `activity.dailyBreakdown` row. `date` (`YYYY-MM-DD`; a full ISO timestamp is cut to its day)
 * is the row's identity: a row without a real day is invalid. The counts are read by the mapper.
 */
export const KakiyoDailyRowSchema = z.looseObject({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(?:$|T)/)
    .transform((value) => value.slice(0, 10))
    .refine(isCalendarDay, { message: 'not a calendar day' }),
  messages: vendorValue,
  responses: vendorValue,
  qualified: vendorValue,
});
export type KakiyoDailyRow = z.infer<typeof KakiyoDailyRowSchema>;
