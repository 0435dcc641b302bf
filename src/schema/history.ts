/** The answer of `GET /v1/campaigns/history` (zod), for `/openapi.json` and the tests that check answers against it. */
import { z } from 'zod';
import { METRIC_NAMES, MetricsSchema, ProviderIdSchema, RatesSchema } from './campaign';

export const PointSourceSchema = z.enum(['vendor_daily', 'snapshots', 'mixed']);

export const HistoryPointSchema = z.object({
  period: z.iso.date().describe('First day of the period (UTC)'),
  end: z.iso.date().describe('Last day of the period (UTC)'),
  source: PointSourceSchema.nullable().describe(
    "Where the numbers came from: vendor_daily (the vendor's own daily rows), snapshots (the growth between stored snapshots), or mixed (some metrics or campaigns from each); null for a gap (covered by neither)",
  ),
  sources: z
    .partialRecord(z.enum(METRIC_NAMES), PointSourceSchema)
    .nullable()
    .describe('Per metric with a value: where it came from (mixed: from daily rows for some campaigns, snapshots for others); null for a gap'),
  campaigns: z.number().int().min(0).describe('Campaigns that contributed growth to this point'),
  metrics: MetricsSchema.partial().nullable().describe('Growth in the period (end of this period minus end of the previous one), summed; null for a gap'),
  rates: RatesSchema.nullable().describe('Recomputed from the summed growth; null for a gap'),
});

export const HistorySeriesSchema = z.object({
  group: z
    .object({ campaign: z.string().optional(), name: z.string().optional(), provider: ProviderIdSchema.optional(), workspace: z.string().optional() })
    .describe('What the series covers: a campaign (with its name, provider and workspace), a provider, a workspace, or {} for the total'),
  points: z.array(HistoryPointSchema),
});

export const HistoryResponseSchema = z.object({
  data: z.array(HistorySeriesSchema),
  periods: z.array(z.object({ period: z.iso.date(), end: z.iso.date() })),
  warnings: z.array(
    z.object({
      code: z.literal('counter_reset'),
      message: z.string(),
      count: z.number().int(),
      path: z.string().describe('<campaign key>.<metric> of the first reset'),
    }),
  ),
  meta: z.object({
    requestId: z.string(),
    generatedAt: z.string(),
    workspaces: z.array(z.string()),
    startDate: z.iso.date(),
    endDate: z.iso.date(),
    interval: z.enum(['day', 'week', 'month']),
    groupBy: z.enum(['campaign', 'provider', 'workspace', 'total']),
    demo: z.boolean().describe('Some points come from the demo\'s back-filled history'),
  }),
});
export type HistoryResponse = z.infer<typeof HistoryResponseSchema>;
