/**
 * The content of an analytics answer, derived and serialized once per representation.
 *
 * A cache hit must cost the gateway little more than authentication and a map lookup, but an
 * answer's content (the merged, filtered, sorted campaigns, their totals, groups and page) is
 * pure work over the sources' records: the same query over the same cache generations gives the
 * same content. The ETag already names exactly that (the client-visible query, the format and
 * shape, and per source its connection, status, content digest and error code), so it is the key
 * here. Only `sources` and `meta` differ per request (request id, ages, durations, cache outcome):
 * they are serialized per request and spliced after the cached `{"data":…,"totals":…` prefix, so
 * the megabytes of campaigns are never stringified twice, and the bytes sent are exactly
 * `JSON.stringify(body)`.
 *
 * Bounded in bytes like the source caches (the serialized prefix is what is counted; the
 * campaign objects themselves are shared with the source cache entries they came from).
 */
import { LRUCache } from 'lru-cache';
import type { AnalyticsResponse } from '../schema/envelope';

/** The parts of an answer that depend only on its representation (the ETag). */
export type AnswerContent = Pick<AnalyticsResponse, 'data' | 'totals' | 'groups' | 'page'>;

/** Content plus its JSON prefix: `{"data":…,"totals":…` (and `groups`, `page` when present), no closing brace. */
export interface SerializedContent {
  content: AnswerContent;
  prefix: Buffer;
}

/** A JSON body as the pieces it is sent in (their concatenation is the body) and its length in bytes. */
export interface AnswerBody {
  pieces: readonly Buffer[];
  bytes: number;
}

/** Cached representation's key overhead, in bytes (key string, entry object, LRU bookkeeping). */
const ENTRY_OVERHEAD_BYTES = 256;

export function serializeContent(content: AnswerContent): SerializedContent {
  const ordered: AnswerContent = { data: content.data, totals: content.totals };
  if (content.groups !== undefined) ordered.groups = content.groups;
  if (content.page !== undefined) ordered.page = content.page;
  const json = JSON.stringify(ordered);
  return { content: ordered, prefix: Buffer.from(json.slice(0, -1), 'utf8') };
}

/**
 * The body as JSON chunks: the cached prefix, then the per-request rest. Falls back to one
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
  const tail = JSON.stringify(rest);
  // `{"sources":…,"meta":…}` → `,"sources":…,"meta":…}`; an empty rest only closes the object.
  const suffix = Buffer.from(tail === '{}' ? '}' : `,${tail.slice(1)}`, 'utf8');
  return { pieces: [serialized.prefix, suffix], bytes: serialized.prefix.length + suffix.length };
}

export class AnswerCache {
  private readonly lru: LRUCache<string, SerializedContent> | undefined;

  /** `maxBytes` 0 turns the cache off (every answer is derived and serialized anew). */
  constructor(readonly maxBytes: number) {
    this.lru =
      maxBytes > 0
        ? new LRUCache<string, SerializedContent>({ maxSize: maxBytes, sizeCalculation: (value) => value.prefix.length + ENTRY_OVERHEAD_BYTES })
        : undefined;
  }

  get(etag: string): SerializedContent | undefined {
    return this.lru?.get(etag);
  }

  /** Serializes and stores the content (an entry larger than the whole bound is served but not kept). */
  set(etag: string, content: AnswerContent): SerializedContent {
    const serialized = serializeContent(content);
    this.lru?.set(etag, serialized);
    return serialized;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  get calculatedBytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }
}
