/**
 * Seleqt's reply shapes, as zod schemas. Source:
 * https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics
 * (`{campaigns:[{id, name, status, workspace_id, analytics{amount_of_…, average_reply_time}}]}`).
 *
 * Only identity decides whether a record is valid: `id` and `name`. Every other field is optional
 * and of any type here; the mapper reads counts with `readCount`/`readIso`, so a value present but
 * unreadable keeps the campaign (that field null) and is counted in an `invalid_fields` warning.
 * `analytics` may be null (a new campaign) or absent: the campaign is kept with null metrics.
 * Objects are loose so extra vendor fields survive into `raw` (zod 4 strips unknown keys from
 * plain objects, and `include=raw` must return the vendor's record as it came).
 */
import { z } from 'zod';

/** Anything, or absent: read and checked by the mapper. */
const vendorValue = z.unknown().optional();

/** The documented analytics fields (all counts but `average_reply_time`, a text such as "2 days"). */
export const SeleqtAnalyticsSchema = z.looseObject({
  amount_of_prospects: vendorValue,
  amount_of_emails_sent: vendorValue,
  amount_of_invites_sent: vendorValue,
  amount_of_invites_accepted: vendorValue,
  amount_of_linkedin_messages_sent: vendorValue,
  amount_of_prospects_contacted: vendorValue,
  amount_of_replies: vendorValue,
  amount_of_interested: vendorValue,
  average_reply_time: vendorValue,
});
export type SeleqtAnalytics = z.infer<typeof SeleqtAnalyticsSchema>;
/** The documented count fields of `analytics`. */
export type SeleqtCountField = Exclude<keyof typeof SeleqtAnalyticsSchema.shape, 'average_reply_time'>;

/** One dashboard record. `id` is an integer in the docs; a non-empty string is tolerated. */
export const SeleqtCampaignSchema = z.looseObject({
  id: z.union([z.number().int(), z.string().min(1)]),
  name: z.string(),
  status: vendorValue,
  workspace_id: vendorValue,
  analytics: vendorValue,
});
export type SeleqtCampaign = z.infer<typeof SeleqtCampaignSchema>;

/** The envelope: `{campaigns: [...]}`. Records are validated one by one afterwards. */
export const SeleqtDashboardEnvelopeSchema = z.object({ campaigns: z.array(z.unknown()) });
