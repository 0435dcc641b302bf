/** Real HTTP calls to a simulator on 127.0.0.1 (global fetch), with the body kept as text. */
import type { VendorSimulator } from '../../src/simulator';

export interface SimResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body (JSON.parse: untyped, as tests want it). */
  json(): ReturnType<typeof JSON.parse>;
}

export async function get(sim: VendorSimulator, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<SimResponse> {
  const response = await fetch(`${sim.url}${path}`, { headers, ...(signal ? { signal } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

export const REFERENCE_DATE = '2026-06-30';

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A 40-character Kakiyo-style key. */
export function kakiyoKey(tag: string): string {
  return `k${tag}`.padEnd(40, '0');
}

/** An untyped parsed JSON value (what `JSON.parse` returns), for reading vendor bodies in tests. */
export type Json = ReturnType<typeof JSON.parse>;
