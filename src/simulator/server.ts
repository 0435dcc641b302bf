/**
 * The HTTP machinery every vendor simulator shares: a tiny exact-path router, the request
 * pipeline (latency → down → timeout → 404 → auth → burst/rate limit → error → handler →
 * malformed), call counters and a clean shutdown. A vendor module only supplies its routes, its
 * authentication and its own error bodies.
 *
 * Plain `node:http`: it is lighter than an Express stack, which matters when the simulators serve
 * benchmarks, and the vendors' routing needs are small.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderId } from '../schema/campaign';
import { FaultState, MALFORMED_HTML, truncateJson, type MalformedKind } from './faults';
import { SlidingWindowLimiter, validateRules, type RateDecision } from './rate-limit';
import type { FaultConfig, RateLimitSettings, SimulatorAccount, SimulatorStats, VendorSimulator } from './types';

export interface SimRequest {
  readonly method: string;
  /** The path as sent, without the query (still percent-encoded). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** A vendor answer. A string body is sent as it is; anything else as JSON. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** The body already serialized as JSON (see `BodyCache`); sent as it is. */
  readonly json?: string;
}

/** A 200 whose JSON text is already serialized. */
export function jsonReply(json: string): Reply {
  return { status: 200, body: undefined, json };
}

/**
 * Serialized reply bodies by key, for the big one-call payloads (every campaign in one array):
 * the data never changes, so a repeated query skips building and stringifying megabytes again.
 * Bounded by entries and by total characters; the least recently used entry goes first.
 */
export class BodyCache {
  private readonly entries = new Map<string, string>();
  private chars = 0;

  constructor(
    private readonly maxEntries = 8,
    private readonly maxChars = 64 * 1024 * 1024,
  ) {}

  json(key: string, make: () => unknown): string {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const text = JSON.stringify(make());
    this.entries.set(key, text);
    this.chars += text.length;
    for (const [oldest, value] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      if (oldest === key) break;
      this.entries.delete(oldest);
      this.chars -= value.length;
    }
    return text;
  }
}

export interface RouteContext<A> {
  readonly account: A;
  /** Decoded `:name` path segments. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly request: SimRequest;
}

export interface Route<A> {
  /** `/v1/analytics/campaigns/:id`; segments match exactly, a trailing slash included. */
  readonly template: string;
  handle(context: RouteContext<A>): Reply;
}

export type AuthOutcome<A> = { readonly ok: true; readonly account: A } | { readonly ok: false; readonly reply: Reply };

export interface VendorBehaviour<A extends { readonly account: SimulatorAccount }> {
  readonly provider: ProviderId;
  /** The accounts as served (with derived defaults such as vendor workspace ids). */
  readonly accounts: readonly SimulatorAccount[];
  readonly routes: readonly Route<A>[];
  /** Checks the credentials of a request for `route` (by template). */
  authenticate(request: SimRequest, route: string): AuthOutcome<A>;
  notFound(request: SimRequest): Reply;
  rateLimited(): Reply;
  internalError(): Reply;
  unavailable(): Reply;
  readonly defaultRateLimit: RateLimitSettings;
  /** SendKit: `X-RateLimit-Limit/Remaining/Reset` on every authenticated answer. */
  readonly rateLimitHeaders: boolean;
  /** Builds every account's data as of the day answered (see `VendorSimulator.prepare`). */
  prepare(): void;
}

export interface ServeOptions {
  host: string;
  port: number;
  rateLimit: Partial<RateLimitSettings> | undefined;
  faults: Partial<FaultConfig> | undefined;
  faultSeed: number;
}

interface CompiledRoute<A> {
  readonly route: Route<A>;
  readonly key: string;
  readonly segments: readonly string[];
}

function compile<A>(route: Route<A>): CompiledRoute<A> {
  return { route, key: `GET ${route.template}`, segments: route.template.split('/') };
}

function match<A>(routes: readonly CompiledRoute<A>[], path: string): { route: CompiledRoute<A>; params: Record<string, string> } | undefined {
  const parts = path.split('/');
  for (const candidate of routes) {
    if (candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i += 1) {
      const want = candidate.segments[i] ?? '';
      const got = parts[i] ?? '';
      if (want.startsWith(':')) {
        const value = decodeSegment(got);
        if (value === undefined || value === '') ok = false;
        else params[want.slice(1)] = value;
      } else if (want !== got) ok = false;
    }
    if (ok) return { route: candidate, params };
  }
  return undefined;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function increment(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

function emptyStats(): SimulatorStats {
  return { total: 0, byRoute: {}, byStatus: {}, byKey: {}, spanByKey: {} };
}

function resolveRateLimit(base: RateLimitSettings, override: Partial<RateLimitSettings> | undefined): RateLimitSettings {
  const next: RateLimitSettings = {
    rules: override?.rules ?? base.rules,
    perEndpoint: override?.perEndpoint ?? base.perEndpoint,
    retryAfter: override?.retryAfter ?? base.retryAfter,
  };
  validateRules(next.rules);
  return { ...next, rules: next.rules.map((rule) => ({ limit: rule.limit, windowMs: rule.windowMs })) };
}

function serialize(reply: Reply): { text: string; contentType: string } {
  if (reply.json !== undefined) return { text: reply.json, contentType: 'application/json; charset=utf-8' };
  if (typeof reply.body === 'string') return { text: reply.body, contentType: 'text/plain; charset=utf-8' };
  return { text: JSON.stringify(reply.body), contentType: 'application/json; charset=utf-8' };
}

function breakReply(reply: Reply, kind: MalformedKind): Reply {
  if (kind === 'html') return { status: 200, body: MALFORMED_HTML, headers: { 'content-type': 'text/html; charset=utf-8' } };
  return { status: 200, body: truncateJson(serialize(reply).text), headers: { 'content-type': 'application/json; charset=utf-8' } };
}

/** A served simulator; `startSimulator` adds the reference-date controls, which live with the data. */
export type ServedVendor = Omit<VendorSimulator, 'setReferenceDate' | 'referenceDate'>;

/** Starts one vendor simulator on `host:port`. */
export async function serveVendor<A extends { readonly account: SimulatorAccount }>(
  behaviour: VendorBehaviour<A>,
  options: ServeOptions,
): Promise<ServedVendor> {
  const routes = behaviour.routes.map(compile);
  const faults = new FaultState(options.faultSeed, options.faults);
  let rateLimit = resolveRateLimit(behaviour.defaultRateLimit, options.rateLimit);
  let limiter = new SlidingWindowLimiter(rateLimit.rules);
  let stats = emptyStats();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: (completed: boolean) => void }>();

  function sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
          resolve(true);
        }, ms),
        wake: resolve,
      };
      sleepers.add(sleeper);
    });
  }

  function send(res: ServerResponse, reply: Reply, extraHeaders: Readonly<Record<string, string>> = {}): void {
    increment(stats.byStatus, String(reply.status));
    if (res.destroyed || res.writableEnded) return;
    const { text, contentType } = serialize(reply);
    res.writeHead(reply.status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(text)),
      ...extraHeaders,
      ...reply.headers,
    });
    res.end(text);
  }

  function rateHeaders(decision: RateDecision): Record<string, string> {
    if (!behaviour.rateLimitHeaders || !Number.isFinite(decision.limit)) return {};
    return {
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
      // Epoch seconds, as express-rate-limit's legacy headers do (SendKit documents no format).
      'x-ratelimit-reset': String(Math.ceil(decision.resetMs / 1000)),
    };
  }

  function retryAfterHeader(retryAfterMs: number, now: number): Record<string, string> {
    if (rateLimit.retryAfter === 'none') return {};
    if (rateLimit.retryAfter === 'date') {
      return { 'retry-after': new Date(Math.ceil((now + retryAfterMs) / 1000) * 1000).toUTCString() };
    }
    return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const request: SimRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
    const found = request.method === 'GET' ? match(routes, request.path) : undefined;
    stats.total += 1;
    increment(stats.byRoute, found ? found.route.key : `${request.method} *`);

    const delay = faults.delayMs();
    if (delay > 0 && !(await sleep(delay))) return;
    if (faults.isDown()) return send(res, behaviour.unavailable());
    if (faults.drawTimeout()) {
      // Never answer: the socket stays open until the client gives up or the simulator closes.
      increment(stats.byStatus, 'timeout');
      return;
    }
    if (!found) return send(res, behaviour.notFound(request));

    const auth = behaviour.authenticate(request, found.route.route.template);
    if (!auth.ok) return send(res, auth.reply);
    increment(stats.byKey, auth.account.account.label);

    const now = Date.now();
    const span = stats.spanByKey[auth.account.account.label];
    if (span) span.lastMs = now;
    else stats.spanByKey[auth.account.account.label] = { firstMs: now, lastMs: now };
    if (faults.takeBurst()) {
      return send(res, behaviour.rateLimited(), retryAfterHeader(1000, now));
    }
    const bucket = rateLimit.perEndpoint ? `${auth.account.account.label} ${found.route.key}` : auth.account.account.label;
    const decision = limiter.take(bucket, now);
    const limitHeaders = rateHeaders(decision);
    if (!decision.allowed) {
      return send(res, behaviour.rateLimited(), { ...limitHeaders, ...retryAfterHeader(decision.retryAfterMs, now) });
    }
    if (faults.drawError()) return send(res, behaviour.internalError(), limitHeaders);

    const reply = found.route.route.handle({ account: auth.account, params: found.params, query: request.query, request });
    const malformed = faults.drawMalformed();
    send(res, malformed === undefined ? reply : breakReply(reply, malformed), limitHeaders);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, behaviour.internalError());
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('simulator: server has no TCP address');
  const port = (address satisfies AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;

  return {
    provider: behaviour.provider,
    url: `http://${host}:${port}`,
    port,
    accounts: behaviour.accounts,
    stats: () => ({
      total: stats.total,
      byRoute: { ...stats.byRoute },
      byStatus: { ...stats.byStatus },
      byKey: { ...stats.byKey },
      spanByKey: Object.fromEntries(Object.entries(stats.spanByKey).map(([label, span]) => [label, { ...span }])),
    }),
    resetStats: () => {
      stats = emptyStats();
    },
    setFaults: (next) => faults.set(next),
    prepare: () => behaviour.prepare(),
    faults: () => faults.current(),
    setRateLimit: (next) => {
      rateLimit = resolveRateLimit(rateLimit, next);
      limiter = new SlidingWindowLimiter(rateLimit.rules);
    },
    rateLimit: () => ({ ...rateLimit, rules: rateLimit.rules.map((rule) => ({ ...rule })) }),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const sleeper of sleepers) {
          clearTimeout(sleeper.timer);
          sleeper.wake(false);
        }
        sleepers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
