/**
 * Instantly client (API v2, base `https://api.instantly.ai`).
 *
 * Quirks (VENDORS.md section 1):
 * - auth: `Authorization: Bearer <key>` (spec `components.securitySchemes.ApiKeyAuth`). An admin
 *   workspace's key acts on one of its sub-workspaces with `x-as-workspace: <sub_workspace_id>`
 *   (starter-kit `docs/conventions.md`): sent on every call (analytics, list, steps, daily) when the
 *   connection has a `vendorWorkspaceId` (trimmed, non-empty), never otherwise. What Instantly
 *   answers for a sub-workspace the key may not act on is undocumented: a 401/403 there is the
 *   usual `unauthorized`/`forbidden` error, not retried.
 * - analytics of every campaign in ONE unpaged call, a bare JSON array:
 *   `GET /api/v2/campaigns/analytics` (https://developer.instantly.ai/api-reference/campaign/get-campaign-analytics).
 *   `ids` restricts it, as a repeated parameter (`?ids=a&ids=b`). A campaign is absent from the reply
 *   until it has sent (starter-kit `docs/api/analytics.md`).
 * - campaign list: `GET /api/v2/campaigns?limit=100&starting_after=<cursor>`
 *   (https://developer.instantly.ai/api-reference/campaign/list-campaign), walked in parallel with the
 *   analytics call. It supplies `createdAt` (`timestamp_created`) and the campaigns the analytics reply
 *   leaves out (drafts), which are kept with every metric null. Paging: the last page with data can
 *   still carry `next_starting_after` and the page after it is `items: []` (starter-kit
 *   `docs/conventions.md`), so the walk stops on an empty page or a missing cursor, capped at
 *   `maxPages`.
 * - with `campaignIds` the list is NOT walked: it has no id filter, so filling `createdAt` for a few
 *   campaigns would cost up to `maxPages` calls. Those records have `createdAt: null`, and asked-for
 *   ids missing from the analytics reply get a `campaign_not_found` warning.
 * - dates: `start_date`/`end_date` forwarded as `YYYY-MM-DD` to analytics, steps and daily. The spec
 *   says date-only values are UTC midnight; whether `end_date` is inclusive is undocumented.
 * - steps/daily (`include`): one call per campaign, bounded by `concurrency`, with `campaign_id=`
 *   (the spec's name; the starter kit's `id` example is wrong):
 *   https://developer.instantly.ai/api-reference/campaign/get-campaign-steps-analytics and
 *   https://developer.instantly.ai/api-reference/campaign/get-daily-campaign-analytics.
 *   A 404 on one of them leaves that campaign's steps/daily null with a `partial_detail` warning;
 *   any other failure fails the source.
 * - limits: 100 requests/s and 6,000/min per workspace, shared by every key
 *   (https://developer.instantly.ai/getting-started/rate-limit); enforced outside the provider.
 * - errors: `{statusCode, error, message}`; a 400 on the analytics endpoints is just `{message}`;
 *   402 "Workspace does not have an active paid plan".
 */
import type { z } from 'zod';
import { isProviderError } from '../../errors';
import type { HttpClient } from '../../http/client';
import type { CampaignAnalytics, DailyStats, StepStats } from '../../schema/campaign';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PAGES, RecordValidator, mapBounded, parseEnvelope, toIsoOrNull, walkCursor } from '../shared';
import type { AnalyticsQuery, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import { mapInstantlyCampaign, mapInstantlyDaily, mapInstantlyListedCampaign, mapInstantlySteps } from './map';
import {
  InstantlyAnalyticsEnvelopeSchema,
  InstantlyCampaignAnalyticsSchema,
  InstantlyCampaignPageSchema,
  InstantlyCampaignSchema,
  InstantlyDailyRowSchema,
  InstantlyRowsEnvelopeSchema,
  InstantlyStepRowSchema,
  type InstantlyCampaign,
  type InstantlyCampaignAnalytics,
} from './schema';

export const INSTANTLY_ANALYTICS_PATH = '/api/v2/campaigns/analytics';
export const INSTANTLY_CAMPAIGNS_PATH = '/api/v2/campaigns';
export const INSTANTLY_STEPS_PATH = '/api/v2/campaigns/analytics/steps';
export const INSTANTLY_DAILY_PATH = '/api/v2/campaigns/analytics/daily';
/** The campaign list's largest `limit` (spec: integer 1–100). */
export const INSTANTLY_LIST_PAGE_SIZE = 100;
/** How many missing ids a `campaign_not_found` warning names before it only counts. */
const MAX_IDS_IN_WARNING = 10;

/** The header an admin-workspace key names the sub-workspace it acts on with. */
export const INSTANTLY_AS_WORKSPACE_HEADER = 'x-as-workspace';

export function instantlyHeaders(connection: Pick<ProviderConnection, 'apiKey' | 'vendorWorkspaceId'>): Record<string, string> {
  const headers: Record<string, string> = { Authorization: `Bearer ${connection.apiKey}` };
  const subWorkspace = connection.vendorWorkspaceId?.trim();
  if (subWorkspace) headers[INSTANTLY_AS_WORKSPACE_HEADER] = subWorkspace;
  return headers;
}

interface CallContext {
  http: HttpClient;
  headers: Record<string, string>;
  signal: AbortSignal;
  deadlineMs: number | undefined;
  startDate: string | undefined;
  endDate: string | undefined;
}

async function fetchAnalyticsItems(ctx: CallContext, ids: readonly string[] | undefined): Promise<unknown[]> {
  const response = await ctx.http.getJson({
    path: INSTANTLY_ANALYTICS_PATH,
    query: { ids, start_date: ctx.startDate, end_date: ctx.endDate },
    headers: ctx.headers,
    signal: ctx.signal,
    deadlineMs: ctx.deadlineMs,
  });
  return parseEnvelope('instantly', InstantlyAnalyticsEnvelopeSchema, response.data, 'campaigns/analytics reply');
}

interface ListedCampaign {
  campaign: InstantlyCampaign;
  /** The item as it came, kept only for `include=raw`. */
  raw: unknown;
}

/**
 * The campaign list, each item validated as its page arrives (bad ones counted by `validator` at
 * `campaigns.<n>`): only the few fields read are held across the walk's pages, not 20,000 whole
 * vendor objects, which the garbage collector would otherwise copy from page to page (issue 6).
 */
async function walkCampaignList(ctx: CallContext, maxPages: number, validator: RecordValidator, keepRaw: boolean): Promise<ListedCampaign[]> {
  let seen = 0;
  return walkCursor('instantly', maxPages, async (cursor) => {
    const response = await ctx.http.getJson({
      path: INSTANTLY_CAMPAIGNS_PATH,
      query: { limit: INSTANTLY_LIST_PAGE_SIZE, starting_after: cursor },
      headers: ctx.headers,
      signal: ctx.signal,
      deadlineMs: ctx.deadlineMs,
    });
    const page = parseEnvelope('instantly', InstantlyCampaignPageSchema, response.data, 'campaign list page');
    const cursorValue = page.next_starting_after;
    const next = cursorValue === null || cursorValue === undefined || cursorValue === '' ? undefined : String(cursorValue);
    const items: ListedCampaign[] = [];
    for (const item of page.items) {
      const campaign = validator.parse(InstantlyCampaignSchema, item, `campaigns.${seen}`);
      seen += 1;
      if (campaign) items.push({ campaign, raw: keepRaw ? item : undefined });
    }
    // An empty page ends the walk even when it carries a cursor (Instantly's documented last page).
    return { items, next: page.items.length === 0 ? undefined : next };
  });
}

/** The rows of one per-campaign steps/daily reply, or null when Instantly answers 404 for it. */
async function fetchCampaignRows(ctx: CallContext, path: string, campaignId: string, what: string): Promise<unknown[] | null> {
  let data: unknown;
  try {
    const response = await ctx.http.getJson({
      path,
      query: { campaign_id: campaignId, start_date: ctx.startDate, end_date: ctx.endDate },
      headers: ctx.headers,
      signal: ctx.signal,
      deadlineMs: ctx.deadlineMs,
    });
    data = response.data;
  } catch (error) {
    if (isProviderError(error) && error.code === 'not_found') return null;
    throw error;
  }
  return parseEnvelope('instantly', InstantlyRowsEnvelopeSchema, data, `${what} reply for campaign ${campaignId}`);
}

type Entry =
  | { kind: 'analytics'; id: string; record: InstantlyCampaignAnalytics; raw: unknown }
  | { kind: 'listed'; id: string; campaign: InstantlyCampaign; raw: unknown };

type DetailKind = 'steps' | 'daily';

interface DetailTask {
  id: string;
  kind: DetailKind;
}

/** The rows of one reply that pass `schema`; the others are counted by `validator` at `<where>.<index>`. */
function parseRows<S extends z.ZodType>(validator: RecordValidator, schema: S, rows: readonly unknown[], where: string): z.infer<S>[] {
  return rows.flatMap((row, index) => {
    const parsed = validator.parse(schema, row, `${where}.${index}`);
    return parsed === undefined ? [] : [parsed];
  });
}

function notFoundWarning(missing: readonly string[]): SourceWarning {
  const named = missing.slice(0, MAX_IDS_IN_WARNING).join(', ');
  const more = missing.length > MAX_IDS_IN_WARNING ? ` and ${missing.length - MAX_IDS_IN_WARNING} more` : '';
  return {
    code: 'campaign_not_found',
    message: `${missing.length} requested campaign id(s) are not in Instantly's analytics reply (unknown, or not sent yet): ${named}${more}`,
    count: missing.length,
  };
}

export async function fetchInstantlyAnalytics(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  http: HttpClient,
): Promise<ProviderResult> {
  const wantedIds = query.campaignIds ? [...new Set(query.campaignIds)] : undefined;
  // An explicit empty id list asks for nothing; without `ids` Instantly would answer with everything.
  if (wantedIds !== undefined && wantedIds.length === 0) return { records: [], warnings: [] };

  // One failure (say a 401 on the analytics call) cancels the sibling calls still running, so a
  // rejected key does not keep walking the campaign list.
  const siblings = new AbortController();
  const ctx: CallContext = {
    http,
    headers: instantlyHeaders(connection),
    signal: query.signal ? AbortSignal.any([query.signal, siblings.signal]) : siblings.signal,
    deadlineMs: query.deadlineMs,
    startDate: query.startDate,
    endDate: query.endDate,
  };
  try {
    return await fetchAll(connection, query, ctx, wantedIds);
  } catch (error) {
    siblings.abort();
    throw error;
  }
}

async function fetchAll(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  ctx: CallContext,
  wantedIds: readonly string[] | undefined,
): Promise<ProviderResult> {
  // The list is validated during its walk, before the analytics records below, so the first
  // failing path a warning names does not depend on which call answered first.
  const validator = new RecordValidator();
  const [analyticsItems, listItems] = await Promise.all([
    fetchAnalyticsItems(ctx, wantedIds),
    wantedIds === undefined ? walkCampaignList(ctx, connection.maxPages ?? DEFAULT_MAX_PAGES, validator, query.include.raw) : Promise.resolve([]),
  ]);

  const listed = new Map<string, ListedCampaign>();
  for (const item of listItems) {
    // A campaign created during the walk can show up on two pages: the first sighting is kept.
    if (!listed.has(item.campaign.id)) listed.set(item.campaign.id, item);
  }

  const wanted = wantedIds ? new Set(wantedIds) : undefined;
  const entries: Entry[] = [];
  const inAnalytics = new Set<string>();
  for (const [index, item] of analyticsItems.entries()) {
    const record = validator.parse(InstantlyCampaignAnalyticsSchema, item, `analytics.${index}`);
    if (!record) continue;
    if (wanted && !wanted.has(record.campaign_id)) continue;
    if (inAnalytics.has(record.campaign_id)) {
      // Two records for one campaign cannot both be right, and keys must stay unique.
      validator.reject(`analytics.${index}.campaign_id`);
      continue;
    }
    inAnalytics.add(record.campaign_id);
    entries.push({ kind: 'analytics', id: record.campaign_id, record, raw: item });
  }
  for (const [id, { campaign, raw }] of listed) {
    if (!inAnalytics.has(id)) entries.push({ kind: 'listed', id, campaign, raw });
  }

  const kinds: DetailKind[] = [];
  if (query.include.steps) kinds.push('steps');
  if (query.include.daily) kinds.push('daily');
  const tasks: DetailTask[] = entries.flatMap((entry) => kinds.map((kind) => ({ id: entry.id, kind })));
  const replies = await mapBounded(tasks, connection.concurrency ?? DEFAULT_CONCURRENCY, (task) =>
    task.kind === 'steps'
      ? fetchCampaignRows(ctx, INSTANTLY_STEPS_PATH, task.id, 'steps analytics')
      : fetchCampaignRows(ctx, INSTANTLY_DAILY_PATH, task.id, 'daily analytics'),
  );
  const stepReplies = new Map<string, unknown[] | null>();
  const dailyReplies = new Map<string, unknown[] | null>();
  tasks.forEach((task, index) => (task.kind === 'steps' ? stepReplies : dailyReplies).set(task.id, replies[index] ?? null));

  // Rows are validated in campaign order (not completion order) so the warning path is stable.
  let missingDetails = 0;
  function detailOf<T>(byId: ReadonlyMap<string, unknown[] | null>, id: string, map: (rows: unknown[]) => T[]): T[] | null {
    const rows = byId.get(id);
    if (rows === undefined) return null; // not asked for
    if (rows === null) {
      missingDetails += 1;
      return null;
    }
    return map(rows);
  }

  const records: CampaignAnalytics[] = entries.map((entry) => {
    const steps: StepStats[] | null = detailOf(stepReplies, entry.id, (rows) =>
      mapInstantlySteps(parseRows(validator, InstantlyStepRowSchema, rows, `steps.${entry.id}`)),
    );
    const daily: DailyStats[] | null = detailOf(dailyReplies, entry.id, (rows) =>
      mapInstantlyDaily(parseRows(validator, InstantlyDailyRowSchema, rows, `daily.${entry.id}`)),
    );
    const extras = { steps, daily, raw: entry.raw, includeRaw: query.include.raw };
    return entry.kind === 'analytics'
      ? mapInstantlyCampaign(connection, entry.record, { ...extras, createdAt: toIsoOrNull(listed.get(entry.id)?.campaign.timestamp_created) })
      : mapInstantlyListedCampaign(connection, entry.campaign, extras);
  });

  const warnings: SourceWarning[] = validator.warnings();
  if (missingDetails > 0) {
    warnings.push({
      code: 'partial_detail',
      message: `${missingDetails} steps/daily call(s) answered 404 (campaign gone since the analytics call?); those campaigns have steps/daily null`,
      count: missingDetails,
    });
  }
  if (wantedIds) {
    const missing = wantedIds.filter((id) => !inAnalytics.has(id));
    if (missing.length > 0) warnings.push(notFoundWarning(missing));
  }
  return { records, warnings };
}
