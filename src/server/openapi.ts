/**
 * `/openapi.json`: an OpenAPI 3.1 document generated from the same zod schemas the code uses (zod's
 * JSON Schema output is draft 2020-12, which OpenAPI 3.1 takes as it is): the answers' schemas, and
 * each query parameter's rule exactly as request.ts checks it. It declares every status each route
 * answers and the headers sent with each: any path answers 405 to a method other than GET and HEAD,
 * 400 to a GET with a body, 414 to a URL over 8 KB; a path not listed answers 404.
 */
import { z } from 'zod';
import { HISTORY_PARAMETERS, HISTORY_ROUTE } from '../gateway/history';
import { QUERY_PARAMETERS, QUERY_RULES, type QueryParameter } from '../gateway/request';
import { CampaignAnalyticsSchema } from '../schema/campaign';
import { HistoryResponseSchema } from '../schema/history';
import { AnalyticsResponseSchema, ConnectionsResponseSchema, ProblemSchema } from '../schema/envelope';
import { DASHBOARD_ASSETS } from './dashboard';
import { MAX_URL_LENGTH } from './hot-path';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

const ref = (kind: 'headers' | 'responses' | 'parameters' | 'schemas', name: string): Json => ({ $ref: `#/components/${kind}/${name}` });

/** Headers, by the name they are sent under. */
const HEADERS: Readonly<Record<string, Json>> = {
  'X-Request-Id': { description: "The request's id (the caller's own X-Request-Id when it is 1-128 of A-Z a-z 0-9 . _ : -), also in the log line and in meta.requestId", schema: { type: 'string' } },
  RateLimit: { description: 'Remaining quota of the key: `"per-key";r=<requests left>;t=<seconds until the quota resets>` (draft-ietf-httpapi-ratelimit-headers)', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'The key\'s quota: `"per-key";q=<requests>;w=60` (requests per 60 s)', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before the next request is allowed', required: true, schema: { type: 'integer', minimum: 1 } },
  ETag: { description: 'Strong validator of this representation (content, format and shape); send it back as If-None-Match', schema: { type: 'string' } },
  'Cache-Control': { schema: { type: 'string' } },
  'X-Gateway-Complete': { description: 'false when a source failed (meta.complete)', schema: { type: 'string', enum: ['true', 'false'] } },
  'X-Gateway-Sources': { description: 'Sources that are not ok: `connection=status[:code]`, comma-separated, at most 2000 characters (`+N more`)', schema: { type: 'string' } },
  'X-Gateway-Next-Cursor': { description: 'With `limit`, when there is a next page: its cursor', schema: { type: 'string' } },
  Link: { description: 'With `limit`, when there is a next page: `<url>; rel="next"`', schema: { type: 'string' } },
  'WWW-Authenticate': { schema: { type: 'string' } },
  Allow: { description: 'GET, HEAD', required: true, schema: { type: 'string' } },
};
type HeaderName = keyof typeof HEADERS;

/** Component names for the headers (a component name is `[A-Za-z0-9._-]`). */
function headers(...names: HeaderName[]): Json {
  return Object.fromEntries(names.map((name) => [name, ref('headers', name)]));
}

const problemContent = { 'application/problem+json': { schema: ref('schemas', 'Problem') } };
const problem = (description: string, ...names: HeaderName[]): Json => ({ description, headers: headers('X-Request-Id', ...names), content: problemContent });
const RATE_LIMIT: HeaderName[] = ['RateLimit', 'RateLimit-Policy'];

/** Answers every route can give (component responses). */
const RESPONSES: Readonly<Record<string, Json>> = {
  BadRequestBody: problem('A GET request carrying a body, or a request the server could not read'),
  NotFound: problem('No such route (any path this document does not list)'),
  MethodNotAllowed: problem('This API is read-only: any method but GET and HEAD', 'Allow'),
  UriTooLong: problem(`The URL is longer than ${MAX_URL_LENGTH} characters`),
  // Answered by the HTTP server before the app: no request id yet (an empty requestId in the body).
  HeadersTooLarge: { description: 'The request line or headers are larger than the server reads', content: problemContent },
  InternalError: problem('An unexpected error; the request id identifies it in the logs'),
  Unauthorized: problem('Missing or unknown client key, or a key sent in the URL', 'WWW-Authenticate'),
  TooManyRequests: problem("Too many requests for this key: over its requestsPerMinute", 'Retry-After', ...RATE_LIMIT),
};

/** The statuses any GET answers besides its own: a body (400), a long URL (414) or headers (431), an unexpected error (500). */
const ANY_GET = {
  '400': ref('responses', 'BadRequestBody'),
  '414': ref('responses', 'UriTooLong'),
  '431': ref('responses', 'HeadersTooLarge'),
  '500': ref('responses', 'InternalError'),
};

/** Methods a path item can hold besides GET (HEAD is answered as GET): each answers 405. */
const REFUSED_METHODS = ['put', 'post', 'delete', 'options', 'patch', 'trace'] as const;

function refusedMethods(operationId: string): Json {
  return Object.fromEntries(
    REFUSED_METHODS.map((method) => [
      method,
      {
        operationId: `${operationId}_${method}`,
        tags: ['refused'],
        summary: 'Refused: this API is read-only',
        security: [],
        responses: { '405': ref('responses', 'MethodNotAllowed') },
      },
    ]),
  );
}

function path(get: Json & { operationId: string }): Json {
  return { get, ...refusedMethods(get.operationId) };
}

const rowsDescription =
  'CSV (RFC 4180, UTF-8, CRLF, header row; columns workspace, provider, connection, key, id, name, status, vendorStatus, createdAt, every metric, averageReplySeconds, every rate; null = empty cell; text cells starting with = + - @ tab CR prefixed with \') or NDJSON (one campaign per line). Completeness is in the X-Gateway-Complete and X-Gateway-Sources headers.';

/** The query parameters of a route, each with the schema its parser checks it against. */
function queryParameters(table: Readonly<Record<string, QueryParameter>> = QUERY_PARAMETERS): Json[] {
  return Object.entries(table).map(([name, definition]) => ({
    name,
    in: 'query',
    required: false,
    description: definition.description,
    schema: jsonSchema(definition.schema, 'input'),
    // A comma-separated list in one parameter: `providers=instantly,seleqt`.
    ...('list' in definition ? { style: 'form', explode: false } : {}),
  }));
}

function analyticsOperation(): Json & { operationId: string } {
  const answerHeaders = headers('X-Request-Id', 'ETag', 'Cache-Control', 'X-Gateway-Complete', 'X-Gateway-Sources', 'X-Gateway-Next-Cursor', 'Link', ...RATE_LIMIT);
  const answerContent = {
    'application/json': { schema: ref('schemas', 'AnalyticsResponse') },
    'text/csv': { schema: { type: 'string', description: rowsDescription } },
    'application/x-ndjson': { schema: { type: 'string', description: rowsDescription } },
  };
  return {
    operationId: 'getCampaignAnalytics',
    summary: 'Normalized campaign analytics for one workspace, or ALL the caller is linked to',
    description: `Rules across parameters:\n\n${QUERY_RULES.map((rule) => `- ${rule}`).join('\n')}`,
    parameters: [
      ...queryParameters(),
      { name: 'If-None-Match', in: 'header', required: false, description: 'An ETag of a previous answer: 304 when it still matches', schema: { type: 'string' } },
      { name: 'Cache-Control', in: 'header', required: false, description: '`no-cache` does what refresh=true does', schema: { type: 'string' } },
      ref('parameters', 'RequestId'),
    ],
    responses: {
      '200': {
        description: 'Campaigns, totals and per-source status (partial results when a source failed: meta.complete false); CSV or NDJSON with format= or Accept',
        headers: answerHeaders,
        content: answerContent,
      },
      '304': { description: 'Not modified (If-None-Match matched the ETag)', headers: headers('X-Request-Id', 'ETag', 'Cache-Control', ...RATE_LIMIT) },
      ...ANY_GET,
      '400': problem('Invalid query (every bad parameter listed in errors, see the rules above), a GET with a body, or a fan-out over the upstream call cap (too_expensive)', ...RATE_LIMIT),
      '401': ref('responses', 'Unauthorized'),
      '403': problem('The key is not linked to that workspace', ...RATE_LIMIT),
      '429': ref('responses', 'TooManyRequests'),
      '502': {
        description: 'Every source failed, or require=all and one failed (same body shape and format as 200)',
        headers: answerHeaders,
        content: answerContent,
      },
    },
  };
}

function historyOperation(): Json & { operationId: string } {
  const rows = 'One row per series and period: campaign, name, provider, workspace, period, end, source, campaigns, the metrics asked for, openRate, replyRate, bounceRate, interestedRate.';
  return {
    operationId: 'getCampaignHistory',
    tags: ['analytics'],
    summary: 'Growth per day, week or month from the stored snapshots, per campaign, provider, workspace or in total',
    description:
      'Each point is the growth in its period: a campaign\'s last snapshot in the period minus its last snapshot in the previous period, summed over the group; ' +
      'rates are recomputed from the sums. A period with no data (or none in the period before it) is a gap with null metrics, never interpolated. ' +
      'A cumulative count that goes down starts a new baseline (counter_reset warning); no growth is negative. start_date and end_date go together. ' +
      "Where the vendor's own daily rows (stored from walks with include=daily) cover a campaign's period, the metrics they carry are their sum instead; source and sources say which.",
    parameters: [...queryParameters(HISTORY_PARAMETERS), ref('parameters', 'RequestId')],
    responses: {
      '200': {
        description: 'The series',
        headers: headers('X-Request-Id', 'Cache-Control', ...RATE_LIMIT),
        content: {
          'application/json': { schema: ref('schemas', 'HistoryResponse') },
          'text/csv': { schema: { type: 'string', description: rows } },
          'application/x-ndjson': { schema: { type: 'string', description: rows } },
        },
      },
      ...ANY_GET,
      '400': problem('Invalid query (every bad parameter listed in errors), or a GET with a body', ...RATE_LIMIT),
      '401': ref('responses', 'Unauthorized'),
      '403': problem('The key is not linked to that workspace', ...RATE_LIMIT),
      '429': ref('responses', 'TooManyRequests'),
      '503': problem('The history store is unreachable or turned off (the analytics endpoint still answers)', ...RATE_LIMIT),
    },
  };
}

/** A public GET (no key): its 200 (and other answers of its own) besides those of every GET. */
function publicGet(operationId: string, tag: string, summary: string, ok: Json, more: Json = {}): Json & { operationId: string } {
  return {
    operationId,
    tags: [tag],
    security: [],
    summary,
    parameters: [ref('parameters', 'RequestId')],
    responses: { '200': { headers: headers('X-Request-Id'), ...ok }, ...more, ...ANY_GET },
  };
}

function dashboardPaths(): Json {
  const cached = headers('X-Request-Id', 'ETag', 'Cache-Control');
  return Object.fromEntries(
    DASHBOARD_ASSETS.map((asset) => [
      asset.route,
      path(
        publicGet(
          `dashboard_${asset.file.replace(/[^A-Za-z0-9]/g, '_')}`,
          'dashboard',
          `Dashboard: ${asset.file}`,
          { description: asset.file, headers: cached, content: { [asset.type.split(';')[0] ?? asset.type]: { schema: { type: 'string' } } } },
          { '304': { description: 'Not modified (If-None-Match matched the ETag)', headers: cached } },
        ),
      ),
    ]),
  );
}

export function buildOpenApi(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Outreach Gateway',
      version,
      description:
        'Campaign analytics from Instantly, SendKit, Kakiyo and Seleqt in one normalized schema, cached and rate limited.\n\n' +
        'Every answer carries X-Request-Id; errors are RFC 9457 problem+json. Every listed path answers 405 to a method other than GET and HEAD (listed as refused operations), ' +
        `400 to a GET carrying a body, 414 to a URL over ${MAX_URL_LENGTH} characters and 431 to a request line or headers too large to read. Any other path answers 404 (components.responses.NotFound).`,
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }, { bearer: [] }],
    tags: [
      { name: 'analytics', description: 'The API (a client key is required)' },
      { name: 'operations', description: 'Health, readiness, metrics and this document (public)' },
      { name: 'dashboard', description: 'The browser dashboard (public files; its data comes from the API with the key typed in)' },
      { name: 'refused', description: 'Methods the read-only API refuses with 405' },
    ],
    paths: {
      '/v1/campaigns/analytics': path({ ...analyticsOperation(), tags: ['analytics'] }),
      [HISTORY_ROUTE]: path(historyOperation()),
      '/v1/connections': path({
        operationId: 'listConnections',
        tags: ['analytics'],
        summary: "The caller's connections and their health (never a secret)",
        parameters: [ref('parameters', 'RequestId')],
        responses: {
          '200': { description: 'Connections', headers: headers('X-Request-Id', ...RATE_LIMIT), content: { 'application/json': { schema: ref('schemas', 'ConnectionsResponse') } } },
          ...ANY_GET,
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyRequests'),
        },
      }),
      '/healthz': path(publicGet('healthz', 'operations', 'Process is up', { description: '`{status: "ok"}`', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] } } } })),
      '/readyz': path(
        publicGet('readyz', 'operations', 'Config loaded and dependencies reachable', {
          description: '`{status: "ready"}`, or `{status: "degraded", problem}` while Redis is unreachable (still serving from the local tiers)',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { status: { enum: ['ready', 'degraded'] }, problem: { type: 'string' }, connections: { type: 'integer', minimum: 0 } },
                required: ['status', 'connections'],
              },
            },
          },
        }),
      ),
      '/metrics': path(publicGet('metrics', 'operations', 'Prometheus metrics', { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } })),
      '/openapi.json': path(publicGet('openapi', 'operations', 'This document', { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } })),
      ...dashboardPaths(),
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      parameters: {
        RequestId: { name: 'X-Request-Id', in: 'header', required: false, description: 'Your id for this request (1-128 of A-Z a-z 0-9 . _ : -); another value is replaced by a new one', schema: { type: 'string' } },
      },
      headers: HEADERS,
      responses: RESPONSES,
      schemas: {
        CampaignAnalytics: jsonSchema(CampaignAnalyticsSchema),
        AnalyticsResponse: jsonSchema(AnalyticsResponseSchema),
        Problem: jsonSchema(ProblemSchema),
        ConnectionsResponse: jsonSchema(ConnectionsResponseSchema),
        HistoryResponse: jsonSchema(HistoryResponseSchema),
      },
    },
  };
}
