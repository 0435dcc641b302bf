/**
 * Kakiyo client (LinkedIn outreach).
 *
 * Quirks (VENDORS.md section 3):
 * - base `https://api.kakiyo.com`, every path under `/v1`; auth `Authorization: Bearer <key>` and
 *   nothing else (https://docs.kakiyo.com/api-reference/introduction).
 * - EVERY call costs the customer one credit ("Every API call consumes 1 credit",
 *   https://docs.kakiyo.com/guides/integrations-api/api-keys-public-api), so this client makes no
 *   call it does not need: no list call when campaign ids are given, ids deduplicated, no page
 *   after a short page, queued calls dropped on the first failure (mapBounded), and 4xx never
 *   retried (http/retry.ts).
 * - list: `GET /v1/campaigns?limit=100&after=<cursor>` (query names from the vendor's n8n node,
 *   `KakiyoAI/kakiyo-n8n-node` `nodes/Kakiyo/Kakiyo.node.ts`). The envelope is undocumented: a bare
 *   array, or the array under `campaigns | data | items | results`; the cursor under
 *   `nextCursor | next_cursor | cursor | after` at the top level or under `pagination`, and
 *   `hasMore | has_more` likewise. Rules, in order:
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
 * - no date parameters: totals are lifetime (`date_range_unsupported` warning); daily rows are
 *   filtered to the range here.
 * - limit: 60 requests/minute per endpoint; rate-limit headers undocumented.
 * - errors: `{error: <code>, message}`: 400 validation_error, 401 missing_api_key /
 *   invalid_api_key_format / invalid_api_key, 403 forbidden / subscription_inactive, 404 not_found,
 *   429 rate_limit_exceeded, 500 internal_error.
 */
import { ProviderError, isProviderError } from '../../errors';
import { pathOf, type HttpClient } from '../../http/client';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_PAGES, RecordValidator, mapBounded, parseEnvelope, walkCursor, withoutKey } from '../shared';
import type { AnalyticsQuery, ProviderConnection, ProviderResult, SourceWarning } from '../types';
import { mapKakiyoCampaign } from './map';
import {
  KakiyoAnalyticsEnvelopeSchema,
  KakiyoCampaignAnalyticsSchema,
  KakiyoListItemSchema,
  KakiyoListObjectSchema,
  KakiyoWrappedAnalyticsSchema,
  type KakiyoListObject,
} from './schema';

export const KAKIYO_LIST_PATH = '/v1/campaigns';
/** Campaigns asked for per list page (fewer pages = fewer credits). */
export const KAKIYO_LIST_LIMIT = 100;
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

function pageOfObject(envelope: KakiyoListObject): KakiyoListPage {
  const items = [envelope.campaigns, envelope.data, envelope.items, envelope.results].find(isUnknownArray);
  if (!items) {
    throw new ProviderError({
      provider: 'kakiyo',
      code: 'upstream_schema',
      path: 'campaigns',
      message: 'unexpected campaign list reply shape: no array under campaigns, data, items or results',
    });
  }
  const p = envelope.pagination;
  return {
    items,
    cursor: firstPresent([
      envelope.nextCursor,
      envelope.next_cursor,
      envelope.cursor,
      envelope.after,
      p?.nextCursor,
      p?.next_cursor,
      p?.cursor,
      p?.after,
    ]),
    hasMore: firstBoolean([envelope.hasMore, envelope.has_more, p?.hasMore, p?.has_more]),
  };
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
  const ids = query.campaignIds ? [...new Set(query.campaignIds)] : await listKakiyoCampaignIds(connection, query, http, validator);
  // mapBounded starts no call after the first failure: every Kakiyo call costs a credit.
  const outcomes = await mapBounded(ids, connection.concurrency ?? DEFAULT_CONCURRENCY, (id) => fetchCampaignAnalytics(connection, query, http, id));
  const records = [];
  const missing: string[] = [];
  for (const outcome of outcomes) {
    if (!outcome.found) {
      missing.push(outcome.id);
      continue;
    }
    const where = `analytics.${outcome.id}`;
    const reply = validator.parse(KakiyoCampaignAnalyticsSchema, outcome.body, where);
    if (!reply) continue;
    records.push(
      mapKakiyoCampaign(connection, outcome.id, reply, {
        include: query.include,
        startDate: query.startDate,
        endDate: query.endDate,
        onInvalidRow: (path) => validator.reject(`${where}.${path}`),
      }),
    );
  }
  const warnings: SourceWarning[] = validator.warnings();
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
