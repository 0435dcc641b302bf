/**
 * Seleqt's reply shapes, as zod schemas. Source:
 * https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics
 * Only the fields the gateway reads are declared; extra fields pass through untouched.
 */
import { z } from 'zod';

const count = z.union([z.number(), z.string()]).nullish();

export const SeleqtAnalyticsSchema = z.object({
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

export const SeleqtCampaignSchema = z.object({
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
