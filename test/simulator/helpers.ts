/** Real HTTP calls to a simulator on 127.0.0.1 (global fetch), with the body kept as text. */
import type { VendorSimulator } from '../../src/simulator';

export interface SimResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body (JSON.parse: untyped, as tests want it). */
  json(): Json;
}

export async function get(sim: VendorSimulator, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<SimResponse> {
  const response = await fetch(`${sim.url}${path}`, { headers, ...(signal ? { signal } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: (): unknown => JSON.parse(text) };
}

export const REFERENCE_DATE = '2026-06-30';

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A 40-character Kakiyo-style key. */
export function kakiyoKey(tag: string): string {
  return `k${tag}`.padEnd(40, '0');
}

/** An untyped parsed JSON value (what `JSON.parse` returns), for reading vendor bodies in tests. */
export type Json = ReturnType<typeof JSON.parse>;

/** Sum of a numeric field over rows. */
export function sumOf(rows: readonly Json[], field: string): number {
  return rows.reduce((total: number, row) => total + Number(row[field]), 0);
}

/** A field of every row, as strings (ids, names, dates). */
export function strings(rows: readonly Json[], field: string): string[] {
  return rows.map((row) => String(row[field]));
}

/** A field of every row, as numbers. */
export function numbers(rows: readonly Json[], field: string): number[] {
  return rows.map((row) => Number(row[field]));
}

/** True when every row's `field` starts with `prefix`. */
export function allStartWith(rows: readonly Json[], field: string, prefix: string): boolean {
  return strings(rows, field).every((value) => value.startsWith(prefix));
}

/** True when the text does not parse as JSON. */
export function isBrokenJson(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

/** A JSON string-or-null field (cursors, reply times) as a typed value. */
export function stringOrNull(value: Json): string | null {
  return value === null || value === undefined ? null : String(value);
}
