/**
 * The Express app (no `listen`): auth, validation, problem+json, headers, metrics, one log line per
 * request. Routes: `GET /v1/campaigns/analytics`, `GET /v1/campaigns/history`, `GET /v1/connections`, `GET /v1/alerts`, `/healthz`, `/readyz`,
 * `/metrics`, `/openapi.json`.
 */
import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { GatewayConfig } from '../config';
import { isGatewayError } from '../errors';
import { answerChunks } from '../gateway/answer-cache';
import type { Gateway } from '../gateway/gateway';
import { HISTORY_ROUTE, answerHistory, historyBody, historyColumns, historyRows, parseHistoryQuery } from '../gateway/history';
import { parseAnalyticsQuery } from '../gateway/request';
import type { AlertEngine } from '../alerts';
import type { Logger } from '../logger';
import type { GatewayMetrics } from '../metrics';
import type { HistoryStore } from '../store';
import { cacheControl, recordRequest, requestIdFrom, sourcesSummary, writeBody } from './answer-writer';
import { ClientDirectory, QUERY_KEY_NAMES, presentedKey } from './auth';
import { ANALYTICS_ROUTE, HotAnswers, MAX_URL_LENGTH, hotPathFirst } from './hot-path';
import { InboundLimiter, setRateLimitHeaders } from './inbound-limit';
import { contextOf, setContext } from './context';
import { corsHandler } from './cors';
import { createDashboard } from './dashboard';
import { LinkVerifier, isSignedLink } from './links';
import { MEDIA_TYPES, csvCell, flatBody, formatFromAccept, sendAnswer, setAnswerHeaders } from './formats';
import { buildOpenApi } from './openapi';
import { chooseCoding, compressWhole, encodedBody, encodedPrefix, ifNoneMatchHits, representationEtag, setCodingHeaders, streamCompressed } from './compression';
import { sendProblem } from './problem';

export const VERSION = '0.1.0';

export interface AppDeps {
  config: GatewayConfig;
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  /**
   * Extra readiness check (Redis): resolves to a problem or undefined. A problem degrades the
   * instance without stopping it (it still answers from its local tiers), so /readyz reports it
   * with 200 `{status: "degraded"}`: a 503 would make a load balancer pull every instance at once
   * when the one shared Redis goes away, turning a slower gateway into no gateway.
   */
  readiness?: () => Promise<string | undefined>;
  /** The history store; without one the history endpoint answers 503. */
  store?: HistoryStore | undefined;
  /** Alerts; without them `/v1/alerts` answers an empty list. */
  alerts?: AlertEngine | undefined;
  now?: () => number;
}

/**
 * The server's request listener: the cache-hit fast path (hot-path.ts) first, then the Express
 * app; both share the client directory, the inbound limiter and the answer writer.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const now = deps.now ?? Date.now;
  const directory = new ClientDirectory(deps.config.clients);
  const inbound = new InboundLimiter(now);
  const hot = new HotAnswers({ directory, inbound, metrics: deps.metrics, logger: deps.logger, answers: deps.gateway.answers, now });
  return hotPathFirst(hot, createApp(deps, { directory, inbound, hot }), deps.logger);
}

/** The Express app alone (its own directory and limiter unless given); the fast path, when given, learns its answers. */
export function createApp(deps: AppDeps, shared: { directory?: ClientDirectory; inbound?: InboundLimiter; hot?: HotAnswers } = {}): express.Express {
  const { config, gateway, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const directory = shared.directory ?? new ClientDirectory(config.clients);
  const inbound = shared.inbound ?? new InboundLimiter(now);
  const links = new LinkVerifier(config.links, config.clients, now);
  const hot = shared.hot;
  const openapi = JSON.stringify(buildOpenApi(VERSION));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(helmet());

  // Request id, metrics and the one log line per request (answer-writer.ts).
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.get('x-request-id'));
    const context = setContext(res, { requestId, route: 'unmatched' });
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const { route, client, sources, link } = context;
      recordRequest(metrics, logger, { requestId, clientId: client?.id, method: req.method, path: req.path, route, status: res.statusCode, started, sources, link: link?.id });
    });
    next();
  });

  // CORS on the API routes (cors.ts), before the read-only check that answers any other OPTIONS 405.
  for (const apiRoute of [ANALYTICS_ROUTE, HISTORY_ROUTE, '/v1/connections', '/v1/alerts']) {
    const cors = corsHandler(config.server.cors?.origins, apiRoute);
    if (cors) app.all(apiRoute, cors);
  }

  app.use((req, res, next) => {
    if (req.originalUrl.length > MAX_URL_LENGTH) return sendProblem(res, 414, 'invalid_query', 'the URL is too long');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendProblem(res, 405, 'not_found', `method ${req.method} is not allowed; this API is read-only`);
    }
    const length = req.get('content-length');
    if ((length !== undefined && length !== '0') || req.get('transfer-encoding') !== undefined) {
      return sendProblem(res, 400, 'invalid_query', 'a GET request must not carry a body');
    }
    next();
  });

  // The dashboard page and its assets are public; its data calls go through `authenticate` below.
  app.use(createDashboard());

  /**
   * Names the route for the metrics and the log line before anything can answer (authentication,
   * the inbound limit), so a 401, 403 or 429 is counted under its route, not as `unmatched`.
   */
  const route =
    (name: string) =>
    (_req: Request, res: Response, next: NextFunction): void => {
      contextOf(res).route = name;
      next();
    };

  app.get('/healthz', route('/healthz'), (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', route('/readyz'), async (_req, res) => {
    const problem = deps.readiness ? await deps.readiness() : undefined;
    if (problem) res.json({ status: 'degraded', problem, connections: config.connections.length });
    else res.json({ status: 'ready', connections: config.connections.length });
  });

  app.get('/metrics', route('/metrics'), async (_req, res) => {
    gateway.updateGauges();
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/openapi.json', route('/openapi.json'), (_req, res) => {
    res.type('application/json').send(openapi);
  });

  /**
   * A request without a valid key: a 401, or a 429 once its address has spent the unauthenticated
   * budget (inbound-limit.ts), so refusals cost the sender too.
   */
  const refuse = (req: Request, res: Response, reason: 'key_in_query' | 'unauthorized' | 'invalid_link', detail: string): void => {
    const decision = inbound.checkAddress(req.socket.remoteAddress);
    setRateLimitHeaders(res, decision);
    if (!decision.allowed) {
      metrics.inboundRejected.inc({ reason: 'unauthenticated_rate_limited' });
      return sendProblem(res, 429, 'rate_limited', `requests without a valid key are limited to ${decision.limit} per minute per client address`);
    }
    metrics.inboundRejected.inc({ reason });
    if (reason === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer realm="outreach-gateway"');
    sendProblem(res, 401, 'unauthorized', detail);
  };

  /** Authentication (a key header, or a signed link: links.ts) and inbound limits for the /v1 routes. */
  const authenticate = (req: Request, res: Response, next: NextFunction): void => {
    const link = isSignedLink(req.query) ? links.verify(req.path, req.originalUrl) : undefined;
    if (link && !link.ok) return refuse(req, res, 'invalid_link', link.detail);
    if (!link && QUERY_KEY_NAMES.some((name) => Object.prototype.hasOwnProperty.call(req.query, name))) {
      return refuse(req, res, 'key_in_query', 'send the key in the X-API-Key or Authorization: Bearer header; keys in the URL are refused');
    }
    const client = link ? link.client : directory.authenticate(presentedKey(req.headers));
    if (!client) return refuse(req, res, 'unauthorized', 'a valid client key is required (X-API-Key or Authorization: Bearer)');
    contextOf(res).client = client;
    if (link) contextOf(res).link = { id: link.linkId, query: link.query };
    const decision = inbound.check(client.id, client.requestsPerMinute);
    setRateLimitHeaders(res, decision);
    if (!decision.allowed) {
      metrics.inboundRejected.inc({ reason: 'rate_limited' });
      return sendProblem(res, 429, 'rate_limited', `this key is limited to ${decision.limit} requests per minute`);
    }
    next();
  };

  app.get(ANALYTICS_ROUTE, route(ANALYTICS_ROUTE), authenticate, async (req, res) => {
    const { client, requestId } = contextOf(res);
    if (!client) return sendProblem(res, 401, 'unauthorized', 'a valid client key is required');
    const query = contextOf(res).link?.query ?? req.query;
    const request = parseAnalyticsQuery(query, formatFromAccept(req));
    const noCache = /(^|,)\s*no-cache\s*(,|$)/i.test(req.get('cache-control') ?? '');
    if (noCache) request.refresh = true;
    const answer = await gateway.analytics(client, request, requestId);
    contextOf(res).sources = sourcesSummary(answer.body.sources);
    if (res.destroyed) return; // the caller left; the shared upstream work already went on without it
    const flat = request.format === 'csv' || request.format === 'ndjson';
    // The campaigns were serialized once for this representation (gateway/answer-cache.ts); only
    // `sources` and `meta` are serialized per request.
    const json = flat ? undefined : answerChunks(answer.body, answer.json);
    // A cached answer's compressed prefix is kept per cache generation (compression.ts).
    const held = answer.json ? gateway.answers.get(answer.etag) : undefined;
    const cached = held && held.prefix === answer.json?.prefix ? held : undefined;
    const coding = chooseCoding(req.get('accept-encoding'), json?.bytes, cached ? 'gzip' : 'br');
    const etag = representationEtag(answer.etag, coding);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', cacheControl(answer.maxAgeSeconds));
    res.setHeader('X-Gateway-Complete', String(answer.complete));
    res.vary('Authorization, X-API-Key, Accept, Accept-Encoding'); // appended to cors.ts's Origin
    setAnswerHeaders({ path: req.path, query }, res, answer.body);
    setCodingHeaders(res, coding);
    if (answer.status === 200 && ifNoneMatchHits(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    if (!json) {
      const format = request.format === 'csv' ? 'csv' : 'ndjson';
      const fields = request.shape?.fields;
      const { data } = answer.body;
      const lines = answer.ndjson;
      const sending = sendAnswer(req, res, answer.status, answer.body, format, fields, lines, coding);
      // The fast path makes the body again from the same campaigns (and holds nothing else of this answer).
      if (!contextOf(res).link) hot?.remember(req, res, client, answer, request.refresh, coding, () => flatBody(data, format, fields, lines));
      return sending;
    }
    res.status(answer.status);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (coding === 'identity') {
      res.setHeader('Content-Length', json.bytes);
      if (req.method === 'HEAD') return void res.end();
      void writeBody(res, json);
    } else {
      const encoded = cached && (await encodedPrefix(gateway.answers, answer.etag, cached, coding)) ? encodedBody(json, cached, coding) : undefined;
      if (res.destroyed) return;
      if (encoded) res.setHeader('Content-Length', encoded.bytes);
      if (req.method === 'HEAD') return void res.end();
      // Not kept by the answer cache (a big answer): streamed through a compressor, never held whole.
      if (!encoded) return streamCompressed(res, json.pieces, coding);
      void writeBody(res, encoded);
    }
    // The fast path checks keys, not links (expiry, revocation): a link's answer is never replayed by it.
    if (!contextOf(res).link) hot?.remember(req, res, client, answer, request.refresh, coding);
  });

  /** A body built whole (history), compressed whole when the caller accepts gzip or br (compression.ts). */
  const sendWhole = async (req: Request, res: Response, text: string): Promise<void> => {
    const body = Buffer.from(text, 'utf8');
    const coding = chooseCoding(req.get('accept-encoding'), body.length);
    setCodingHeaders(res, coding);
    const sent = coding === 'identity' ? body : await compressWhole(body, coding);
    if (!res.destroyed) res.send(sent);
  };

  app.get(HISTORY_ROUTE, route(HISTORY_ROUTE), authenticate, async (req, res) => {
    const { client, requestId } = contextOf(res);
    if (!client) return sendProblem(res, 401, 'unauthorized', 'a valid client key is required');
    const request = parseHistoryQuery(contextOf(res).link?.query ?? req.query, now(), formatFromAccept(req));
    const workspaces = gateway.resolveWorkspaces(client, request.workspaceId);
    const result = await answerHistory(deps.store, workspaces, request);
    res.setHeader('Cache-Control', 'private, max-age=0');
    res.vary('Authorization, X-API-Key, Accept, Accept-Encoding'); // appended to cors.ts's Origin
    if (request.format === 'csv' || request.format === 'ndjson') {
      const rows = historyRows(result, request.metrics);
      res.setHeader('Content-Type', `${MEDIA_TYPES[request.format]}; charset=utf-8`);
      if (request.format === 'ndjson') return sendWhole(req, res, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
      const columns = historyColumns(request.metrics);
      const lines = [columns.join(','), ...rows.map((row) => columns.map((column) => csvCell(row[column] ?? null)).join(','))];
      return sendWhole(req, res, `${lines.join('\r\n')}\r\n`);
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    return sendWhole(req, res, JSON.stringify(historyBody(result, request, workspaces, requestId, now())));
  });

  app.get('/v1/connections', route('/v1/connections'), authenticate, (_req, res) => {
    const { client } = contextOf(res);
    if (!client) return sendProblem(res, 401, 'unauthorized', 'a valid client key is required');
    res.json({ data: gateway.connections(client) });
  });

  app.get('/v1/alerts', route('/v1/alerts'), authenticate, (req, res) => {
    const { client, requestId } = contextOf(res);
    if (!client) return sendProblem(res, 401, 'unauthorized', 'a valid client key is required');
    const requested = req.query.workspace_id;
    if (requested !== undefined && (typeof requested !== 'string' || requested === '')) {
      return sendProblem(res, 400, 'invalid_query', 'invalid query: workspace_id (expected one workspace id, or ALL)', [{ parameter: 'workspace_id', message: 'expected one workspace id, or ALL' }]);
    }
    // Every workspace of the key unless one is asked for (403 for another's).
    const workspaces = gateway.resolveWorkspaces(client, requested ?? 'ALL');
    const persistence = deps.alerts?.persistence() ?? { storage: 'memory' as const, note: 'no alert rules are configured' };
    res.setHeader('Cache-Control', 'private, max-age=0');
    res.vary('Authorization, X-API-Key'); // appended to cors.ts's Origin
    res.json({
      data: deps.alerts?.active(workspaces) ?? [],
      meta: { requestId, generatedAt: new Date(now()).toISOString(), workspaces, storage: persistence.storage, ...(persistence.note !== undefined ? { storageNote: persistence.note } : {}) },
    });
  });

  app.use((req, res) => {
    sendProblem(res, 404, 'not_found', `no route ${req.method} ${req.path.slice(0, 200)}`);
  });

  // Express 5 passes rejected async handlers here. Nothing internal (stack, message of an
  // unexpected error) reaches the caller.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (isGatewayError(error)) {
      if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      return sendProblem(res, error.status, error.code, error.message, error.errors);
    }
    const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500;
    if (status >= 400 && status < 500) return sendProblem(res, status, 'invalid_query', 'the request could not be read');
    logger.error('unhandled error', { requestId: contextOf(res).requestId, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
    return sendProblem(res, 500, 'internal', 'an internal error occurred; the request id identifies it in the logs');
  });

  return app;
}
