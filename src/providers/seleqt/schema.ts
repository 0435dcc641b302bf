/**
 * Seleqt's reply shapes, as zod schemas. Source:
 * https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics
 * Only the fields the gateway reads are declared; objects are loose so extra vendor fields survive
 * into `raw` (zod 4 strips unknown keys from plain objects).
 */
import { z } from 'zod';

const count = z.union([z.number(), z.string()]).nullish();

// looseObject, not object: zod's object strips undeclared keys, and `include=raw` must return the
// vendor's record as it came (DESIGN.md section 3), extra fields included.
export const SeleqtAnalyticsSchema = z.looseObject({
  amount_of_prospects: count,
  amount_of_emails_sent: count,
  amount_of_invites_sent: count,
  amount_of_invites_accepted: count,
  amount_of_linkedin_messages_sent: count,
  amount_of_prospects_contacted: count,
  amount_of_replies: count,
  amount_of_interested: count,
  average_reply_time: z.string().nullish(),
});

export const SeleqtCampaignSchema = z.looseObject({
  id: z.union([z.number().int(), z.string().min(1)]),
  name: z.string(),
  status: z.union([z.string(), z.number()]).nullish(),
  workspace_id: z.union([z.number(), z.string()]).nullish(),
  created_at: z.string().nullish(),
  analytics: SeleqtAnalyticsSchema,
});
export type SeleqtCampaign = z.infer<typeof SeleqtCampaignSchema>;

/** The envelope: `{campaigns: [...]}`. Records are validated one by one afterwards. */
export const SeleqtDashboardEnvelopeSchema = z.object({ campaigns: z.array(z.unknown()) });
