/**
 * Helpers every provider uses: record-level validation that counts (never hides) bad records,
 * envelope parsing that fails as `upstream_schema`, capped cursor walks, and small coercions.
 */
import type { z } from 'zod';
import { ProviderError, isProviderError, redactSecrets } from '../errors';
import type { CampaignAnalytics, CampaignStatus, ProviderId } from '../schema/campaign';
import { computeRates } from '../schema/rates';
import type { ProviderConnection, SourceWarning } from './types';

export const DEFAULT_MAX_PAGES = 200;
export const DEFAULT_CONCURRENCY = 4;

/** A JSON object (not an array, not null): what vendor envelopes, records and `raw` must be. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The dotted path of a zod issue: `campaigns.3.analytics.amount_of_replies`. */
export function issuePath(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return '(root)';
  return first.path.length === 0 ? '(root)' : first.path.map(String).join('.');
}

/** Parses a whole reply envelope; failure is `upstream_schema` naming the field path. */
export function parseEnvelope<S extends z.ZodType>(provider: ProviderId, schema: S, data: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const path = issuePath(parsed.error);
  throw new ProviderError({
    provider,
    code: 'upstream_schema',
    path,
    message: `unexpected ${what} shape at ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
  });
}

/**
 * Validates records one by one: good ones are returned, bad ones are left out and counted in one
 * `invalid_records` warning that names the first failing field path (`campaigns.3.analytics.amount_of_replies`).
 */
export class RecordValidator {
  private invalid = 0;
  private firstPath: string | undefined;

  /**
   * `where` names the record in the reply, e.g. `campaigns.3`, or with `index` its list and position
   * (`campaigns`, 3: the name is only built for a record that fails); the warning path extends it.
   */
  parse<S extends z.ZodType>(schema: S, value: unknown, where: string, index?: number): z.infer<S> | undefined {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    this.invalid += 1;
    if (this.firstPath === undefined) {
      const record = index === undefined ? where : `${where}.${index}`;
      const inner = issuePath(parsed.error);
      this.firstPath = inner === '(root)' ? record : `${record}.${inner}`;
    }
    return undefined;
  }

  /** Counts a record that failed elsewhere (for example a per-campaign detail call's body). */
  reject(path: string): void {
    this.invalid += 1;
    this.firstPath ??= path;
  }

  /**
   * Adds what `other` counted, as if its records had been parsed here now: a reply mapped as it
   * arrives counts into its own validator, absorbed in list order, so the first path is the same
   * whichever reply came first.
   */
  absorb(other: RecordValidator): void {
    this.invalid += other.invalid;
    this.firstPath ??= other.firstPath;
  }

  warnings(): SourceWarning[] {
    if (this.invalid === 0) return [];
    return [
      {
        code: 'invalid_records',
        message: `${this.invalid} vendor record(s) failed validation and were left out; first at ${this.firstPath ?? '?'}`,
        count: this.invalid,
        path: this.firstPath ?? '?',
      },
    ];
  }
}

export interface Page<T> {
  items: T[];
  /** The cursor for the next page, or undefined when this was the last one. */
  next: string | undefined;
}

/**
 * Walks a cursor-paged list. Stops when `fetchPage` says there is no next cursor; fails with
 * `too_many_pages` when the cap is reached (never a silently short list) and with
 * `upstream_schema` when the vendor repeats a cursor (a loop).
 */
export async function walkCursor<T>(
  provider: ProviderId,
  maxPages: number,
  fetchPage: (cursor: string | undefined, pageIndex: number) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; ; page += 1) {
    if (page >= maxPages) {
      throw new ProviderError({
        provider,
        code: 'too_many_pages',
        message: `the campaign list has more than ${maxPages} pages (maxPages); raise it for this connection`,
      });
    }
    const result = await fetchPage(cursor, page);
    items.push(...result.items);
    if (result.next === undefined) return items;
    if (seen.has(result.next)) {
      throw new ProviderError({
        provider,
        code: 'upstream_schema',
        message: `the vendor repeated a pagination cursor after page ${page + 1}; stopped to avoid a loop`,
      });
    }
    seen.add(result.next);
    cursor = result.next;
  }
}

/**
 * Vendor values that arrived but could not be read, counted per field path: the record is kept
 * with that field null, and the source's `warnings` say so (`invalid_fields`, with every path and
 * its count), so null keeps meaning "the vendor does not report it". Rows that are not data (an
 * Instantly steps row with `step: "null"`) are skipped and counted the same way (`skipped_rows`).
 * Paths are relative to the vendor's record (`stats.sent`, `analytics.amount_of_replies`), so
 * 5,000 campaigns with the same odd field make one entry, not 5,000.
 */
export class FieldIssues {
  private readonly unreadable = new Map<string, number>();
  private readonly skipped = new Map<string, number>();

  /** A value present at `path` that is not what the field holds. */
  note(path: string): void {
    this.unreadable.set(path, (this.unreadable.get(path) ?? 0) + 1);
  }

  /** A row at `path` that is not data and was left out of the series it belongs to. */
  skipRow(path: string): void {
    this.skipped.set(path, (this.skipped.get(path) ?? 0) + 1);
  }

  /** Adds what `other` noted, as if noted here now (see `RecordValidator.absorb`). */
  absorb(other: FieldIssues): void {
    for (const [path, n] of other.unreadable) this.unreadable.set(path, (this.unreadable.get(path) ?? 0) + n);
    for (const [path, n] of other.skipped) this.skipped.set(path, (this.skipped.get(path) ?? 0) + n);
  }

  /** Noted paths with their counts (tests and the probe read them). */
  fields(): Record<string, number> {
    return Object.fromEntries(this.unreadable);
  }

  warnings(): SourceWarning[] {
    const out: SourceWarning[] = [];
    if (this.unreadable.size > 0) out.push(tallyWarning('invalid_fields', this.unreadable, 'value(s) present but unreadable, mapped as null'));
    if (this.skipped.size > 0) out.push(tallyWarning('skipped_rows', this.skipped, 'row(s) that are not data, skipped'));
    return out;
  }
}

function tallyWarning(code: 'invalid_fields' | 'skipped_rows', tally: ReadonlyMap<string, number>, what: string): SourceWarning {
  let count = 0;
  for (const n of tally.values()) count += n;
  const list = [...tally].map(([path, n]) => `${path} (${n})`).join(', ');
  const first = tally.keys().next().value as string;
  return { code, message: `${count} ${what}: ${list}`, count, path: first, fields: Object.fromEntries(tally) };
}

/**
 * A vendor count: a finite number ≥ 0, or a string that writes one (`"42"`). Absent, null and ''
 * are "not reported" (null). Anything else present (`"lots"`, `{}`, `-3`, `"1e400"`, `true`) is
 * null too, and noted at `path` in `issues`.
 */
export function readCount(value: unknown, path: string, issues: FieldIssues): number | null {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    issues.note(path);
    return null;
  }
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (value.trim() === '') return null;
    const n = Number(value);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  issues.note(path);
  return null;
}

/**
 * `readCount` of the value at `<prefix>.<field>`: the path is only written out when the value is
 * noted (a count-by-name walk over 5,000 campaigns builds no string for a readable count).
 */
export function readCountAt(value: unknown, prefix: string, field: string, issues: FieldIssues): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  return readCount(value, `${prefix}.${field}`, issues);
}

/** A vendor timestamp normalized to ISO; absent/null/'' is null, a value that is not a date is null and noted. */
export function readIso(value: unknown, path: string, issues: FieldIssues): string | null {
  if (value === null || value === undefined || value === '') return null;
  const iso = typeof value === 'string' || typeof value === 'number' ? toIsoOrNull(value) : null;
  if (iso === null) issues.note(path);
  return iso;
}

/** A vendor status as the text `vendorStatus` shows: '' when absent, numbers as their digits. */
export function vendorStatusOf(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

/** Ascending by `date` (`YYYY-MM-DD` strings order as text), in place; the array is returned. */
export function sortByDate<T extends { date: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** A vendor count as a number, or null when absent; numeric strings are accepted. */
export function toCount(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  // Number('') is 0, but an empty string reports nothing: null, not zero.
  if (typeof value === 'string' && value.trim() === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Sum of counts where at least one is reported; null when none is. */
export function sumCounts(...values: readonly (number | null)[]): number | null {
  let total: number | null = null;
  for (const value of values) if (value !== null) total = (total ?? 0) + value;
  return total;
}

/** Lower-cases the keys of a count map (the `leadStatus` shape), dropping non-numbers. */
export function lowerCaseCounts(record: Readonly<Record<string, unknown>> | null | undefined): Record<string, number> | null {
  if (!record) return null;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) if (typeof value === 'number' && Number.isFinite(value)) out[key.toLowerCase()] = value;
  return out;
}

/** `2026-01-31T12:00:00.000Z`: what `Date.prototype.toISOString` returns for years 0–9999. */
const CANONICAL_ISO = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** The number written by the ASCII digits `value[start..end)` (already checked to be digits). */
function digitsAt(value: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i += 1) n = n * 10 + (value.charCodeAt(i) - 48);
  return n;
}

/** True when `value` is exactly what toISOString would make of it (a real day of its month). */
function isCanonicalIso(value: string): boolean {
  if (!CANONICAL_ISO.test(value)) return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 7);
  const day = digitsAt(value, 8, 10);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

/** An ISO timestamp string normalized through Date, or null when absent or unparseable. */
export function toIsoOrNull(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  // Already normalized: kept as it is (a Date round trip per campaign is a measurable share of
  // mapping a 20,000-campaign tenant). Anything else, a rolled-over day included, goes
  // through Date as before.
  if (typeof value === 'string' && isCanonicalIso(value)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Runs `fn` over items with at most `limit` in flight; results keep the input order. The first
 * failure rejects and drops the calls still queued, so a failing vendor is not called for every
 * remaining campaign. `limit` workers take the next item from one shared index (no promise or
 * closure per queued item: a 5,000-campaign walk allocates less).
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => R | Promise<R>,
  /** Called once, at the first failure, before any other item starts (e.g. to abort calls in flight). */
  onFailure?: (error: unknown) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        if (!failed) {
          failed = true;
          onFailure?.(error);
        }
        throw error;
      }
    }
  };
  const workers = Math.min(Math.max(1, limit), Math.max(1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

/** Maps a vendor status through a table; anything not in it is `unknown` (never a failure). */
export function mapStatus(table: Readonly<Record<string, CampaignStatus>>, vendorStatus: string): CampaignStatus {
  return Object.prototype.hasOwnProperty.call(table, vendorStatus) ? (table[vendorStatus] ?? 'unknown') : 'unknown';
}

export type RecordFields = Omit<CampaignAnalytics, 'key' | 'provider' | 'connection' | 'workspace' | 'rates' | 'raw'>;

/** Completes a mapped record: identity fields, the `key`, rates computed from metrics, `raw` on request. */
export function finishRecord(
  provider: ProviderId,
  connection: Pick<ProviderConnection, 'id' | 'workspace'>,
  fields: RecordFields,
  raw: unknown,
  includeRaw: boolean,
): CampaignAnalytics {
  // Every field written out rather than spread: the same record, one copy loop less per campaign
  //, and a field added to the model is a compile error here until it is set.
  const record: CampaignAnalytics = {
    key: `${connection.id}:${fields.id}`,
    id: fields.id,
    provider,
    connection: connection.id,
    workspace: connection.workspace,
    name: fields.name,
    status: fields.status,
    vendorStatus: fields.vendorStatus,
    channels: fields.channels,
    createdAt: fields.createdAt,
    metrics: fields.metrics,
    rates: computeRates(fields.metrics),
    averageReplySeconds: fields.averageReplySeconds,
    steps: fields.steps,
    daily: fields.daily,
    leadStatus: fields.leadStatus,
  };
  if (includeRaw && isJsonObject(raw)) record.raw = { ...raw };
  return record;
}

/**
 * The same error with the connection's key removed from its message. Defence in depth: the HTTP
 * client already removes configured secrets from vendor text, but a provider must not rely on how
 * its client was built.
 */
export function withoutKey(error: unknown, apiKey: string): unknown {
  if (!isProviderError(error) || !error.message.includes(apiKey)) return error;
  return new ProviderError({
    provider: error.provider,
    code: error.code,
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    path: error.path,
    message: redactSecrets(error.message, [apiKey]),
  });
}
