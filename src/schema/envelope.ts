/** The response envelope of `GET /v1/campaigns/analytics` and the problem+json error body. */
import { z } from 'zod';
import { CampaignAnalyticsSchema, MetricsSchema, ProviderIdSchema, RatesSchema } from './campaign';

export const SourceWarningSchema = z.object({
  code: z
    .string()
    .describe(
      'invalid_records, invalid_fields, skipped_rows, date_range_unsupported, campaign_not_found, partial_detail, date_range_from_snapshots (a date range the vendor cannot answer, answered from the history store: metrics are the growth between the snapshot of the day before start_date and that of end_date, or now), counter_reset (with date_range_from_snapshots: cumulative counts that went down between the two snapshots, each left null)',
    ),
  message: z.string(),
  count: z.number().int().optional(),
  path: z.string().optional(),
  fields: z
    .record(z.string(), z.number().int())
    .optional()
    .describe('invalid_fields: each vendor field path that held a value present but unreadable (mapped as null), and in how many records'),
});

export const SourceErrorSchema = z.object({
  code: z.string().describe('Stable snake_case code: unauthorized, forbidden, payment_required, not_found, rate_limited, upstream_unavailable, upstream_timeout, network, upstream_schema, upstream_too_large, wrong_host, bad_request, circuit_open, too_many_pages'),
  message: z.string(),
  retryAfterSeconds: z.number().int().optional(),
});

export const SourceSchema = z.object({
  workspace: z.string(),
  connection: z.string(),
  provider: ProviderIdSchema,
  status: z.enum(['ok', 'stale', 'error']),
  cache: z.enum(['hit', 'miss', 'stale', 'bypass']),
  fetchedAt: z.string().nullable(),
  ageSeconds: z.number().int().nullable(),
  durationMs: z.number().int(),
  campaigns: z.number().int(),
  warnings: z.array(SourceWarningSchema),
  error: SourceErrorSchema.nullable(),
});
export type Source = z.infer<typeof SourceSchema>;

export const TotalsSchema = z.object({
  campaigns: z.number().int(),
  metrics: MetricsSchema,
  rates: RatesSchema,
});

export const MetaSchema = z.object({
  requestId: z.string(),
  generatedAt: z.string(),
  complete: z.boolean(),
  workspaces: z.array(z.string()),
  demo: z.boolean().optional(),
});

/** A campaign reduced by `fields=`: only the named top-level fields, and always `key`. */
export const CampaignSelectionSchema = CampaignAnalyticsSchema.partial().required({ key: true }).describe('A campaign with only the fields named in `fields` (and always `key`)');
export type CampaignSelection = z.infer<typeof CampaignSelectionSchema>;

export const GroupSchema = z.object({
  key: z.string().describe('The provider, workspace or status this group collects'),
  totals: TotalsSchema.describe('Totals over every campaign of the group in the filtered set (not only the page)'),
});
export type Group = z.infer<typeof GroupSchema>;

export const PageSchema = z.object({
  limit: z.number().int(),
  nextCursor: z.string().nullable().describe('Pass as `cursor` (with the same filters and sort) for the next page; null on the last page'),
});
export type Page = z.infer<typeof PageSchema>;

export const AnalyticsResponseSchema = z.object({
  data: z.array(z.union([CampaignAnalyticsSchema, CampaignSelectionSchema])).describe('CampaignAnalytics in the requested order; with `fields`, only those fields'),
  totals: TotalsSchema.describe('Over the whole filtered set, not only the page'),
  groups: z.array(GroupSchema).optional().describe('With `group_by` only'),
  page: PageSchema.optional().describe('With `limit` only'),
  sources: z.array(SourceSchema),
  meta: MetaSchema,
});
export type AnalyticsResponse = z.infer<typeof AnalyticsResponseSchema>;

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.enum(['invalid_query', 'unauthorized', 'access_denied', 'rate_limited', 'all_sources_failed', 'not_found', 'too_expensive', 'history_unavailable', 'internal']),
  errors: z.array(z.object({ parameter: z.string(), message: z.string() })).optional(),
  requestId: z.string(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** A connection's scheduled sync, as `/v1/connections` shows it (null when the scheduler is off). */
export const ConnectionSyncSchema = z.object({
  /** When the next refresh is due (ISO 8601); null when the connection is not scheduled (ttlSeconds 0). */
  nextAt: z.string().nullable(),
  /** When the scheduler last walked or skipped this connection. */
  lastAt: z.string().nullable(),
  lastOutcome: z.enum(['ok', 'failed', 'skipped']).nullable(),
  /** The error code of the last failed walk. */
  lastErrorCode: z.string().nullable(),
  /** What holds the next refresh back: Kakiyo's daily credit budget, or an open circuit breaker. */
  limitedBy: z.enum(['credit_budget', 'breaker']).nullable(),
  /** Consecutive failed walks (the backoff doubles with each). */
  failures: z.number().int(),
});
export type ConnectionSync = z.infer<typeof ConnectionSyncSchema>;

export const ConnectionInfoSchema = z.object({
  id: z.string(),
  workspace: z.string(),
  provider: ProviderIdSchema,
  breaker: z.enum(['closed', 'open', 'half_open']),
  lastSuccessAt: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  lastErrorCode: z.string().nullable(),
  cacheAgeSeconds: z.number().int().nullable(),
  campaigns: z.number().int().nullable(),
  sync: ConnectionSyncSchema.nullable(),
});
export const ConnectionsResponseSchema = z.object({ data: z.array(ConnectionInfoSchema) });
