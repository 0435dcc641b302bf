import { z } from 'zod';
import { ProviderError } from '../../src/errors';
import { emptyMetrics } from '../../src/schema/campaign';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_PAGES,
  FieldIssues,
  RecordValidator,
  finishRecord,
  issuePath,
  lowerCaseCounts,
  mapBounded,
  mapStatus,
  parseEnvelope,
  sumCounts,
  toCount,
  toIsoOrNull,
  walkCursor,
  type Page,
  type RecordFields,
} from '../../src/providers/shared';

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('walkCursor', () => {
  function pager(pages: Record<string, Page<number>>): {
    calls: [string | undefined, number][];
    fetch: (cursor: string | undefined, index: number) => Promise<Page<number>>;
  } {
    const calls: [string | undefined, number][] = [];
    return {
      calls,
      fetch: async (cursor, index) => {
        calls.push([cursor, index]);
        const page = pages[cursor ?? '(first)'];
        if (!page) throw new Error(`unexpected cursor ${String(cursor)}`);
        return page;
      },
    };
  }

  it('follows cursors across pages and concatenates in order', async () => {
    const { calls, fetch } = pager({
      '(first)': { items: [1, 2], next: 'c1' },
      c1: { items: [], next: 'c2' },
      c2: { items: [3], next: undefined },
    });
    await expect(walkCursor('sendkit', 10, fetch)).resolves.toEqual([1, 2, 3]);
    expect(calls).toEqual([
      [undefined, 0],
      ['c1', 1],
      ['c2', 2],
    ]);
  });

  it('stops after one page without a next cursor', async () => {
    const { calls, fetch } = pager({ '(first)': { items: [7], next: undefined } });
    await expect(walkCursor('sendkit', 10, fetch)).resolves.toEqual([7]);
    expect(calls).toHaveLength(1);
  });

  it('fails with upstream_schema when the vendor repeats a cursor', async () => {
    const { calls, fetch } = pager({
      '(first)': { items: [1], next: 'a' },
      a: { items: [2], next: 'b' },
      b: { items: [3], next: 'a' },
    });
    const error = await failure(walkCursor('kakiyo', 50, fetch));
    expect(error.code).toBe('upstream_schema');
    expect(error.provider).toBe('kakiyo');
    expect(error.message).toBe('the vendor repeated a pagination cursor after page 3; stopped to avoid a loop');
    expect(calls).toHaveLength(3);
  });

  it('fails at once when a page points to itself', async () => {
    const { calls, fetch } = pager({ '(first)': { items: [1], next: 'same' }, same: { items: [2], next: 'same' } });
    const error = await failure(walkCursor('kakiyo', 50, fetch));
    expect(error.message).toBe('the vendor repeated a pagination cursor after page 2; stopped to avoid a loop');
    expect(calls).toHaveLength(2);
  });

  it('fails with too_many_pages at the cap, never a silently short list', async () => {
    let n = 0;
    const fetch = async (): Promise<Page<number>> => ({ items: [n], next: `c${++n}` });
    const error = await failure(walkCursor('instantly', 3, fetch));
    expect(error.code).toBe('too_many_pages');
    expect(error.message).toBe('the campaign list has more than 3 pages (maxPages); raise it for this connection');
    expect(n).toBe(3);
  });

  it('accepts exactly maxPages pages', async () => {
    const { fetch } = pager({
      '(first)': { items: [1], next: 'a' },
      a: { items: [2], next: 'b' },
      b: { items: [3], next: undefined },
    });
    await expect(walkCursor('instantly', 3, fetch)).resolves.toEqual([1, 2, 3]);
  });

  it('lets a page failure through unchanged', async () => {
    const boom = new ProviderError({ provider: 'sendkit', code: 'rate_limited', message: 'HTTP 429' });
    await expect(walkCursor('sendkit', 5, async () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('has the documented default cap', () => {
    expect(DEFAULT_MAX_PAGES).toBe(200);
    expect(DEFAULT_CONCURRENCY).toBe(4);
  });
});

const RecordSchema = z.object({ id: z.number(), analytics: z.object({ replies: z.number() }) });

describe('RecordValidator', () => {
  it('returns good records and has no warnings when all are good', () => {
    const validator = new RecordValidator();
    expect(validator.parse(RecordSchema, { id: 1, analytics: { replies: 2 } }, 'campaigns.0')).toEqual({ id: 1, analytics: { replies: 2 } });
    expect(validator.warnings()).toEqual([]);
  });

  it('leaves bad records out and names the first failing field path', () => {
    const validator = new RecordValidator();
    const items: unknown[] = [
      { id: 1, analytics: { replies: 2 } },
      { id: 2, analytics: { replies: 'many' } },
      { id: 'three', analytics: { replies: 1 } },
      { id: 4, analytics: { replies: 0 } },
    ];
    const good = items.map((item, i) => validator.parse(RecordSchema, item, `campaigns.${i}`)).filter((r) => r !== undefined);
    expect(good.map((r) => r.id)).toEqual([1, 4]);
    expect(validator.warnings()).toEqual([
      {
        code: 'invalid_records',
        message: '2 vendor record(s) failed validation and were left out; first at campaigns.1.analytics.replies',
        count: 2,
        path: 'campaigns.1.analytics.replies',
      },
    ]);
  });

  it('uses the record path alone when the record itself is the wrong type', () => {
    const validator = new RecordValidator();
    expect(validator.parse(RecordSchema, 'not an object', 'items.5')).toBeUndefined();
    expect(validator.warnings()[0]?.path).toBe('items.5');
  });

  it('counts records rejected elsewhere, keeping the first path', () => {
    const validator = new RecordValidator();
    validator.reject('detail.camp_1');
    validator.parse(RecordSchema, {}, 'campaigns.0');
    validator.reject('detail.camp_9');
    expect(validator.warnings()).toEqual([
      {
        code: 'invalid_records',
        message: '3 vendor record(s) failed validation and were left out; first at detail.camp_1',
        count: 3,
        path: 'detail.camp_1',
      },
    ]);
  });
});

describe('absorbing per-reply counts in list order', () => {
  // Replies mapped as they arrive count into their own validator and issues; absorbed in list
  // order, the warnings are those of parsing and noting everything in list order in one place.
  const items: unknown[] = [{ id: 1, analytics: { replies: 2 } }, { id: 'two', analytics: {} }, {}, { id: 4, analytics: { replies: 'x' } }];
  const notes: string[][] = [['a.x'], [], ['b.y', 'a.x'], ['c.z', 'b.y']];

  it('gives the warnings of one validator and one issues list used in order', () => {
    const inOrder = { validator: new RecordValidator(), issues: new FieldIssues() };
    items.forEach((item, i) => {
      inOrder.validator.parse(RecordSchema, item, `campaigns.${i}`);
      for (const path of notes[i] ?? []) inOrder.issues.note(path);
    });
    const perReply = items.map((item, i) => {
      const counted = { validator: new RecordValidator(), issues: new FieldIssues() };
      counted.validator.parse(RecordSchema, item, `campaigns.${i}`);
      for (const path of notes[i] ?? []) counted.issues.note(path);
      return counted;
    });
    const absorbed = { validator: new RecordValidator(), issues: new FieldIssues() };
    // absorbed in list order whatever order the replies came in
    for (const counted of perReply) {
      absorbed.validator.absorb(counted.validator);
      absorbed.issues.absorb(counted.issues);
    }
    expect(absorbed.validator.warnings()).toEqual(inOrder.validator.warnings());
    expect(absorbed.validator.warnings()[0]).toMatchObject({ count: 3, path: 'campaigns.1.id' });
    expect(absorbed.issues.warnings()).toEqual(inOrder.issues.warnings());
    expect(absorbed.issues.fields()).toEqual({ 'a.x': 2, 'b.y': 2, 'c.z': 1 });
  });
});

describe('parseEnvelope and issuePath', () => {
  const Envelope = z.object({ campaigns: z.array(z.object({ id: z.number() })) });

  it('returns the parsed envelope', () => {
    expect(parseEnvelope('seleqt', Envelope, { campaigns: [{ id: 1 }], extra: true }, 'reply')).toEqual({ campaigns: [{ id: 1 }] });
  });

  it.each<[string, unknown, string]>([
    ['a missing list', { data: [] }, 'campaigns'],
    ['a nested bad field', { campaigns: [{ id: 1 }, { id: 'x' }] }, 'campaigns.1.id'],
    ['a bare array', [{ id: 1 }], '(root)'],
    ['null', null, '(root)'],
  ])('fails %s as upstream_schema at %s', (_label, data, path) => {
    let caught: unknown;
    try {
      parseEnvelope('seleqt', Envelope, data, 'campaign reply');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    if (!(caught instanceof ProviderError)) return;
    expect(caught.code).toBe('upstream_schema');
    expect(caught.path).toBe(path);
    expect(caught.message.startsWith(`unexpected campaign reply shape at ${path}: `)).toBe(true);
  });

  it('issuePath joins the first issue path, or says (root)', () => {
    const nested = Envelope.safeParse({ campaigns: [{ id: 'x' }] });
    expect(nested.success).toBe(false);
    if (!nested.success) expect(issuePath(nested.error)).toBe('campaigns.0.id');
    const root = z.string().safeParse(1);
    if (!root.success) expect(issuePath(root.error)).toBe('(root)');
    expect(issuePath(new z.ZodError([]))).toBe('(root)');
  });
});

describe('mapBounded', () => {
  it('keeps the input order whatever finishes first', async () => {
    const delays = [30, 5, 20, 0, 10];
    const out = await mapBounded(delays, 3, async (ms, i) => {
      await sleep(ms);
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:5', '2:20', '3:0', '4:10']);
  });

  it('never runs more than `limit` at once', async () => {
    let running = 0;
    let peak = 0;
    await mapBounded([...Array(12).keys()], 3, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(5);
      running -= 1;
    });
    expect(peak).toBe(3);
  });

  it('treats a limit below 1 as 1', async () => {
    let running = 0;
    let peak = 0;
    await mapBounded([1, 2, 3], 0, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(2);
      running -= 1;
    });
    expect(peak).toBe(1);
  });

  it('rejects with the first failure and drops the calls still queued', async () => {
    const started: number[] = [];
    const boom = new Error('vendor down');
    const run = mapBounded([...Array(10).keys()], 2, async (i) => {
      started.push(i);
      await sleep(10);
      if (i === 0) throw boom;
      return i;
    });
    await expect(run).rejects.toBe(boom);
    await sleep(60); // anything still queued would have started by now
    // 0 and 1 ran together; 0 failed, so at most the one slot 1 freed could have started.
    expect(started.length).toBeLessThanOrEqual(3);
    expect(started.slice(0, 2)).toEqual([0, 1]);
  });

  it('maps an empty list to an empty list', async () => {
    await expect(mapBounded([], 4, async () => 1)).resolves.toEqual([]);
  });
});

describe('mapStatus', () => {
  const table = { ACTIVE: 'active', DRAFT: 'draft' } as const;
  it.each<[string, string]>([
    ['ACTIVE', 'active'],
    ['DRAFT', 'draft'],
    ['active', 'unknown'], // the table decides case; mapStatus does not fold it
    ['SCHEDULED', 'unknown'],
    ['', 'unknown'],
    ['__proto__', 'unknown'],
    ['constructor', 'unknown'],
    ['toString', 'unknown'],
    ['hasOwnProperty', 'unknown'],
  ])('%p -> %s', (vendor, normalized) => {
    expect(mapStatus(table, vendor)).toBe(normalized);
  });
});

describe('toCount', () => {
  it.each<[number | string | null | undefined, number | null]>([
    [5, 5],
    [0, 0],
    [1.5, 1.5],
    ['12', 12],
    [' 7 ', 7],
    ['0', 0],
    ['', null],
    ['   ', null],
    ['abc', null],
    ['12abc', null],
    [-1, null],
    ['-4', null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [null, null],
    [undefined, null],
  ])('toCount(%p) = %p', (value, expected) => {
    expect(toCount(value)).toBe(expected);
  });
});

describe('sumCounts', () => {
  it.each<[(number | null)[], number | null]>([
    [[], null],
    [[null, null], null],
    [[1, null, 2], 3],
    [[0, null], 0],
    [[45, 25, 30], 100],
  ])('sumCounts(%p) = %p', (values, expected) => {
    expect(sumCounts(...values)).toBe(expected);
  });
});

describe('lowerCaseCounts', () => {
  it('lower-cases keys and drops anything that is not a finite number', () => {
    expect(
      lowerCaseCounts({ Interested: 3, CONTACTED: 5, pending: 0, note: 'x', nan: Number.NaN, inf: Number.POSITIVE_INFINITY, nested: { a: 1 }, nil: null }),
    ).toEqual({ interested: 3, contacted: 5, pending: 0 });
  });

  it.each([null, undefined])('is null for %p', (value) => {
    expect(lowerCaseCounts(value)).toBeNull();
  });

  it('keeps an empty map empty (reported, no states)', () => {
    expect(lowerCaseCounts({})).toEqual({});
  });
});

describe('toIsoOrNull', () => {
  it.each<[string | number | null | undefined, string | null]>([
    ['2025-10-01T08:00:00Z', '2025-10-01T08:00:00.000Z'],
    ['2025-10-01T10:00:00+02:00', '2025-10-01T08:00:00.000Z'],
    ['2025-10-01T08:00:00.123456Z', '2025-10-01T08:00:00.123Z'],
    [0, '1970-01-01T00:00:00.000Z'],
    [1759305600000, '2025-10-01T08:00:00.000Z'],
    ['', null],
    ['not a date', null],
    [null, null],
    [undefined, null],
  ])('toIsoOrNull(%p) = %p', (value, expected) => {
    expect(toIsoOrNull(value)).toBe(expected);
  });
});

describe('finishRecord', () => {
  const fields: RecordFields = {
    id: '42',
    name: 'Spring push',
    status: 'active',
    vendorStatus: 'ACTIVE',
    channels: ['email', 'linkedin'],
    createdAt: null,
    metrics: { ...emptyMetrics(), contacted: 50, replied: 5, linkedinInvitesSent: 10, linkedinInvitesAccepted: 4 },
    averageReplySeconds: 60,
    steps: null,
    daily: null,
    leadStatus: null,
  };
  const connection = { id: 'acme-seleqt', workspace: 'acme' };

  it('adds identity, the key and rates computed from metrics, and no raw unless asked', () => {
    const record = finishRecord('seleqt', connection, fields, { id: 42, secret: 'x' }, false);
    expect(record).toEqual({
      key: 'acme-seleqt:42',
      provider: 'seleqt',
      connection: 'acme-seleqt',
      workspace: 'acme',
      ...fields,
      rates: { openRate: null, clickRate: null, replyRate: 0.1, bounceRate: null, interestedRate: null, inviteAcceptRate: 0.4 },
    });
    expect('raw' in record).toBe(false);
  });

  it('adds a copy of the raw record when asked', () => {
    const raw = { id: 42, extra: { nested: true } };
    const record = finishRecord('seleqt', connection, fields, raw, true);
    expect(record.raw).toEqual(raw);
    expect(record.raw).not.toBe(raw);
  });

  it.each([null, [1, 2], 'text', 5])('leaves raw out when the vendor record %p is not an object', (raw) => {
    expect('raw' in finishRecord('seleqt', connection, fields, raw, true)).toBe(false);
  });
});
