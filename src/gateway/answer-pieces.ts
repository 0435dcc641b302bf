/**
 * An analytics answer built from per-source pieces, so its cost grows with the bytes sent, not
 * with a re-merge, re-sort and re-serialization of every campaign per request.
 *
 * - `SourceView`: one source cache entry's campaigns (a records array, the key of a WeakMap, so a
 *   view lives as long as its cache entry) in the default order, serialized once: each campaign's
 *   JSON followed by `,` in one buffer, with each campaign's byte offset; and its totals sums per
 *   status. Views are built between turns of the event loop (`prepareViews`).
 * - `Selection`: the campaigns one query selects (its sources' views, its `status`/`ids` filter) in
 *   the default order (workspace, provider, name, key: sources are grouped by workspace and
 *   provider, a group of several sources merged), with its totals and groups (merged from the
 *   views' sums) and its sort orders, each built once per sort key and reused by every page.
 *   Selections are cached by the identity of their views and the filter, i.e. per cache generation.
 * - `contentOf`: the answer content (`data`, `totals`, `groups`, `page`) for a shape, and its JSON
 *   as pieces: slices of the views' buffers between small buffers, exactly the bytes
 *   `JSON.stringify` gives for the content (the campaigns are never serialized per request).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { CampaignAnalytics } from '../schema/campaign';
import type { CampaignSelection, Group, Page } from '../schema/envelope';
import { TotalsSums, computeTotals, type Totals } from '../schema/rates';
import type { AnswerBody } from './answer-cache';
import {
  compareDefault,
  comparePositions,
  compareSortValues,
  compareStrings,
  encodeCursor,
  groupOrder,
  groupTotals,
  positionFor,
  selectFields,
  sortAccessor,
  type GroupBy,
  type ShapeRequest,
  type SortSpec,
} from './shape';

const COMMA = 0x2c;
const NEWLINE = 0x0a;

let nextViewId = 1;

/** One source's campaigns in the default order, serialized once. */
export class SourceView {
  readonly id = nextViewId++;
  readonly records: readonly CampaignAnalytics[];
  /** Each campaign's JSON followed by a comma. */
  readonly json: Buffer;
  /** Byte offset of each campaign's JSON in `json` (length n + 1: the last is `json.length`). */
  readonly offsets: Uint32Array;
  private groupSums: GroupSums[] | undefined;

  constructor(records: readonly CampaignAnalytics[]) {
    // Every campaign of a source has its workspace and provider: the default order is name, key.
    this.records = records.length < 2 ? records : [...records].sort(compareDefault);
    const texts = this.records.map((record) => JSON.stringify(record));
    this.offsets = new Uint32Array(texts.length + 1);
    let bytes = 0;
    texts.forEach((text, i) => {
      this.offsets[i] = bytes;
      bytes += Buffer.byteLength(text, 'utf8') + 1;
    });
    this.offsets[texts.length] = bytes;
    this.json = Buffer.allocUnsafe(bytes);
    texts.forEach((text, i) => {
      const at = this.offsets[i] ?? 0;
      this.json.write(text, at, 'utf8');
      this.json[(this.offsets[i + 1] ?? 0) - 1] = COMMA;
    });
  }

  /** Totals sums of this source's campaigns per status, workspace and provider (one of each, for a cache entry). */
  sums(): readonly GroupSums[] {
    if (!this.groupSums) {
      const byKey = new Map<string, GroupSums>();
      for (const record of this.records) {
        const key = `${record.status}\u0000${record.workspace}\u0000${record.provider}`;
        let group = byKey.get(key);
        if (!group) {
          group = { status: record.status, workspace: record.workspace, provider: record.provider, sums: new TotalsSums() };
          byKey.set(key, group);
        }
        group.sums.add(record.metrics);
      }
      this.groupSums = [...byKey.values()];
    }
    return this.groupSums;
  }
}

/** Neighbouring campaigns of one view: `first` to `end - 1` in its order. */
interface ViewRun {
  view: SourceView;
  first: number;
  end: number;
}

/** The totals sums of one source's campaigns of one status, workspace and provider. */
export interface GroupSums {
  status: string;
  workspace: string;
  provider: string;
  sums: TotalsSums;
}

/** Size of the chunks an NDJSON answer is copied into. */
export const LINES_CHUNK_BYTES = 64 * 1024;
/** Written chunks kept for the next NDJSON answers (4 MB: a few answers' chunks in flight). */
export const LINES_POOL_SIZE = 64;
const freeLinesChunks: Buffer[] = [];
/**
 * The chunks handed out and not yet back, by their memory: a chunk is the only user of its
 * `ArrayBuffer` (`allocUnsafeSlow`), so an answer's last, partly filled chunk (a subarray) finds
 * it too.
 */
const linesChunksOut = new WeakMap<ArrayBufferLike, Buffer>();

function takeLinesChunk(): Buffer {
  return freeLinesChunks.pop() ?? Buffer.allocUnsafeSlow(LINES_CHUNK_BYTES);
}

/** `chunk`, or its first `used` bytes, handed out to be written (and taken back by `linesChunkWritten`). */
function handOut(chunk: Buffer, used: number): Buffer {
  linesChunksOut.set(chunk.buffer, chunk);
  return used === chunk.length ? chunk : chunk.subarray(0, used);
}

function giveLinesChunk(chunk: Buffer): void {
  if (freeLinesChunks.length < LINES_POOL_SIZE) freeLinesChunks.push(chunk);
}

/**
 * An NDJSON chunk (`ShapedSelection.ndjson`) has been written to its socket without error: it goes
 * back to the pool for the next answer. Anything else, or the same chunk again, is ignored (a chunk
 * whose write failed is never reused: the socket may still hold it).
 */
export function linesChunkWritten(piece: Buffer): void {
  const chunk = linesChunksOut.get(piece.buffer);
  if (chunk === undefined) return;
  linesChunksOut.delete(piece.buffer);
  giveLinesChunk(chunk);
}

const EMPTY_VIEW = new SourceView([]);
const views = new WeakMap<readonly CampaignAnalytics[], SourceView>();

/** The view of a records array (made now if it was not made before). */
export function viewOf(records: readonly CampaignAnalytics[]): SourceView {
  if (records.length === 0) return EMPTY_VIEW;
  let view = views.get(records);
  if (!view) {
    view = new SourceView(records);
    views.set(records, view);
  }
  return view;
}

/** Work done before yielding to the event loop, in ms. */
const SLICE_MS = 8;

/** Makes the views of these records arrays, yielding to the event loop every few ms. */
export async function prepareViews(lists: readonly (readonly CampaignAnalytics[])[]): Promise<void> {
  let sliceStart = performance.now();
  for (const records of lists) {
    if (records.length === 0 || views.has(records)) continue;
    viewOf(records);
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

/** A source of a selection: its view and where it belongs in the default order. */
export interface SelectionSource {
  view: SourceView;
  workspace: string;
  provider: string;
}

export interface SelectionFilter {
  statuses: ReadonlySet<string> | undefined;
  ids: ReadonlySet<string> | undefined;
}

/** The campaigns one query selects, in the default order, with what is derived from them once. */
export class Selection {
  /** Each selected campaign, in the default order. */
  readonly records: CampaignAnalytics[] = [];
  /** For each selected campaign: its source's index (in `sources`) and its index in that view. */
  private readonly sourceAt: Uint32Array;
  private readonly indexAt: Uint32Array;
  /** Selected campaigns per source (in the order given). */
  readonly counts: number[];
  private readonly orders = new Map<string, Uint32Array>();
  private readonly groupsBy = new Map<GroupBy, Group[]>();
  private totalsValue: Totals | undefined;
  /** Bytes of the selection's own arrays (the views are the source cache entries'). */
  readonly ownBytes: number;

  constructor(
    readonly sources: readonly SelectionSource[],
    private readonly filter: SelectionFilter,
  ) {
    const keep = (record: CampaignAnalytics): boolean =>
      (!filter.statuses || filter.statuses.has(record.status)) && (!filter.ids || filter.ids.has(record.key));
    const order = sources.map((_, i) => i);
    order.sort((a, b) => {
      const x = sources[a] as SelectionSource;
      const y = sources[b] as SelectionSource;
      if (x.workspace !== y.workspace) return x.workspace < y.workspace ? -1 : 1;
      if (x.provider !== y.provider) return x.provider < y.provider ? -1 : 1;
      return a - b;
    });
    const total = sources.reduce((sum, s) => sum + s.view.records.length, 0);
    const sourceAt = new Uint32Array(total);
    const indexAt = new Uint32Array(total);
    this.counts = sources.map(() => 0);
    let n = 0;
    const push = (source: number, index: number, record: CampaignAnalytics): void => {
      sourceAt[n] = source;
      indexAt[n] = index;
      this.records.push(record);
      this.counts[source] = (this.counts[source] ?? 0) + 1;
      n += 1;
    };
    for (let g = 0; g < order.length; ) {
      const first = sources[order[g] as number] as SelectionSource;
      let end = g + 1;
      while (end < order.length) {
        const next = sources[order[end] as number] as SelectionSource;
        if (next.workspace !== first.workspace || next.provider !== first.provider) break;
        end += 1;
      }
      if (end - g === 1) {
        const source = order[g] as number;
        first.view.records.forEach((record, index) => {
          if (keep(record)) push(source, index, record);
        });
      } else {
        // Several sources of one workspace and vendor: their campaigns interleave by name, key.
        const entries: { source: number; index: number; record: CampaignAnalytics }[] = [];
        for (let k = g; k < end; k += 1) {
          const source = order[k] as number;
          (sources[source] as SelectionSource).view.records.forEach((record, index) => {
            if (keep(record)) entries.push({ source, index, record });
          });
        }
        entries.sort((a, b) => compareDefault(a.record, b.record));
        for (const entry of entries) push(entry.source, entry.index, entry.record);
      }
      g = end;
    }
    this.sourceAt = sourceAt.subarray(0, n);
    this.indexAt = indexAt.subarray(0, n);
    this.ownBytes = total * 8 + n * 8 + 256;
  }

  get size(): number {
    return this.records.length;
  }

  /**
   * The views' sums per status merged (exact when every value is an integer), or undefined when
   * they cannot stand for the selection: an `ids` filter, or a fractional value somewhere.
   */
  private mergedSums(pick: (group: GroupSums) => string): Map<string, TotalsSums> | undefined {
    if (this.filter.ids) return undefined;
    const merged = new Map<string, TotalsSums>();
    for (const source of this.sources) {
      for (const group of source.view.sums()) {
        const { sums } = group;
        if (this.filter.statuses && !this.filter.statuses.has(group.status)) continue;
        if (!sums.integral) return undefined;
        const key = pick(group);
        let into = merged.get(key);
        if (!into) {
          into = new TotalsSums();
          merged.set(key, into);
        }
        into.merge(sums);
        if (!into.integral) return undefined;
      }
    }
    return merged;
  }

  /** Totals over the whole selection (equal to `computeTotals(records)`). */
  totals(): Totals {
    if (!this.totalsValue) {
      const merged = this.mergedSums(() => 'all');
      this.totalsValue = merged ? (merged.get('all') ?? new TotalsSums()).totals() : computeTotals(this.records);
    }
    return this.totalsValue;
  }

  /** Grouped totals (equal to `groupTotals(records, by)`). */
  groups(by: GroupBy): Group[] {
    let groups = this.groupsBy.get(by);
    if (!groups) {
      const merged = this.mergedSums((group) => group[by]);
      groups = merged
        ? [...merged.entries()]
            .filter(([, sums]) => sums.campaigns > 0)
            .map(([key]) => key)
            .sort(groupOrder(by))
            .map((key) => ({ key, totals: (merged.get(key) as TotalsSums).totals() }))
        : groupTotals(this.records, by);
      this.groupsBy.set(by, groups);
    }
    return groups;
  }

  /** Positions (indexes into `records`) in a sort's order, built once per sort key. */
  private orderFor(sort: SortSpec): Uint32Array {
    const key = `${sort.descending ? '-' : ''}${sort.field}`;
    let order = this.orders.get(key);
    if (!order) {
      const value = sortAccessor(sort.field);
      const { descending } = sort;
      const rows = this.records.map((record, at) => ({ at, value: value(record), key: record.key }));
      rows.sort((a, b) => compareSortValues(a.value, b.value, descending) || compareStrings(a.key, b.key));
      order = Uint32Array.from(rows, (row) => row.at);
      this.orders.set(key, order);
    }
    return order;
  }

  /** The JSON of the campaigns at these positions, as slices of the views' buffers joined by commas. */
  private dataPieces(order: Uint32Array | undefined, from: number, to: number): Buffer[] {
    const runs = this.runs(order, from, to);
    return runs.map(({ view, first, end }, i) => {
      // The last campaign's trailing comma is left out: it ends the array.
      const last = i === runs.length - 1 ? 1 : 0;
      return view.json.subarray(view.offsets[first] ?? 0, (view.offsets[end] ?? 0) - last);
    });
  }

  /**
   * NDJSON lines of the campaigns at these positions: the views' JSON bytes copied into chunks of
   * `LINES_CHUNK_BYTES` (from a pool: `linesChunkWritten` takes them back once written), each
   * comma that ends a campaign made a newline. Made as the answer is written: a view keeps one
   * serialized form of its campaigns (kept NDJSON copies doubled what the cached campaigns hold
   * outside the V8 heap), and chunks reused from the pool keep an NDJSON answer from allocating its
   * size again (new memory outside the heap, tens of MB per answer, starts full collections).
   */
  private *ndjsonPieces(order: Uint32Array | undefined, from: number, to: number): Generator<Buffer> {
    let chunk = takeLinesChunk();
    let used = 0;
    for (const { view, first, end } of this.runs(order, from, to)) {
      const { json, offsets } = view;
      let at = offsets[first] ?? 0;
      const stop = offsets[end] ?? 0;
      // The campaign whose trailing comma comes next.
      let next = first;
      while (at < stop) {
        const bytes = Math.min(stop - at, LINES_CHUNK_BYTES - used);
        json.copy(chunk, used, at, at + bytes);
        for (let comma = (offsets[next + 1] ?? 0) - 1; next < end && comma < at + bytes; comma = (offsets[next + 1] ?? 0) - 1) {
          chunk[used + comma - at] = NEWLINE;
          next += 1;
        }
        used += bytes;
        at += bytes;
        if (used === LINES_CHUNK_BYTES) {
          yield handOut(chunk, used);
          chunk = takeLinesChunk();
          used = 0;
        }
      }
    }
    // A chunk nothing was copied into (no campaign, or the last run filled the one before) goes straight back.
    if (used > 0) yield handOut(chunk, used);
    else giveLinesChunk(chunk);
  }

  /**
   * The campaigns at these positions as runs of neighbouring campaigns of one view (`first` to
   * `end - 1` in its order): the default order is runs of whole sources.
   */
  private runs(order: Uint32Array | undefined, from: number, to: number): ViewRun[] {
    const runs: ViewRun[] = [];
    let runSource = -1;
    let runStart = 0;
    let runEnd = 0;
    const flush = (): void => {
      if (runSource >= 0) runs.push({ view: (this.sources[runSource] as SelectionSource).view, first: runStart, end: runEnd });
    };
    for (let i = from; i < to; i += 1) {
      const at = order ? (order[i] as number) : i;
      const source = this.sourceAt[at] as number;
      const index = this.indexAt[at] as number;
      if (source === runSource && index === runEnd) {
        runEnd += 1;
        continue;
      }
      flush();
      runSource = source;
      runStart = index;
      runEnd = index + 1;
    }
    flush();
    return runs;
  }

  /** The content of an answer over this selection, for a shape (none: every campaign, default order). */
  shaped(shape: ShapeRequest | undefined): ShapedSelection {
    const order = shape?.sort ? this.orderFor(shape.sort) : undefined;
    const length = this.records.length;
    const recordAt = (i: number): CampaignAnalytics => this.records[order ? (order[i] as number) : i] as CampaignAnalytics;
    let start = 0;
    if (shape?.after) {
      const after = shape.after;
      const positionOf = positionFor(shape.sort);
      const descending = shape.sort?.descending ?? false;
      // The first campaign past the cursor (the order is sorted by position).
      let lo = 0;
      let hi = length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (comparePositions(positionOf(recordAt(mid)), after, descending) > 0) hi = mid;
        else lo = mid + 1;
      }
      start = lo;
    }
    const end = shape?.limit === undefined ? length : Math.min(length, start + shape.limit);
    const sliceData = (): CampaignAnalytics[] => {
      if (!order && start === 0 && end === length) return this.records;
      const out: CampaignAnalytics[] = new Array<CampaignAnalytics>(end - start);
      for (let i = start; i < end; i += 1) out[i - start] = recordAt(i);
      return out;
    };
    const records = sliceData();
    const data: CampaignAnalytics[] | CampaignSelection[] = shape?.fields ? selectFields(records, shape.fields) : records;
    const out: ShapedSelection = {
      data,
      totals: this.totals(),
      pieces: () => (shape?.fields ? [] : this.dataPieces(order, start, end)),
      ndjson: () => this.ndjsonPieces(order, start, end),
    };
    if (shape?.groupBy) out.groups = this.groups(shape.groupBy);
    if (shape?.limit !== undefined) {
      const last = end > 0 ? recordAt(end - 1) : undefined;
      out.page = { limit: shape.limit, nextCursor: end < length && last !== undefined ? encodeCursor(positionFor(shape.sort)(last), shape.binding) : null };
    }
    return out;
  }
}

export interface ShapedSelection {
  data: CampaignAnalytics[] | CampaignSelection[];
  totals: Totals;
  groups?: Group[];
  page?: Page;
  /** The JSON of `data`'s elements joined by commas, as slices of the views (empty with `fields`: serialize `data`). */
  pieces: () => Buffer[];
  /** NDJSON of `data` (without `fields`): chunks of its lines made as they are read; a chunk written goes back with `linesChunkWritten`. */
  ndjson: () => Iterable<Buffer>;
}

/** Selections per cache generation (the views' identities) and filter. */
export class SelectionCache {
  private readonly lru: LRUCache<string, Selection>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Selection>({ max: 64, maxSize: Math.max(1, maxBytes), sizeCalculation: (selection) => Math.max(1, selection.ownBytes) });
  }

  /**
   * The selection of these sources (made on a miss) under a filter. `sourcesKey` names the sources:
   * `sourceKey` of each, in order (built by the caller as it goes, without a list per request).
   */
  get(sourcesKey: string, sources: () => readonly SelectionSource[], filter: SelectionFilter): Selection {
    const key = `${JSON.stringify([filter.statuses ? [...filter.statuses] : null, filter.ids ? [...filter.ids] : null])}${sourcesKey}`;
    let selection = this.lru.get(key);
    if (!selection) {
      selection = new Selection(sources(), filter);
      this.lru.set(key, selection);
    }
    return selection;
  }
}

/** A source's part of a selection key: its view (a generation of its campaigns) and its place. */
export function sourceKey(view: SourceView, workspace: string, provider: string): string {
  return `|${view.id}:${workspace}:${provider}`;
}

/** `{"data":[…],"totals":…,"groups":…,"page":…` (no closing brace) as pieces, exactly `JSON.stringify` of the content. */
export function contentPieces(shaped: ShapedSelection): AnswerBody {
  const dataPieces = shaped.pieces();
  const head = Buffer.from(dataPieces.length > 0 || shaped.data.length === 0 ? '{"data":[' : `{"data":${JSON.stringify(shaped.data)}`, 'utf8');
  let tail = dataPieces.length > 0 || shaped.data.length === 0 ? `],"totals":${JSON.stringify(shaped.totals)}` : `,"totals":${JSON.stringify(shaped.totals)}`;
  if (shaped.groups !== undefined) tail += `,"groups":${JSON.stringify(shaped.groups)}`;
  if (shaped.page !== undefined) tail += `,"page":${JSON.stringify(shaped.page)}`;
  const end = Buffer.from(tail, 'utf8');
  const pieces = [head, ...dataPieces, end];
  return { pieces, bytes: pieces.reduce((sum, piece) => sum + piece.length, 0) };
}
