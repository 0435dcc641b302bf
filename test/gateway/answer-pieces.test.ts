/**
 * Answers built from per-source pieces (src/gateway/answer-pieces.ts) against the way they were
 * built before (reference-answer.ts: merge, filter, sort, total, shape and serialize per request):
 * the same bytes for many queries, paging over a big agency returns every campaign once, and the
 * totals are the sums of the rows.
 */
import fc from 'fast-check';
import { contentPieces, LINES_CHUNK_BYTES, LINES_POOL_SIZE, linesChunkWritten, Selection, viewOf, type SelectionSource } from '../../src/gateway/answer-pieces';
import { parseAnalyticsQuery } from '../../src/gateway/request';
import { SORT_FIELDS } from '../../src/gateway/shape';
import { finishRecord } from '../../src/providers/shared';
import { CAMPAIGN_STATUSES, METRIC_NAMES, PROVIDER_IDS, emptyMetrics, type CampaignAnalytics, type CampaignStatus, type ProviderId } from '../../src/schema/campaign';
import { referenceContentJson, referenceTotals, type ReferenceQuery } from './reference-answer';

/** A deterministic pseudo-random generator. */
function lcg(seed: number): () => number {
  let state = seed % 2147483648;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

interface SourceSpec {
  workspace: string;
  provider: ProviderId;
  connection: string;
  records: CampaignAnalytics[];
}

/** One source's campaigns, in vendor order (not sorted): few names and values, nulls, unicode, quotes. */
function sourceOf(workspace: string, provider: ProviderId, connection: string, count: number, random: () => number, fractional: boolean): SourceSpec {
  const names = ['Alpha', 'beta', 'Ünïcödé "q"', 'Zeta\u2028line', 'alpha', 'Campaign 10', 'Campaign 9'];
  const maybe = (max: number): number | null => (random() < 0.2 ? null : Math.floor(random() * max));
  const records = Array.from({ length: count }, (_, n) => {
    const status: CampaignStatus = CAMPAIGN_STATUSES[Math.floor(random() * CAMPAIGN_STATUSES.length)] ?? 'active';
    const contacted = maybe(500);
    const metrics = {
      ...emptyMetrics(),
      leads: maybe(1000),
      contacted,
      sent: maybe(2000),
      opened: maybe(400),
      replied: contacted === null ? null : Math.floor(random() * (contacted + 1)),
      bounced: maybe(30),
      interested: maybe(20),
      opportunityValue: fractional && random() < 0.5 ? Math.round(random() * 100000) / 100 : maybe(5000),
    };
    return finishRecord(
      provider,
      { id: connection, workspace },
      {
        id: `c${Math.floor(random() * 1e9)}x${n}`,
        name: names[Math.floor(random() * names.length)] ?? 'x',
        status,
        vendorStatus: status.toUpperCase(),
        channels: ['email'],
        createdAt: random() < 0.2 ? null : new Date(Date.UTC(2026, 0, 1 + Math.floor(random() * 40), Math.floor(random() * 24))).toISOString(),
        metrics,
        averageReplySeconds: maybe(100_000),
        steps: null,
        daily: null,
        leadStatus: null,
      },
      {},
      false,
    );
  });
  return { workspace, provider, connection, records };
}

/** An agency: workspaces × vendors, sometimes two connections of one vendor in a workspace. */
function agency(seed: number, workspaces: number, perSource: number, fractional = false): SourceSpec[] {
  const random = lcg(seed);
  const sources: SourceSpec[] = [];
  for (let w = 0; w < workspaces; w += 1) {
    const workspace = `client-${String((w * 7) % workspaces).padStart(3, '0')}`;
    for (const provider of PROVIDER_IDS) {
      sources.push(sourceOf(workspace, provider, `${workspace}-${provider}`, Math.floor(random() * perSource), random, fractional));
      if (random() < 0.15) sources.push(sourceOf(workspace, provider, `${workspace}-${provider}-2`, Math.floor(random() * perSource), random, fractional));
    }
  }
  return sources;
}

function selectionOf(sources: readonly SourceSpec[], query: ReferenceQuery): Selection {
  const selected: SelectionSource[] = sources.map((s) => ({ view: viewOf(s.records), workspace: s.workspace, provider: s.provider }));
  return new Selection(selected, { statuses: query.statuses ? new Set(query.statuses) : undefined, ids: query.ids ? new Set(query.ids) : undefined });
}

/** The content's JSON as the pieces make it (the prefix plus the closing brace). */
function piecesJson(sources: readonly SourceSpec[], query: ReferenceQuery): string {
  const body = contentPieces(selectionOf(sources, query).shaped(query.shape));
  const whole = Buffer.concat(body.pieces);
  expect(whole.length).toBe(body.bytes);
  return `${whole.toString('utf8')}}`;
}

/** A query through the real parser (as a caller writes it). */
function queryOf(parameters: Record<string, string>): ReferenceQuery {
  const request = parseAnalyticsQuery(parameters);
  return { statuses: request.statuses, ids: request.ids, shape: request.shape };
}

describe('answers from per-source pieces', () => {
  const sources = agency(11, 12, 30);
  const keys = sources.flatMap((s) => s.records.map((r) => r.key));

  test('the default answer is byte-identical to the merged, sorted, serialized one', () => {
    expect(piecesJson(sources, {})).toBe(referenceContentJson(sources.map((s) => s.records), {}));
    expect(piecesJson([], {})).toBe(referenceContentJson([], {}));
  });

  test('property: byte-identical for any filter, sort, page, cursor, fields and grouping', () => {
    const parameters = fc.record(
      {
        status: fc.subarray([...CAMPAIGN_STATUSES], { minLength: 1 }).map((list) => list.join(',')),
        sort: fc.constantFrom(...SORT_FIELDS.flatMap((field) => [field, `-${field}`])),
        limit: fc.integer({ min: 1, max: 150 }).map(String),
        fields: fc.subarray(['name', 'status', 'metrics', 'rates', 'createdAt'], { minLength: 1 }).map((list) => list.join(',')),
        group_by: fc.constantFrom('provider', 'workspace', 'status'),
        ids: fc.subarray(keys.slice(0, 60), { minLength: 1, maxLength: 40 }).map((list) => list.join(',')),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(parameters, fc.integer({ min: 0, max: 3 }), (given, pages) => {
        let query = queryOf(given);
        // Page on a few times with the cursor each answer hands out: cursors in the middle too.
        for (let page = 0; ; page += 1) {
          const expected = referenceContentJson(sources.map((s) => s.records), query);
          expect(piecesJson(sources, query)).toBe(expected);
          const next = (JSON.parse(expected) as { page?: { nextCursor: string | null } }).page?.nextCursor;
          if (!next || page >= pages) break;
          query = queryOf({ ...given, cursor: next });
        }
      }),
      { numRuns: 150 },
    );
  });

  test('fractional values (sums that would round differently merged) fall back to one pass and stay identical', () => {
    const fractional = agency(5, 6, 25, true);
    for (const parameters of [{}, { group_by: 'status' }, { group_by: 'provider', status: 'active,paused' }, { sort: '-opportunityValue', limit: '7' }]) {
      const query = queryOf(parameters);
      expect(piecesJson(fractional, query)).toBe(referenceContentJson(fractional.map((s) => s.records), query));
    }
  });

  test('NDJSON lines from the pieces are the JSON of each campaign of the page, in order', () => {
    const query = queryOf({ sort: '-replyRate', status: 'active,paused', limit: '40' });
    const shaped = selectionOf(sources, query).shaped(query.shape);
    const text = Buffer.concat([...shaped.ndjson()]).toString('utf8');
    expect(text).toBe(shaped.data.map((record) => `${JSON.stringify(record)}\n`).join(''));
  });

  test('NDJSON in the default order (runs of each view copied at once) is the JSON of each campaign, with or without a filter or limit', () => {
    for (const parameters of [{}, { status: 'active,paused' }, { limit: '13' }, { status: 'paused', limit: '5' }, { sort: 'name' }]) {
      const query = queryOf(parameters);
      const shaped = selectionOf(sources, query).shaped(query.shape);
      const expected = shaped.data.map((record) => `${JSON.stringify(record)}\n`).join('');
      expect(Buffer.concat([...shaped.ndjson()]).toString('utf8')).toBe(expected);
    }
  });
});

describe('a big agency', () => {
  // 200 workspaces × 4 vendors, about 60 campaigns per source on average (about 24,000 campaigns).
  const sources = agency(3, 200, 120);
  const all = sources.flatMap((s) => s.records);

  test('paging with a sort and a status filter returns every selected campaign exactly once', () => {
    const statuses = ['active', 'paused', 'completed'];
    const wanted = all.filter((r) => statuses.includes(r.status)).map((r) => r.key);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10_000; page += 1) {
      const query = queryOf({ sort: '-replyRate', status: statuses.join(','), limit: '100', ...(cursor ? { cursor } : {}) });
      const shaped = selectionOf(sources, query).shaped(query.shape);
      expect(shaped.data.length).toBeLessThanOrEqual(100);
      seen.push(...shaped.data.map((r) => r.key));
      cursor = shaped.page?.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(wanted.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...wanted].sort());
  });

  test('NDJSON of every campaign (megabytes, in 64 KB chunks) is each campaign\'s JSON on a line', () => {
    const query = queryOf({});
    const shaped = selectionOf(sources, query).shaped(query.shape);
    const chunks = [...shaped.ndjson()];
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBe(LINES_CHUNK_BYTES);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(shaped.data.map((record) => `${JSON.stringify(record)}\n`).join(''));
  });

  test('NDJSON lines are copies made as they are read: the views keep only their JSON, unchanged', () => {
    const query = queryOf({ status: 'active,paused', sort: '-replyRate' });
    const selection = selectionOf(sources, query);
    const jsonBefore = Buffer.concat(selection.shaped(query.shape).pieces());
    const lines = selection.shaped(query.shape).ndjson();
    // Nothing is copied until the answer is written.
    const iterator = lines[Symbol.iterator]();
    const first = iterator.next();
    expect(first.done).toBe(false);
    const pieces = [first.value as Buffer];
    for (let next = iterator.next(); !next.done; next = iterator.next()) pieces.push(next.value);
    const viewBuffers = new Set(sources.map((source) => viewOf(source.records).json.buffer));
    for (const piece of pieces) expect(viewBuffers.has(piece.buffer as ArrayBuffer)).toBe(false);
    const shaped = selection.shaped(query.shape);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(shaped.data.map((record) => `${JSON.stringify(record)}\n`).join(''));
    // The JSON answer's bytes are what they were: the copies changed nothing in the views.
    expect(Buffer.concat(selection.shaped(query.shape).pieces()).equals(jsonBefore)).toBe(true);
  });

  test('NDJSON chunks written go back to a pool and are reused; one not given back is never written over', () => {
    const query = queryOf({ status: 'active,paused' });
    const expected = (): string => selectionOf(sources, query).shaped(query.shape).data.map((record) => `${JSON.stringify(record)}\n`).join('');
    const first = [...selectionOf(sources, query).shaped(query.shape).ndjson()];
    expect(first.length).toBeGreaterThan(3);
    const kept = first[0] as Buffer;
    const keptText = kept.toString('utf8');
    // Every chunk but the first is written; one of them is reported twice (taken back once).
    for (const chunk of first.slice(1)) linesChunkWritten(chunk);
    linesChunkWritten(first[1] as Buffer);
    linesChunkWritten(Buffer.from('not a chunk of an answer'));
    // Two answers read side by side: no chunk of one is a chunk of the other, or the kept one.
    const a = selectionOf(sources, query).shaped(query.shape).ndjson()[Symbol.iterator]();
    const b = selectionOf(sources, query).shaped(query.shape).ndjson()[Symbol.iterator]();
    const readA: Buffer[] = [];
    const readB: Buffer[] = [];
    for (;;) {
      const nextA = a.next();
      const nextB = b.next();
      if (!nextA.done) readA.push(nextA.value);
      if (!nextB.done) readB.push(nextB.value);
      if (nextA.done && nextB.done) break;
    }
    const memory = (chunk: Buffer): string => `${chunk.byteOffset}@${[...pools.keys()].indexOf(chunk.buffer as ArrayBuffer)}`;
    const pools = new Map<ArrayBuffer, true>();
    for (const chunk of [kept, ...readA, ...readB]) pools.set(chunk.buffer as ArrayBuffer, true);
    const places = [kept, ...readA, ...readB].map(memory);
    expect(new Set(places).size).toBe(places.length);
    // The chunks given back were reused, as many as the pool keeps (a pool, not new memory per answer).
    const given = new Set(first.slice(1).map((chunk) => chunk.buffer));
    expect([...readA, ...readB].filter((chunk) => given.has(chunk.buffer)).length).toBe(Math.min(given.size, LINES_POOL_SIZE));
    expect(Buffer.concat(readA).toString('utf8')).toBe(expected());
    expect(Buffer.concat(readB).toString('utf8')).toBe(expected());
    expect(kept.toString('utf8')).toBe(keptText);
  });

  test('NDJSON of no campaign is no chunk; no chunk is ever empty', () => {
    expect([...selectionOf([], queryOf({})).shaped(queryOf({}).shape).ndjson()]).toEqual([]);
    const query = queryOf({});
    const lines = [...selectionOf(sources, query).shaped(query.shape).ndjson()];
    const bytes = lines.reduce((sum, chunk) => sum + chunk.length, 0);
    expect(lines.every((chunk) => chunk.length > 0)).toBe(true);
    expect(lines.length).toBe(Math.ceil(bytes / LINES_CHUNK_BYTES));
  });

  test('totals and every group total equal the sums of their rows', () => {
    const query = queryOf({ group_by: 'workspace', status: 'active,paused,draft' });
    const shaped = selectionOf(sources, query).shaped(query.shape);
    const rows = shaped.data as CampaignAnalytics[];
    expect(shaped.totals.campaigns).toBe(rows.length);
    for (const metric of METRIC_NAMES) {
      const reported = rows.map((r) => r.metrics[metric]).filter((v): v is number => v !== null);
      expect(shaped.totals.metrics[metric]).toBe(reported.length === 0 ? null : reported.reduce((a, b) => a + b, 0));
    }
    expect(shaped.totals).toEqual(referenceTotals(rows));
    const groups = shaped.groups ?? [];
    expect(groups.reduce((sum, g) => sum + g.totals.campaigns, 0)).toBe(rows.length);
    for (const group of groups) expect(group.totals).toEqual(referenceTotals(rows.filter((r) => r.workspace === group.key)));
  });

  test('the whole answer is byte-identical, and a selection is reused per generation', () => {
    expect(piecesJson(sources, {})).toBe(referenceContentJson(sources.map((s) => s.records), {}));
    // The views are made once per records array (per cache entry).
    expect(viewOf(sources[0]?.records ?? [])).toBe(viewOf(sources[0]?.records ?? []));
  });
});
