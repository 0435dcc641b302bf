/**
 * One configured connection at run time: its provider, HTTP client (with the vendor account's
 * limiter as gate), circuit breaker, cache entries and health. `fetch()` answers one source of one
 * request: fresh hit, stale-while-revalidate, coalesced upstream walk, stale-if-error, or error,
 * and never later than the request's deadline. An upstream walk runs under no caller's signal, so
 * it may finish after the deadline and fill the cache for the next request. `refresh()` is the same
 * walk for a caller with no request (the scheduler), its calls passing its own gate first.
 */
import type { ResolvedConnection } from '../config';
import { ProviderError, isAccountError, isProviderError } from '../errors';
import { createHttpClient, type HttpClient, type RequestGate } from '../http/client';
import type { Logger } from '../logger';
import type { GatewayMetrics } from '../metrics';
import type { AnalyticsProvider, ProviderConnection, ProviderResult, SourceWarning } from '../providers/types';
import { Coalescer } from '../cache/coalesce';
import type { SharedSourceTier } from '../scaleout/redis-tier';
import { CacheKeyer, SourceCache, type CachedSource, type UpstreamQueryKey } from '../cache/source-cache';
import { CircuitBreaker, type BreakerState, type BreakerTicket } from '../ratelimit/breaker';
import type { AccountLimiter } from '../ratelimit/limiter';
import type { CampaignAnalytics } from '../schema/campaign';
import type { WalkSnapshot } from '../store/snapshots';
import { abortAfter, settleWithin, type Countdown } from '../deadline';
import { viewOf } from './answer-pieces';

/** How long a connection whose key the vendor rejected (401/403) is left alone. */
export const AUTH_BLOCK_MS = 60_000;

export type SourceStatus = 'ok' | 'stale' | 'error';
export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'bypass';

export interface SourceError {
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

export interface SourceResult {
  status: SourceStatus;
  cache: CacheOutcome;
  fetchedAt: number | undefined;
  records: CampaignAnalytics[];
  warnings: SourceWarning[];
  error: SourceError | null;
  /** Seconds left until the entry goes stale (0 when stale or none). */
  freshForSeconds: number;
  /** Content digest of the records served (undefined when none). */
  digest: string | undefined;
}

export interface ConnectionHealth {
  lastSuccessAt: number | undefined;
  lastErrorAt: number | undefined;
  lastErrorCode: string | undefined;
  lastCampaignCount: number | undefined;
  lastFetchedAt: number | undefined;
}

export interface ConnectionDeps {
  provider: AnalyticsProvider;
  limiter: AccountLimiter;
  cache: SourceCache;
  keyer: CacheKeyer;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Upper bound for one background upstream walk, in ms. */
  walkTimeoutMs: number;
  now?: () => number;
  /** The shared tier (Redis) of a scale-out deployment: consulted on a local miss, coordinates walks. */
  shared?: SharedSourceTier | undefined;
  /**
   * Receives each walk that saw all of the connection's campaigns as of now (no ids, no date
   * range) and completed (no per-campaign detail missing): the history store's snapshots.
   */
  snapshots?: ((walk: WalkSnapshot) => void) | undefined;
  /** Snapshots are marked as demo data. */
  demo?: boolean;
}

/** The query of a plain request: every campaign, as of now, no per-campaign detail. */
export const DEFAULT_QUERY: UpstreamQueryKey = Object.freeze({ campaignIds: undefined, startDate: undefined, endDate: undefined, steps: false, daily: false, raw: false });

export interface FetchOptions {
  refresh: boolean;
  /** Epoch ms: the request answers by then. */
  deadlineMs: number;
}

function rateLimitedError(provider: ResolvedConnection['provider'], pausedMs: number): ProviderError {
  return new ProviderError({
    provider,
    code: 'rate_limited',
    status: 429,
    retryAfterMs: pausedMs,
    message: `HTTP 429: the vendor asked to wait ${Math.ceil(pausedMs / 1000)} s, past this request's deadline; not retried`,
  });
}

function toSourceError(error: unknown): SourceError {
  if (isProviderError(error)) {
    const json = error.toJSON();
    return { code: json.code, message: json.message, ...(json.retryAfterSeconds !== undefined ? { retryAfterSeconds: json.retryAfterSeconds } : {}) };
  }
  return { code: 'internal', message: 'unexpected error while fetching this source' };
}

/**
 * A vendor's 400 for a query that carries the caller's own parameters (campaign ids, a date range)
 * is taken as the caller's mistake: the gateway's own queries (every campaign, no dates) are what
 * a connection is judged by. Ids a vendor cannot have never get this far (gateway.ts refuses them).
 */
function callersMistake(error: unknown, query: UpstreamQueryKey): boolean {
  return isProviderError(error) && error.code === 'bad_request' && (query.campaignIds !== undefined || query.startDate !== undefined || query.endDate !== undefined);
}

/** What a provider is told about a configured connection. */
export function providerConnectionOf(connection: ResolvedConnection): ProviderConnection {
  return {
    id: connection.id,
    workspace: connection.workspace,
    apiKey: connection.apiKey,
    vendorWorkspaceId: connection.vendorWorkspaceId,
    concurrency: connection.settings.concurrency,
    maxPages: connection.settings.maxPages,
  };
}

class DeadlineReached extends Error {}

/** A walk over every campaign as of now, with nothing missing: what a snapshot may record. */
function isWholeWalk(query: UpstreamQueryKey, result: ProviderResult): boolean {
  return (
    query.campaignIds === undefined &&
    query.startDate === undefined &&
    query.endDate === undefined &&
    !result.warnings.some((warning) => warning.code === 'partial_detail')
  );
}

export interface RefreshOptions {
  /** Each call of the walk passes this gate first (it wraps the account's limiter). */
  gate?: RequestGate | undefined;
  /** A longer bound for this walk than the usual one (a slow account's long walk). */
  timeoutMs?: number | undefined;
  /**
   * With Redis: a result another instance fetched after this instant (epoch ms) does instead of a
   * walk, and a walk another instance is making is awaited. @default now (a result newer than the call)
   */
  freshAfter?: number | undefined;
  /** Cancels the walk this call starts (the scheduler stopping); a walk it joins is left alone. */
  signal?: AbortSignal | undefined;
}

/** How one walk calls the vendor: through which client, and for how long at most. */
interface WalkOptions {
  http: HttpClient;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A walk in flight, and the deadline of the request that started it. */
interface ActiveWalk {
  countdown: Countdown;
  requestDeadlineMs: number;
  /** Set when the vendor's Retry-After ends past that deadline: the walk stops with it. */
  rateLimited: ProviderError | undefined;
}

export class ConnectionRuntime {
  /** Cache keys of the query objects seen (planned queries are reused across requests). */
  private readonly keys = new WeakMap<UpstreamQueryKey, string>();
  readonly breaker: CircuitBreaker;
  readonly http: HttpClient;
  readonly health: ConnectionHealth = {
    lastSuccessAt: undefined,
    lastErrorAt: undefined,
    lastErrorCode: undefined,
    lastCampaignCount: undefined,
    lastFetchedAt: undefined,
  };
  private authBlockedUntil = 0;
  private authBlockError: SourceError | undefined;
  private readonly walks = new Coalescer<CachedSource>();
  /** HTTP clients whose calls pass another gate first (`refresh(query, gate)`), one per gate. */
  private readonly gatedClients = new Map<RequestGate, HttpClient>();
  private readonly activeWalks = new Set<ActiveWalk>();
  private readonly now: () => number;
  private readonly providerConnection: ProviderConnection;

  constructor(
    readonly connection: ResolvedConnection,
    private readonly deps: ConnectionDeps,
  ) {
    this.now = deps.now ?? Date.now;
    const { settings, provider } = connection;
    this.breaker = new CircuitBreaker({
      threshold: settings.breakerThreshold,
      cooldownMs: settings.breakerCooldownSeconds * 1000,
      now: this.now,
      onStateChange: (state) => {
        deps.logger.warn('circuit breaker state changed', { connection: connection.id, provider, state });
      },
    });
    this.http = this.httpClient(deps.limiter);
    this.providerConnection = providerConnectionOf(connection);
  }

  /** An HTTP client of this connection whose calls pass `gate` (the account's limiter, or one in front of it). */
  private httpClient(gate: RequestGate): HttpClient {
    const { connection, deps } = this;
    const { settings, provider } = connection;
    return createHttpClient({
      provider,
      baseUrl: settings.baseUrl,
      timeoutMs: settings.timeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
      maxSocketsPerOrigin: settings.maxSocketsPerOrigin,
      retry: { maxAttempts: settings.maxAttempts },
      secrets: [connection.apiKey],
      gate,
      observer: (event) => {
        deps.metrics.upstreamCalls.inc({ provider, outcome: event.outcome });
        deps.metrics.upstreamDuration.observe({ provider }, event.durationMs / 1000);
        if (event.socketWaitMs !== undefined) deps.metrics.upstreamSocketWait.observe({ provider }, event.socketWaitMs / 1000);
        // Checked first: winston builds and pipes a line through its formats before its level drops it.
        if (deps.logger.isDebugEnabled()) {
          deps.logger.debug('upstream call', { connection: connection.id, provider, path: event.path, status: event.status, outcome: event.outcome, ms: event.durationMs });
        }
        // The client has just paused the account for the vendor's Retry-After.
        if (event.status === 429) this.onVendorPause();
      },
    });
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  /**
   * The source cache key of a query. A planned query is the same object for every request of the
   * same plan (gateway.ts), and never changed: its key is made once.
   */
  cacheKey(query: UpstreamQueryKey): string {
    let key = this.keys.get(query);
    if (key === undefined) {
      key = this.deps.keyer.key(this.connection, query);
      this.keys.set(query, key);
    }
    return key;
  }

  /** Upstream calls a fetch of this connection would make at most (for the fan-out cost cap). */
  estimateCalls(query: UpstreamQueryKey): number {
    const campaigns = query.campaignIds?.length ?? this.health.lastCampaignCount ?? 50;
    return this.deps.provider.estimateCalls(campaigns, {
      include: { steps: query.steps, daily: query.daily, raw: query.raw },
      campaignIds: query.campaignIds,
    });
  }

  /** True when a fresh entry exists for the query (no upstream call would be made). */
  isFresh(query: UpstreamQueryKey): boolean {
    return this.isFreshEntry(this.deps.cache.get(this.cacheKey(query)));
  }

  /**
   * What `fetch` answers for a fresh local entry, at once and without counting it: a request over
   * hundreds of sources takes its hits here (one count per provider, by the caller) and awaits
   * `fetch` only for the others. Undefined when the local cache has no fresh entry.
   */
  freshHit(query: UpstreamQueryKey): SourceResult | undefined {
    const entry = this.deps.cache.get(this.cacheKey(query));
    return this.isFreshEntry(entry) ? this.result(entry, 'ok', 'hit', null) : undefined;
  }

  /**
   * `isFresh`, also asking the shared tier (Redis) on a local miss. An entry found there is kept
   * locally, as a fetch would keep it, so the fetch that follows does not read Redis again. Used by
   * the fan-out cost cap, so that an instance does not refuse what another one has already fetched.
   */
  async isFreshAnywhere(query: UpstreamQueryKey): Promise<boolean> {
    if (this.isFresh(query)) return true;
    if (!this.deps.shared) return false;
    return this.isFreshEntry(await this.fromShared(this.cacheKey(query), query));
  }

  /** When the cache entry of `query` was fetched (undefined when there is none). */
  cachedAt(query: UpstreamQueryKey): number | undefined {
    return this.deps.cache.get(this.cacheKey(query))?.fetchedAt;
  }

  /**
   * Walks `query` now, as a `refresh=true` request does (coalesced with a walk in flight, the breaker
   * consulted, the cache, health and snapshots filled), without a request's deadline (the walk's own
   * bound applies, or `timeoutMs` when longer). With `gate`, each call of the walk passes it first
   * (it wraps the account's limiter). Resolves with the error, or undefined once the cache holds the fresh result.
   */
  async refresh(query: UpstreamQueryKey, options: RefreshOptions = {}): Promise<SourceError | undefined> {
    if (this.now() < this.authBlockedUntil && this.authBlockError) return this.authBlockError;
    const key = this.cacheKey(query);
    const walk: WalkOptions = {
      http: options.gate ? this.gatedHttp(options.gate) : this.http,
      timeoutMs: Math.max(this.deps.walkTimeoutMs, options.timeoutMs ?? 0),
      signal: options.signal,
    };
    const deadlineMs = this.now() + walk.timeoutMs;
    this.count('sync');
    try {
      const freshAfter = options.freshAfter ?? this.now();
      await this.walks.run(key, () => this.sharedWalk(key, query, deadlineMs, freshAfter, walk)).promise;
      return undefined;
    } catch (error) {
      return toSourceError(error);
    }
  }

  private gatedHttp(gate: RequestGate): HttpClient {
    let client = this.gatedClients.get(gate);
    if (!client) {
      client = this.httpClient(gate);
      this.gatedClients.set(gate, client);
    }
    return client;
  }

  private ageMs(entry: CachedSource): number {
    return Math.max(0, this.now() - entry.fetchedAt);
  }

  /** Younger than the connection's ttl: answered without a walk. */
  private isFreshEntry(entry: CachedSource | undefined): entry is CachedSource {
    return entry !== undefined && this.ageMs(entry) < this.connection.settings.ttlSeconds * 1000;
  }

  private result(entry: CachedSource, status: SourceStatus, cache: CacheOutcome, error: SourceError | null): SourceResult {
    const freshMs = this.connection.settings.ttlSeconds * 1000 - this.ageMs(entry);
    return {
      status,
      cache,
      fetchedAt: entry.fetchedAt,
      records: entry.records,
      warnings: entry.warnings,
      error,
      freshForSeconds: status === 'ok' ? Math.max(0, Math.floor(freshMs / 1000)) : 0,
      digest: entry.digest,
    };
  }

  private failed(error: SourceError, cache: CacheOutcome): SourceResult {
    return { status: 'error', cache, fetchedAt: undefined, records: [], warnings: [], error, freshForSeconds: 0, digest: undefined };
  }

  /** Usable for stale-if-error: younger than ttl + staleSeconds. */
  private usableStale(entry: CachedSource | undefined): entry is CachedSource {
    if (!entry) return false;
    const { ttlSeconds, staleSeconds } = this.connection.settings;
    return this.ageMs(entry) < (ttlSeconds + staleSeconds) * 1000;
  }

  private count(event: string): void {
    this.deps.metrics.cacheEvents.inc({ provider: this.connection.provider, event });
  }

  async fetch(query: UpstreamQueryKey, options: FetchOptions): Promise<SourceResult> {
    const key = this.cacheKey(query);
    const entry = this.deps.cache.get(key) ?? (options.refresh ? undefined : await this.fromShared(key, query));

    if (entry && !options.refresh) {
      if (this.isFreshEntry(entry)) {
        this.count('hit');
        return this.result(entry, 'ok', 'hit', null);
      }
      if (this.usableStale(entry)) {
        // stale-while-revalidate: answer now, refresh in the background (coalesced).
        this.count('stale');
        this.startWalk(key, query, options.deadlineMs).promise.catch(() => undefined);
        return this.result(entry, 'stale', 'stale', null);
      }
    }

    const stale = this.usableStale(entry) ? entry : undefined;
    const cacheOutcome: CacheOutcome = options.refresh ? 'bypass' : 'miss';
    this.count(cacheOutcome);

    if (this.now() < this.authBlockedUntil && this.authBlockError) {
      return stale ? this.result(stale, 'stale', 'stale', this.authBlockError) : this.failed(this.authBlockError, cacheOutcome);
    }
    // The vendor asked this account to wait past this request's deadline: waiting cannot help,
    // so answer at once (DESIGN.md section 5: a 429 is retried only inside the request's deadline).
    const pausedMs = this.deps.limiter.bucket.pausedForMs();
    if (pausedMs > 0 && this.now() + pausedMs >= options.deadlineMs) {
      const error = rateLimitedError(this.connection.provider, pausedMs).toJSON();
      const sourceError: SourceError = { code: error.code, message: error.message, retryAfterSeconds: Math.ceil(pausedMs / 1000) };
      return stale ? this.result(stale, 'stale', 'stale', sourceError) : this.failed(sourceError, cacheOutcome);
    }

    const walk = this.startWalk(key, query, options.deadlineMs, options.refresh);
    if (!walk.leader) this.count('coalesced');
    try {
      const fresh = await this.beforeDeadline(walk.promise, options.deadlineMs);
      return this.result(fresh, 'ok', cacheOutcome, null);
    } catch (error) {
      const sourceError =
        error instanceof DeadlineReached
          ? { code: 'upstream_timeout', message: 'the vendor did not answer before the request deadline' }
          : toSourceError(error);
      if (stale) return this.result(stale, 'stale', 'stale', sourceError);
      return this.failed(sourceError, cacheOutcome);
    }
  }

  private beforeDeadline<T>(promise: Promise<T>, deadlineMs: number): Promise<T> {
    return settleWithin(promise, deadlineMs - this.now(), () => new DeadlineReached());
  }

  /** Starts (or joins) the upstream walk for a key. Only a walk leader consults the breaker. */
  private startWalk(key: string, query: UpstreamQueryKey, requestDeadlineMs: number, refresh = false): { promise: Promise<CachedSource>; leader: boolean } {
    // A refresh wants a result newer than itself; anything else takes a fresh one.
    const freshAfter = refresh ? this.now() : this.now() - this.connection.settings.ttlSeconds * 1000;
    return this.walks.run(key, () => this.sharedWalk(key, query, requestDeadlineMs, freshAfter, { http: this.http, timeoutMs: this.deps.walkTimeoutMs }));
  }

  /** A local miss: the shared tier's entry when it is still usable (fresh or stale), copied locally. */
  private async fromShared(key: string, query: UpstreamQueryKey): Promise<CachedSource | undefined> {
    const entry = this.deps.shared ? await this.deps.shared.get(key) : undefined;
    if (!this.usableStale(entry)) return undefined;
    this.count('shared_hit');
    return this.adopt(key, query, entry);
  }

  /**
   * Scale-out: the walk runs only if no instance has an entry fetched after `freshAfter` or is
   * producing one (then its result is awaited instead); what this instance walks is shared.
   * Without Redis (or while it is down) this is the plain walk.
   */
  private async sharedWalk(key: string, query: UpstreamQueryKey, requestDeadlineMs: number, freshAfter: number, walk: WalkOptions): Promise<CachedSource> {
    const shared = this.deps.shared;
    if (!shared) return this.walk(key, query, requestDeadlineMs, walk);
    const { ttlSeconds, staleSeconds } = this.connection.settings;
    const now = this.now();
    const outcome = await shared.coordinate(
      key,
      { freshAfter, waitUntil: now + walk.timeoutMs, storeForMs: (ttlSeconds + staleSeconds) * 1000 },
      () => this.walk(key, query, requestDeadlineMs, walk),
    );
    if (outcome.source === 'upstream') return outcome.entry;
    this.count(outcome.source === 'waited' ? 'shared_wait' : 'shared_hit');
    return this.adopt(key, query, outcome.entry);
  }

  private adopt(key: string, query: UpstreamQueryKey, entry: CachedSource): CachedSource {
    this.health.lastFetchedAt = Math.max(this.health.lastFetchedAt ?? 0, entry.fetchedAt);
    if (query.campaignIds === undefined) this.health.lastCampaignCount = entry.records.length;
    return this.deps.cache.put(key, entry);
  }

  /**
   * After a 429: every walk of this connection whose request deadline ends before the account's
   * pause stops now, as `rate_limited`, instead of sleeping through the Retry-After in the
   * background while its callers wait for nothing.
   */
  private onVendorPause(): void {
    const pausedMs = this.deps.limiter.bucket.pausedForMs();
    const until = this.now() + pausedMs;
    for (const walk of this.activeWalks) {
      if (walk.rateLimited !== undefined || until < walk.requestDeadlineMs) continue;
      walk.rateLimited = rateLimitedError(this.connection.provider, pausedMs);
      walk.countdown.abort();
    }
  }

  private async walk(key: string, query: UpstreamQueryKey, requestDeadlineMs: number, { http, timeoutMs, signal }: WalkOptions): Promise<CachedSource> {
    const { provider } = this.connection;
    const ticket = this.breaker.admit();
    if (ticket === undefined) {
      throw new ProviderError({
        provider,
        code: 'circuit_open',
        message: 'the vendor failed repeatedly; calls are paused (circuit breaker open)',
        retryAfterMs: this.breaker.retryAfterMs(),
      });
    }
    const countdown = abortAfter(timeoutMs, { linked: signal });
    const active: ActiveWalk = { countdown, requestDeadlineMs, rateLimited: undefined };
    this.activeWalks.add(active);
    const started = this.now();
    try {
      const result = await this.deps.provider.fetchAnalytics(
        this.providerConnection,
        {
          campaignIds: query.campaignIds,
          startDate: query.startDate,
          endDate: query.endDate,
          include: { steps: query.steps, daily: query.daily, raw: query.raw },
          signal: countdown.signal,
          deadlineMs: started + timeoutMs,
        },
        http,
      );
      this.breaker.success(ticket);
      const fetchedAt = this.now();
      this.health.lastSuccessAt = fetchedAt;
      this.health.lastFetchedAt = fetchedAt;
      if (query.campaignIds === undefined) this.health.lastCampaignCount = result.records.length;
      // The source's view (its campaigns serialized once, for every answer) also sizes and digests the entry.
      const cached = this.deps.cache.set(key, { records: result.records, warnings: result.warnings, fetchedAt }, viewOf(result.records).json);
      if (this.deps.snapshots && isWholeWalk(query, result)) {
        const { id, workspace, provider: providerId } = this.connection;
        this.deps.snapshots({ connection: id, workspace, provider: providerId, records: result.records, fetchedAt, demo: this.deps.demo ?? false });
      }
      return cached;
    } catch (caught) {
      const error = active.rateLimited ?? caught;
      this.noteFailure(error, ticket, query);
      throw error;
    } finally {
      countdown.clear();
      this.activeWalks.delete(active);
    }
  }

  private noteFailure(error: unknown, ticket: BreakerTicket, query: UpstreamQueryKey): void {
    const code = isProviderError(error) ? error.code : 'internal';
    if (callersMistake(error, query)) {
      // The caller's ids or dates, not the connection: its health and breaker stay as they were.
      this.breaker.neutral(ticket);
      this.deps.logger.info('vendor refused the caller\'s parameters', { connection: this.connection.id, provider: this.connection.provider, code });
      return;
    }
    this.health.lastErrorAt = this.now();
    this.health.lastErrorCode = code;
    if (isProviderError(error) && (error.code === 'unauthorized' || error.code === 'forbidden')) {
      this.authBlockedUntil = this.now() + AUTH_BLOCK_MS;
      this.authBlockError = {
        code: error.code,
        message: `the vendor rejected this connection's key (${error.message}); not called again for ${AUTH_BLOCK_MS / 1000} s`,
      };
    }
    if (isAccountError(error) || (isProviderError(error) && error.code === 'aborted')) this.breaker.neutral(ticket);
    else this.breaker.failure(ticket);
    this.deps.logger.warn('upstream walk failed', {
      connection: this.connection.id,
      provider: this.connection.provider,
      code,
      message: isProviderError(error) ? error.message : 'unexpected error',
    });
  }
}
