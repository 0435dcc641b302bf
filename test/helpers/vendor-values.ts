/**
 * Generated vendor values for the property tests of every provider: a count field may hold the
 * vendor's number (or a numeric string of it), nothing (absent, null, ''), or garbage that is
 * present but unreadable. `expectCount` states the rule the mappers must keep: the normalized value
 * is the vendor's number, or null because the vendor sent nothing, or null with the field's path
 * counted in an `invalid_fields` warning.
 */
import fc from 'fast-check';
import type { SourceWarning } from '../../src/providers/types';

/** Present but unreadable: never a count, whatever the mapper does with it. */
export const GARBAGE_COUNTS: readonly unknown[] = ['lots', {}, [], -3, -0.5, '-1', '1e400', 'NaN', true, false, '12 leads', { value: 3 }];

/** A sentinel that the record builders drop, so the field is absent from the JSON. */
export const ABSENT = Symbol('absent');

/** A count as vendors send it: mostly numbers, sometimes numeric strings, nothing, or garbage. */
export const vendorCount: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 1_000_000 }) },
  { weight: 1, arbitrary: fc.nat({ max: 1_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, ABSENT, '') },
  { weight: 2, arbitrary: fc.constantFrom(...GARBAGE_COUNTS) },
);

/** What the mapper must make of a vendor count: its number, or null (`garbage` says whether a warning is due). */
export function expectedCount(value: unknown): { value: number | null; garbage: boolean } {
  if (value === ABSENT || value === null || value === undefined || value === '') return { value: null, garbage: false };
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? { value, garbage: false } : { value: null, garbage: true };
  if (typeof value === 'string') {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) && n >= 0 ? { value: n, garbage: false } : { value: null, garbage: true };
  }
  return { value: null, garbage: true };
}

/** Sets `key` on `target` unless the value is the ABSENT sentinel. */
export function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== ABSENT) target[key] = value;
}

/** The `fields` of the source's `invalid_fields` warning ({} when there is none). */
export function invalidFields(warnings: readonly SourceWarning[]): Record<string, number> {
  return warnings.find((warning) => warning.code === 'invalid_fields')?.fields ?? {};
}

/**
 * The rule for one metric: `actual` is the vendor's number; or null because the vendor sent
 * nothing; or null with `path` named in the `invalid_fields` warning.
 */
export function expectCount(actual: number | null, vendorValue: unknown, path: string, warnings: readonly SourceWarning[]): void {
  const expected = expectedCount(vendorValue);
  expect({ path, value: actual }).toEqual({ path, value: expected.value });
  if (expected.garbage) expect({ path, named: (invalidFields(warnings)[path] ?? 0) > 0 }).toEqual({ path, named: true });
}
