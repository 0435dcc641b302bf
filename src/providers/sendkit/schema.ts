/**
 * SendKit.ai's reply shapes, as zod schemas (VENDORS.md sections 2 and 7). Sources:
 * - list: https://docs.sendkit.ai/api-reference/get-v1-campaigns (items carry `stats` with
 *   `totalLeads`, `contacted`, `contactedLeads`, `totalEmailsSent`, … in the current docs)
 * - per-campaign analytics: https://docs.sendkit.ai/api-reference/get-v1-analytics-campaigns-campaignid
 *   (`stats{sent, delivered, opened, clicked, replied, bounced, unsubscribed}`, `stepStats`,
 *   `statusBreakdown`, `totalReplied`, `totalPositiveReplied`)
 * - daily series: https://docs.sendkit.ai/api-reference/get-v1-analytics-daily-campaigns-campaignid
 * No OpenAPI document exists and two doc generations disagree on fields and pagination, so only the
 * identity of a record can make it invalid: a campaign's `_id` and a name somewhere, a daily row's
 * day. Counts, dates, statuses and the objects that hold counts are `unknown` here and read by the
 * mapper with `readCount`/`readIso`, so a value present but unreadable keeps the campaign (field
 * null, counted in an `invalid_fields` warning). Only the fields the gateway reads are declared;
 * extra fields pass through untouched (and stay in `raw`).
 */
import { z } from 'zod';
import { isJsonObject } from '../shared';

/**
 * A JSON object, checked but not copied: `z.record` rebuilds every object key by key, which for
 * 5,000 analytics replies is a measurable share of a walk. Fails like `z.record` does.
 */
const jsonObject = z.custom<Record<string, unknown>>(isJsonObject, {
  error: (issue) => `Invalid input: expected record, received ${Array.isArray(issue.input) ? 'array' : issue.input === null ? 'null' : typeof issue.input}`,
});

/** A JSON array, checked but not copied (the caller validates its items one by one). Fails like `z.array` does. */
const jsonArray = z.custom<unknown[]>((value) => Array.isArray(value), {
  error: (issue) => `Invalid input: expected array, received ${issue.input === null ? 'null' : typeof issue.input}`,
});

/**
 * A vendor value the mapper reads itself (a count, a date, a status, or an object of counts such
 * as `stats`): whatever arrives passes here, and the mapper notes what it cannot read.
 */
const vendorValue = z.unknown().optional();

/** A count inside the paging metadata (read by the client's paging rule, not mapped). */
const pageCount = z.union([z.number(), z.string(), z.null()]).optional();

/** A Mongo ObjectId (24 hex) in practice; numbers are accepted and become strings. */
const vendorId = z.union([z.string().min(1), z.number()]).transform((value) => String(value));

/**
 * One item of `GET /v1/campaigns`. Items use `_id` (not `id`). `stats` holds the lead counts the
 * analytics reply no longer carries (`totalLeads`, `contacted`, `contactedLeads`; older docs:
 * only `{sent, delivered, opened, clicked, replied, bounced, unsubscribed}`).
 */
export const SendkitListItemSchema = z.object({
  _id: vendorId,
  name: z.string(),
  status: vendorValue,
  createdAt: vendorValue,
  stats: vendorValue,
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
      page: pageCount,
      pages: pageCount,
      limit: pageCount,
      total: pageCount,
    })
    .nullish(),
  nextCursor: cursor,
  hasMore: flag,
});
export type SendkitListEnvelope = z.infer<typeof SendkitListEnvelopeSchema>;

/**
 * `data` of `GET /v1/analytics/campaigns/{id}`: `campaign{id,name,status}`; `stats` (current docs
 * `{sent, delivered, opened, clicked, replied, bounced, unsubscribed}`, main sequence plus all
 * subsequences; older docs `{totalLeads, sent, opened, clicked, bounced, replied}`); `stepStats`
 * (main sequence, one row per step); `statusBreakdown` (lead states: `active, completed, paused,
 * bounced, removed, failed, pending, …`); `totalReplied`; `totalPositiveReplied` ("positive" follows
 * the workspace's AI tag settings). `campaign` holds the identity: it must be an object when present.
 */
export const SendkitAnalyticsSchema = z.object({
  campaign: z
    .object({
      id: vendorValue,
      name: z.string().nullish(),
      status: vendorValue,
    })
    .nullish(),
  stats: vendorValue,
  stepStats: vendorValue,
  statusBreakdown: vendorValue,
  totalReplied: vendorValue,
  totalPositiveReplied: vendorValue,
});
export type SendkitAnalytics = z.infer<typeof SendkitAnalyticsSchema>;

/** Every SendKit reply is wrapped as `{success, data}`; `data` is an object for this endpoint. */
export const SendkitAnalyticsEnvelopeSchema = z.object({ data: jsonObject });

/**
 * One `data.stepStats` row: `_id` is the step index (1-based in the old example, 0-based in the
 * current one). A row must be an object; its values are read by the mapper.
 */
export const SendkitStepRowSchema = z.object({
  _id: vendorValue,
  sent: vendorValue,
  opened: vendorValue,
  clicked: vendorValue,
  bounced: vendorValue,
});
export type SendkitStepRow = z.infer<typeof SendkitStepRowSchema>;

/**
 * One row of `GET /v1/analytics/daily/campaigns/{id}`:
 * `{_id: "YYYY-MM-DD", sent, opened, clicked, bounced, replied, positiveReplied}` (older docs show
 * only sent/opened/clicked/bounced). The day is the row's identity; a full ISO timestamp is
 * accepted and its day kept.
 */
export const SendkitDailyRowSchema = z.object({
  _id: z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'expected a YYYY-MM-DD day'),
  sent: vendorValue,
  opened: vendorValue,
  clicked: vendorValue,
  bounced: vendorValue,
  replied: vendorValue,
  positiveReplied: vendorValue,
});
export type SendkitDailyRow = z.infer<typeof SendkitDailyRowSchema>;

/** The daily envelope `{success, data: [...]}`; rows are validated one by one afterwards. */
export const SendkitDailyEnvelopeSchema = z.object({ data: jsonArray });
