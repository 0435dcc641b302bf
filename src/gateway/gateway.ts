/**
 * Plans and answers one analytics request: which connections (authorization first, so a cached
 * workspace is never an oracle), the fan-out cost cap, one fetch per connection in parallel under
 * the request deadline, then merge, filter, sort and totals.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { GatewayConfig, ResolvedClient, ResolvedConnection } from '../config';
import { GatewayError, type ProblemFieldError } from '../errors';
import type { Logger } from '../logger';
import type { GatewayMetrics } from '../metrics';
import type { AnalyticsProvider } from '../providers/types';
import type { SharedSourceTier } from '../scaleout/redis-tier';
import { CacheKeyer, SourceCache, type UpstreamQueryKey } from '../cache/source-cache';
import { AccountLimiter } from '../ratelimit/limiter';
import { LoopBudget } from '../ratelimit/loop-budget';
import type { SharedBucket, SharedSendLog } from '../ratelimit/shared';
import { PROVIDER_IDS, type ProviderId } from '../schema/campaign';
import type { AnalyticsResponse, ConnectionSync, Source } from '../schema/envelope';
import { ConnectionRuntime, type SourceResult } from './connection';
import { AnswerCache, type AnswerContent, type SerializedContent } from './answer-cache';
import { SelectionCache, contentPieces, prepareViews, sourceKey, viewOf, type SelectionSource, type SourceView } from './answer-pieces';
import type { AnalyticsRequest } from './request';
import { answerRange, lifetimeMetrics, type RangeSnapshots } from './range';
import { variantSignature } from './shape';
import type { WalkSnapshot } from '../store/snapshots';

export interface GatewayDeps {
  providers: Readonly<Record<ProviderId, AnalyticsProvider>>;
  metrics: GatewayMetrics;
  logger: Logger;
  now?: () => number;
  /** Secret for the cache's credential HMAC; random per process when absent. */
  cacheKeySecret?: string;
  /** Scale-out through Redis: the shared cache tier, and each vendor account's shared bucket. */
  scaleOut?: { tier: SharedSourceTier; bucketFor(connection: ResolvedConnection): SharedBucket; sendLogFor(connection: ResolvedConnection): SharedSendLog | undefined } | undefined;
  /** Receives every complete walk of all of a connection's campaigns (the history store's snapshots). */
  snapshots?: ((walk: WalkSnapshot) => void) | undefined;
  /** Answers a date range from snapshots for a vendor without range support (range.ts): the history store. */
  ranges?: RangeSnapshots | undefined;
}

export interface AnalyticsAnswer {
  status: 200 | 502;
  body: AnalyticsResponse;
  etag: string;
  /** Seconds until the oldest source goes stale (for Cache-Control). */
  maxAgeSeconds: number;
  complete: boolean;
  /** The body's content already serialized (JSON answers): send `answerChunks(body, json)`. */
  json: SerializedContent | undefined;
  /** NDJSON answers without `fields`: the lines of `body.data` from the sources' serialized campaigns. */
  ndjson?: (() => Iterable<Buffer>) | undefined;
  /** Whether, and while what holds, this answer may be replayed (server/hot-path.ts); undefined unless every source is fresh. */
  reuse: () => AnswerReuse | undefined;
}

export interface AnswerReuse {
  /** Epoch ms when the first source stops being fresh. */
  freshUntil: number;
  /** True while every source's cache entry is still the one this answer was made from. */
  current: () => boolean;
}

interface PlannedSource {
  runtime: ConnectionRuntime;
  query: UpstreamQueryKey;
}

export class Gateway {
  readonly runtimes = new Map<string, ConnectionRuntime>();
  readonly caches: Readonly<Record<ProviderId, SourceCache>>;
  readonly limiters = new Map<string, AccountLimiter>();
  /** Un-paced vendor calls in flight, fewer while the event loop lags (ratelimit/loop-budget.ts). */
  private readonly loopBudget = new LoopBudget();
  /** Plans of requests without campaign ids, by workspaces and vendor query (`plan`). */
  private readonly plans = new LRUCache<string, readonly PlannedSource[]>({ max: 256 });
  /** Serialized answer content per ETag (see answer-cache.ts). */
  readonly answers: AnswerCache;
  /** The campaigns each query selects, per cache generation (answer-pieces.ts). */
  readonly selections: SelectionCache;
  /** Each connection's scheduled sync for `/v1/connections`; set by the scheduler that drives this gateway. */
  syncStatus: ((connectionId: string) => ConnectionSync | undefined) | undefined;
  private readonly workspaces: Map<string, GatewayConfig['workspaces'][number]>;
  private readonly connectionsById: Map<string, ResolvedConnection>;
  private readonly now: () => number;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.workspaces = new Map(config.workspaces.map((w) => [w.id, w]));
    this.connectionsById = new Map(config.connections.map((c) => [c.id, c]));
    const keyer = new CacheKeyer(deps.cacheKeySecret);
    // An eighth of the cache bound holds serialized answers, the rest is split over the providers.
    this.answers = new AnswerCache(Math.floor(config.cache.maxBytes / 8));
    this.selections = new SelectionCache(Math.floor(config.cache.maxBytes / 16));
    const perProvider = Math.max(1024, Math.floor((config.cache.maxBytes - this.answers.maxBytes) / PROVIDER_IDS.length));
    const maxAge = (provider: ProviderId): number =>
      Math.max(1000, ...config.connections.filter((c) => c.provider === provider).map((c) => (c.settings.ttlSeconds + c.settings.staleSeconds) * 1000));
    const cacheFor = (provider: ProviderId): SourceCache =>
      new SourceCache(provider, {
        maxBytes: perProvider,
        maxAgeMs: maxAge(provider),
        onEvict: (p) => deps.metrics.cacheEvents.inc({ provider: p, event: 'evict' }),
      });
    this.caches = { instantly: cacheFor('instantly'), sendkit: cacheFor('sendkit'), kakiyo: cacheFor('kakiyo'), seleqt: cacheFor('seleqt') };
    const walkTimeoutMs = Math.max(config.server.deadlineMs * 4, 60_000);

    for (const connection of config.connections) {
      this.runtimes.set(
        connection.id,
        new ConnectionRuntime(connection, {
          provider: deps.providers[connection.provider],
          limiter: this.limiterFor(connection),
          cache: this.caches[connection.provider],
          keyer,
          metrics: deps.metrics,
          logger: deps.logger,
          walkTimeoutMs,
          now: this.now,
          shared: deps.scaleOut?.tier,
          snapshots: deps.snapshots,
          demo: config.demo,
        }),
      );
    }
  }

  private limiterFor(connection: ResolvedConnection): AccountLimiter {
    const existing = this.limiters.get(connection.rateLimitGroup);
    if (existing) return existing;
    const { settings, provider } = connection;
    const limiter = new AccountLimiter({
      provider,
      requestsPerSecond: settings.requestsPerSecond,
      burst: settings.burst,
      concurrency: settings.concurrency,
      windows: settings.windows,
      now: this.now,
      onWait: (ms) => this.deps.metrics.rateLimitWait.observe({ provider }, ms / 1000),
      shared: this.deps.scaleOut?.bucketFor(connection),
      sharedLog: this.deps.scaleOut?.sendLogFor(connection),
      budget: this.loopBudget,
    });
    this.limiters.set(connection.rateLimitGroup, limiter);
    return limiter;
  }

  /** The workspaces a request covers; 403 for a workspace the client is not linked to. */
  resolveWorkspaces(client: ResolvedClient, workspaceId: string | undefined): string[] {
    if (workspaceId === undefined) return [client.defaultWorkspace];
    if (workspaceId === 'ALL') return [...client.workspaces];
    if (!client.workspaces.includes(workspaceId)) {
      throw new GatewayError(403, 'access_denied', 'this key is not linked to that workspace');
    }
    return [workspaceId];
  }

  /**
   * A campaign key of one of the caller's connections whose vendor id that vendor cannot have (its
   * provider's `isCampaignId`) is the caller's mistake: a 400 naming each such key, before any
   * vendor call, so the vendor's own 400 never reaches the connection's health. Keys naming a
   * connection the caller is not linked to are left alone (they match nothing), so the answer tells
   * nothing about connections the caller cannot see.
   */
  private checkCampaignKeys(client: ResolvedClient, ids: readonly string[] | undefined): void {
    if (!ids) return;
    const errors: ProblemFieldError[] = [];
    for (const key of ids) {
      const at = key.indexOf(':');
      const connection = this.connectionsById.get(key.slice(0, at));
      if (!connection || !client.workspaces.includes(connection.workspace)) continue;
      const vendorId = key.slice(at + 1);
      if (!this.deps.providers[connection.provider].isCampaignId(vendorId)) {
        errors.push({ parameter: 'ids', message: `${key}: "${vendorId}" cannot be a ${connection.provider} campaign id` });
      }
    }
    if (errors.length > 0) {
      throw new GatewayError(400, 'invalid_query', `invalid query: ids (${errors.length === 1 ? 'a campaign key' : `${errors.length} campaign keys`} whose vendor id its vendor cannot have)`, errors);
    }
  }

  /**
   * The sources a request covers and what each is asked, the same objects (never changed) for
   * every request with the same workspaces and vendor query: an agency's `ALL` plans 800 sources,
   * planned once instead of per request. A request naming campaign ids is planned on its own.
   */
  private plan(workspaceIds: readonly string[], request: AnalyticsRequest): readonly PlannedSource[] {
    if (request.ids) return this.planSources(workspaceIds, request);
    const key = `${workspaceIds.join(',')}\n${JSON.stringify([request.providers ?? null, request.startDate ?? null, request.endDate ?? null, request.include])}`;
    let planned = this.plans.get(key);
    if (!planned) {
      planned = Object.freeze(this.planSources(workspaceIds, request));
      this.plans.set(key, planned);
    }
    return planned;
  }

  private planSources(workspaceIds: readonly string[], request: AnalyticsRequest): PlannedSource[] {
    let idsByConnection: Map<string, string[]> | undefined;
    if (request.ids) {
      idsByConnection = new Map();
      for (const key of request.ids) {
        const at = key.indexOf(':');
        const connection = key.slice(0, at);
        const list = idsByConnection.get(connection) ?? [];
        list.push(key.slice(at + 1));
        idsByConnection.set(connection, list);
      }
    }
    const planned: PlannedSource[] = [];
    for (const workspaceId of workspaceIds) {
      const workspace = this.workspaces.get(workspaceId);
      if (!workspace) continue;
      for (const connection of workspace.connections) {
        if (request.providers && !request.providers.includes(connection.provider)) continue;
        const campaignIds = idsByConnection?.get(connection.id);
        if (idsByConnection && !campaignIds) continue;
        const runtime = this.runtimes.get(connection.id);
        if (!runtime) continue;
        planned.push({
          runtime,
          query: Object.freeze({
            campaignIds: campaignIds ? [...campaignIds].sort() : undefined,
            startDate: request.startDate,
            endDate: request.endDate,
            steps: request.include.steps,
            daily: request.include.daily,
            raw: request.include.raw,
          }),
        });
      }
    }
    return planned;
  }

  async analytics(client: ResolvedClient, request: AnalyticsRequest, requestId: string): Promise<AnalyticsAnswer> {
    const workspaceIds = this.resolveWorkspaces(client, request.workspaceId);
    this.checkCampaignKeys(client, request.ids);
    const planned = this.plan(workspaceIds, request);

    // Fresh local entries are answered here, at once (no promise per source: an agency's `ALL` has 800).
    const hits = planned.map((p) => (request.refresh ? undefined : p.runtime.freshHit(p.query)));
    const costOf = (fresh: readonly boolean[]): number =>
      planned.reduce((sum, p, i) => sum + (!request.refresh && fresh[i] === true ? 0 : p.runtime.estimateCalls(p.query)), 0);
    let cost = costOf(hits.map((hit) => hit !== undefined));
    // Over the cap on what this instance knows: ask the shared tier before refusing, since another
    // instance may have fetched exactly this (what it finds also improves the estimate).
    if (cost > this.config.server.maxUpstreamCalls && !request.refresh) {
      cost = costOf(await Promise.all(planned.map((p) => p.runtime.isFreshAnywhere(p.query))));
    }
    if (cost > this.config.server.maxUpstreamCalls) {
      this.deps.metrics.inboundRejected.inc({ reason: 'too_expensive' });
      throw new GatewayError(
        400,
        'too_expensive',
        `this request would need about ${cost} upstream vendor calls, more than the configured maximum of ${this.config.server.maxUpstreamCalls}; narrow it with ids, providers or workspace_id, or drop include=steps/daily`,
      );
    }

    const started = this.now();
    const deadlineMs = started + this.config.server.deadlineMs;
    let fromStore = false;
    const results = new Array<{ planned: PlannedSource; result: SourceResult; durationMs: number }>(planned.length);
    const waits: Promise<void>[] = [];
    const hitsPerProvider = new Map<ProviderId, number>();
    /** A source's result from the vendor or the source cache, then from snapshots when its range needs them. */
    const settle = async (p: PlannedSource, i: number, hit: SourceResult | undefined): Promise<void> => {
      const t0 = this.now();
      let result = hit ?? (await p.runtime.fetch(p.query, { refresh: request.refresh, deadlineMs }));
      const ranged = this.rangeFromSnapshots(p.runtime, result, request, deadlineMs);
      if (ranged) {
        fromStore = true;
        result = (await ranged).result;
      }
      results[i] = { planned: p, result, durationMs: this.now() - t0 };
      // Serialized as it arrives: in a cold walk the sources finish one by one while others still
      // wait for the vendors, so the answer does not wait for hundreds of views after the last one.
      // A fetch made its view already (connection.ts, for the cache entry's digest); this one is
      // for records read from the history store instead.
      if (!hit) viewOf(result.records);
    };
    planned.forEach((p, i) => {
      const hit = hits[i];
      if (hit) {
        const provider = p.runtime.connection.provider;
        hitsPerProvider.set(provider, (hitsPerProvider.get(provider) ?? 0) + 1);
      }
      // A hit whose range needs no snapshots is final now.
      if (hit && !this.snapshotMetrics(p.runtime, hit, request)) results[i] = { planned: p, result: hit, durationMs: 0 };
      else waits.push(settle(p, i, hit));
    });
    for (const [provider, count] of hitsPerProvider) this.deps.metrics.cacheEvents.inc({ provider, event: 'hit' }, count);
    await Promise.all(waits);
    // Each source's campaigns serialized once per cache generation, between turns of the event loop.
    await prepareViews(results.map(({ result }) => result.records));
    // An answer that read the history store is not replayed: the snapshots may change under it.
    return { ...this.answer(workspaceIds, request, requestId, results), reuse: () => (fromStore ? undefined : this.reusable(results)) };
  }

  /** A date range for a vendor without range support: answered from snapshots where they cover it (range.ts); undefined when that does not apply. */
  private rangeFromSnapshots(runtime: ConnectionRuntime, result: SourceResult, request: AnalyticsRequest, deadlineMs: number): ReturnType<typeof answerRange> | undefined {
    const { ranges, logger } = this.deps;
    const { startDate, endDate } = request;
    const metrics = this.snapshotMetrics(runtime, result, request);
    if (!metrics || !ranges || startDate === undefined || endDate === undefined) return undefined;
    return answerRange(runtime.connection.id, metrics, result, { ranges, startDate, endDate, now: this.now(), deadlineMs, logger });
  }

  /** The metrics this source's answer must take from snapshots for the request's date range (range.ts); undefined when none. */
  private snapshotMetrics(runtime: ConnectionRuntime, result: SourceResult, request: AnalyticsRequest): ReturnType<typeof lifetimeMetrics> {
    if (!this.deps.ranges || request.startDate === undefined || request.endDate === undefined) return undefined;
    return lifetimeMetrics(runtime.connection.provider, result);
  }

  /** Every source answered from a fresh cache entry: how long that lasts, and a check that the entries are unchanged. */
  private reusable(results: readonly { planned: PlannedSource; result: SourceResult }[]): AnswerReuse | undefined {
    let freshUntil = Number.POSITIVE_INFINITY;
    const checks: { cache: SourceCache; key: string; fetchedAt: number; digest: string }[] = [];
    for (const { planned, result } of results) {
      if (result.status !== 'ok' || result.fetchedAt === undefined || result.digest === undefined) return undefined;
      const { connection } = planned.runtime;
      freshUntil = Math.min(freshUntil, result.fetchedAt + connection.settings.ttlSeconds * 1000);
      checks.push({ cache: this.caches[connection.provider], key: planned.runtime.cacheKey(planned.query), fetchedAt: result.fetchedAt, digest: result.digest });
    }
    if (checks.length === 0) return undefined;
    const current = (): boolean =>
      checks.every((check) => {
        const entry = check.cache.get(check.key);
        return entry !== undefined && entry.fetchedAt === check.fetchedAt && entry.digest === check.digest;
      });
    return { freshUntil, current };
  }

  private answer(
    workspaceIds: string[],
    request: AnalyticsRequest,
    requestId: string,
    results: { planned: PlannedSource; result: SourceResult; durationMs: number }[],
  ): Omit<AnalyticsAnswer, 'reuse'> {
    const now = this.now();
    const sources: Source[] = [];
    const etag = createHash('sha1');
    etag.update(JSON.stringify([workspaceIds, request.providers, request.ids, request.statuses, request.startDate, request.endDate, request.include]));
    // Each format and shape of the same data is its own representation (undefined for plain JSON).
    const variant = variantSignature(request.format, request.shape);
    if (variant !== undefined) etag.update(`|variant:${variant}`);
    let maxAge = Number.POSITIVE_INFINITY;

    // The campaigns this query selects, per cache generation (answer-pieces.ts): merged, filtered,
    // totalled and serialized once, not per request.
    // A source's place: its campaigns' workspace and provider (its connection's when it has none).
    const placeOf = (planned: PlannedSource, view: SourceView): { workspace: string; provider: string } => view.records[0] ?? planned.runtime.connection;
    let sourcesKey = '';
    for (const { planned, result } of results) {
      const view = viewOf(result.records);
      const place = placeOf(planned, view);
      sourcesKey += sourceKey(view, place.workspace, place.provider);
    }
    const sourcesOf = (): SelectionSource[] =>
      results.map(({ planned, result }) => {
        const view = viewOf(result.records);
        const { workspace, provider } = placeOf(planned, view);
        return { view, workspace, provider };
      });
    const selection = this.selections.get(sourcesKey, sourcesOf, {
      statuses: request.statuses ? new Set<string>(request.statuses) : undefined,
      ids: request.ids ? new Set(request.ids) : undefined,
    });
    // Outcomes counted per provider and status, one increment each (an ALL answer has hundreds of sources).
    const outcomes = new Map<string, { provider: ProviderId; status: string; count: number }>();
    // Each source's part of the ETag, hashed in one update (the same digest as one update each).
    let etagSources = '';
    results.forEach(({ planned, result, durationMs }, i) => {
      const connection = planned.runtime.connection;
      const outcome = `${connection.provider}:${result.status}`;
      const counted = outcomes.get(outcome);
      if (counted) counted.count += 1;
      else outcomes.set(outcome, { provider: connection.provider, status: result.status, count: 1 });
      sources.push({
        workspace: connection.workspace,
        connection: connection.id,
        provider: connection.provider,
        status: result.status,
        cache: result.cache,
        fetchedAt: result.fetchedAt === undefined ? null : new Date(result.fetchedAt).toISOString(),
        ageSeconds: result.fetchedAt === undefined ? null : Math.max(0, Math.floor((now - result.fetchedAt) / 1000)),
        durationMs: Math.round(durationMs),
        campaigns: selection.counts[i] ?? 0,
        warnings: result.warnings,
        error: result.error,
      });
      // Content, not time: a refresh that brings the same vendor data keeps the ETag.
      etagSources += `|${connection.id}:${result.status}:${result.digest ?? ''}:${result.error?.code ?? ''}`;
      maxAge = Math.min(maxAge, result.freshForSeconds);
    });
    etag.update(etagSources);
    for (const { provider, status: outcome, count } of outcomes.values()) this.deps.metrics.sourceOutcomes.inc({ provider, status: outcome }, count);
    sources.sort((a, b) => (a.workspace === b.workspace ? (a.connection < b.connection ? -1 : 1) : a.workspace < b.workspace ? -1 : 1));
    const etagValue = `"${etag.digest('base64url')}"`;

    const failed = sources.filter((s) => s.status === 'error').length;
    const complete = failed === 0;
    const allFailed = sources.length > 0 && failed === sources.length;
    const status: 200 | 502 = allFailed || (request.requireAll && !complete) ? 502 : 200;
    // The content is a function of the representation the ETag names. Totals and groups cover the
    // whole filtered set, never just the page. A JSON answer's content is kept by ETag while it is
    // small (answer-cache.ts); a big one is sent as slices of the sources' serialized campaigns.
    const json = request.format === undefined || request.format === 'json';
    let serialized: { content: AnswerContent; prefix: SerializedContent['prefix'] | undefined } | undefined = json ? this.answers.get(etagValue) : undefined;
    let ndjson: (() => Iterable<Buffer>) | undefined;
    if (!serialized) {
      const shaped = selection.shaped(request.shape);
      const content: AnswerContent = {
        data: shaped.data,
        totals: shaped.totals,
        ...(shaped.groups ? { groups: shaped.groups } : {}),
        ...(shaped.page ? { page: shaped.page } : {}),
      };
      if (json) serialized = this.answers.set(etagValue, content, contentPieces(shaped));
      else {
        serialized = { content, prefix: undefined };
        if (request.format === 'ndjson' && !request.shape?.fields) ndjson = shaped.ndjson;
      }
    }
    const body: AnalyticsResponse = {
      ...serialized.content,
      sources,
      meta: {
        requestId,
        generatedAt: new Date(now).toISOString(),
        complete,
        workspaces: workspaceIds,
        ...(this.config.demo ? { demo: true } : {}),
      },
    };
    return {
      status,
      body,
      etag: etagValue,
      maxAgeSeconds: Number.isFinite(maxAge) ? maxAge : 0,
      complete,
      json: serialized.prefix ? { content: serialized.content, prefix: serialized.prefix } : undefined,
      ndjson,
    };
  }

  /** Sets the gauges that describe current state (called before each /metrics scrape). */
  updateGauges(): void {
    const open: Record<ProviderId, number> = { instantly: 0, sendkit: 0, kakiyo: 0, seleqt: 0 };
    for (const runtime of this.runtimes.values()) if (runtime.breakerState !== 'closed') open[runtime.connection.provider] += 1;
    for (const provider of PROVIDER_IDS) this.deps.metrics.breakersOpen.set({ provider }, open[provider]);
  }

  /** `/v1/connections`: the caller's connections and their health; never a secret. */
  connections(client: ResolvedClient): {
    id: string;
    workspace: string;
    provider: ProviderId;
    breaker: 'closed' | 'open' | 'half_open';
    lastSuccessAt: string | null;
    lastErrorAt: string | null;
    lastErrorCode: string | null;
    cacheAgeSeconds: number | null;
    campaigns: number | null;
    sync: ConnectionSync | null;
  }[] {
    const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
    const out = [];
    for (const workspaceId of client.workspaces) {
      for (const connection of this.workspaces.get(workspaceId)?.connections ?? []) {
        const runtime = this.runtimes.get(connection.id);
        if (!runtime) continue;
        const health = runtime.health;
        out.push({
          id: connection.id,
          workspace: connection.workspace,
          provider: connection.provider,
          breaker: runtime.breakerState,
          lastSuccessAt: iso(health.lastSuccessAt),
          lastErrorAt: iso(health.lastErrorAt),
          lastErrorCode: health.lastErrorCode ?? null,
          cacheAgeSeconds: health.lastFetchedAt === undefined ? null : Math.floor((this.now() - health.lastFetchedAt) / 1000),
          campaigns: health.lastCampaignCount ?? null,
          sync: this.syncStatus?.(connection.id) ?? null,
        });
      }
    }
    return out;
  }
}
