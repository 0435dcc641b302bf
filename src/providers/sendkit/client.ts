/**
 * SendKit.ai client (`https://api.sendkit.ai`, paths under `/v1`; not sendkit.dev, a different product).
 *
 * Quirks (VENDORS.md section 2):
 * - auth: `X-Api-Key: <key>` (the docs accept `Authorization: Bearer` too, "use one style per
 *   request"; we never send Authorization). Workspace keys `sk_…` are scoped to one workspace and
 *   must not send `X-Workspace-Id`; platform keys `sk_user_…` must send `X-Workspace-Id` on
 *   campaign and analytics endpoints, and without it they pass a key check and then fail every
 *   real call, so a platform key without `vendorWorkspaceId` fails here before any call
 *   (https://docs.sendkit.ai/llms.txt).
 * - no all-campaign analytics: list `GET /v1/campaigns?limit=100&cursor=…`
 *   (https://docs.sendkit.ai/api-reference/get-v1-campaigns), then one
 *   `GET /v1/analytics/campaigns/{id}` per campaign, with bounded concurrency. With `include=daily`
 *   also `GET /v1/analytics/daily/campaigns/{id}` (the vendor defaults it to the last 30 days
 *   when no range is given).
 * - paging: two doc generations. Current: `cursor` + `limit`, next-cursor field undocumented, so
 *   `pagination.nextCursor`, a top-level `nextCursor` and `hasMore` are read; older:
 *   `pagination: {page, limit, total, pages}`, next page is `page=n+1`; neither: the last item's
 *   `_id` is the next cursor while pages come back full. A sparse page (`data: []` while more
 *   pages are indicated) is possible and does not end the walk. Pages are capped (`maxPages`)
 *   and a repeated cursor is an error, never a silently short list.
 * - dates: `from`/`to` take ISO 8601 or a date string; we forward `YYYY-MM-DD` as given (time zone
 *   not documented; assumed UTC).
 * - limits: no number is published ("rate-limit headers on every response"); 429 and 5xx are
 *   retried by the HTTP client, honouring `Retry-After`.
 * - errors: documented as `{"error": "Not Found", "message": "…", "code": 404}` (VENDORS.md
 *   section 7); the HTTP client words them as `HTTP <status>: <error>: <message>`, and keeps the raw
 *   text for a body of another shape. 403 = a workspace key on a platform route or the wrong key type.
 * - numbers: `leads` and `contacted` are in the list items' `stats`, not in the current analytics
 *   reply, so they are lifetime counts whatever the date range (a `date_range_unsupported` warning
 *   says so when a range is asked for); with requested ids the list is skipped and they come from
 *   the analytics reply only where an older reply carries them.
 */
import type { z } from 'zod';
import { linkedController } from '../../abort-hooks';
import { ProviderError, isProviderError } from '../../errors';
import { pathOf, type HttpClient, type QueryValue } from '../../http/client';
import type { CampaignAnalytics } from '../../schema/campaign';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_PAGES,
  FieldIssues,
  RecordValidator,
  isJsonObject,
  issuePath,
  mapBounded,
  parseEnvelope,
  toCount,
  walkCursor,
  withoutKey,
} from '../shared';
import type { AnalyticsQuery, ProbeResult, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import { mapSendkitCampaign, sendkitCampaignName } from './map';
import {
  SendkitAnalyticsEnvelopeSchema,
  SendkitAnalyticsSchema,
  SendkitCursorItemSchema,
  SendkitDailyEnvelopeSchema,
  SendkitDailyRowSchema,
  SendkitListEnvelopeSchema,
  SendkitListItemSchema,
  SendkitStepRowSchema,
  type SendkitDailyRow,
  type SendkitListEnvelope,
  type SendkitListItem,
  type SendkitStepRow,
} from './schema';

export const SENDKIT_LIST_PATH = '/v1/campaigns';
/** Page size asked of `GET /v1/campaigns` (third-party clients use up to 200; 100 is conservative). */
export const SENDKIT_LIST_LIMIT = 100;
/** Platform keys work across workspaces and need `X-Workspace-Id`; workspace keys are `sk_…`. */
export const SENDKIT_PLATFORM_KEY_PREFIX = 'sk_user_';

const CURSOR_TOKEN = 'cursor:';
const PAGE_TOKEN = 'page:';

/** The auth headers: `X-Api-Key`, plus `X-Workspace-Id` for a platform key (and only then). */
export function sendkitHeaders(connection: Pick<ProviderConnection, 'apiKey' | 'vendorWorkspaceId'>): Record<string, string> {
  if (!connection.apiKey.startsWith(SENDKIT_PLATFORM_KEY_PREFIX)) return { 'X-Api-Key': connection.apiKey };
  const workspaceId = connection.vendorWorkspaceId;
  if (workspaceId === undefined || workspaceId.trim() === '') {
    throw new ProviderError({
      provider: 'sendkit',
      code: 'bad_request',
      message:
        'this connection uses a SendKit platform key (sk_user_…), which needs vendorWorkspaceId: SendKit requires X-Workspace-Id on campaign and analytics endpoints',
    });
  }
  return { 'X-Api-Key': connection.apiKey, 'X-Workspace-Id': workspaceId };
}

/** The list query for a walk token: none = the first page; `cursor:<c>`; `page:<n>` (older generation). */
export function sendkitListQuery(token: string | undefined): Record<string, QueryValue> {
  if (token?.startsWith(PAGE_TOKEN)) return { limit: SENDKIT_LIST_LIMIT, page: token.slice(PAGE_TOKEN.length) };
  if (token?.startsWith(CURSOR_TOKEN)) return { limit: SENDKIT_LIST_LIMIT, cursor: token.slice(CURSOR_TOKEN.length) };
  return { limit: SENDKIT_LIST_LIMIT };
}

function asFlag(value: boolean | 'true' | 'false' | null | undefined): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  return value === true || value === 'true';
}

function asCursor(value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value);
  return text === '' ? undefined : text;
}

function lastItemCursor(items: readonly unknown[]): string | undefined {
  const parsed = SendkitCursorItemSchema.safeParse(items[items.length - 1]);
  return parsed.success ? parsed.data._id : undefined;
}

function noCursor(reason: string): ProviderError {
  return new ProviderError({
    provider: 'sendkit',
    code: 'upstream_schema',
    path: 'pagination',
    message: `the campaign list ${reason} but gives no way to ask for the next page; stopped rather than return a short list`,
  });
}

/**
 * The walk token for the page after this one, or undefined when this was the last page.
 * Order (VENDORS.md section 2): `hasMore: false` ends the walk; a next cursor (in `pagination` or
 * at the top level) continues it, an explicit `nextCursor: null` ends it; `hasMore: true` without a
 * cursor continues from the last item's `_id`; the older `{page, pages}` continues while
 * `page < pages`; with no metadata at all a full page continues from the last item's `_id`.
 * A page that says there is more but offers no way to get it is an error, not the end.
 */
export function nextSendkitListToken(envelope: SendkitListEnvelope): string | undefined {
  const pagination = envelope.pagination ?? undefined;
  const hasMore = asFlag(pagination?.hasMore) ?? asFlag(envelope.hasMore);
  if (hasMore === false) return undefined;
  const cursor = asCursor(pagination?.nextCursor) ?? asCursor(envelope.nextCursor);
  if (cursor !== undefined) return CURSOR_TOKEN + cursor;
  if (hasMore === true) {
    const last = lastItemCursor(envelope.data);
    if (last === undefined) throw noCursor('says hasMore');
    return CURSOR_TOKEN + last;
  }
  if (pagination?.nextCursor === null || envelope.nextCursor === null) return undefined;
  const page = toCount(pagination?.page);
  const pages = toCount(pagination?.pages);
  if (page !== null && pages !== null) return page < pages ? PAGE_TOKEN + String(page + 1) : undefined;
  if (envelope.data.length < SENDKIT_LIST_LIMIT) return undefined;
  const last = lastItemCursor(envelope.data);
  if (last === undefined) throw noCursor('page is full');
  return CURSOR_TOKEN + last;
}

interface CallContext {
  connection: ProviderConnection;
  query: AnalyticsQuery;
  http: HttpClient;
  headers: Record<string, string>;
  /** `from`/`to` for the analytics and daily calls (the same for every campaign of a fetch). */
  range: Record<string, QueryValue>;
  /** The caller's signal, also aborted by the fetch itself once one campaign has failed it. */
  signal: AbortSignal;
  /** Values present but unreadable, counted per field path for the whole fetch. */
  issues: FieldIssues;
}

interface ListedCampaign {
  item: SendkitListItem;
  /** The list item as it came; kept only for `include=raw` (a whole list page's items held across
   * thousands of analytics calls cost more in GC than the parsing itself). */
  raw: unknown;
}

/**
 * Every campaign of the account, page by page; bad items are counted by `validator` and left out.
 * `pages` counts the list calls made.
 */
async function listSendkitCampaigns(ctx: CallContext, validator: RecordValidator, pages: { calls: number }): Promise<ListedCampaign[]> {
  const listed = await walkCursor('sendkit', ctx.connection.maxPages ?? DEFAULT_MAX_PAGES, async (token, pageIndex) => {
    pages.calls += 1;
    const response = await ctx.http.getJson({
      path: SENDKIT_LIST_PATH,
      query: sendkitListQuery(token),
      headers: ctx.headers,
      signal: ctx.signal,
      deadlineMs: ctx.query.deadlineMs,
    });
    const envelope = parseEnvelope('sendkit', SendkitListEnvelopeSchema, response.data, 'campaign list reply');
    const items: ListedCampaign[] = [];
    const where = `list.page${pageIndex + 1}.data`;
    for (let index = 0; index < envelope.data.length; index += 1) {
      const raw = envelope.data[index];
      const item = validator.parse(SendkitListItemSchema, raw, where, index);
      if (item) items.push({ item, raw: ctx.query.include.raw ? raw : undefined });
    }
    return { items, next: nextSendkitListToken(envelope) };
  });
  // A campaign that moves while the walk runs can show up on two pages: keep it once.
  const byId = new Map<string, ListedCampaign>();
  for (const campaign of listed) if (!byId.has(campaign.item._id)) byId.set(campaign.item._id, campaign);
  return [...byId.values()];
}

const NO_REJECTIONS: readonly string[] = Object.freeze([]);
const NO_RAW: Readonly<Record<string, unknown>> = Object.freeze({});

/** What `SendkitAnalyticsEnvelopeSchema` accepts: an object whose `data` is an object. */
function isAnalyticsEnvelope(value: unknown): value is { data: Record<string, unknown> } {
  return isJsonObject(value) && isJsonObject(value.data);
}

type CampaignOutcome =
  | { kind: 'ok'; record: CampaignAnalytics; rejected: readonly string[] }
  | { kind: 'invalid'; path: string }
  | { kind: 'not_found'; id: string };

function pathIn(where: string, error: z.ZodError): string {
  const inner = issuePath(error);
  return inner === '(root)' ? where : `${where}.${inner}`;
}

/**
 * `stepStats` rows, validated one by one: a row that is not an object is left out and reported in
 * `rejected` by path; a `stepStats` that is not an array is noted (`analytics.stepStats`) and
 * treated as absent (null).
 */
function sendkitStepRows(value: unknown, where: string, ctx: CallContext, rejected: string[]): SendkitStepRow[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) {
    ctx.issues.note('analytics.stepStats');
    return null;
  }
  const rows: SendkitStepRow[] = [];
  for (const [index, row] of value.entries()) {
    const parsed = SendkitStepRowSchema.safeParse(row);
    if (parsed.success) rows.push(parsed.data);
    else rejected.push(pathIn(`${where}.stepStats.${index}`, parsed.error));
  }
  return rows;
}

/** Daily rows of one campaign; rows that fail their schema are reported in `rejected` by path. */
async function fetchSendkitDaily(ctx: CallContext, id: string, rejected: string[]): Promise<{ rows: SendkitDailyRow[]; raw: unknown[] }> {
  const response = await ctx.http.getJson({
    path: pathOf`/v1/analytics/daily/campaigns/${id}`,
    query: ctx.range,
    headers: ctx.headers,
    signal: ctx.signal,
    deadlineMs: ctx.query.deadlineMs,
  });
  const envelope = parseEnvelope('sendkit', SendkitDailyEnvelopeSchema, response.data, `daily reply for campaign ${id}`);
  const rows: SendkitDailyRow[] = [];
  for (const [index, row] of envelope.data.entries()) {
    const parsed = SendkitDailyRowSchema.safeParse(row);
    if (parsed.success) rows.push(parsed.data);
    else rejected.push(pathIn(`daily.${id}.data.${index}`, parsed.error));
  }
  return { rows, raw: envelope.data };
}

/**
 * One campaign: `GET /v1/analytics/campaigns/{id}` (+ the daily series on request), mapped.
 * A 404 is `not_found` only for requested ids (`tolerateNotFound`); any other failure rejects.
 * A promise chain rather than an async function: one promise per campaign instead of three, which
 * is a measurable share of a 5,000-campaign walk.
 */
function loadSendkitCampaign(
  ctx: CallContext,
  id: string,
  listed: ListedCampaign | undefined,
  tolerateNotFound: boolean,
): Promise<CampaignOutcome> {
  let path: string;
  try {
    path = pathOf`/v1/analytics/campaigns/${id}`;
  } catch {
    // '', '.' and '..' cannot be one path segment, so no campaign can have them as its id.
    return Promise.resolve(tolerateNotFound ? { kind: 'not_found', id } : { kind: 'invalid', path: `analytics.${id}` });
  }
  return ctx.http
    .getJson({ path, query: ctx.range, headers: ctx.headers, signal: ctx.signal, deadlineMs: ctx.query.deadlineMs })
    .then(
      (response) => sendkitCampaignFromReply(ctx, id, listed, response.data),
      (error: unknown): CampaignOutcome => {
        if (tolerateNotFound && isProviderError(error) && error.code === 'not_found') return { kind: 'not_found', id };
        throw error;
      },
    );
}

/** Where a campaign's analytics record sits, for warnings (built only when one is written). */
function analyticsPath(id: string): string {
  return `analytics.${id}.data`;
}

/** One campaign's analytics reply, validated and mapped; the daily series is fetched first when asked for. */
function sendkitCampaignFromReply(
  ctx: CallContext,
  id: string,
  listed: ListedCampaign | undefined,
  data: unknown,
): CampaignOutcome | Promise<CampaignOutcome> {
  // The envelope's one rule (`data` is an object) checked directly, once per campaign; zod only
  // runs to word the failure (5,000 of these in a big tenant's walk).
  const body = isAnalyticsEnvelope(data) ? data.data : parseEnvelope('sendkit', SendkitAnalyticsEnvelopeSchema, data, `analytics reply for campaign ${id}`).data;
  const parsed = SendkitAnalyticsSchema.safeParse(body);
  if (!parsed.success) return { kind: 'invalid', path: pathIn(analyticsPath(id), parsed.error) };
  const analytics = parsed.data;
  const name = sendkitCampaignName(listed?.item, analytics);
  if (name === undefined) return { kind: 'invalid', path: `${analyticsPath(id)}.campaign.name` };
  // Step rows are read only when steps are asked for (about half of a reply's validation work).
  const rejected: string[] = [];
  const steps = ctx.query.include.steps ? sendkitStepRows(analytics.stepStats, analyticsPath(id), ctx, rejected) : null;

  // The replies as they came, only when `include=raw` asks for them (two objects less per campaign).
  const raw: Record<string, unknown> | undefined = ctx.query.include.raw ? { analytics: body } : undefined;
  if (raw && listed?.raw !== undefined) raw.listItem = listed.raw;
  const finish = (daily: SendkitDailyRow[] | undefined): CampaignOutcome => ({
    kind: 'ok',
    record: mapSendkitCampaign(
      ctx.connection,
      { id, name, listItem: listed?.item, analytics, steps, daily, raw: raw ?? NO_RAW },
      ctx.query.include,
      ctx.issues,
    ),
    rejected: rejected.length === 0 ? NO_REJECTIONS : rejected,
  });
  if (!ctx.query.include.daily) return finish(undefined);
  return fetchSendkitDaily(ctx, id, rejected).then((series) => {
    if (raw) raw.daily = series.raw;
    return finish(series.rows);
  });
}

/** The context of one fetch or probe: auth headers, the range, the fetch's own signal (linked to the caller's). */
function callContext(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient, signal: AbortSignal): CallContext {
  const range: Record<string, QueryValue> = { from: query.startDate, to: query.endDate };
  return { connection, query, http, headers: sendkitHeaders(connection), range, signal, issues: new FieldIssues() };
}

/** Said once per fetch when a date range was asked for and the list supplied `leads`/`contacted`. */
const LIFETIME_LEAD_COUNTS: SourceWarning = {
  code: 'date_range_unsupported',
  message:
    'SendKit reports leads and contacted only in the campaign list, which takes no date range: they are lifetime counts, while the other metrics cover the range',
};

/** A fetch under a signal of its own, aborted by the caller's or by the fetch itself (`fetchWith`). */
async function fetchUnredacted(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient): Promise<ProviderResult> {
  const { controller, unlink } = linkedController(query.signal);
  try {
    return await fetchWith(connection, query, http, controller);
  } finally {
    unlink();
  }
}

async function fetchWith(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient, stop: AbortController): Promise<ProviderResult> {
  // One failed campaign fails the fetch: mapBounded starts no further campaign, and the calls in
  // flight are aborted.
  const ctx = callContext(connection, query, http, stop.signal);
  const validator = new RecordValidator();
  const concurrency = connection.concurrency ?? DEFAULT_CONCURRENCY;
  const abort = (): void => stop.abort();
  const outcomes = query.campaignIds
    ? await mapBounded([...new Set(query.campaignIds)], concurrency, (id) => loadSendkitCampaign(ctx, id, undefined, true), abort)
    : await mapBounded(await listSendkitCampaigns(ctx, validator, { calls: 0 }), concurrency, (listed) => loadSendkitCampaign(ctx, listed.item._id, listed, false), abort);

  // Counted in campaign order after the fan-out, so the first failing path does not depend on timing.
  const records: CampaignAnalytics[] = [];
  const missing: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'ok') {
      records.push(outcome.record);
      for (const path of outcome.rejected) validator.reject(path);
    } else if (outcome.kind === 'invalid') {
      validator.reject(outcome.path);
    } else if (outcome.kind === 'not_found') {
      missing.push(outcome.id);
    }
  }
  const warnings: SourceWarning[] = [...validator.warnings(), ...ctx.issues.warnings()];
  if (missing.length > 0) {
    warnings.push({
      code: 'campaign_not_found',
      message: `SendKit has no campaign with id ${missing.join(', ')}`,
      count: missing.length,
    });
  }
  if (!query.campaignIds && records.length > 0 && (query.startDate !== undefined || query.endDate !== undefined)) {
    warnings.push(LIFETIME_LEAD_COUNTS);
  }
  return { records, warnings };
}

export async function fetchSendkitAnalytics(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  http: HttpClient,
): Promise<ProviderResult> {
  try {
    return await fetchUnredacted(connection, query, http);
  } catch (error) {
    throw withoutKey(error, connection.apiKey);
  }
}

/**
 * The cheapest calls that prove a key and host: the campaign list walk (every page, no
 * per-campaign call). Counts the campaigns the list holds; items that fail their schema are left
 * out and reported as `invalid_records`.
 */
export async function probeSendkit(connection: ProviderConnection, http: HttpClient, signal?: AbortSignal): Promise<ProbeResult> {
  const { controller, unlink } = linkedController(signal);
  try {
    const query: AnalyticsQuery = { include: { steps: false, daily: false, raw: false }, signal };
    const ctx = callContext(connection, query, http, controller.signal);
    const validator = new RecordValidator();
    const pages = { calls: 0 };
    const campaigns = await listSendkitCampaigns(ctx, validator, pages);
    return { campaigns: campaigns.length, calls: pages.calls, warnings: validator.warnings() };
  } catch (error) {
    throw withoutKey(error, connection.apiKey);
  } finally {
    unlink();
  }
}

/**
 * Upper bound of upstream calls for one fetch (retries not counted): one analytics call per
 * campaign (two with `include=daily`), plus, when the list is walked, its pages, counting the
 * final page that may come back empty. Sparse pages are bounded only by `maxPages`.
 */
export function estimateSendkitCalls(campaigns: number, query: Pick<AnalyticsQuery, 'include' | 'campaignIds'>): number {
  const perCampaign = query.include.daily ? 2 : 1;
  if (query.campaignIds !== undefined) return new Set(query.campaignIds).size * perCampaign;
  const count = Math.max(0, Math.ceil(campaigns));
  return Math.floor(count / SENDKIT_LIST_LIMIT) + 1 + count * perCampaign;
}
