/**
 * The content of an analytics answer, derived and serialized once per representation.
 *
 * A cache hit must cost the gateway little more than authentication and a map lookup, but an
 * answer's content (the merged, filtered, sorted campaigns, their totals, groups and page) is
 * pure work over the sources' records: the same query over the same cache generations gives the
 * same content. The ETag already names exactly that (the client-visible query, the format and
 * shape, and per source its connection, status, content digest and error code), so it is the key
 * here. Only `sources` and `meta` differ per request (request id, ages, durations, cache outcome):
 * they are serialized per request and spliced after the `{"data":…,"totals":…` prefix, so the
 * megabytes of campaigns are never stringified per request, and the bytes sent are exactly
 * `JSON.stringify(body)`.
 *
 * Bounded in bytes like the source caches (the prefix is what is counted; the campaign objects
 * themselves are shared with the source cache entries they came from), plus the compressed copies
 * of the prefix once a gzip or br request has made them (server/compression.ts).
 */
import { LRUCache } from 'lru-cache';
import type { AnalyticsResponse } from '../schema/envelope';

/** The parts of an answer that depend only on its representation (the ETag). */
export type AnswerContent = Pick<AnalyticsResponse, 'data' | 'totals' | 'groups' | 'page'>;

/** A JSON body as the pieces it is sent in (their concatenation is the body) and its length in bytes. */
export interface AnswerBody {
  pieces: readonly Buffer[];
  bytes: number;
}

/**
 * Content plus its JSON prefix: `{"data":…,"totals":…` (and `groups`, `page` when present), no
 * closing brace, as pieces (answer-pieces.ts: slices of the sources' serialized campaigns).
 */
export interface SerializedContent {
  content: AnswerContent;
  prefix: AnswerBody;
  /** The prefix compressed per content coding, made once per entry (server/compression.ts). */
  encoded?: Partial<Record<'gzip' | 'br', EncodedPrefix>>;
}

/** A compressed prefix that a per-request tail can follow (server/compression.ts); `crc` is the prefix's CRC-32 (gzip). */
export interface EncodedPrefix {
  head: Buffer;
  crc: number;
}

/** Cached representation's key overhead, in bytes (key string, entry object, LRU bookkeeping). */
const ENTRY_OVERHEAD_BYTES = 256;

function entryBytes(value: SerializedContent): number {
  return value.prefix.bytes + (value.encoded?.gzip?.head.length ?? 0) + (value.encoded?.br?.head.length ?? 0) + ENTRY_OVERHEAD_BYTES;
}

/**
 * The body as JSON pieces: the content's prefix, then the per-request rest. Falls back to one
 * `JSON.stringify(body)` when the body does not carry this content (so a caller can never splice
 * the wrong campaigns into an answer).
 */
export function answerChunks(body: AnalyticsResponse, serialized: SerializedContent | undefined): AnswerBody {
  const { data, totals, groups, page, ...rest } = body;
  const { content } = serialized ?? {};
  if (!serialized || !content || data !== content.data || totals !== content.totals || groups !== content.groups || page !== content.page) {
    const whole = Buffer.from(JSON.stringify(body), 'utf8');
    return { pieces: [whole], bytes: whole.length };
  }
  return withTail(serialized, restJson(JSON.stringify(rest)));
}

/** `{"sources":…,"meta":…}` → `,"sources":…,"meta":…}`, what follows the prefix; an empty rest only closes the object. */
export function restJson(rest: string): string {
  return rest === '{}' ? '}' : `,${rest.slice(1)}`;
}

/** The prefix's pieces followed by the per-request rest of the body (`restJson`). */
export function withTail(serialized: SerializedContent, tail: string): AnswerBody {
  const suffix = Buffer.from(tail, 'utf8');
  return { pieces: [...serialized.prefix.pieces, suffix], bytes: serialized.prefix.bytes + suffix.length };
}

export class AnswerCache {
  private readonly lru: LRUCache<string, SerializedContent> | undefined;

  /**
   * `maxBytes` 0 turns the cache off. An entry counts every byte it keeps alive (the slices of the
   * sources' serialized campaigns included), so an answer bigger than the bound is not kept: it is
   * sent from the pieces each time, which costs no more than the bytes.
   */
  constructor(readonly maxBytes: number) {
    this.lru =
      maxBytes > 0
        ? new LRUCache<string, SerializedContent>({ maxSize: maxBytes, sizeCalculation: entryBytes })
        : undefined;
  }

  get(etag: string): SerializedContent | undefined {
    return this.lru?.get(etag);
  }

  /** Stores the content and its JSON prefix (an entry larger than the whole bound is served but not kept). */
  set(etag: string, content: AnswerContent, prefix: AnswerBody): SerializedContent {
    const ordered: AnswerContent = { data: content.data, totals: content.totals };
    if (content.groups !== undefined) ordered.groups = content.groups;
    if (content.page !== undefined) ordered.page = content.page;
    const serialized = { content: ordered, prefix };
    this.lru?.set(etag, serialized);
    return serialized;
  }

  /**
   * Keeps a compressed prefix with the entry it was made from (counted in the bound from now on);
   * nothing when the cache no longer holds that entry under `etag`.
   */
  attachEncoded(etag: string, serialized: SerializedContent, coding: 'gzip' | 'br', encoded: EncodedPrefix): void {
    if (!this.lru || this.lru.peek(etag) !== serialized || serialized.encoded?.[coding] === encoded) return;
    serialized.encoded = { ...serialized.encoded, [coding]: encoded };
    // lru-cache recounts a size only when the value changes: the same entry is put back.
    this.lru.delete(etag);
    this.lru.set(etag, serialized);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  get calculatedBytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }
}
