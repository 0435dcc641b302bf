/** The list envelope reader and the next-cursor rules, as pure functions (no network). */
import { ProviderError } from '../../../src/errors';
import { KAKIYO_LIST_LIMIT, nextKakiyoCursor, readKakiyoListPage, type KakiyoListPage } from '../../../src/providers/kakiyo/client';

function page(items: number, cursor?: string | null, hasMore?: boolean): KakiyoListPage {
  return {
    items: Array.from({ length: items }, (_, i) => ({ id: `c${i + 1}` })),
    cursor: cursor === undefined ? { present: false, value: undefined } : { present: true, value: cursor ?? undefined },
    hasMore,
  };
}

function schemaError(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('readKakiyoListPage', () => {
  it('accepts a bare array', () => {
    expect(readKakiyoListPage([{ id: 'a' }])).toEqual({ items: [{ id: 'a' }], cursor: { present: false, value: undefined }, hasMore: undefined });
  });

  it.each([
    ['campaigns', { campaigns: [{ id: 'a' }], nextCursor: 'n1' }, 'n1', undefined],
    ['data', { data: [{ id: 'a' }], next_cursor: 7 }, '7', undefined],
    ['items', { items: [{ id: 'a' }], cursor: 'c1', hasMore: true }, 'c1', true],
    ['results', { results: [{ id: 'a' }], after: 'a1', has_more: false }, 'a1', false],
    ['pagination.nextCursor', { data: [{ id: 'a' }], pagination: { nextCursor: 'p1', hasMore: true } }, 'p1', true],
    ['pagination.next_cursor', { data: [{ id: 'a' }], pagination: { next_cursor: 'p2', has_more: false } }, 'p2', false],
    ['pagination.cursor', { data: [{ id: 'a' }], pagination: { cursor: 'p3' } }, 'p3', undefined],
    ['pagination.after', { data: [{ id: 'a' }], pagination: { after: 'p4' } }, 'p4', undefined],
  ])('reads the array and cursor from %s', (_label, body, cursor, hasMore) => {
    expect(readKakiyoListPage(body)).toEqual({ items: [{ id: 'a' }], cursor: { present: true, value: cursor }, hasMore });
  });

  it('takes the first array in the order campaigns, data, items, results', () => {
    expect(readKakiyoListPage({ data: { total: 2 }, items: [{ id: 'i' }], results: [{ id: 'r' }] }).items).toEqual([{ id: 'i' }]);
  });

  it('treats a null or empty cursor as a present "no next page"', () => {
    expect(readKakiyoListPage({ campaigns: [], nextCursor: null }).cursor).toEqual({ present: true, value: undefined });
    expect(readKakiyoListPage({ campaigns: [], pagination: { next_cursor: '' } }).cursor).toEqual({ present: true, value: undefined });
  });

  it('prefers the top-level cursor and hasMore over pagination', () => {
    const read = readKakiyoListPage({ campaigns: [], nextCursor: 'top', hasMore: true, pagination: { nextCursor: 'nested', hasMore: false } });
    expect(read.cursor.value).toBe('top');
    expect(read.hasMore).toBe(true);
  });

  it.each([
    ['an object without an array', { total: 3 }, 'campaigns'],
    ['a string', 'campaigns', '(root)'],
    ['null (an empty body)', null, '(root)'],
    ['a cursor that is an object', { campaigns: [], nextCursor: { id: 'x' } }, 'nextCursor'],
  ])('fails with upstream_schema for %s', (_label, body, path) => {
    const error = schemaError(() => readKakiyoListPage(body));
    expect(error.code).toBe('upstream_schema');
    expect(error.path).toBe(path);
  });
});

describe('nextKakiyoCursor', () => {
  const L = KAKIYO_LIST_LIMIT;

  it('uses 100 as the page size', () => {
    expect(L).toBe(100);
  });

  it.each<[string, KakiyoListPage, string | undefined]>([
    ['hasMore false stops even with a cursor', page(100, 'next', false), undefined],
    ['a cursor is followed on a full page', page(100, 'next'), 'next'],
    ['a cursor is followed on a short page (the vendor may cap the page size)', page(3, 'next'), 'next'],
    ['an empty page with a cursor and no hasMore stops', page(0, 'next'), undefined],
    ['an empty page with a cursor and hasMore true is followed', page(0, 'next', true), 'next'],
    ['a null cursor stops, even on a full page', page(100, null), undefined],
    ['no cursor field and a full page: the last id', page(100), 'c100'],
    ['no cursor field and a short page: stop', page(99), undefined],
    ['no cursor field and an empty page: stop', page(0), undefined],
    ['no cursor field, short page, hasMore true: the last id', page(2, undefined, true), 'c2'],
  ])('%s', (_label, input, expected) => {
    expect(nextKakiyoCursor(input, L)).toBe(expected);
  });

  it('skips trailing items without an id when falling back to the last id', () => {
    const input: KakiyoListPage = { items: [{ id: 'a' }, { id: 42 }, { name: 'no id' }], cursor: { present: false, value: undefined }, hasMore: true };
    expect(nextKakiyoCursor(input, L)).toBe('42');
  });

  it.each<[string, KakiyoListPage]>([
    ['hasMore true with an empty cursor', page(5, null, true)],
    ['hasMore true on an empty page without a cursor', page(0, undefined, true)],
    ['a full page where no item has an id', { items: Array.from({ length: 100 }, () => ({ name: 'x' })), cursor: { present: false, value: undefined }, hasMore: undefined }],
  ])('fails with upstream_schema rather than a short list: %s', (_label, input) => {
    const error = schemaError(() => nextKakiyoCursor(input, L));
    expect(error.code).toBe('upstream_schema');
    expect(error.message).toMatch(/^the campaign list says there are more pages but .+; stopped rather than return a short list$/);
  });
});
