/**
 * One GET on `node:http` / `node:https`, as the HTTP client needs it: the answer's status, its
 * headers (lower-case names, repeated ones joined with ", ") and its body as text.
 *
 * - sockets from the caller's keep-alive agents (`agents.ts`); no proxy from the environment, and a
 *   redirect is an answer like any other (nothing is followed);
 * - `Accept-Encoding: gzip, deflate, br`, and a body in one of those codings is decompressed;
 * - the body is counted after decompression: past `maxBytes` the socket is closed at once and the
 *   call fails with `BODY_TOO_LARGE` (an endless body is never buffered);
 * - UTF-8, a leading byte-order mark removed;
 * - the call has `timeoutMs` in all (connecting, waiting for a socket, reading), then fails with
 *   `ETIMEDOUT`; the caller's `signal` ends it sooner, wherever it is (one timer and at most one
 *   listener per call: no controller of its own, as a cold walk makes tens of thousands);
 * - a failure rejects with the socket's own error (its `code`, such as `ECONNRESET`), or a
 *   `TransportError` for the size cap and a broken compressed body.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { onAbort } from '../abort-hooks';
import type { OutboundAgents } from './agents';

export const ACCEPT_ENCODING = 'gzip, deflate, br';
/** The code of the error a body past `maxBytes` fails with. */
export const BODY_TOO_LARGE = 'ERR_BODY_TOO_LARGE';

export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface TextResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** The code of the error a call that ran out of `timeoutMs` fails with (a socket's own timeout has it too). */
export const TIMED_OUT = 'ETIMEDOUT';

export interface GetTextOptions {
  headers: Readonly<Record<string, string>>;
  /** The whole call's time, in ms. */
  timeoutMs: number;
  /** Cancels the call (the caller's walk or request ending). */
  signal?: AbortSignal | undefined;
  maxBytes: number;
  agents: OutboundAgents;
  /** Called once the request is written to its socket (after any wait for a free one). */
  onSent?: (() => void) | undefined;
}

function headerMap(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(', ');
  }
  return out;
}

/** The body as Node hands it over, or through the decompressor its coding needs. */
function decoded(response: IncomingMessage, status: number, headers: Record<string, string>): Readable {
  const coding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  // No body to decode, whatever the header says.
  if (coding === '' || status === 204 || status === 304 || headers['content-length'] === '0') return response;
  if (coding === 'gzip' || coding === 'x-gzip' || coding === 'deflate') return response.pipe(createUnzip());
  if (coding === 'br') return response.pipe(createBrotliDecompress());
  return response;
}

export function getText(url: URL, options: GetTextOptions): Promise<TextResponse> {
  const secure = url.protocol === 'https:';
  return new Promise<TextResponse>((resolve, reject) => {
    let settled = false;
    let stopWatching: (() => void) | undefined;
    const aborted = (): void => fail(new TransportError('ABORT_ERR', 'the call was aborted'));
    const timer = setTimeout(() => fail(new TransportError(TIMED_OUT, `no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    /** True for the first outcome only (an answer, or the first failure). */
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      stopWatching?.();
      return true;
    };
    // Passed on as it is: a socket error's `code` (ECONNREFUSED) is what the client reports, and
    // an error from another realm (a test's VM context) is not `instanceof Error` here. Destroying
    // the request closes its socket, and with it the answer being read.
    const fail = (error: Error): void => {
      if (!settle()) return;
      request.destroy();
      reject(error);
    };
    const send = secure ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'GET',
        headers: options.headers,
        agent: secure ? options.agents.httpsAgent : options.agents.httpAgent,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const headers = headerMap(response.headers);
        response.on('error', fail);
        const body = decoded(response, status, headers);
        if (body !== response) body.on('error', (error) => fail(new TransportError('ERR_BAD_ENCODING', `the body did not decompress: ${error.message}`)));
        const chunks: Buffer[] = [];
        let bytes = 0;
        body.on('data', (chunk: Buffer) => {
          if (settled) return;
          bytes += chunk.length;
          if (bytes > options.maxBytes) {
            fail(new TransportError(BODY_TOO_LARGE, 'response body exceeded the size cap'));
            if (body !== response) body.destroy();
            return;
          }
          chunks.push(chunk);
        });
        body.on('end', () => {
          if (!settle()) return;
          const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
          const text = buffer.toString('utf8');
          resolve({ status, headers, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text });
        });
      },
    );
    // The codings this module decodes (set here, not copied into the caller's headers).
    request.setHeader('Accept-Encoding', ACCEPT_ENCODING);
    request.on('error', fail);
    if (options.onSent) request.once('finish', options.onSent);
    if (options.signal?.aborted) return aborted();
    if (options.signal) stopWatching = onAbort(options.signal, aborted);
    request.end();
  });
}
