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
 * - campaign list: `GET /api/v2/campaigns?limit=100&starting_after=<cursor>` (100 is the spec's maximum;
 *   client code saw a larger `limit` answer empty `items`)
 *   (https://developer.instantly.ai/api-reference/campaign/list-campaign), walked in parallel with the
 *   analytics call. It supplies `createdAt` (`timestamp_created`) and the campaigns the analytics reply
 *   leaves out (drafts), which are kept with every metric null. Paging: the last page with data can
 *   still carry `next_starting_after` and the page after it is `items: []` (starter-kit
 *   `docs/conventions.md`), so the walk stops on an empty page or a missing cursor, capped at
 *   `maxPages`.
 * - with `campaignIds` the list is NOT walked: it has no id filter, so filling `createdAt` for a few
 *   campaigns would cost up to `maxPages` calls. Those records have `createdAt: null`, and asked-for
 *   ids missing from the analytics reply get a `campaign_not_found` warning. Ids are `format: uuid`
 *   in the spec and one that is not would make Instantly answer 400 for the whole call: such ids are
 *   never sent, they are dropped with a `campaign_not_found` warning naming them (the gateway
 *   already answers 400 for them; this is defence in depth).
 * - dates: `start_date`/`end_date` forwarded as `YYYY-MM-DD` to analytics, steps and daily. The spec
 *   says date-only values are UTC midnight; whether `end_date` is inclusive is undocumented.
 * - steps/daily (`include`): one call per campaign, bounded by `concurrency`, with `campaign_id=`
 *   (the spec's name; the starter kit's `id` example is wrong):
 *   https://developer.instantly.ai/api-reference/campaign/get-campaign-steps-analytics and
 *   https://developer.instantly.ai/api-reference/campaign/get-daily-campaign-analytics.
 *   A 404 on one of them leaves that campaign's steps/daily null with a `partial_detail` warning;
 *   any other failure fails the source. Steps rows with `step` null or "null" are skipped and counted
 *   (`skipped_rows`); the step base comes from the campaign's sequence (see `instantlyStepBaseEvidence`
 *   in map.ts), read from the list items' `sequences[0].steps` only when steps are asked for.
 * - limits: 100 requests/s and 6,000/min per workspace, shared by every key
 *   (https://developer.instantly.ai/getting-started/rate-limit); enforced outside the provider.
 * - errors: `{statusCode, error, message}`; a 400 on the analytics endpoints is just `{message}`;
 *   402 "Workspace does not have an active paid plan".
 * - probe: the list walk alone (no analytics, no per-campaign call).
 */
import type { z } from 'zod';
import { linkedController } from '../../abort-hooks';
import { isProviderError } from '../../errors';
import type { HttpClient } from '../../http/client';
import type { CampaignAnalytics } from '../../schema/campaign';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PAGES, FieldIssues, RecordValidator, isJsonObject, mapBounded, parseEnvelope, walkCursor } from '../shared';
import type { AnalyticsQuery, ProbeResult, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import {
  instantlyFetchStepBase,
  instantlyIdText,
  instantlyStepBase,
  instantlyStepBaseEvidence,
  mapInstantlyCampaign,
  type InstantlyCampaignSource,
  type StepBase,
} from './map';
import {
  InstantlyAnalyticsEnvelopeSchema,
  InstantlyCampaignAnalyticsSchema,
  InstantlyCampaignPageSchema,
  InstantlyCampaignSchema,
  InstantlyDailyRowSchema,
  InstantlyRowsEnvelopeSchema,
  InstantlyStepRowSchema,
  type InstantlyCampaign,
  type InstantlyDailyRow,
  type InstantlyStepRow,
} from './schema';

export const INSTANTLY_ANALYTICS_PATH = '/api/v2/campaigns/analytics';
export const INSTANTLY_CAMPAIGNS_PATH = '/api/v2/campaigns';
export const INSTANTLY_STEPS_PATH = '/api/v2/campaigns/analytics/steps';
export const INSTANTLY_DAILY_PATH = '/api/v2/campaigns/analytics/daily';
/** The campaign list's largest `limit` (spec: integer 1–100; more has been seen to answer empty `items`). */
export const INSTANTLY_LIST_PAGE_SIZE = 100;
/** How many ids a warning names before it only counts. */
const MAX_IDS_IN_WARNING = 10;

/** Campaign ids are UUIDs (`format: uuid` in the v2 spec); anything else makes the vendor answer 400 for the whole call. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be an Instantly campaign id (syntax only). */
export function isInstantlyCampaignId(id: string): boolean {
  return UUID.test(id);
}

/** The header an admin-workspace key names the sub-workspace it acts on with. */
export const INSTANTLY_AS_WORKSPACE_HEADER = 'x-as-workspace';

export function instantlyHeaders(connection: Pick<ProviderConnection, 'apiKey' | 'vendorWorkspaceId'>): Record<string, string> {
  const headers: Record<string, string> = { Authorization: `Bearer ${connection.apiKey}` };
  const subWorkspace = connection.vendorWorkspaceId?.trim();
  if (subWorkspace) headers[INSTANTLY_AS_WORKSPACE_HEADER] = subWorkspace;
  return headers;
}

/** The distinct asked-for ids, split into the ones that can be sent and the ones that cannot. */
function splitIds(ids: readonly string[]): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const id of new Set(ids)) (isInstantlyCampaignId(id) ? valid : invalid).push(id);
  return { valid, invalid };
}

/**
 * Upper bound of upstream calls (retries not counted) one fetch makes for `campaigns` campaigns:
 * the analytics call; without `campaignIds`, the list pages (full pages plus the possibly empty
 * last one); and one steps and/or one daily call per campaign. With `campaignIds` the list is
 * skipped and at most one record per distinct valid id comes back, so those ids bound the fan-out
 * (ids that are not UUIDs are never sent).
 */
export function estimateInstantlyCalls(campaigns: number, query: Pick<AnalyticsQuery, 'include' | 'campaignIds'>): number {
  const perCampaign = (query.include.steps ? 1 : 0) + (query.include.daily ? 1 : 0);
  if (query.campaignIds) {
    const ids = splitIds(query.campaignIds).valid.length;
    return ids === 0 ? 0 : 1 + ids * perCampaign;
  }
  const count = Math.max(0, Math.ceil(campaigns));
  const listPages = Math.ceil(count / INSTANTLY_LIST_PAGE_SIZE) + 1;
  return 1 + listPages + count * perCampaign;
}

interface CallContext {
  http: HttpClient;
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
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

/**
 * How many steps a list item's sequence has: `sequences[0].steps.length` (the spec: "only the first
 * element is used"); null when the item carries no such array.
 */
export function instantlySequenceSteps(item: unknown): number | null {
  if (!isJsonObject(item) || !Array.isArray(item.sequences)) return null;
  const first: unknown = item.sequences[0];
  return isJsonObject(first) && Array.isArray(first.steps) ? first.steps.length : null;
}

interface ListedCampaign {
  /** Its id as text (`instantlyIdText`). */
  id: string;
  campaign: InstantlyCampaign;
  /** Steps in its sequence (read only when steps are asked for), else null. */
  sequenceSteps: number | null;
  /** The item as it came, kept only for `include=raw`. */
  raw: unknown;
}

interface WalkOptions {
  maxPages: number;
  keepRaw: boolean;
  readSequence: boolean;
}

/**
 * The campaign list, each item validated as its page arrives (bad ones counted by `validator` at
 * `campaigns.<n>`): only the few fields read are held across the walk's pages, not 20,000 whole
 * vendor objects, which the garbage collector would otherwise copy from page to page. `pages`
 * counts the calls made.
 */
async function walkCampaignList(ctx: CallContext, options: WalkOptions, validator: RecordValidator, pages: { calls: number }): Promise<ListedCampaign[]> {
  let seen = 0;
  return walkCursor('instantly', options.maxPages, async (cursor) => {
    pages.calls += 1;
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
      const campaign = validator.parse(InstantlyCampaignSchema, item, 'campaigns', seen);
      seen += 1;
      if (campaign) {
        items.push({
          id: instantlyIdText(campaign.id),
          campaign,
          sequenceSteps: options.readSequence ? instantlySequenceSteps(item) : null,
          raw: options.keepRaw ? item : undefined,
        });
      }
    }
    // An empty page ends the walk even when it carries a cursor (Instantly's documented last page).
    return { items, next: page.items.length === 0 ? undefined : next };
  });
}

/** The listed campaigns by id; a campaign created during the walk can show up on two pages: the first sighting is kept. */
function byId(items: readonly ListedCampaign[]): Map<string, ListedCampaign> {
  const listed = new Map<string, ListedCampaign>();
  for (const item of items) if (!listed.has(item.id)) listed.set(item.id, item);
  return listed;
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

/**
 * One campaign of the fetch: what its mapping needs (`InstantlyCampaignSource`, its steps and daily
 * filled in once their replies are validated), its id as text, and its sequence's length. One
 * object per campaign, handed to the mapper as it is.
 */
type Entry = InstantlyCampaignSource & {
  id: string;
  /** Steps in its sequence, from its list item; null when unknown. */
  sequenceSteps: number | null;
};

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

function idList(ids: readonly string[]): string {
  const named = ids.slice(0, MAX_IDS_IN_WARNING).join(', ');
  const more = ids.length > MAX_IDS_IN_WARNING ? ` and ${ids.length - MAX_IDS_IN_WARNING} more` : '';
  return `${named}${more}`;
}

function notFoundWarning(missing: readonly string[]): SourceWarning {
  return {
    code: 'campaign_not_found',
    message: `${missing.length} requested campaign id(s) are not in Instantly's analytics reply (unknown, or not sent yet): ${idList(missing)}`,
    count: missing.length,
  };
}

function notUuidWarning(invalid: readonly string[]): SourceWarning {
  return {
    code: 'campaign_not_found',
    message: `${invalid.length} requested campaign id(s) are not Instantly campaign ids (UUIDs) and were not sent: ${idList(invalid)}`,
    count: invalid.length,
  };
}

export async function fetchInstantlyAnalytics(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient): Promise<ProviderResult> {
  const ids = query.campaignIds ? splitIds(query.campaignIds) : undefined;
  const idWarnings = ids && ids.invalid.length > 0 ? [notUuidWarning(ids.invalid)] : [];
  // An id list with nothing sendable asks for nothing; without `ids` Instantly would answer with everything.
  if (ids !== undefined && ids.valid.length === 0) return { records: [], warnings: idWarnings };

  // One failure (say a 401 on the analytics call) cancels the sibling calls still running, so a
  // rejected key does not keep walking the campaign list. The fetch's signal is its own, aborted
  // by the caller's too.
  const { controller: siblings, unlink } = linkedController(query.signal);
  const ctx: CallContext = {
    http,
    headers: instantlyHeaders(connection),
    signal: siblings.signal,
    deadlineMs: query.deadlineMs,
    startDate: query.startDate,
    endDate: query.endDate,
  };
  try {
    const result = await fetchAll(connection, query, ctx, ids?.valid);
    return { records: result.records, warnings: [...idWarnings, ...result.warnings] };
  } catch (error) {
    siblings.abort();
    throw error;
  } finally {
    unlink();
  }
}

/**
 * The fetch's campaigns: every valid analytics record (in reply order, joined with its list item),
 * then the listed campaigns without one (not sent yet), which keep every metric null. A second
 * record for one campaign is rejected (`analytics.<n>.campaign_id`): two cannot both be right, and
 * keys must stay unique. `raw` is kept only when asked for, so the parsed reply is not held after
 * this.
 */
function joinEntries(
  analyticsItems: readonly unknown[],
  listed: ReadonlyMap<string, ListedCampaign>,
  wantedIds: readonly string[] | undefined,
  validator: RecordValidator,
  keepRaw: boolean,
): { entries: Entry[]; inAnalytics: Set<string> } {
  const wanted = wantedIds ? new Set(wantedIds) : undefined;
  const entries: Entry[] = [];
  const inAnalytics = new Set<string>();
  for (let index = 0; index < analyticsItems.length; index += 1) {
    const item = analyticsItems[index];
    const record = validator.parse(InstantlyCampaignAnalyticsSchema, item, 'analytics', index);
    if (!record) continue;
    const id = instantlyIdText(record.campaign_id);
    if (wanted && !wanted.has(id)) continue;
    if (inAnalytics.has(id)) {
      validator.reject(`analytics.${index}.campaign_id`);
      continue;
    }
    inAnalytics.add(id);
    const found = listed.get(id);
    entries.push({ analytics: record, listed: found?.campaign ?? null, steps: null, daily: null, raw: keepRaw ? item : undefined, id, sequenceSteps: found?.sequenceSteps ?? null });
  }
  for (const [id, item] of listed) {
    if (!inAnalytics.has(id)) entries.push({ analytics: null, listed: item.campaign, steps: null, daily: null, raw: item.raw, id, sequenceSteps: item.sequenceSteps });
  }
  return { entries, inAnalytics };
}

async function fetchAll(connection: ProviderConnection, query: AnalyticsQuery, ctx: CallContext, wantedIds: readonly string[] | undefined): Promise<ProviderResult> {
  // The list is validated during its walk, before the analytics records below, so the first
  // failing path a warning names does not depend on which call answered first.
  const validator = new RecordValidator();
  const issues = new FieldIssues();
  const walk: WalkOptions = { maxPages: connection.maxPages ?? DEFAULT_MAX_PAGES, keepRaw: query.include.raw, readSequence: query.include.steps };
  const [analyticsItems, listItems] = await Promise.all([
    fetchAnalyticsItems(ctx, wantedIds),
    wantedIds === undefined ? walkCampaignList(ctx, walk, validator, { calls: 0 }) : Promise.resolve([]),
  ]);
  const listed = byId(listItems);
  const { entries, inAnalytics } = joinEntries(analyticsItems, listed, wantedIds, validator, query.include.raw);

  const details = await fetchDetails(connection, query, ctx, entries);

  // Rows are validated in campaign order (not completion order), every steps reply before every
  // daily reply, so the warning path is stable.
  let missingDetails = 0;
  function rowsOf<T>(byEntry: ReadonlyMap<string, unknown[] | null>, id: string, schema: z.ZodType<T>, where: string): T[] | null {
    const rows = byEntry.get(id);
    if (rows === undefined) return null; // not asked for
    if (rows === null) {
      missingDetails += 1;
      return null;
    }
    return parseRows(validator, schema, rows, `${where}.${id}`);
  }
  if (query.include.steps) {
    const stepRows = entries.map((entry) => rowsOf<InstantlyStepRow>(details.steps, entry.id, InstantlyStepRowSchema, 'steps'));
    // The step base: each campaign's own evidence (its rows against its sequence), else what the
    // campaigns of this fetch that proved one agree on, else 1 (map.ts states the rule).
    const evidence = entries.map((entry, index): StepBase | null => {
      const rows = stepRows[index];
      return rows ? instantlyStepBaseEvidence(rows, entry.sequenceSteps) : null;
    });
    const fetchBase = instantlyFetchStepBase(evidence);
    entries.forEach((entry, index) => {
      const rows = stepRows[index] ?? null;
      entry.steps = rows === null ? null : { rows, base: instantlyStepBase(evidence[index] ?? null, fetchBase) };
    });
  }
  if (query.include.daily) {
    for (const entry of entries) entry.daily = rowsOf<InstantlyDailyRow>(details.daily, entry.id, InstantlyDailyRowSchema, 'daily');
  }

  const records: CampaignAnalytics[] = entries.map((entry) => mapInstantlyCampaign(connection, entry, query.include, issues));

  const warnings: SourceWarning[] = [...validator.warnings(), ...issues.warnings()];
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

/** One steps and/or one daily call per campaign (as `include` asks), bounded by `concurrency`; replies by campaign id. */
async function fetchDetails(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  ctx: CallContext,
  entries: readonly Entry[],
): Promise<{ steps: Map<string, unknown[] | null>; daily: Map<string, unknown[] | null> }> {
  const kinds: DetailKind[] = [];
  if (query.include.steps) kinds.push('steps');
  if (query.include.daily) kinds.push('daily');
  const tasks: DetailTask[] = entries.flatMap((entry) => kinds.map((kind) => ({ id: entry.id, kind })));
  const replies = await mapBounded(tasks, connection.concurrency ?? DEFAULT_CONCURRENCY, (task) =>
    task.kind === 'steps'
      ? fetchCampaignRows(ctx, INSTANTLY_STEPS_PATH, task.id, 'steps analytics')
      : fetchCampaignRows(ctx, INSTANTLY_DAILY_PATH, task.id, 'daily analytics'),
  );
  const steps = new Map<string, unknown[] | null>();
  const daily = new Map<string, unknown[] | null>();
  tasks.forEach((task, index) => (task.kind === 'steps' ? steps : daily).set(task.id, replies[index] ?? null));
  return { steps, daily };
}

/**
 * The probe: the campaign list walk alone (`limit=100` pages), which proves the key (and the
 * sub-workspace, with `x-as-workspace`) and the host, and counts the campaigns. No analytics call,
 * no per-campaign call.
 */
export async function probeInstantly(connection: ProviderConnection, http: HttpClient, signal?: AbortSignal): Promise<ProbeResult> {
  const ctx: CallContext = { http, headers: instantlyHeaders(connection), signal, deadlineMs: undefined, startDate: undefined, endDate: undefined };
  const validator = new RecordValidator();
  const pages = { calls: 0 };
  const items = await walkCampaignList(ctx, { maxPages: connection.maxPages ?? DEFAULT_MAX_PAGES, keepRaw: false, readSequence: false }, validator, pages);
  return { campaigns: byId(items).size, calls: pages.calls, warnings: validator.warnings() };
}
