/**
 * The normalized model: `CampaignAnalytics`, exactly as DESIGN.md section 3 names it. These zod
 * schemas are the product's contract: the HTTP response, `/openapi.json` and the CSV columns all
 * derive from them.
 */
import { z } from 'zod';

export const PROVIDER_IDS = ['instantly', 'sendkit', 'kakiyo', 'seleqt'] as const;
export const ProviderIdSchema = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderIdSchema>;

export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'completed', 'archived', 'error', 'unknown'] as const;
export const CampaignStatusSchema = z.enum(CAMPAIGN_STATUSES);
export type CampaignStatus = z.infer<typeof CampaignStatusSchema>;

export const ChannelSchema = z.enum(['email', 'linkedin']);
export type Channel = z.infer<typeof ChannelSchema>;

/** A count the vendor may not report: null = not reported, 0 = reported zero. */
const count = z.number().nonnegative().nullable();

export const METRIC_NAMES = [
  'leads',
  'contacted',
  'sent',
  'emailsSent',
  'linkedinMessagesSent',
  'linkedinInvitesSent',
  'linkedinInvitesAccepted',
  'opened',
  'clicked',
  'replied',
  'bounced',
  'unsubscribed',
  'completed',
  'interested',
  'won',
  'opportunityValue',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const MetricsSchema = z
  .object({
    leads: count.describe('Leads in the campaign'),
    contacted: count.describe('Leads that got at least one touch'),
    sent: count.describe('All outbound touches: emails + LinkedIn messages + invites'),
    emailsSent: count,
    linkedinMessagesSent: count,
    linkedinInvitesSent: count,
    linkedinInvitesAccepted: count,
    opened: count.describe('Unique leads that opened'),
    clicked: count.describe('Unique leads that clicked'),
    replied: count.describe('Unique leads that replied (automatic replies excluded where the vendor says so)'),
    bounced: count,
    unsubscribed: count,
    completed: count,
    interested: count.describe('Positive / qualified / opportunity'),
    won: count,
    opportunityValue: count,
  })
  .strict();
export type Metrics = z.infer<typeof MetricsSchema>;

export const RATE_NAMES = ['openRate', 'clickRate', 'replyRate', 'bounceRate', 'interestedRate', 'inviteAcceptRate'] as const;
export type RateName = (typeof RATE_NAMES)[number];

/** Each rate as [numerator, denominator]. */
export const RATE_DEFINITIONS: Readonly<Record<RateName, readonly [MetricName, MetricName]>> = {
  openRate: ['opened', 'contacted'],
  clickRate: ['clicked', 'contacted'],
  replyRate: ['replied', 'contacted'],
  bounceRate: ['bounced', 'contacted'],
  interestedRate: ['interested', 'contacted'],
  inviteAcceptRate: ['linkedinInvitesAccepted', 'linkedinInvitesSent'],
};

const rate = z.number().min(0).nullable();
export const RatesSchema = z
  .object({
    openRate: rate,
    clickRate: rate,
    replyRate: rate,
    bounceRate: rate,
    interestedRate: rate,
    inviteAcceptRate: rate,
  })
  .strict()
  .describe('Fractions computed by the gateway from metrics (null when either side is null or the denominator is 0)');
export type Rates = z.infer<typeof RatesSchema>;

export const StepStatsSchema = z.object({
  step: z.number().int().min(1).describe('1-based step number'),
  variant: z.string().nullable(),
  sent: count,
  opened: count,
  clicked: count,
  replied: count,
  bounced: count,
});
export type StepStats = z.infer<typeof StepStatsSchema>;

export const DailyStatsSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  sent: count,
  opened: count,
  clicked: count,
  replied: count,
  interested: count,
});
export type DailyStats = z.infer<typeof DailyStatsSchema>;

export const CampaignAnalyticsSchema = z
  .object({
    key: z.string().describe('`<connection>:<vendor id>`: unique across the gateway, usable in `ids`'),
    id: z.string().describe("The vendor's campaign id, always a string"),
    provider: ProviderIdSchema,
    connection: z.string(),
    workspace: z.string(),
    name: z.string(),
    status: CampaignStatusSchema,
    vendorStatus: z.string().describe("The vendor's own status value, as a string"),
    channels: z.array(ChannelSchema),
    createdAt: z.string().nullable(),
    metrics: MetricsSchema,
    rates: RatesSchema,
    averageReplySeconds: z.number().nonnegative().nullable(),
    steps: z.array(StepStatsSchema).nullable(),
    daily: z.array(DailyStatsSchema).nullable(),
    leadStatus: z.record(z.string(), z.number()).nullable(),
    raw: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('One campaign from one vendor connection, in the normalized model');
export type CampaignAnalytics = z.infer<typeof CampaignAnalyticsSchema>;

/** Metrics with every field null: the starting point of every mapper. */
export function emptyMetrics(): Metrics {
  return {
    leads: null,
    contacted: null,
    sent: null,
    emailsSent: null,
    linkedinMessagesSent: null,
    linkedinInvitesSent: null,
    linkedinInvitesAccepted: null,
    opened: null,
    clicked: null,
    replied: null,
    bounced: null,
    unsubscribed: null,
    completed: null,
    interested: null,
    won: null,
    opportunityValue: null,
  };
}
