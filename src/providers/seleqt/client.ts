/**
 * Seleqt client: the one HTTP call, record validation, the call estimate and the probe.
 *
 * Quirks (VENDORS.md sections 4 and 7):
 * - auth: `X-API-Key: <prefix>.<secret>`; nothing else.
 * - one call returns every campaign with its analytics:
 *   `GET /api/v1/dashboard/campaign-analytics/?workspace_id=<id>|ALL`
 *   (https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics). Not paginated, no dates:
 *   numbers are lifetime totals, said in a `date_range_unsupported` warning when dates are asked.
 * - two contested hosts: the docs' curl examples use `https://app.seleqt.ai`, the vendor's n8n node
 *   says that is the SPA frontend and the JSON API is `https://api.seleqt.ai`. A wrong host answers
 *   its HTML with 200 or a redirect (never followed): `wrong_host`, whose message says which
 *   `baseUrl` to set instead.
 * - `analytics: null` (a new campaign) keeps the campaign with null metrics; the reply has no
 *   `created_at`, so `createdAt` is null.
 * - limit: 50 requests/minute per key; 429 body `{"error":"Rate limit exceeded"}`.
 * - errors: `{error}` or `{error, message}`; 403 `{"error":"Access denied"}` = workspace not linked.
 */
import { isProviderError } from '../../errors';
import { withWrongHostAdvice, type HttpClient } from '../../http/client';
import type { CampaignAnalytics } from '../../schema/campaign';
import { FieldIssues, RecordValidator, parseEnvelope } from '../shared';
import type { AnalyticsQuery, IncludeOptions, ProbeResult, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import { mapSeleqtCampaign } from './map';
import { SeleqtCampaignSchema, SeleqtDashboardEnvelopeSchema } from './schema';

export const SELEQT_DASHBOARD_PATH = '/api/v1/dashboard/campaign-analytics/';
/** The JSON API host the vendor's n8n node uses. */
export const SELEQT_API_ORIGIN = 'https://api.seleqt.ai';
/** The host of the docs' curl examples (also the SPA frontend). */
export const SELEQT_APP_ORIGIN = 'https://app.seleqt.ai';

export function seleqtHeaders(connection: Pick<ProviderConnection, 'apiKey'>): Record<string, string> {
  return { 'X-API-Key': connection.apiKey };
}

/** Upstream calls one fetch makes: one, whatever the campaigns and the query. */
export function estimateSeleqtCalls(_campaigns: number, _query: Pick<AnalyticsQuery, 'include' | 'campaignIds'>): number {
  return 1;
}

/**
 * What a `wrong_host` error from Seleqt should tell the user: the configured host served HTML or a
 * redirect, and the other documented host to set as `baseUrl` (both when the host is neither).
 */
export function seleqtWrongHostAdvice(origin: string | undefined, status: number | undefined): string {
  const served = status !== undefined && status >= 300 && status < 400 ? 'a redirect' : 'HTML';
  const other =
    origin === SELEQT_APP_ORIGIN ? SELEQT_API_ORIGIN : origin === SELEQT_API_ORIGIN ? SELEQT_APP_ORIGIN : `${SELEQT_API_ORIGIN} (or ${SELEQT_APP_ORIGIN})`;
  return `this host served ${served}, not Seleqt's JSON API; set baseUrl to ${other}`;
}

/** The dashboard call: the reply's campaign items, not yet validated. */
async function getDashboard(
  connection: ProviderConnection,
  http: HttpClient,
  signal: AbortSignal | undefined,
  deadlineMs: number | undefined,
): Promise<unknown[]> {
  let data: unknown;
  try {
    const response = await http.getJson({
      path: SELEQT_DASHBOARD_PATH,
      query: { workspace_id: connection.vendorWorkspaceId },
      headers: seleqtHeaders(connection),
      signal,
      deadlineMs,
    });
    data = response.data;
  } catch (error) {
    throw withWrongHostAdvice(error, seleqtWrongHostAdvice(http.origin, isProviderError(error) ? error.status : undefined));
  }
  return parseEnvelope('seleqt', SeleqtDashboardEnvelopeSchema, data, 'campaign-analytics reply').campaigns;
}

/**
 * Validates the items one by one (only `id` and `name` can make one invalid) and maps those
 * `wanted` (every one when undefined). Warnings: `invalid_records`, then `invalid_fields`.
 */
function readDashboard(
  connection: ProviderConnection,
  items: readonly unknown[],
  include: IncludeOptions,
  wanted: ReadonlySet<string> | undefined,
): ProviderResult {
  const validator = new RecordValidator();
  const issues = new FieldIssues();
  const records: CampaignAnalytics[] = [];
  for (const [index, item] of items.entries()) {
    const campaign = validator.parse(SeleqtCampaignSchema, item, `campaigns.${index}`);
    if (!campaign) continue;
    if (wanted && !wanted.has(String(campaign.id))) continue;
    records.push(mapSeleqtCampaign(connection, { campaign }, include, issues));
  }
  return { records, warnings: [...validator.warnings(), ...issues.warnings()] };
}

export async function fetchSeleqtAnalytics(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient): Promise<ProviderResult> {
  const items = await getDashboard(connection, http, query.signal, query.deadlineMs);
  const wanted = query.campaignIds ? new Set(query.campaignIds) : undefined;
  const { records, warnings } = readDashboard(connection, items, query.include, wanted);
  const all: SourceWarning[] = [...warnings];
  if (query.startDate !== undefined || query.endDate !== undefined) {
    all.push({ code: 'date_range_unsupported', message: 'Seleqt has no date filter: the numbers are lifetime totals' });
  }
  return { records, warnings: all };
}

/**
 * The probe: the same single dashboard call (Seleqt has nothing cheaper that proves the key, the
 * host and the workspace together). `campaigns` counts the valid records; the warnings say what
 * was left out or unreadable.
 */
export async function probeSeleqt(connection: ProviderConnection, http: HttpClient, signal?: AbortSignal): Promise<ProbeResult> {
  const before = http.calls;
  const items = await getDashboard(connection, http, signal, undefined);
  const { records, warnings } = readDashboard(connection, items, { steps: false, daily: false, raw: false }, undefined);
  return { campaigns: records.length, calls: http.calls - before, warnings };
}
