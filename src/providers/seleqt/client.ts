/**
 * Seleqt client.
 *
 * Quirks (VENDORS.md section 4):
 * - auth: `X-API-Key: <prefix>.<secret>`; nothing else.
 * - one call returns every campaign with its analytics:
 *   `GET /api/v1/dashboard/campaign-analytics/?workspace_id=<id>|ALL`
 *   (https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics). Not paginated.
 * - two hosts: the docs use `https://app.seleqt.ai` for the dashboard family; `baseUrl` is
 *   configurable per connection.
 * - no date parameters: numbers are lifetime totals, said in a `date_range_unsupported` warning.
 * - limit: 50 requests/minute per key; 429 body `{"error":"Rate limit exceeded"}`.
 * - errors: `{error}` or `{error, message}`; 403 `{"error":"Access denied"}` = workspace not linked.
 */
import type { HttpClient } from '../../http/client';
import { RecordValidator, parseEnvelope } from '../shared';
import type { AnalyticsQuery, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import { mapSeleqtCampaign } from './map';
import { SeleqtCampaignSchema, SeleqtDashboardEnvelopeSchema } from './schema';

export const SELEQT_DASHBOARD_PATH = '/api/v1/dashboard/campaign-analytics/';

export function seleqtHeaders(connection: Pick<ProviderConnection, 'apiKey'>): Record<string, string> {
  return { 'X-API-Key': connection.apiKey };
}

export async function fetchSeleqtAnalytics(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  http: HttpClient,
): Promise<ProviderResult> {
  const response = await http.getJson({
    path: SELEQT_DASHBOARD_PATH,
    query: { workspace_id: connection.vendorWorkspaceId },
    headers: seleqtHeaders(connection),
    signal: query.signal,
    deadlineMs: query.deadlineMs,
  });
  const envelope = parseEnvelope('seleqt', SeleqtDashboardEnvelopeSchema, response.data, 'campaign-analytics reply');
  const wanted = query.campaignIds ? new Set(query.campaignIds) : undefined;
  const validator = new RecordValidator();
  const records = [];
  for (const [index, item] of envelope.campaigns.entries()) {
    const campaign = validator.parse(SeleqtCampaignSchema, item, `campaigns.${index}`);
    if (!campaign) continue;
    if (wanted && !wanted.has(String(campaign.id))) continue;
    records.push(mapSeleqtCampaign(connection, campaign, query.include.raw));
  }
  const warnings: SourceWarning[] = validator.warnings();
  if (query.startDate !== undefined || query.endDate !== undefined) {
    warnings.push({
      code: 'date_range_unsupported',
      message: 'Seleqt has no date filter: the numbers are lifetime totals',
    });
  }
  return { records, warnings };
}
