/**
 * SendKit.ai's reply shapes, as zod schemas (VENDORS.md section 2). Sources:
 * - list: https://docs.sendkit.ai/api-reference/get-v1-campaigns
 * - per-campaign analytics and daily series: https://docs.sendkit.ai/ (Analytics section) and
 *   https://docs.sendkit.ai/llms.txt
 * No OpenAPI document exists, and two doc generations disagree on fields and pagination, so every
 * optional field accepts null or absence, counts may arrive as numeric strings, and only the identity of a
 * campaign (`_id`, a name somewhere) can make a record invalid. Only the fields the gateway reads
 * are declared; extra fields pass through untouched (and stay in `raw`).
 */
import { z } from 'zod';
import { isJsonObject } from '../shared';

/**
 * A JSON object, checked but not copied: `z.record` rebuilds every object key by key, which for
 * 5,000 analytics replies is a measurable share of a walk (issue 6); the values are read (and
 * validated) by the schemas that use them. Fails like `z.record` does.
 */
const jsonObject = z.custom<Record<string, unknown>>(isJsonObject, {
  error: (issue) => `Invalid input: expected record, received ${Array.isArray(issue.input) ? 'array' : issue.input === null ? 'null' : typeof issue.input}`,
});

/** A JSON array, checked but not copied (the caller validates its items one by one). Fails like `z.array` does. */
const jsonArray = z.custom<unknown[]>((value) => Array.isArray(value), {
  error: (issue) => `Invalid input: expected array, received ${issue.input === null ? 'null' : typeof issue.input}`,
});

/**
 * A count as SendKit might send it: a number, a numeric string, or nothing. `null` is a member of
 * the union rather than a `.nullish()` wrapper: the same values pass and fail, but each field is
 * two schema steps instead of four (over twice as fast across a 5,000-campaign walk, issue 6).
 */
const count = z.union([z.number(), z.string(), z.null()]).optional();

/** A Mongo ObjectId (24 hex) in practice; numbers are accepted and become strings. */
const vendorId = z.union([z.string().min(1), z.number()]).transform((value) => String(value));

/** A status value as sent; kept raw so `vendorStatus` shows exactly what the vendor said. */
const status = z.union([z.string(), z.number(), z.null()]).optional();

/**
 * One item of `GET /v1/campaigns`. Items use `_id` (not `id`); `stats`, `sequence`,
 * `sendingSchedule` and the rest are not read here (the analytics call is the source of numbers).
 */
export const SendkitListItemSchema = z.object({
  _id: vendorId,
  name: z.string(),
  status,
  createdAt: z.union([z.string(), z.number(), z.null()]).optional(),
});
export type SendkitListItem = z.infer<typeof SendkitListItemSchema>;

/** Just enough of a list item to use its `_id` as the next cursor (the last-resort paging rule). */
export const SendkitCursorItemSchema = z.object({ _id: vendorId });

/** `true`/`false`, also as the strings some JSON serializers emit. */
const flag = z.union([z.boolean(), z.enum(['true', 'false'])]).nullish();
const cursor = z.union([z.string(), z.number(), z.null()]).optional();

/**
 * The list envelope `{success, data: [...], pagination}`. Two pagination generations are documented
 * (VENDORS.md section 2 "Pagination, two doc generations"): the current one pages by `cursor`
 * (its next-cursor field is not documented, so `pagination.nextCursor`, a top-level `nextCursor`
 * and `hasMore` are all read); the older one returns `{page, limit, total, pages}`. Items are
 * validated one by one afterwards, so one odd campaign does not hide the others.
 */
export const SendkitListEnvelopeSchema = z.object({
  data: jsonArray,
  pagination: z
    .object({
      nextCursor: cursor,
      hasMore: flag,
      page: count,
      pages: count,
      limit: count,
      total: count,
    })
    .nullish(),
  nextCursor: cursor,
  hasMore: flag,
});
export type SendkitListEnvelope = z.infer<typeof SendkitListEnvelopeSchema>;

/**
 * `data.stats`. Older docs: `{totalLeads, sent, opened, clicked, bounced, replied}`; current docs:
 * `{sent, delivered, opened, clicked, replied, bounced, unsubscribed}` (main sequence plus all
 * subsequences). `contacted`/`contactedLeads` appear in the current list items' stats and are read
 * here too when the analytics reply carries them.
 */
export const SendkitStatsSchema = z.object({
  totalLeads: count,
  contacted: count,
  contactedLeads: count,
  sent: count,
  opened: count,
  clicked: count,
  replied: count,
  bounced: count,
  unsubscribed: count,
  positiveReplied: count,
  totalPositiveReplied: count,
});
export type SendkitStats = z.infer<typeof SendkitStatsSchema>;

/** One `data.stepStats` row: `_id` is the step index, 1-based in the old example, 0-based in the new. */
export const SendkitStepRowSchema = z.object({
  _id: z.union([z.number(), z.string(), z.null()]).optional(),
  sent: count,
  opened: count,
  clicked: count,
  bounced: count,
});
export type SendkitStepRow = z.infer<typeof SendkitStepRowSchema>;

/** `data.stepStats`, one row per sequence step. */
export const SendkitStepStatsSchema = z.array(SendkitStepRowSchema).nullish();

/**
 * `data` of `GET /v1/analytics/campaigns/{id}`: `campaign{id,name,status}`, `stats`, `stepStats`,
 * `statusBreakdown{active, completed, paused, bounced, removed, …}` (lead states; values that are
 * not counts are ignored when mapping), `totalReplied`, and in newer docs a positive-replied count
 * ("positive" follows the workspace's AI tag settings).
 */
export const SendkitAnalyticsSchema = z.object({
  campaign: z
    .object({
      id: z.union([z.string(), z.number(), z.null()]).optional(),
      name: z.string().nullish(),
      status,
    })
    .nullish(),
  stats: SendkitStatsSchema.nullish(),
  stepStats: SendkitStepStatsSchema,
  statusBreakdown: jsonObject.nullish(),
  totalReplied: count,
  totalPositiveReplied: count,
  positiveReplied: count,
});
export type SendkitAnalytics = z.infer<typeof SendkitAnalyticsSchema>;

/**
 * The analytics reply without its step rows, which are read only when steps are asked for or
 * `contacted` has to come from the first step (then `SendkitStepStatsSchema` checks them). Rows
 * that are not read do not make a campaign invalid, like every other field the gateway does not
 * read; and they are about half of the reply's validation work (issue 6).
 */
export const SendkitAnalyticsSummarySchema = SendkitAnalyticsSchema.omit({ stepStats: true });
export type SendkitAnalyticsSummary = z.infer<typeof SendkitAnalyticsSummarySchema>;

/** Every SendKit reply is wrapped as `{success, data}`; `data` is an object for this endpoint. */
export const SendkitAnalyticsEnvelopeSchema = z.object({ data: jsonObject });

/**
 * One row of `GET /v1/analytics/daily/campaigns/{id}`:
 * `{_id: "YYYY-MM-DD", sent, opened, clicked, bounced, replied, positiveReplied}` (older docs show
 * only sent/opened/clicked/bounced). A full ISO timestamp is accepted; its day is kept.
 */
export const SendkitDailyRowSchema = z.object({
  _id: z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'expected a YYYY-MM-DD day'),
  sent: count,
  opened: count,
  clicked: count,
  bounced: count,
  replied: count,
  positiveReplied: count,
});
export type SendkitDailyRow = z.infer<typeof SendkitDailyRowSchema>;

/** The daily envelope `{success, data: [...]}`; rows are validated one by one afterwards. */
export const SendkitDailyEnvelopeSchema = z.object({ data: jsonArray });
