/** Small, typed query-parameter readers for the simulators (no casts, no surprises). */
import { parseDay, type DayRange } from './data';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

/** The first value of a parameter; an empty value counts as absent. */
export function first(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

/** An integer parameter within `[min, max]`, or `fallback` when absent. */
export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): Parsed<number> {
  const raw = first(query, name);
  if (raw === undefined) return ok(fallback);
  if (!/^-?\d+$/.test(raw)) return fail(`${name} must be integer`);
  const value = Number(raw);
  if (value < min) return fail(`${name} must be >= ${min}`);
  if (value > max) return fail(`${name} must be <= ${max}`);
  return ok(value);
}

/** `true`/`false` (absent = `fallback`). */
export function boolParam(query: URLSearchParams, name: string, fallback: boolean): Parsed<boolean> {
  const raw = first(query, name);
  if (raw === undefined) return ok(fallback);
  if (raw === 'true') return ok(true);
  if (raw === 'false') return ok(false);
  return fail(`${name} must be boolean`);
}

/**
 * A date range from two parameters (`YYYY-MM-DD` or ISO 8601 timestamps, both ends inclusive
 * days). `start > end` is an error.
 */
export function rangeParams(query: URLSearchParams, fromName: string, toName: string): Parsed<DayRange> {
  const fromRaw = first(query, fromName);
  const toRaw = first(query, toName);
  const fromDay = fromRaw === undefined ? undefined : parseDay(fromRaw);
  const toDay = toRaw === undefined ? undefined : parseDay(toRaw);
  if (fromRaw !== undefined && fromDay === undefined) return fail(`${fromName} must be a date (YYYY-MM-DD or ISO 8601)`);
  if (toRaw !== undefined && toDay === undefined) return fail(`${toName} must be a date (YYYY-MM-DD or ISO 8601)`);
  if (fromDay !== undefined && toDay !== undefined && fromDay > toDay) return fail('start after end');
  return ok({ fromDay, toDay });
}

/** The key from `Authorization: Bearer <key>`; undefined when the header is absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const found = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return found?.[1];
}

/** A header's single value (Node joins repeated ones, or gives an array for a few). */
export function headerValue(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  return value[0];
}
