/**
 * The one outbound HTTP client every provider uses: one GET per attempt (`transport.ts`, on
 * `node:http`), statuses mapped to errors here, and our own retry loop.
 *
 * - a timeout on every attempt for the whole exchange, enforced with an AbortSignal (a socket idle
 *   timeout alone would never trip on a body dripped one byte a second);
 * - a response size cap (counted after decompression), default 20 MB;
 * - a redirect is an error and is never followed, so a key sent as a custom header (`X-API-Key`)
 *   cannot reach another host;
 * - a redirect, or a 2xx HTML page where JSON was due, is `wrong_host`: the configured `baseUrl` is
 *   not the vendor's JSON API (a frontend, a login page, http instead of https). The message names
 *   the status and the hosts involved, never a path, query string or key; a provider may swap the
 *   generic advice for its own (`withWrongHostAdvice`);
 * - sockets from the shared keep-alive pools of `agents.ts`, at most `maxSocketsPerOrigin` per
 *   vendor origin for the whole process (800 connections never open thousands of sockets at once);
 * - every status comes back from the transport and is mapped here, in one place, to `ProviderError`;
 * - retries per `decideRetry`, bounded by attempts and by the caller's deadline and signal;
 * - errors are our own `ProviderError`: no transport error (which may carry the URL) escapes,
 *   and every configured secret is removed from vendor-supplied message text.
 */
import { sleep } from '../abort-hooks';
import { ProviderError, redactSecrets, type ProviderErrorCode } from '../errors';
import { outboundAgents } from './agents';
import { BODY_TOO_LARGE, getText, TIMED_OUT as TRANSPORT_TIMED_OUT, TransportError } from './transport';
import type { ProviderId } from '../schema/campaign';
import { DEFAULT_RETRY_POLICY, decideRetry, parseRetryAfter, type AttemptOutcome, type RetryPolicy } from './retry';

export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'outreach-gateway/0.1 (+https://github.com/outreach-gateway)';
const MAX_MESSAGE_CHARS = 300;

/** One attempt's hold on the gate, from its permit to its end. */
export interface Permit {
  /** The request is written to its socket (after any wait for a free one): the vendor counts it from about now. */
  readonly sent: () => void;
  /** The vendor's answer headers (lower-case names), for a gate that follows its rate-limit headers. */
  readonly answered: (headers: Readonly<Record<string, string>>) => void;
  /** The attempt is over: answered, failed, or never sent. */
  readonly release: () => void;
}

/** A seam for outbound limits: the rate limiter hands out permits per attempt. */
export interface RequestGate {
  /** Waits for a permit (concurrency slot + token). */
  acquire(signal: AbortSignal | undefined, deadlineMs: number | undefined): Promise<Permit>;
  /** The vendor said 429: hold every caller of this account for `ms`. */
  pause(ms: number): void;
}

export interface UpstreamEvent {
  provider: ProviderId;
  path: string;
  attempt: number;
  status: number | undefined;
  outcome: 'ok' | ProviderErrorCode;
  durationMs: number;
  /**
   * How long the attempt, holding its permit, waited before it was written to a socket (a free
   * socket in the origin's pool, `maxSocketsPerOrigin`, or a new connection); absent when it never was.
   */
  socketWaitMs?: number;
  /** The answer's rate-limit headers (`x-ratelimit-*`, `ratelimit*`, `retry-after`), lower-case names; absent without an answer. */
  rateLimitHeaders?: Record<string, string>;
}

const RATE_LIMIT_HEADER = /ratelimit|rate-limit|retry-after/;

function rateLimitHeadersOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) if (RATE_LIMIT_HEADER.test(name)) out[name] = headers[name] as string;
  return out;
}

export interface HttpClientOptions {
  provider: ProviderId;
  /** The vendor's origin, e.g. `https://api.instantly.ai`; paths carry their version prefix. */
  baseUrl: string;
  /** Per-attempt timeout. @default 10000 */
  timeoutMs?: number;
  /** @default 20 MB */
  maxResponseBytes?: number;
  /** Sockets to the vendor's origin for the whole process (shared with every client of the same cap). @default 64 */
  maxSocketsPerOrigin?: number;
  retry?: Partial<RetryPolicy>;
  /** Values removed from any error message (the connection's key, for a start). */
  secrets?: readonly string[];
  gate?: RequestGate;
  observer?: (event: UpstreamEvent) => void;
  /** Injected for tests. */
  random?: () => number;
  now?: () => number;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface GetJsonRequest {
  /** Path below the origin, built with `pathOf` so ids are encoded. */
  path: string;
  query?: Readonly<Record<string, QueryValue>>;
  /** Auth headers only; nothing from the caller is ever forwarded. */
  headers: Readonly<Record<string, string>>;
  signal?: AbortSignal | undefined;
  /** Epoch ms by which the whole call, retries included, must be over. */
  deadlineMs?: number | undefined;
}

export interface JsonResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  data: unknown;
}

export interface HttpClient {
  readonly provider: ProviderId;
  /** The configured origin (`https://app.seleqt.ai`); `createHttpClient` always sets it, test doubles may leave it out. */
  readonly origin?: string;
  getJson(request: GetJsonRequest): Promise<JsonResponse>;
  /** Attempts sent so far (retries included). */
  readonly calls: number;
}

/**
 * Tagged template for URL paths: every interpolated value is `encodeURIComponent`-ed, so an id
 * such as `../x`, `a/b` or `@evil.com` stays one path segment on the configured host.
 */
export function pathOf(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) {
    const text = String(values[i]);
    // encodeURIComponent leaves dots alone, and URL parsing resolves "." and ".." segments.
    if (text === '' || text === '.' || text === '..') throw new Error('unsafe path segment');
    out += encodeURIComponent(text) + (strings[i + 1] ?? '');
  }
  return out;
}

/** Validates a configured base URL and returns its origin (no path, query or credentials). */
export function normalizeBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`baseUrl must be http(s): ${url.protocol}`);
  if (url.username || url.password) throw new Error('baseUrl must not carry credentials');
  return url.origin;
}

/** The URL of a call: `path` (which must stay on `origin`) and the query's defined values, arrays as repeated names. */
export function requestUrl(origin: string, path: string, query: Readonly<Record<string, QueryValue>> | undefined): URL {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error('path must be absolute on the origin');
  const url = new URL(path, origin);
  if (url.origin !== origin) throw new Error('path left the configured origin');
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, String(item));
    else url.searchParams.append(name, String(value));
  }
  return url;
}

/** `requestUrl` as text. */
export function buildUrl(origin: string, path: string, query: Readonly<Record<string, QueryValue>> | undefined): string {
  return requestUrl(origin, path, query).toString();
}

/** Maps a non-2xx HTTP status to a stable code. */
export function codeForStatus(status: number): ProviderErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 402) return 'payment_required';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'upstream_too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'upstream_unavailable';
  if (status >= 300 && status < 400) return 'wrong_host';
  return 'bad_request';
}

/** What every `wrong_host` message ends with, unless a provider gave its own advice. */
export const WRONG_HOST_ADVICE = "this host is not the vendor's JSON API; check the connection's baseUrl";

/** True when a body that did not parse as JSON is an HTML page (by its content type or its first character). */
export function looksLikeHtml(contentType: string | undefined, text: string): boolean {
  if (contentType !== undefined && /\b(text\/html|application\/xhtml\+xml)\b/i.test(contentType)) return true;
  return text.replace(/^\uFEFF/, '').trimStart().startsWith('<');
}

/** The host (and port) a `Location` header points to, resolved against the request URL; undefined when there is none. */
function locationHost(location: string | undefined, base: URL): string | undefined {
  if (location === undefined || location.trim() === '') return undefined;
  try {
    return new URL(location.trim(), base).host || undefined;
  } catch {
    return undefined;
  }
}

function wrongHostError(provider: ProviderId, status: number, what: string): ProviderError {
  return new ProviderError({ provider, code: 'wrong_host', status, message: `${what}: ${WRONG_HOST_ADVICE}` });
}

/**
 * The same `wrong_host` error with the provider's own advice (which host to set) in place of the
 * generic one; any other error is returned as it is.
 */
export function withWrongHostAdvice(error: unknown, advice: string): unknown {
  if (!(error instanceof ProviderError) || error.code !== 'wrong_host') return error;
  const generic = `: ${WRONG_HOST_ADVICE}`;
  const what = error.message.endsWith(generic) ? error.message.slice(0, -generic.length) : error.message;
  return new ProviderError({ provider: error.provider, code: error.code, status: error.status, message: `${what}: ${advice}` });
}

/** A short, secret-free description of a vendor error body: `message ?? error ?? raw text`. */
export function describeErrorBody(text: string, secrets: readonly string[]): string {
  let described = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') {
      const record = new Map<string, unknown>(Object.entries(parsed));
      const code = record.get('error');
      const message = record.get('message');
      const parts = [code, message].filter((part): part is string => typeof part === 'string' && part !== '');
      if (parts.length > 0) described = parts.join(': ');
    }
  } catch {
    // not JSON: keep the raw text
  }
  // Redact before truncating: a key cut in half by the length limit would no longer match.
  const flat = redactSecrets(described, secrets).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS)}…` : flat;
}

/** An attempt that ran out of time, whoever noticed first (the transport's timer or the socket). */
const TIMED_OUT = { code: 'upstream_timeout', message: 'the vendor did not answer in time' } as const;

/** Classifies an exception thrown by the transport (never a status: those are returned). */
function classifyThrown(error: unknown): { code: ProviderErrorCode; message: string } {
  if (error instanceof TransportError && error.code === BODY_TOO_LARGE) return { code: 'upstream_too_large', message: 'response body exceeded the size cap' };
  const code = error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code === TRANSPORT_TIMED_OUT) return TIMED_OUT;
  return { code: 'network', message: `network error talking to the vendor (${code ?? 'unknown'})` };
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const origin = normalizeBaseUrl(options.baseUrl);
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const secrets = options.secrets ?? [];
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const provider = options.provider;
  const originHost = new URL(origin).host;

  const agents = outboundAgents(options.maxSocketsPerOrigin);

  let calls = 0;

  async function attempt(
    url: URL,
    request: GetJsonRequest,
    attemptNumber: number,
  ): Promise<{ ok: true; response: JsonResponse } | { ok: false; error: ProviderError; outcome: AttemptOutcome }> {
    const remainingMs = (): number => (request.deadlineMs === undefined ? timeoutMs : Math.min(timeoutMs, request.deadlineMs - now()));
    const deadlineReached = (): { ok: false; error: ProviderError; outcome: AttemptOutcome } => ({
      ok: false,
      error: new ProviderError({ provider, code: 'upstream_timeout', message: 'deadline reached before the call' }),
      outcome: { kind: 'timeout' },
    });
    if (remainingMs() <= 0) return deadlineReached();
    // The attempt's timeout starts once it holds its permit. Queueing for a slot or a token is
    // bounded by the deadline (the gate fails at once as rate_limited when the wait would pass
    // it), not by timeoutMs: a walk of many calls under a slow rate would otherwise cancel its
    // own queued calls and fail as "aborted".
    const permit = options.gate ? await options.gate.acquire(request.signal, request.deadlineMs) : undefined;
    const remaining = remainingMs();
    if (remaining <= 0) {
      permit?.release();
      return deadlineReached();
    }
    const started = now();
    calls += 1;
    let answerHeaders: Record<string, string> | undefined;
    let socketWaitMs: number | undefined;
    const emit = (status: number | undefined, outcome: UpstreamEvent['outcome']): void =>
      options.observer?.({
        provider,
        path: request.path,
        attempt: attemptNumber,
        status,
        outcome,
        durationMs: now() - started,
        ...(socketWaitMs !== undefined ? { socketWaitMs } : {}),
        ...(answerHeaders ? { rateLimitHeaders: rateLimitHeadersOf(answerHeaders) } : {}),
      });
    const sent = (): void => {
      socketWaitMs = now() - started;
      permit?.sent();
    };
    try {
      const response = await getText(url, {
        headers: { Accept: 'application/json', 'User-Agent': USER_AGENT, ...request.headers },
        timeoutMs: remaining,
        signal: request.signal,
        maxBytes,
        agents,
        onSent: sent,
      });
      const { headers, text, status } = response;
      answerHeaders = headers;
      permit?.answered(headers);
      if (status >= 200 && status < 300) {
        let data: unknown;
        try {
          data = text === '' ? null : JSON.parse(text);
        } catch {
          // A body that parses is accepted whatever its content type; one that does not is a wrong
          // host when it is an HTML page (a frontend answering every path), else a broken reply.
          const error = looksLikeHtml(headers['content-type'], text)
            ? wrongHostError(provider, status, `HTTP ${status} from ${originHost} was an HTML page, not JSON`)
            : new ProviderError({ provider, code: 'upstream_schema', status, message: 'the vendor answered with a body that is not JSON' });
          emit(status, error.code);
          return { ok: false, error, outcome: { kind: 'status', status } };
        }
        emit(status, 'ok');
        return { ok: true, response: { status, headers, data } };
      }
      if (status >= 300 && status < 400) {
        // The body and the Location's path and query are left out: they may carry a token.
        const target = locationHost(headers.location, url);
        const to = target === undefined ? '' : ` (to ${redactSecrets(target, secrets)})`;
        const error = wrongHostError(provider, status, `HTTP ${status} from ${originHost}: redirect not followed${to}`);
        emit(status, error.code);
        return { ok: false, error, outcome: { kind: 'status', status } };
      }
      const retryAfterMs = parseRetryAfter(headers['retry-after'], now(), policy.maxRetryAfterMs);
      const code = codeForStatus(status);
      const error = new ProviderError({
        provider,
        code,
        status,
        retryAfterMs,
        message: `HTTP ${status}${text ? `: ${describeErrorBody(text, secrets)}` : ''}`,
      });
      if (status === 429) options.gate?.pause(retryAfterMs ?? policy.baseDelayMs);
      emit(status, code);
      return { ok: false, error, outcome: { kind: 'status', status, retryAfterMs } };
    } catch (thrown) {
      if (request.signal?.aborted) {
        const error = new ProviderError({ provider, code: 'aborted', message: 'the call was cancelled' });
        emit(undefined, error.code);
        return { ok: false, error, outcome: { kind: 'timeout' } };
      }
      const error = new ProviderError({ provider, ...classifyThrown(thrown) });
      emit(undefined, error.code);
      const outcome: AttemptOutcome = error.code === 'upstream_timeout' ? { kind: 'timeout' } : { kind: 'network' };
      // A body over the cap will be over the cap next time too.
      if (error.code === 'upstream_too_large') return { ok: false, error, outcome: { kind: 'status', status: 413 } };
      return { ok: false, error, outcome };
    } finally {
      permit?.release();
    }
  }

  async function getJson(request: GetJsonRequest): Promise<JsonResponse> {
    // Handed to the transport as it is: node:http reads a URL object's parts without parsing it again.
    const url = requestUrl(origin, request.path, request.query);
    for (let n = 1; ; n += 1) {
      const result = await attempt(url, request, n);
      if (result.ok) return result.response;
      if (result.error.code === 'aborted') throw result.error;
      const decision = decideRetry({
        method: 'GET',
        attempt: n,
        outcome: result.outcome,
        policy,
        nowMs: now(),
        deadlineMs: request.deadlineMs,
        random: random(),
      });
      if (!decision.retry) throw result.error;
      try {
        await sleep(decision.delayMs, request.signal);
      } catch {
        throw new ProviderError({ provider, code: 'aborted', message: 'the call was cancelled' });
      }
    }
  }

  return {
    provider,
    origin,
    getJson,
    get calls() {
      return calls;
    },
  };
}
