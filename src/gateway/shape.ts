/**
 * Shaping of the analytics answer: sort, keyset paging with an opaque cursor, field
 * selection and grouped totals. Pure functions over the merged, filtered campaign list; the gateway
 * applies them after `totals` are computed, so totals (and groups) always cover the whole filtered
 * set, never just the page.
 *
 * Order. The default order is workspace, provider, name, key; with `sort` it is the sort value
 * (ascending, or descending with a `-` prefix) and then the key, ascending. Nulls sort last in both
 * directions (a campaign whose vendor does not report `opened` is not "the lowest open count").
 * Strings compare by UTF-16 code units (the same in every locale, so a cursor means the same on
 * every host); `status` sorts in lifecycle order (draft, active, paused, completed, archived, error,
 * unknown); `createdAt` by instant. The key is unique, so the order is total and keyset paging
 * returns every campaign exactly once while the underlying data stays the same.
 *
 * Cursor. base64url of `{b, p}`: `p` is the sort position of the last campaign on the page and `b`
 * a hash of the query's filters and sort, so a cursor from another query is refused (400). It is
 * not a secret and not signed: a hand-made cursor only moves the start of the caller's own list.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  CAMPAIGN_STATUSES,
  CampaignAnalyticsSchema,
  METRIC_NAMES,
  RATE_NAMES,
  type CampaignAnalytics,
  type MetricName,
  type RateName,
} from '../schema/campaign';
import type { CampaignSelection, Group, Page } from '../schema/envelope';
import { computeTotals } from '../schema/rates';

/** Top-level fields of CampaignAnalytics, in schema order (`fields=` takes any subset). */
export const CAMPAIGN_FIELDS = CampaignAnalyticsSchema.keyof().options;
export type CampaignField = (typeof CAMPAIGN_FIELDS)[number];

export const SORT_FIELDS = ['name', 'createdAt', 'status', 'averageReplySeconds', ...METRIC_NAMES, ...RATE_NAMES] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export const GROUP_BY_VALUES = ['provider', 'workspace', 'status'] as const;
export type GroupBy = (typeof GROUP_BY_VALUES)[number];

export interface SortSpec {
  field: SortField;
  descending: boolean;
}

/** One value of a sort position; `null` = the campaign does not have it (sorts last). */
export type SortValue = string | number | null;
/** Default order: [workspace, provider, name, key]; with `sort`: [value, key]. */
export type Position = readonly SortValue[];

export interface ShapeRequest {
  /** Page size; undefined = everything after the cursor. */
  limit: number | undefined;
  /** Where the previous page ended (decoded and checked against `binding`). */
  after: Position | undefined;
  /** The cursor as the caller sent it (part of the ETag). */
  cursor: string | undefined;
  sort: SortSpec | undefined;
  fields: CampaignField[] | undefined;
  groupBy: GroupBy | undefined;
  /** Hash of the filters and sort this shape belongs to; every cursor issued carries it. */
  binding: string;
}

export interface ShapedData {
  data: CampaignAnalytics[] | CampaignSelection[];
  groups?: Group[];
  page?: Page;
}

const STATUS_RANK: ReadonlyMap<string, number> = new Map(CAMPAIGN_STATUSES.map((status, rank) => [status, rank]));

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The default order: workspace, provider, name, key. The gateway sorts every answer with it. */
export function compareDefault(a: CampaignAnalytics, b: CampaignAnalytics): number {
  if (a.workspace !== b.workspace) return a.workspace < b.workspace ? -1 : 1;
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return compareStrings(a.key, b.key);
}

/** Nulls last in both directions; numbers numerically, strings by code units. */
export function compareSortValues(a: SortValue, b: SortValue, descending: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const order = typeof a === 'number' && typeof b === 'number' ? a - b : compareStrings(String(a), String(b));
  const sign = order < 0 ? -1 : order > 0 ? 1 : 0;
  return descending ? -sign : sign;
}

/** Compares two positions of the same shape: the first value in the sort direction, the rest ascending. */
export function comparePositions(a: Position, b: Position, descending: boolean): number {
  for (let i = 0; i < a.length; i += 1) {
    const order = compareSortValues(a[i] ?? null, b[i] ?? null, i === 0 && descending);
    if (order !== 0) return order;
  }
  return 0;
}

function metricName(field: SortField): MetricName | undefined {
  return METRIC_NAMES.find((name) => name === field);
}
function rateName(field: SortField): RateName | undefined {
  return RATE_NAMES.find((name) => name === field);
}

/** What a sort field reads from a campaign, resolved once per request rather than per comparison. */
export function sortAccessor(field: SortField): (record: CampaignAnalytics) => SortValue {
  const metric = metricName(field);
  if (metric !== undefined) return (record) => record.metrics[metric];
  const rate = rateName(field);
  if (rate !== undefined) return (record) => record.rates[rate];
  switch (field) {
    case 'name':
      return (record) => record.name;
    case 'status':
      return (record) => STATUS_RANK.get(record.status) ?? null;
    case 'averageReplySeconds':
      return (record) => record.averageReplySeconds;
    default:
      // createdAt: vendors write ISO 8601 with and without milliseconds or offsets; compare instants.
      return (record) => {
        if (record.createdAt === null) return null;
        const ms = Date.parse(record.createdAt);
        return Number.isNaN(ms) ? null : ms;
      };
  }
}

/** Whether a sort field's values are strings (only `name`); every other sort field is numeric. */
function isTextSort(field: SortField): boolean {
  return field === 'name';
}

export function positionFor(sort: SortSpec | undefined): (record: CampaignAnalytics) => Position {
  if (!sort) return (record) => [record.workspace, record.provider, record.name, record.key];
  const value = sortAccessor(sort.field);
  return (record) => [value(record), record.key];
}

// ---------------------------------------------------------------------------------------------
// Cursor

const CursorSchema = z
  .object({
    b: z.string().max(64),
    p: z.array(z.union([z.string().max(5120), z.number(), z.null()])).min(2).max(4),
  })
  .strict();

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/**
 * A default-order cursor carries the campaign name, so it is as long as the name allows: room for
 * names of a few thousand characters (far past any vendor's limit) inside the 8 KB URL the app accepts.
 */
export const MAX_CURSOR_LENGTH = 7168;

/** Hash of the parts of a query a cursor belongs to (filters and sort; lists already canonical). */
export function cursorBinding(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

export function encodeCursor(position: Position, binding: string): string {
  return Buffer.from(JSON.stringify({ b: binding, p: position }), 'utf8').toString('base64url');
}

/** The position a cursor carries, or a message saying why it is refused. */
export function decodeCursor(text: string, binding: string, sort: SortSpec | undefined): { position: Position } | { error: string } {
  const malformed = { error: 'not a cursor issued by this gateway (pass page.nextCursor unchanged)' };
  if (text.length > MAX_CURSOR_LENGTH || !BASE64URL.test(text)) return malformed;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return malformed;
  }
  const parsed = CursorSchema.safeParse(decoded);
  if (!parsed.success) return malformed;
  if (parsed.data.b !== binding) return { error: 'this cursor belongs to another query (the filters and sort must stay the same while paging)' };
  const p = parsed.data.p;
  // The binding covers the sort, so a well-formed cursor has the position shape of this sort; a
  // mismatch can only be hand-made.
  const fits = sort
    ? p.length === 2 && typeof p[1] === 'string' && (p[0] === null || typeof p[0] === (isTextSort(sort.field) ? 'string' : 'number'))
    : p.length === 4 && p.every((value) => typeof value === 'string');
  return fits ? { position: p } : malformed;
}

// ---------------------------------------------------------------------------------------------
// Shaping

function copyField<K extends CampaignField>(target: CampaignSelection, record: CampaignAnalytics, field: K): void {
  const value = record[field];
  if (value !== undefined) target[field] = value;
}

/** Each record reduced to the named top-level fields; `key` is always kept. */
export function selectFields(records: readonly CampaignAnalytics[], fields: readonly CampaignField[]): CampaignSelection[] {
  const wanted = CAMPAIGN_FIELDS.filter((field) => field === 'key' || fields.includes(field));
  return records.map((record) => {
    const out: CampaignSelection = { key: record.key };
    for (const field of wanted) copyField(out, record, field);
    return out;
  });
}

function groupKey(record: CampaignAnalytics, by: GroupBy): string {
  return by === 'provider' ? record.provider : by === 'workspace' ? record.workspace : record.status;
}

/** The order of groups: by key, except status groups in lifecycle order. */
export function groupOrder(by: GroupBy): (a: string, b: string) => number {
  const rank = (key: string): number => (by === 'status' ? (STATUS_RANK.get(key) ?? CAMPAIGN_STATUSES.length) : 0);
  return (a, b) => rank(a) - rank(b) || compareStrings(a, b);
}

/** Totals per group over the whole filtered set; groups in default order (status: lifecycle order). */
export function groupTotals(records: readonly CampaignAnalytics[], by: GroupBy): Group[] {
  const members = new Map<string, CampaignAnalytics[]>();
  for (const record of records) {
    const key = groupKey(record, by);
    const list = members.get(key);
    if (list) list.push(record);
    else members.set(key, [record]);
  }
  return [...members.keys()]
    .sort(groupOrder(by))
    .map((key) => ({ key, totals: computeTotals(members.get(key) ?? []) }));
}

/**
 * The shape (and format) as a string for the ETag, so every variant of an answer has its own. The
 * binding is part of it: `page.nextCursor` carries it, and two queries that select the same
 * campaigns (`workspace_id` omitted or named) still issue different cursors, so an answer cached
 * by ETag must never hand one query's cursor to the other.
 */
export function variantSignature(format: string | undefined, shape: ShapeRequest | undefined): string | undefined {
  if ((format === undefined || format === 'json') && !shape) return undefined;
  return JSON.stringify([format ?? 'json', shape ? [shape.limit, shape.cursor, shape.sort, shape.fields, shape.groupBy, shape.binding] : null]);
}
