/**
 * Kakiyo client (LinkedIn outreach).
 *
 * Quirks (VENDORS.md section 3, as revised by section 7):
 * - base `https://api.kakiyo.com`, every path under `/v1`; auth `Authorization: Bearer <key>` and
 *   nothing else (https://docs.kakiyo.com/api-reference/introduction).
 * - EVERY call costs the customer one credit ("Every API call consumes 1 credit",
 *   https://docs.kakiyo.com/guides/integrations-api/api-keys-public-api), so this client makes no
 *   call it does not need: no list call when campaign ids are given, ids deduplicated, no page
 *   after a short page, queued calls dropped on the first failure (mapBounded), and 4xx never
 *   retried (http/retry.ts).
 * - list: `GET /v1/campaigns?limit=20&after=<cursor>` (query names, and the page size 20, from the
 *   vendor's own n8n node, `KakiyoAI/kakiyo-n8n-node` `nodes/Kakiyo/Kakiyo.node.ts`; the maximum
 *   `limit` is undocumented and a 400 would cost a credit and fail every fetch). The envelope is
 *   undocumented: a bare array, the array under `campaigns | data | items | results`, or under
 *   `data.campaigns | data.items | data.results` (`{data: {campaigns: […]}}`); the cursor under
 *   `nextCursor | next_cursor | cursor | after` beside the array or under `pagination` (outer
 *   level first, then inside `data`), and `hasMore | has_more` likewise. Rules, in order:
 *     1. `hasMore: false` stops, whatever cursor is there;
 *     2. a cursor field with a value is followed, except after an empty page that does not say
 *        `hasMore: true` (no credit spent on a page that cannot hold anything);
 *        a cursor field that is null or empty stops (the vendor said "no next page");
 *     3. no cursor field: the last item's `id` is the cursor, only when the page is full
 *        (length == limit) or says `hasMore: true`; a short or empty page stops.
 *   `hasMore: true` with no way to build a cursor is `upstream_schema`, never a short list.
 * - analytics: `GET /v1/analytics/campaigns/{campaignId}`
 *   (https://docs.kakiyo.com/api-reference/analytics/campaigns), one call per campaign, at most
 *   `connection.concurrency` in flight. A 404 is a `campaign_not_found` warning (the id was wrong
 *   or the campaign was deleted between the list and its analytics call); any other failure fails
 *   the fetch.
 * - no date parameters: totals are lifetime (`date_range_unsupported` warning); with
 *   `include=daily` the `activity.dailyBreakdown` rows are validated here (a row without a real
 *   `date` is left out and counted in `invalid_records`) and filtered to the range.
 * - probe: the list walk alone (no analytics call), reporting the calls it spent: each is a credit.
 * - limit: 60 requests/minute per endpoint; rate-limit headers undocumented.
 * - errors: `{error: <code>, message}`: 400 validation_error, 401 missing_api_key /
 *   invalid_api_key_format / invalid_api_key, 403 forbidden / subscription_inactive, 404 not_found,
 *   429 rate_limit_exceeded, 500 internal_error.
 */
import { ProviderError, isProviderError } from '../../errors';
import { pathOf, type HttpClient } from '../../http/client';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PAGES, FieldIssues, RecordValidator, isJsonObject, issuePath, mapBounded, parseEnvelope, walkCursor, withoutKey } from '../shared';
import type { AnalyticsQuery, ProbeResult, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import { mapKakiyoCampaign, readNested } from './map';
import {
  KakiyoActivitySchema,
  KakiyoAnalyticsEnvelopeSchema,
  KakiyoCampaignAnalyticsSchema,
  KakiyoDailyRowSchema,
  KakiyoListItemSchema,
  KakiyoListObjectSchema,
  KakiyoWrappedAnalyticsSchema,
  type KakiyoCampaignAnalytics,
  type KakiyoDailyRow,
  type KakiyoListObject,
} from './schema';

export const KAKIYO_LIST_PATH = '/v1/campaigns';
/** Campaigns asked for per list page: the vendor's own n8n node default (the maximum is undocumented). */
export const KAKIYO_LIST_LIMIT = 20;
/** At most this many ids are named in a `campaign_not_found` warning message. */
const MAX_IDS_IN_MESSAGE = 10;

export function kakiyoHeaders(connection: Pick<ProviderConnection, 'apiKey'>): Record<string, string> {
  return { Authorization: `Bearer ${connection.apiKey}` };
}

export function kakiyoAnalyticsPath(campaignId: string): string {
  return pathOf`/v1/analytics/campaigns/${campaignId}`;
}

/**
 * Upstream calls one fetch needs at most: one per wanted id with `campaignIds`; otherwise the list
 * pages (a last page that is exactly full costs one more, empty, page) plus one per campaign.
 * `include` adds nothing: daily rows come with the analytics reply and Kakiyo has no steps.
 * Not counted: retries of one call, and empty "sparse" pages a vendor marks `hasMore: true`.
 */
export function estimateKakiyoCalls(campaigns: number, query: Pick<AnalyticsQuery, 'campaignIds'>): number {
  if (query.campaignIds) return new Set(query.campaignIds).size;
  const count = Math.max(0, Math.floor(campaigns));
  return Math.floor(count / KAKIYO_LIST_LIMIT) + 1 + count;
}

export interface KakiyoListPage {
  items: unknown[];
  /** Whether the reply has a cursor field at all, and its value (undefined when null or empty). */
  cursor: { present: boolean; value: string | undefined };
  hasMore: boolean | undefined;
}

function isUnknownArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function firstPresent(values: readonly (string | number | null | undefined)[]): { present: boolean; value: string | undefined } {
  for (const value of values) {
    if (value === undefined) continue;
    const text = value === null ? '' : String(value);
    return { present: true, value: text === '' ? undefined : text };
  }
  return { present: false, value: undefined };
}

function firstBoolean(values: readonly (boolean | null | undefined)[]): boolean | undefined {
  for (const value of values) if (typeof value === 'boolean') return value;
  return undefined;
}

/**
 * `data` as an inner envelope (`{data: {campaigns: […], nextCursor}}`): when it is an object with an
 * array under `campaigns | items | results`, read with the same schema (a cursor of the wrong type
 * there is `upstream_schema` at `data.<field>`).
 */
function innerPage(envelope: KakiyoListObject): { level: KakiyoListObject; items: unknown[] } | undefined {
  if (!isJsonObject(envelope.data)) return undefined;
  const data = envelope.data;
  const items = [data['campaigns'], data['items'], data['results']].find(isUnknownArray);
  if (items === undefined) return undefined;
  const parsed = KakiyoListObjectSchema.safeParse(data);
  if (!parsed.success) {
    const path = `data.${issuePath(parsed.error)}`;
    throw new ProviderError({
      provider: 'kakiyo',
      code: 'upstream_schema',
      path,
      message: `unexpected campaign list reply shape at ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    });
  }
  return { level: parsed.data, items };
}

/**
 * A page read from its levels, outer first: at each level the fields beside the array, then its
 * `pagination`; the first cursor field present (and the first boolean `hasMore`) wins.
 */
function pageOf(items: unknown[], levels: readonly KakiyoListObject[]): KakiyoListPage {
  const cursors = levels.flatMap((l) => {
    const p = l.pagination;
    return [l.nextCursor, l.next_cursor, l.cursor, l.after, p?.nextCursor, p?.next_cursor, p?.cursor, p?.after];
  });
  const more = levels.flatMap((l) => [l.hasMore, l.has_more, l.pagination?.hasMore, l.pagination?.has_more]);
  return { items, cursor: firstPresent(cursors), hasMore: firstBoolean(more) };
}

function pageOfObject(envelope: KakiyoListObject): KakiyoListPage {
  const items = [envelope.campaigns, envelope.data, envelope.items, envelope.results].find(isUnknownArray);
  if (items) return pageOf(items, [envelope]);
  const inner = innerPage(envelope);
  if (inner) return pageOf(inner.items, [envelope, inner.level]);
  throw new ProviderError({
    provider: 'kakiyo',
    code: 'upstream_schema',
    path: 'campaigns',
    message: 'unexpected campaign list reply shape: no array under campaigns, data, items, results or data.campaigns',
  });
}

/** Reads one list reply in any of the plausible envelopes; anything else is `upstream_schema`. */
export function readKakiyoListPage(body: unknown): KakiyoListPage {
  if (isUnknownArray(body)) return { items: body, cursor: { present: false, value: undefined }, hasMore: undefined };
  return pageOfObject(parseEnvelope('kakiyo', KakiyoListObjectSchema, body, 'campaign list reply'));
}

/** The id of the last item that has one (the `after` cursor when the vendor sends no cursor field). */
function lastItemId(items: readonly unknown[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i -= 1) {
    const parsed = KakiyoListItemSchema.safeParse(items[i]);
    if (parsed.success) return String(parsed.data.id);
  }
  return undefined;
}

function cannotPage(reason: string): ProviderError {
  return new ProviderError({
    provider: 'kakiyo',
    code: 'upstream_schema',
    message: `the campaign list says there are more pages but ${reason}; stopped rather than return a short list`,
  });
}

/** The cursor for the next list page, or undefined when this page was the last (rules in the header). */
export function nextKakiyoCursor(page: KakiyoListPage, limit: number): string | undefined {
  if (page.hasMore === false) return undefined;
  if (page.cursor.present) {
    if (page.cursor.value === undefined) {
      if (page.hasMore === true) throw cannotPage('its cursor is empty');
      return undefined;
    }
    if (page.items.length === 0 && page.hasMore !== true) return undefined;
    return page.cursor.value;
  }
  if (page.hasMore !== true && page.items.length < limit) return undefined;
  const last = lastItemId(page.items);
  if (last === undefined) throw cannotPage('it has no cursor and no item with an id');
  return last;
}

/** Walks the campaign list; returns the distinct ids in list order. Bad items go to `validator`. */
export async function listKakiyoCampaignIds(
  connection: ProviderConnection,
  query: Pick<AnalyticsQuery, 'signal' | 'deadlineMs'>,
  http: HttpClient,
  validator: RecordValidator,
): Promise<string[]> {
  let offset = 0;
  const ids = await walkCursor('kakiyo', connection.maxPages ?? DEFAULT_MAX_PAGES, async (cursor) => {
    const response = await http.getJson({
      path: KAKIYO_LIST_PATH,
      query: { limit: KAKIYO_LIST_LIMIT, after: cursor },
      headers: kakiyoHeaders(connection),
      signal: query.signal,
      deadlineMs: query.deadlineMs,
    });
    const page = readKakiyoListPage(response.data);
    const pageIds: string[] = [];
    page.items.forEach((item, index) => {
      const parsed = validator.parse(KakiyoListItemSchema, item, `campaigns.${offset + index}`);
      if (parsed) pageIds.push(String(parsed.id));
    });
    offset += page.items.length;
    return { items: pageIds, next: nextKakiyoCursor(page, KAKIYO_LIST_LIMIT) };
  });
  return [...new Set(ids)];
}

/**
 * The key and host check: the list walk alone, never an analytics call. Every call is a credit on
 * the customer's account, so the result says how many were spent (retries included).
 */
export async function probeKakiyo(connection: ProviderConnection, http: HttpClient, signal?: AbortSignal): Promise<ProbeResult> {
  const before = http.calls;
  try {
    const validator = new RecordValidator();
    const ids = await listKakiyoCampaignIds(connection, { signal }, http, validator);
    return { campaigns: ids.length, calls: http.calls - before, warnings: validator.warnings() };
  } catch (error) {
    throw withoutKey(error, connection.apiKey);
  }
}

/** The analytics reply's envelope, unwrapping an undocumented `{data: {...}}` wrapper. */
function analyticsEnvelope(body: unknown, campaignId: string): unknown {
  const direct = KakiyoAnalyticsEnvelopeSchema.safeParse(body);
  if (direct.success) return body;
  const wrapped = KakiyoWrappedAnalyticsSchema.safeParse(body);
  const inner = wrapped.success ? wrapped.data.data : body;
  parseEnvelope('kakiyo', KakiyoAnalyticsEnvelopeSchema, inner, `analytics reply for campaign ${campaignId}`);
  return inner;
}

type DetailOutcome = { id: string; found: true; body: unknown } | { id: string; found: false };

async function fetchCampaignAnalytics(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  http: HttpClient,
  id: string,
): Promise<DetailOutcome> {
  // '', '.' and '..' cannot be one path segment (URL parsing would resolve them to another
  // endpoint): no Kakiyo campaign has such an id, so no credit is spent to learn that.
  if (id === '' || id === '.' || id === '..') return { id, found: false };
  try {
    const response = await http.getJson({
      path: kakiyoAnalyticsPath(id),
      headers: kakiyoHeaders(connection),
      signal: query.signal,
      deadlineMs: query.deadlineMs,
    });
    // Checked here, inside the bounded map, so a drifted reply stops the calls still queued.
    return { id, found: true, body: analyticsEnvelope(response.data, id) };
  } catch (error) {
    if (isProviderError(error) && error.code === 'not_found') return { id, found: false };
    throw error;
  }
}

/**
 * `activity.dailyBreakdown` rows when `include=daily` asks for them: each row validated (a bad one
 * is left out and counted at `<where>.activity.dailyBreakdown.<i>`), then kept when inside the
 * query's date range. null when not asked for or not reported; an `activity` that is not an
 * object, or rows that are not an array, are noted in `issues` and read as not reported.
 */
export function kakiyoDailyRows(
  reply: KakiyoCampaignAnalytics,
  where: string,
  query: Pick<AnalyticsQuery, 'include' | 'startDate' | 'endDate'>,
  validator: RecordValidator,
  issues: FieldIssues,
): KakiyoDailyRow[] | null {
  if (!query.include.daily) return null;
  const rows = readNested(KakiyoActivitySchema, reply.activity, 'activity', issues)?.dailyBreakdown;
  if (rows === null || rows === undefined) return null;
  const kept: KakiyoDailyRow[] = [];
  const list = `${where}.activity.dailyBreakdown`;
  rows.forEach((item, index) => {
    const row = validator.parse(KakiyoDailyRowSchema, item, list, index);
    if (row === undefined) return;
    if (query.startDate !== undefined && row.date < query.startDate) return;
    if (query.endDate !== undefined && row.date > query.endDate) return;
    kept.push(row);
  });
  return kept;
}

function notFoundWarning(ids: readonly string[]): SourceWarning {
  const named = ids.slice(0, MAX_IDS_IN_MESSAGE).map((id) => JSON.stringify(id)).join(', ');
  const more = ids.length > MAX_IDS_IN_MESSAGE ? ` and ${ids.length - MAX_IDS_IN_MESSAGE} more` : '';
  return {
    code: 'campaign_not_found',
    message: `Kakiyo has no campaign ${named}${more}`,
    count: ids.length,
  };
}

async function fetchAll(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient): Promise<ProviderResult> {
  const validator = new RecordValidator();
  const issues = new FieldIssues();
  const ids = query.campaignIds ? [...new Set(query.campaignIds)] : await listKakiyoCampaignIds(connection, query, http, validator);
  // mapBounded starts no call after the first failure: every Kakiyo call costs a credit. Each
  // reply is mapped as it arrives, so only its record is kept while the others are fetched (a
  // reply's daily series is most of its bytes); what it counts is absorbed in list order below.
  const outcomes = await mapBounded(ids, connection.concurrency ?? DEFAULT_CONCURRENCY, async (id) => {
    const outcome = await fetchCampaignAnalytics(connection, query, http, id);
    if (!outcome.found) return outcome;
    const counted = { validator: new RecordValidator(), issues: new FieldIssues() };
    const where = `analytics.${id}`;
    const reply = counted.validator.parse(KakiyoCampaignAnalyticsSchema, outcome.body, where);
    const daily = reply ? kakiyoDailyRows(reply, where, query, counted.validator, counted.issues) : null;
    const record = reply ? mapKakiyoCampaign(connection, { id, reply, daily }, query.include, counted.issues) : undefined;
    return { id, found: true as const, record, counted };
  });
  const records = [];
  const missing: string[] = [];
  for (const outcome of outcomes) {
    if (!outcome.found) {
      missing.push(outcome.id);
      continue;
    }
    validator.absorb(outcome.counted.validator);
    issues.absorb(outcome.counted.issues);
    if (outcome.record) records.push(outcome.record);
  }
  const warnings: SourceWarning[] = [...validator.warnings(), ...issues.warnings()];
  if (missing.length > 0) warnings.push(notFoundWarning(missing));
  if (query.startDate !== undefined || query.endDate !== undefined) {
    warnings.push({
      code: 'date_range_unsupported',
      message: 'Kakiyo has no date filter: the numbers are lifetime totals (daily rows are filtered to the range)',
    });
  }
  return { records, warnings };
}

export async function fetchKakiyoAnalytics(
  connection: ProviderConnection,
  query: AnalyticsQuery,
  http: HttpClient,
): Promise<ProviderResult> {
  try {
    return await fetchAll(connection, query, http);
  } catch (error) {
    throw withoutKey(error, connection.apiKey);
  }
}
