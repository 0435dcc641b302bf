/**
 * Shortcuts taken for big tenants (issue 6) give exactly what the general path gives.
 */
import { z } from 'zod';
import { FieldIssues, RecordValidator, mapBounded, readCount, readCountAt, toIsoOrNull } from '../../src/providers/shared';

function throughDate(value: string | number): string | null {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

describe('toIsoOrNull', () => {
  const inputs: (string | number)[] = [
    '2026-03-14T09:26:53.000Z', // already normalized: kept as it is
    '2024-02-29T23:59:59.999Z', // a leap day
    '2000-02-29T00:00:00.000Z', // leap (divisible by 400)
    '1900-02-29T00:00:00.000Z', // not leap (divisible by 100): Date rolls it over
    '2026-02-29T10:00:00.000Z', // not leap: rolled over to March 1st
    '2026-04-31T00:00:00.000Z', // no April 31st: rolled over
    '2026-02-30T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z', // no month 13: invalid
    '2026-03-14T24:00:00.000Z', // hour 24: Date's business
    '2026-03-14T09:26:53Z', // no milliseconds
    '2026-03-14T09:26:53.000+02:00', // an offset
    '2026-03-14', // a day
    '0000-01-01T00:00:00.000Z',
    1_700_000_000_000,
    'not a date',
  ];

  it.each(inputs)('%s: the same as a Date round trip', (input) => {
    expect(toIsoOrNull(input)).toBe(throughDate(input));
  });

  it('keeps absent values null', () => {
    expect(toIsoOrNull(null)).toBeNull();
    expect(toIsoOrNull(undefined)).toBeNull();
    expect(toIsoOrNull('')).toBeNull();
  });
});

describe('mapBounded onFailure', () => {
  it('is called once, at the first failure, before any further item starts', async () => {
    const started: number[] = [];
    const failures: unknown[] = [];
    const run = mapBounded(
      [0, 1, 2, 3, 4, 5],
      2,
      async (item) => {
        started.push(item);
        await new Promise((resolve) => setTimeout(resolve, item === 1 ? 1 : 20));
        if (item === 1 || item === 0) throw new Error(`boom ${item}`);
        return item;
      },
      (error) => failures.push(error),
    );
    await expect(run).rejects.toThrow('boom 1');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(failures).toEqual([new Error('boom 1')]);
    expect(started).toEqual([0, 1]);
  });

  it('takes plain values as well as promises', async () => {
    await expect(mapBounded([1, 2, 3], 2, (n) => n * 2)).resolves.toEqual([2, 4, 6]);
  });
});

describe('readCountAt', () => {
  const values: unknown[] = [0, 7, 2.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '42', ' 3 ', '', 'lots', '1e400', null, undefined, true, {}, []];
  it.each(values.map((value) => [value]))('reads %p as readCount does, noting the same path', (value) => {
    const general = new FieldIssues();
    const shortcut = new FieldIssues();
    expect(readCountAt(value, 'analytics.stats', 'sent', shortcut)).toEqual(readCount(value, 'analytics.stats.sent', general));
    expect(shortcut.fields()).toEqual(general.fields());
  });
});

describe('RecordValidator.parse with an index', () => {
  const Schema = z.object({ id: z.string() });
  it('names a failing record as the general path does', () => {
    const general = new RecordValidator();
    const shortcut = new RecordValidator();
    const items: unknown[] = [{ id: 'a' }, { id: 2 }, 'not an object'];
    items.forEach((item, index) => {
      expect(shortcut.parse(Schema, item, 'analytics', index)).toEqual(general.parse(Schema, item, `analytics.${index}`));
    });
    expect(shortcut.warnings()).toEqual(general.warnings());
    expect(shortcut.warnings()[0]?.path).toBe('analytics.1.id');
  });
  it('uses the record path alone when the record is the wrong type', () => {
    const validator = new RecordValidator();
    validator.parse(Schema, 'x', 'campaigns', 4);
    expect(validator.warnings()[0]?.path).toBe('campaigns.4');
  });
});
