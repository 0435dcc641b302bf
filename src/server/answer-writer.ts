/**
 * The one writer of what an answer carries per request, whichever path serves it (the Express
 * pipeline, app.ts, or the cache-hit fast path, hot-path.ts): the request id, the per-request
 * headers of an analytics answer (`RateLimit-Policy`, `RateLimit`, `Cache-Control`,
 * `Content-Length`), the body written in slices with backpressure (JSON pieces, CSV and NDJSON
 * chunks: `writeChunks`), and the metrics and the one log line per request. Both paths import
 * these functions; nothing is kept equal by copying.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AnswerBody } from '../gateway/answer-cache';
import { lineTemplate, logLine, type LineTemplate, type Logger } from '../logger';
import type { GatewayMetrics } from '../metrics';
import type { Source } from '../schema/envelope';
import { rateLimitField, rateLimitPolicy, type InboundDecision } from './inbound-limit';

/** An incoming `X-Request-Id` is kept when it matches this; otherwise a UUID is made. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id of a request: the caller's `X-Request-Id` when well-formed, else a new UUID. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** `Cache-Control` of an analytics answer whose oldest source stays fresh for `maxAgeSeconds`. */
export function cacheControl(maxAgeSeconds: number): string {
  return `private, max-age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

/** The headers made per request for an analytics answer, by their lower-case names. */
export const PER_REQUEST_HEADERS = ['x-request-id', 'ratelimit-policy', 'ratelimit', 'cache-control', 'content-length'] as const;
export type PerRequestHeader = (typeof PER_REQUEST_HEADERS)[number];

/** The values of the per-request headers of one answer. */
export function perRequestHeaders(requestId: string, decision: InboundDecision, maxAgeSeconds: number, contentLength: number): Record<PerRequestHeader, string | number> {
  return {
    'x-request-id': requestId,
    'ratelimit-policy': rateLimitPolicy(decision),
    ratelimit: rateLimitField(decision),
    'cache-control': cacheControl(maxAgeSeconds),
    'content-length': contentLength,
  };
}

/** Past this many sources the log line counts them per `status:cache` and names only those not ok. */
export const LOGGED_SOURCES = 20;

/**
 * Each source's outcome for the request log line: `connection:status:cache[:code]`, space-separated;
 * for an answer of more than `LOGGED_SOURCES` (an agency's 800), `800 sources: 798 ok:hit 2 error:miss`
 * and then each source that is not ok, by name (not a 32 KB string redacted on every request).
 */
export function sourcesSummary(sources: readonly Source[]): string {
  const one = (s: Source): string => `${s.connection}:${s.status}:${s.cache}${s.error ? `:${s.error.code}` : ''}`;
  if (sources.length <= LOGGED_SOURCES) return sources.map(one).join(' ');
  const counts = new Map<string, number>();
  for (const s of sources) counts.set(`${s.status}:${s.cache}`, (counts.get(`${s.status}:${s.cache}`) ?? 0) + 1);
  const notOk = sources.filter((s) => s.status !== 'ok').map(one);
  return [`${sources.length} sources:`, ...[...counts].map(([what, n]) => `${n} ${what}`), ...(notOk.length > 0 ? ['not ok:', ...notOk] : [])].join(' ');
}

export interface RequestOutcome {
  requestId: string;
  clientId: string | undefined;
  method: string;
  path: string;
  /** Metric label: the matched route template, never the raw path. */
  route: string;
  status: number;
  /** `process.hrtime.bigint()` when the request arrived. */
  started: bigint;
  sources?: string | undefined;
  /** The id of the signed link the request came with (links.ts); never its signature. */
  link?: string | undefined;
}

/** The request log line's fields, all but `requestId` and `ms` (made per request). */
function requestFields(outcome: Omit<RequestOutcome, 'requestId' | 'started'>): Record<string, unknown> {
  return {
    client: outcome.clientId,
    method: outcome.method,
    path: outcome.path.slice(0, 200),
    route: outcome.route,
    status: outcome.status,
    ...(outcome.sources !== undefined ? { sources: outcome.sources } : {}),
    ...(outcome.link !== undefined ? { link: outcome.link } : {}),
  };
}

/**
 * The request log line of answers repeated with the same outcome (a remembered cache hit): made
 * once, so each such request costs only its id, duration and time (logger.ts `lineTemplate`).
 */
export function requestLineTemplate(logger: Logger, outcome: Omit<RequestOutcome, 'requestId' | 'started'>): LineTemplate | undefined {
  return lineTemplate(logger, 'info', 'request', requestFields(outcome), ['requestId', 'ms']);
}

/** The request's metrics and its one log line (from `line`, the template of its fixed fields, when given). */
export function recordRequest(metrics: GatewayMetrics, logger: Logger, outcome: RequestOutcome, line?: LineTemplate): void {
  const ms = Number(process.hrtime.bigint() - outcome.started) / 1e6;
  const { route, status } = outcome;
  metrics.httpRequests.inc({ route, status: String(status) });
  metrics.httpDuration.observe({ route }, ms / 1000);
  const rounded = Math.round(ms * 10) / 10;
  if (line) logLine(logger, line, { requestId: outcome.requestId, ms: rounded });
  else logger.info('request', { requestId: outcome.requestId, ...requestFields(outcome), ms: rounded });
}

/** Bytes written in one turn of the event loop before the writer lets other callers in. */
const TURN_BYTES = 1024 * 1024;
/** Milliseconds of making chunks (a CSV row formatted the first time) in one turn before it yields. */
const TURN_MS = 8;

/**
 * Writes a body's chunks in order and ends the answer: at most about a megabyte or a few ms of
 * work per turn of the event loop, pausing for `drain` whenever the socket's buffer is full, so a
 * big answer never holds the event loop (a loopback reader drains as fast as it is written, so
 * backpressure alone would let one answer run to its end in one turn) nor queues a second copy of
 * itself in memory. Chunks are pulled only when they are written (a generator does its work in
 * slices too). A caller that leaves ends the writing quietly. Resolves when the answer has ended
 * or the caller has left.
 */
export function writeChunks(
  res: ServerResponse,
  chunks: Iterable<Buffer | string>,
  options: {
    cork?: boolean;
    /** Called with each chunk once it has been written to the socket without error (a pool takes it back). */
    written?: (chunk: Buffer) => void;
  } = {},
): Promise<void> {
  const { written: onWritten } = options;
  /** The write's callback: the chunk back to its owner once written, never after an error. */
  const whenWritten = (chunk: Buffer | string): ((error?: Error | null) => void) | undefined =>
    onWritten && typeof chunk !== 'string'
      ? (error) => {
          if (!error) onWritten(chunk);
        }
      : undefined;
  const iterator = chunks[Symbol.iterator]();
  // One chunk is held back so the last one goes with `end()`.
  let held: IteratorResult<Buffer | string> | undefined;
  return new Promise<void>((resolve, reject) => {
    const next = (): void => {
      // A write to loopback often completes at once and 'drain' comes in the same tick queue:
      // the next slice waits for the next turn all the same.
      if (!res.writableNeedDrain) {
        setImmediate(pump);
        return;
      }
      const resume = (): void => {
        res.off('drain', resume);
        res.off('close', resume);
        setImmediate(pump);
      };
      res.once('drain', resume);
      res.once('close', resume);
    };
    /** One slice of writes. */
    const slice = (): boolean => {
      const started = performance.now();
      let written = 0;
      held ??= iterator.next();
      for (;;) {
        if (res.destroyed) {
          iterator.return?.();
          return true;
        }
        if (held.done) {
          res.end();
          return true;
        }
        const chunk = held.value;
        held = iterator.next();
        if (held.done) {
          res.end(chunk, whenWritten(chunk));
          return true;
        }
        // Corked writes gather until the slice ends; others stop at a full socket buffer.
        const room = res.write(chunk, whenWritten(chunk));
        written += chunk.length;
        if ((!room && !options.cork) || written >= TURN_BYTES || performance.now() - started >= TURN_MS) return false;
      }
    };
    const pump = (): void => {
      let ended: boolean;
      if (options.cork) res.cork();
      try {
        ended = slice();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      } finally {
        if (options.cork) res.uncork();
      }
      if (ended) resolve();
      else next();
    };
    pump();
  });
}

/**
 * Sends a JSON analytics body (headers already set or passed to writeHead by the caller): its
 * pieces, as `writeChunks` writes them, each slice corked so its pieces leave in one writev (a
 * cached answer is a dozen slices of the sources' buffers: one system call instead of a dozen).
 * Generated chunks (CSV, NDJSON) are not corked, and a slice of them stops at a full socket
 * buffer: writing on to a megabyte per slice doubled the gateway's RSS in the big-agency bench
 * (405 to 740 MB, the V8 heap grown under more live chunks).
 */
export function writeBody(res: ServerResponse, body: AnswerBody): Promise<void> {
  return writeChunks(res, body.pieces, { cork: true });
}
