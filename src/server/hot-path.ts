/**
 * The cache-hit fast path of `GET /v1/campaigns/analytics` (DESIGN.md section 7: a hit
 * must cost little more than a bare Express app serving the same bytes).
 *
 * The full Express pipeline (helmet, request id, query validation, planning, four cache lookups,
 * merge, totals, headers) costs several times what sending 200 KB costs, and on a hit all of it
 * reproduces the previous answer. So after the pipeline has answered a JSON request whose every
 * source was a fresh cache entry, the answer is remembered here under (client, URL, Accept): its
 * headers as sent (the content coding negotiated from `Accept-Encoding` is part of the key; a gzip
 * or br answer is sent as the prefix compressed once per cache generation and the tail framed per
 * request, compression.ts), its `sources` and `meta` as JSON with holes for the values made per
 * request (`tailTemplate`: a hit fills them in, it does not rebuild and serialize the objects),
 * and the ETag under which the gateway's answer cache holds the serialized campaigns (or, for an
 * answer too big for that cache, such as an agency's `ALL`, those pieces themselves: slices of the
 * sources' buffers, kept by at most `MAX_HELD_ANSWERS` entries, as each keeps one cache generation
 * of campaigns alive). A CSV or NDJSON answer (without a content coding) is remembered the same
 * way, with its campaigns instead of serialized content: its body, which holds neither `sources`
 * nor `meta`, is made again from them by the pipeline's own rule (formats.ts `flatBody`; CSV rows
 * and NDJSON lines are serialized once per campaign). An answer over many sources is remembered the second time
 * its request is answered (`REMEMBER_AT_ONCE_MAX_SOURCES`). The next identical request is answered from that before it
 * reaches Express at all (`hotPathFirst`, wired by app.ts `createRequestListener`; Express's own request handling costs
 * about as much as everything below): authentication, the inbound limit, a map lookup, a check
 * that each source's cache entry is still the one answered from and still fresh, and the
 * per-request parts (request id, ages, `meta`, rate-limit and Cache-Control headers, the metrics
 * and the request log line) made by the same module as the pipeline's (answer-writer.ts).
 *
 * Anything else falls through to the full pipeline, unchanged: another method or path, a body,
 * conditional or `Cache-Control` requests, a request with an `Origin` (CORS), an unknown or refused key, a request over its limit
 * (the limiter takes nothing from a refused request, so the pipeline decides the same way), an
 * entry past its sources' freshness, or one whose cache entries changed (a refresh, a
 * revalidation, an eviction, the shared tier). Entries are never made from an answer with a
 * stale or failed source, a refresh, or a compressed CSV or NDJSON answer.
 */
import type { IncomingMessage, OutgoingHttpHeader, RequestListener, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { ResolvedClient } from '../config';
import { restJson, withTail, type AnswerBody, type AnswerCache, type SerializedContent } from '../gateway/answer-cache';
import type { AnalyticsAnswer } from '../gateway/gateway';
import { fillHoles, HoleMarks, type HoledText } from '../json-holes';
import type { LineTemplate, Logger } from '../logger';
import type { GatewayMetrics, TallyCell } from '../metrics';
import type { AnalyticsResponse } from '../schema/envelope';
import { PER_REQUEST_HEADERS, perRequestHeaders, recordRequest, requestIdFrom, requestLineTemplate, sourcesSummary, writeBody, writeChunks, type PerRequestHeader } from './answer-writer';
import { presentedKey, type ClientDirectory } from './auth';
import { encodedBody, type ContentCoding } from './compression';
import type { FlatBody } from './formats';
import type { InboundLimiter } from './inbound-limit';

export const ANALYTICS_ROUTE = '/v1/campaigns/analytics';
/** The longest URL answered (the pipeline, app.ts, refuses longer ones with a 414). */
export const MAX_URL_LENGTH = 8192;
/** Headers Node's HTTP server adds itself (or that never belong to a 200). */
const NOT_REMEMBERED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'retry-after']);
/** Remembered answers (each a few KB: headers, sources, meta; the campaigns stay in the answer cache). */
export const DEFAULT_HOT_ENTRIES = 1000;
/**
 * Remembered answers that hold their campaigns themselves (a JSON answer too big for the answer
 * cache, such as an agency's `ALL`, and CSV and NDJSON answers): each keeps its sources' campaigns
 * of one cache generation alive, so only the most recent few are kept (an agency's `ALL` in each
 * of the three formats), each no longer than its sources stay fresh, and those whose sources have
 * changed go as soon as another is remembered.
 */
export const MAX_HELD_ANSWERS = 3;
/**
 * An answer over more sources than this is remembered only when its request comes again (the
 * second time the pipeline answers it): its template costs about as much as the request did
 * (an agency's 800 sources: several ms and ~200 KB of text), and the pages of a cursor walk, each
 * a URL of its own, never come again. A smaller answer is remembered at once.
 */
export const REMEMBER_AT_ONCE_MAX_SOURCES: number = 64;
/** The requests (their keys' characters) of big answers seen once and not remembered yet. */
const SEEN_ONCE_BYTES = 1024 * 1024;

export interface HotPathDeps {
  directory: ClientDirectory;
  inbound: InboundLimiter;
  metrics: GatewayMetrics;
  logger: Logger;
  answers: AnswerCache;
  now: () => number;
  maxEntries?: number;
}

interface HotEntry {
  etag: string;
  /**
   * The serialized content, held by the entry when the answer cache does not keep it (too big for
   * its bound): slices of the sources' buffers, no copy. Undefined: it is the answer cache's entry under `etag`.
   */
  held: SerializedContent | undefined;
  /**
   * A CSV or NDJSON answer: its body made again per request (formats.ts `flatBody`) from the
   * campaigns the entry holds (a cache generation, as `held` does); `tail` and `etag` are unused.
   */
  flat: (() => FlatBody) | undefined;
  /** The content coding the answer was sent in (compression.ts): its prefix is compressed once per cache generation. */
  coding: ContentCoding;
  /** Remembered header names and values, in the order sent (per-request ones hold a placeholder). */
  headers: [string, OutgoingHttpHeader][];
  /** The body after the campaigns (`sources`, `meta`) as JSON with holes for the per-request values. */
  tail: TailTemplate;
  /** Epoch ms of each source's data, in `sources` order. */
  fetchedAt: number[];
  freshUntil: number;
  current: () => boolean;
  logSources: string;
  /** The request log line but for its id, duration and time (answer-writer.ts `requestLineTemplate`). */
  line: LineTemplate | undefined;
  /** The hit and ok counts of each provider's sources (metrics.ts `tally`): a hit adds to two numbers per provider. */
  perProvider: [cell: TallyCell, sources: number][];
}

/** What every replayed answer's request log line says but its client and sources. */
const HIT_OUTCOME = { method: 'GET', path: ANALYTICS_ROUTE, route: ANALYTICS_ROUTE, status: 200 } as const;

const PER_REQUEST_NAMES: ReadonlySet<string> = new Set<string>(PER_REQUEST_HEADERS);

/** Headers made per request (answer-writer.ts); every other header of a remembered answer is sent as it was. */
function isPerRequest(name: string): name is PerRequestHeader {
  return PER_REQUEST_NAMES.has(name);
}

/** A value made per request: a source's `ageSeconds`, `meta.requestId`, `meta.generatedAt`. */
type Hole = { readonly kind: 'age'; readonly source: number } | { readonly kind: 'requestId' } | { readonly kind: 'generatedAt' };

/** The tail's JSON with its holes (json-holes.ts). */
type TailTemplate = HoledText<Hole>;

/** The tail of an entry whose body has none (CSV, NDJSON). */
const NO_TAIL: TailTemplate = { texts: [''], holes: [] };

/**
 * The rest of a replayed body (`,"sources":…,"meta":…}`) as the pipeline serializes it for a hit
 * (each source `cache: "hit"`, `durationMs: 0`), with a hole for each value made per request: the
 * same bytes as `JSON.stringify` of the body made per request, without making it.
 */
export function tailTemplate(rest: Omit<AnalyticsResponse, 'data' | 'totals' | 'groups' | 'page'>): TailTemplate {
  const marks = new HoleMarks<Hole>();
  const sources = rest.sources.map((source, i) => ({ ...source, cache: 'hit', ageSeconds: marks.mark({ kind: 'age', source: i }), durationMs: 0 }));
  const meta = { ...rest.meta, requestId: marks.mark({ kind: 'requestId' }), generatedAt: marks.mark({ kind: 'generatedAt' }) };
  return marks.cut(restJson(JSON.stringify({ ...rest, sources, meta })));
}

/** A template's JSON with this request's values in its holes. */
export function fillTail(template: TailTemplate, values: { ageSeconds: (source: number) => number; requestId: string; generatedAt: string }): string {
  return fillHoles(template, (hole) => (hole.kind === 'age' ? String(values.ageSeconds(hole.source)) : JSON.stringify(hole.kind === 'requestId' ? values.requestId : values.generatedAt)));
}

export class HotAnswers {
  private readonly entries: LRUCache<string, HotEntry>;
  /** Keys of the entries that hold their campaigns (`HotEntry.held` or `flat`), oldest first. */
  private readonly holding = new Set<string>();
  /** Keys of requests for big answers the pipeline has answered (`REMEMBER_AT_ONCE_MAX_SOURCES`). */
  private readonly seen = new LRUCache<string, true>({ maxSize: SEEN_ONCE_BYTES, sizeCalculation: (_seen, key) => Math.max(1, key.length) });

  constructor(private readonly deps: HotPathDeps) {
    this.entries = new LRUCache<string, HotEntry>({
      max: deps.maxEntries ?? DEFAULT_HOT_ENTRIES,
      // Replaced, deleted, evicted or expired: its hold on a generation of campaigns goes with it.
      dispose: (_entry, key) => this.holding.delete(key),
      // Only the entries that hold their campaigns are given a time to live (their sources' freshness).
      ttlAutopurge: true,
    });
  }

  /** Entries holding their campaigns (at most `MAX_HELD_ANSWERS`). */
  get holdingContent(): number {
    return this.holding.size;
  }

  get size(): number {
    return this.entries.size;
  }

  private static key(client: ResolvedClient, req: IncomingMessage): string {
    return `${client.id}\n${req.url ?? ''}\n${req.headers.accept ?? ''}\n${req.headers['accept-encoding'] ?? ''}`;
  }

  /** Answers a remembered request and returns true, or returns false having touched nothing. */
  tryServe(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.entries.size === 0 || req.method !== 'GET') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if (url.length > MAX_URL_LENGTH || (query < 0 ? url : url.slice(0, query)) !== ANALYTICS_ROUTE) return false;
    const headers = req.headers;
    const length = headers['content-length'];
    if ((length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined) return false;
    if (headers['if-none-match'] !== undefined || headers['cache-control'] !== undefined) return false;
    if (headers.origin !== undefined) return false; // CORS headers are per origin (cors.ts)
    const started = process.hrtime.bigint();
    const client = this.deps.directory.authenticate(presentedKey(headers));
    if (!client) return false;
    const key = HotAnswers.key(client, req);
    const entry = this.entries.get(key);
    if (!entry) return false;
    const now = this.deps.now();
    const fresh = now < entry.freshUntil && entry.current();
    // A JSON entry's content: its own, or the answer cache's entry. A gzip or br entry needs its
    // compressed prefix, which goes with a cache change: the pipeline makes it again.
    const serialized = fresh && !entry.flat ? (entry.held ?? this.deps.answers.get(entry.etag)) : undefined;
    const servable = entry.flat ? fresh : serialized !== undefined && (entry.coding === 'identity' || serialized.encoded?.[entry.coding] !== undefined);
    if (!servable) {
      this.entries.delete(key);
      return false;
    }
    const decision = this.deps.inbound.check(client.id, client.requestsPerMinute);
    if (!decision.allowed) return false;

    const requestId = requestIdFrom(headers['x-request-id']);
    let json: AnswerBody | undefined;
    if (serialized) {
      const tail = fillTail(entry.tail, {
        ageSeconds: (i) => Math.max(0, Math.floor((now - (entry.fetchedAt[i] ?? now)) / 1000)),
        requestId,
        generatedAt: new Date(now).toISOString(),
      });
      const identity = withTail(serialized, tail);
      json = entry.coding === 'identity' ? identity : encodedBody(identity, serialized, entry.coding);
      if (!json) throw new Error('a remembered answer no longer matches its compressed prefix');
    }
    // A CSV or NDJSON entry holds no Content-Length: the pipeline sets none (a one-chunk body gets it from `end()`).
    const perRequest = perRequestHeaders(requestId, decision, (entry.freshUntil - now) / 1000, json?.bytes ?? 0);
    if (json) {
      // One writeHead with the whole list: no per-header bookkeeping in the response object (about
      // a tenth of a hit's cost with setHeader), and the same bytes on the wire.
      const list: OutgoingHttpHeader[] = [];
      for (const [name, value] of entry.headers) list.push(name, isPerRequest(name) ? perRequest[name] : value);
      res.writeHead(200, list);
      void writeBody(res, json);
    } else if (entry.flat) {
      // Set, not written yet: a body of one chunk then gets its Content-Length from `end()`, as the pipeline's does.
      res.statusCode = 200;
      for (const [name, value] of entry.headers) res.setHeader(name, isPerRequest(name) ? perRequest[name] : value);
      const body = entry.flat();
      void writeChunks(res, body.chunks, body);
    }

    const { metrics, logger } = this.deps;
    for (const [cell, count] of entry.perProvider) cell.count += count;
    // The constant fields spread last: V8 (Node 20) adds a new key after a leading spread through
    // its runtime, about 1 µs a key (4-5 µs a hit here), and a spread at the end costs ~0.1 µs.
    recordRequest(metrics, logger, { requestId, clientId: client.id, started, sources: entry.logSources, ...HIT_OUTCOME }, entry.line);
    return true;
  }

  /**
   * Remembers an answer the pipeline has just sent (with its headers), when it can be replayed:
   * a complete 200 answer of a GET without `refresh`, every source a fresh cache entry; JSON, or
   * CSV and NDJSON without a content coding (`flat`: the body the pipeline sent, made again from
   * the same campaigns).
   */
  remember(
    req: IncomingMessage,
    res: ServerResponse,
    client: ResolvedClient,
    answer: AnalyticsAnswer,
    refresh: boolean,
    coding: ContentCoding = 'identity',
    flat?: () => FlatBody,
  ): void {
    if (refresh || req.method !== 'GET' || answer.status !== 200 || !answer.complete) return;
    if (req.headers['if-none-match'] !== undefined || req.headers['cache-control'] !== undefined) return;
    if (req.headers.origin !== undefined) return; // its CORS headers must not be replayed to another origin
    // A JSON answer's content: the answer cache's entry (with the compressed prefix its coding
    // needs), or, for an uncompressed answer too big for that cache, the content itself, held by
    // this entry. A CSV or NDJSON answer is made again uncompressed only. `reuse` checks every source.
    let held: SerializedContent | undefined;
    if (flat) {
      if (coding !== 'identity') return;
    } else {
      if (!answer.json) return;
      const cached = this.deps.answers.get(answer.etag);
      if (cached === undefined) {
        if (coding !== 'identity') return;
        held = answer.json;
      } else if (coding !== 'identity' && cached.encoded?.[coding] === undefined) return;
    }
    const key = HotAnswers.key(client, req);
    if (answer.body.sources.length > REMEMBER_AT_ONCE_MAX_SOURCES && this.seen.get(key) === undefined) {
      this.seen.set(key, true);
      return;
    }
    const reuse = answer.reuse();
    if (!reuse) return;
    const { data: _data, totals: _totals, groups: _groups, page: _page, ...rest } = answer.body;
    const fetchedAt = rest.sources.map((source) => (source.fetchedAt === null ? Number.NaN : Date.parse(source.fetchedAt)));
    if (rest.sources.some((source) => source.status !== 'ok') || fetchedAt.some((at) => !Number.isFinite(at))) return;
    // In the order sent; a per-request header keeps its place and gets its value per request.
    const headers: [string, OutgoingHttpHeader][] = [];
    for (const name of res.getHeaderNames()) {
      const value = res.getHeader(name);
      if (value !== undefined && !NOT_REMEMBERED.has(name)) headers.push([name, isPerRequest(name) ? '' : value]);
    }
    for (const name of PER_REQUEST_HEADERS) {
      if (flat && name === 'content-length') continue;
      if (!headers.some(([known]) => known === name)) headers.push([name, '']);
    }
    const logSources = sourcesSummary(rest.sources.map((source) => ({ ...source, cache: 'hit' })));
    const perProvider = new Map<string, number>();
    for (const source of rest.sources) perProvider.set(source.provider, (perProvider.get(source.provider) ?? 0) + 1);
    const holds = held !== undefined || flat !== undefined;
    if (holds) this.letGoOfChanged();
    const entry: HotEntry = {
      etag: answer.etag,
      held,
      flat,
      coding,
      headers,
      tail: flat ? NO_TAIL : tailTemplate(rest),
      fetchedAt,
      freshUntil: reuse.freshUntil,
      current: reuse.current,
      logSources,
      line: requestLineTemplate(this.deps.logger, { ...HIT_OUTCOME, clientId: client.id, sources: logSources }),
      perProvider: [...perProvider].flatMap(([provider, count]): [TallyCell, number][] => [
        [this.deps.metrics.tally('cacheEvents', { provider, event: 'hit' }), count],
        [this.deps.metrics.tally('sourceOutcomes', { provider, status: 'ok' }), count],
      ]),
    };
    if (!holds) {
      this.entries.set(key, entry);
      return;
    }
    // Past its sources' freshness it is never served, and it holds a generation of campaigns.
    this.entries.set(key, entry, { ttl: Math.max(1, reuse.freshUntil - this.deps.now()) });
    this.hold(key);
  }

  /** Drops the entries holding campaigns whose sources have changed since (a refresh): they would never be served again. */
  private letGoOfChanged(): void {
    for (const key of this.holding) {
      const entry = this.entries.peek(key);
      if (!entry?.current()) this.entries.delete(key);
    }
  }

  /** `key`'s entry holds its content: the oldest such entry goes when there are more than `MAX_HELD_ANSWERS`. */
  private hold(key: string): void {
    this.holding.add(key);
    for (const oldest of this.holding) {
      if (this.holding.size <= MAX_HELD_ANSWERS) break;
      this.entries.delete(oldest); // its dispose takes it out of `holding`
    }
  }
}

/**
 * The server's request listener: the hot path first, then the app. A bug in the hot path never
 * takes a request down with it: before anything is sent the request goes on to the app.
 */
export function hotPathFirst(hot: HotAnswers, app: RequestListener, logger: Logger): RequestListener {
  return (req, res) => {
    let served = false;
    try {
      served = hot.tryServe(req, res);
    } catch (error) {
      logger.error('hot path failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      if (res.headersSent) {
        if (!res.writableEnded) res.destroy();
        return;
      }
    }
    if (!served) app(req, res);
  };
}
