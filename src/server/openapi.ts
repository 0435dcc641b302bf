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
import { MAX_CURSOR_LENGTH } from '../gateway/shape';
import { CampaignAnalyticsSchema } from '../schema/campaign';
import { HistoryResponseSchema } from '../schema/history';
import { AnalyticsResponseSchema, ConnectionsResponseSchema, ProblemSchema } from '../schema/envelope';
import { AlertsResponseSchema } from '../alerts/schema';
import { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE_SECONDS } from './cors';
import { DASHBOARD_ASSETS } from './dashboard';
import { REQUEST_ID } from './answer-writer';
import { MAX_URL_LENGTH } from './hot-path';

type Json = Record<string, unknown>;

/** Node's limit on a request's headers (16 KB); a longer header is a 431 before the app sees it. */
const HEADER_MAX_LENGTH = 16_384;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

const ref = (kind: 'headers' | 'responses' | 'parameters' | 'schemas', name: string): Json => ({ $ref: `#/components/${kind}/${name}` });

/** Headers, by the name they are sent under. */
const HEADERS: Readonly<Record<string, Json>> = {
  'X-Request-Id': {
    description: "The request's id (the caller's own X-Request-Id when it is 1-128 of A-Z a-z 0-9 . _ : -), also in the log line and in meta.requestId",
    schema: { type: 'string', maxLength: 128, pattern: REQUEST_ID.source },
  },
  RateLimit: {
    description:
      'Remaining quota: `"per-key";r=<requests left>;t=<seconds until the quota resets>` (draft-ietf-httpapi-ratelimit-headers); `"per-address"` on answers to requests without a valid key (their own budget per client address)',
    schema: { type: 'string', maxLength: 64, pattern: '^"per-(key|address)";r=\\d+;t=\\d+$' },
  },
  'RateLimit-Policy': {
    description: 'The quota: `"per-key";q=<requests>;w=60` (requests per 60 s), or `"per-address"` for requests without a valid key',
    schema: { type: 'string', maxLength: 64, pattern: '^"per-(key|address)";q=\\d+;w=60$' },
  },
  'Content-Disposition': { description: 'With CSV: `attachment; filename="campaign-analytics.csv"`', schema: { type: 'string', enum: ['attachment; filename="campaign-analytics.csv"'] } },
  Vary: { description: 'The request headers the answer depends on: `Origin` on the API paths when CORS origins are configured; the analytics and history answers also name Authorization, X-API-Key, Accept and Accept-Encoding', schema: { type: 'string', maxLength: 256, pattern: '^[A-Za-z-]+(, [A-Za-z-]+)*$' } },
  'Content-Encoding': {
    description: 'The content coding negotiated from Accept-Encoding (`br` or `gzip`); absent when the body is sent as it is (no Accept-Encoding, nothing acceptable, or a body under 1 KB)',
    schema: { type: 'string', enum: ['gzip', 'br'] },
  },
  'Retry-After': { description: 'Seconds to wait before the next request is allowed', required: true, schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 86_400 } },
  ETag: {
    description: 'Strong validator of this representation (content, format, shape and content coding: `-gzip` or `-br` inside the quotes for a compressed one); send it back as If-None-Match',
    schema: { type: 'string', maxLength: 128, pattern: '^"[^"]+"$' },
  },
  'Cache-Control': { description: 'How long a shared or private cache may keep the answer', schema: { type: 'string', maxLength: 256, pattern: '^[a-z0-9=, -]+$' } },
  'X-Gateway-Complete': { description: 'false when a source failed (meta.complete)', schema: { type: 'string', enum: ['true', 'false'] } },
  'X-Gateway-Sources': {
    description: 'Sources that are not ok: `connection=status[:code]`, comma-separated, at most 2000 characters (`+N more`)',
    schema: { type: 'string', maxLength: 2000, pattern: '^[^\\r\\n]*$' },
  },
  'X-Gateway-Next-Cursor': { description: 'With `limit`, when there is a next page: its cursor', schema: { type: 'string', maxLength: MAX_CURSOR_LENGTH, pattern: '^[A-Za-z0-9_-]+$' } },
  // The next page's URL is the request's own with the cursor replaced: under Node's 16 KB header limit.
  Link: { description: 'With `limit`, when there is a next page: `<url>; rel="next"`', schema: { type: 'string', maxLength: 16_384, pattern: '^<[^>]+>; rel="next"$' } },
  'WWW-Authenticate': { description: 'The scheme a key is sent with', schema: { type: 'string', enum: ['Bearer realm="outreach-gateway"'] } },
  Allow: { description: 'GET, HEAD', required: true, schema: { type: 'string', enum: ['GET, HEAD'] } },
  // CORS (API paths only, when server.cors.origins lists origins).
  'Access-Control-Allow-Origin': {
    description: "The request's Origin, when it is one of server.cors.origins (never `*`; never with Access-Control-Allow-Credentials)",
    schema: { type: 'string', maxLength: 2048, pattern: '^https?://[^/\\s]+$' },
  },
  'Access-Control-Expose-Headers': { description: `With Access-Control-Allow-Origin: ${CORS_EXPOSED_HEADERS.join(', ')}`, schema: { type: 'string', const: CORS_EXPOSED_HEADERS.join(', ') } },
  'Access-Control-Allow-Methods': { description: 'The methods the API answers', required: true, schema: { type: 'string', const: CORS_ALLOWED_METHODS.join(', ') } },
  'Access-Control-Allow-Headers': { description: 'The request headers the API reads', required: true, schema: { type: 'string', const: CORS_ALLOWED_HEADERS.join(', ') } },
  'Access-Control-Max-Age': {
    description: 'Seconds a browser may reuse this preflight answer',
    required: true,
    schema: { type: 'integer', format: 'int32', const: CORS_MAX_AGE_SECONDS, minimum: CORS_MAX_AGE_SECONDS, maximum: CORS_MAX_AGE_SECONDS },
  },
};
type HeaderName = keyof typeof HEADERS;

/** Component names for the headers (a component name is `[A-Za-z0-9._-]`). */
function headers(...names: HeaderName[]): Json {
  return Object.fromEntries(names.map((name) => [name, ref('headers', name)]));
}

const problemContent = { 'application/problem+json': { schema: ref('schemas', 'Problem') } };
const problem = (description: string, ...names: HeaderName[]): Json => ({ description, headers: headers('X-Request-Id', ...names), content: problemContent });
const RATE_LIMIT: HeaderName[] = ['RateLimit', 'RateLimit-Policy'];

/** Headers of any answer on an API path to a request from an allowed origin (cors.ts), and of a preflight. */
const CORS_ANSWER: HeaderName[] = ['Access-Control-Allow-Origin', 'Access-Control-Expose-Headers', 'Vary'];
const CORS_PREFLIGHT: HeaderName[] = ['X-Request-Id', 'Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Max-Age', 'Vary'];

/** Answers every route can give (component responses). */
const BASE_RESPONSES: Readonly<Record<string, Json>> = {
  BadRequestBody: problem('A GET request carrying a body, or a request the server could not read'),
  NotFound: problem('No such route (any path this document does not list)'),
  MethodNotAllowed: problem('This API is read-only: any method but GET and HEAD', 'Allow'),
  UriTooLong: problem(`The URL is longer than ${MAX_URL_LENGTH} characters`),
  // Answered by the HTTP server before the app: no request id yet (an empty requestId in the body).
  HeadersTooLarge: { description: 'The request line or headers are larger than the server reads', content: problemContent },
  InternalError: problem('An unexpected error; the request id identifies it in the logs'),
  Unauthorized: problem(
    'Missing or unknown client key (with WWW-Authenticate), a key sent in the URL, or a signed link that is not valid: altered (any parameter or value added, removed, reordered or changed, another route), expired, revoked (links.revoked) or signed with another secret. Counted against the address\'s budget for requests without a valid key',
    'WWW-Authenticate',
    'RateLimit',
    'RateLimit-Policy',
  ),
  TooManyRequests: problem("Too many requests for this key: over its requestsPerMinute", 'Retry-After', ...RATE_LIMIT),
};

/** A response with the CORS answer headers added (HeadersTooLarge is answered before the app: none). */
function withCorsHeaders(response: Json): Json {
  return { ...response, headers: { ...(response.headers as Json | undefined), ...headers(...CORS_ANSWER) } };
}

/** Each component response, and `Cors<name>`: the same on an API path, where it can carry the CORS headers. */
const RESPONSES: Readonly<Record<string, Json>> = {
  ...BASE_RESPONSES,
  ...Object.fromEntries(
    Object.entries(BASE_RESPONSES)
      .filter(([name]) => name !== 'HeadersTooLarge')
      .map(([name, response]) => [`Cors${name}`, withCorsHeaders(response)]),
  ),
};

/** An API path's responses: each can carry the CORS headers (a component reference becomes its `Cors` variant). */
function corsResponses(responses: Json): Json {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const target = (response as { $ref?: string }).$ref?.replace('#/components/responses/', '');
      if (target === undefined) return [status, withCorsHeaders(response as Json)];
      return [status, target === 'HeadersTooLarge' ? response : ref('responses', `Cors${target}`)];
    }),
  );
}

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
        description: 'Answers 405 with Allow: GET, HEAD to anyone, before any key is read: nothing is written, so no key is asked for.',
        security: [],
        responses: { '405': ref('responses', 'MethodNotAllowed') },
      },
    ]),
  );
}

function path(get: Json & { operationId: string }): Json {
  return { get, ...refusedMethods(get.operationId) };
}

/**
 * A signed link's parameters (server/links.ts), referenced by the routes a link may point at: with
 * them the request needs no key header. Declared by reference, so the endpoint's own parameter list
 * stays as request.ts checks it.
 */
const LINK_PARAMETERS: Readonly<Record<string, Json>> = {
  LinkClient: {
    name: 'client',
    in: 'query',
    required: false,
    description: 'Signed links only (`outreach-gateway link`): the client whose workspaces and requestsPerMinute the link uses. Signed with the rest of the query.',
    schema: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
  },
  LinkExpires: {
    name: 'expires',
    in: 'query',
    required: false,
    description: 'Signed links only: when the link stops answering (Unix seconds); after it, 401. Signed.',
    // Up to the year 9999 (the CLI signs at most 3650 days ahead; any other value fails the signature).
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: 253_402_300_799 },
  },
  LinkId: {
    name: 'link_id',
    in: 'query',
    required: false,
    description: "Signed links only: the link's id; listed in links.revoked, the link answers 401. Signed.",
    schema: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]{6,64}$' },
  },
  LinkSignature: {
    name: 'sig',
    in: 'query',
    required: false,
    description:
      'Signed links only, always the last parameter: HMAC-SHA256 (base64url) under links.secret of the route and every parameter before it, in order (the query with its format, client, expires, link_id). ' +
      'Any other parameter, value or order, another format, an expired or revoked link, or a rotated secret: 401. A credential: never logged.',
    schema: { type: 'string', maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$' },
  },
};
const linkParameters = (): Json[] => Object.keys(LINK_PARAMETERS).map((name) => ref('parameters', name));

/**
 * An API path: every answer can carry the CORS headers, and OPTIONS is a CORS preflight, answered
 * 204 from an allowed origin and 405 otherwise (cors.ts).
 */
function apiPath(get: Json & { operationId: string; responses: Json }): Json {
  const refused = Object.fromEntries(
    Object.entries(refusedMethods(get.operationId)).map(([method, operation]) => [method, { ...(operation as Json), responses: { '405': ref('responses', 'CorsMethodNotAllowed') } }]),
  );
  return {
    get: { ...get, responses: corsResponses(get.responses) },
    ...refused,
    options: {
      operationId: `${get.operationId}_preflight`,
      tags: ['cors'],
      summary: 'CORS preflight from a browser page on another origin',
      description:
        'With an Origin listed in server.cors.origins and Access-Control-Request-Method: 204 with the methods and request headers the API accepts. ' +
        'Any other OPTIONS (an origin not listed, none configured, or no preflight headers): 405 as any other method.',
      security: [],
      parameters: [
        { name: 'Origin', in: 'header', required: false, description: "The page's origin", schema: { type: 'string', maxLength: 2048, pattern: '^[a-z][a-z0-9+.-]*://[^/\\s]+$|^null$' } },
        { name: 'Access-Control-Request-Method', in: 'header', required: false, description: 'The method the page wants to send', schema: { type: 'string', maxLength: 16, pattern: '^[A-Za-z]+$' } },
        {
          name: 'Access-Control-Request-Headers',
          in: 'header',
          required: false,
          description: 'The request headers the page wants to send (comma-separated)',
          schema: { type: 'string', maxLength: HEADER_MAX_LENGTH, pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~, -]*$' },
        },
      ],
      responses: {
        '204': { description: 'Preflight accepted: the page may send GET or HEAD with these headers', headers: headers(...CORS_PREFLIGHT) },
        '405': ref('responses', 'CorsMethodNotAllowed'),
      },
    },
  };
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

function analyticsOperation(): Json & { operationId: string; responses: Json } {
  const answerHeaders = headers('X-Request-Id', 'ETag', 'Cache-Control', 'Vary', 'Content-Encoding', 'Content-Disposition', 'X-Gateway-Complete', 'X-Gateway-Sources', 'X-Gateway-Next-Cursor', 'Link', ...RATE_LIMIT);
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
      { name: 'If-None-Match', in: 'header', required: false, description: 'An ETag of a previous answer: 304 when it still matches', schema: { type: 'string', maxLength: HEADER_MAX_LENGTH, pattern: '^[^\\r\\n]*$' } },
      { name: 'Cache-Control', in: 'header', required: false, description: '`no-cache` does what refresh=true does', schema: { type: 'string', maxLength: HEADER_MAX_LENGTH, pattern: '^[^\\r\\n]*$' } },
      ref('parameters', 'AcceptEncoding'),
      ref('parameters', 'RequestId'),
      ...linkParameters(),
    ],
    responses: {
      '200': {
        description: 'Campaigns, totals and per-source status (partial results when a source failed: meta.complete false); CSV or NDJSON with format= or Accept',
        headers: answerHeaders,
        content: answerContent,
      },
      '304': { description: 'Not modified (If-None-Match matched the ETag); the headers the 200 would carry, no body', headers: answerHeaders },
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

function historyOperation(): Json & { operationId: string; responses: Json } {
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
    parameters: [...queryParameters(HISTORY_PARAMETERS), ref('parameters', 'AcceptEncoding'), ref('parameters', 'RequestId'), ...linkParameters()],
    responses: {
      '200': {
        description: 'The series',
        headers: headers('X-Request-Id', 'Cache-Control', 'Vary', 'Content-Encoding', ...RATE_LIMIT),
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
    description: `${summary}. Public (no key): answered to anyone, not counted against a key's quota.`,
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
        `400 to a GET carrying a body, 414 to a URL over ${MAX_URL_LENGTH} characters and 431 to a request line or headers too large to read. Any other path answers 404 (components.responses.NotFound).\n\n` +
        'CORS: on the /v1 paths, OPTIONS is also a CORS preflight (204 when the Origin is one of server.cors.origins; none by default), and every answer to a request from such an origin carries Access-Control-Allow-Origin (that origin) and Access-Control-Expose-Headers. Credentials are never cookies: send the key in X-API-Key or Authorization.',
    },
    // x-internal false: the API is meant to be reached by the agency's tools (OWASP API9 inventory).
    servers: [{ url: '/', description: 'This gateway, wherever it runs (local, staging or production)', 'x-internal': false }],
    security: [{ apiKey: [] }, { bearer: [] }],
    tags: [
      { name: 'analytics', description: 'The API (a client key is required)' },
      { name: 'operations', description: 'Health, readiness, metrics and this document (public)' },
      { name: 'dashboard', description: 'The browser dashboard (public files; its data comes from the API with the key typed in)' },
      { name: 'refused', description: 'Methods the read-only API refuses with 405' },
      { name: 'cors', description: 'CORS preflights on the API paths (origins allowed in server.cors.origins; none by default)' },
    ],
    paths: {
      '/v1/campaigns/analytics': apiPath({ ...analyticsOperation(), tags: ['analytics'] }),
      [HISTORY_ROUTE]: apiPath(historyOperation()),
      '/v1/connections': apiPath({
        operationId: 'listConnections',
        tags: ['analytics'],
        summary: "The caller's connections and their health (never a secret)",
        description: 'Per connection: provider, workspace, breaker state, last walk, cache age, the scheduled sync and budget state. Never a key, a URL credential or a secret.',
        parameters: [ref('parameters', 'RequestId')],
        responses: {
          '200': { description: 'Connections', headers: headers('X-Request-Id', ...RATE_LIMIT), content: { 'application/json': { schema: ref('schemas', 'ConnectionsResponse') } } },
          ...ANY_GET,
          '401': ref('responses', 'Unauthorized'),
          '429': ref('responses', 'TooManyRequests'),
        },
      }),
      '/v1/alerts': apiPath({
        operationId: 'listAlerts',
        tags: ['analytics'],
        summary: "The active alerts of the caller's workspaces (alert rules in the config; README \"Alerts\")",
        description: 'Alerts that are firing now, per rule and subject, for the workspaces of the key (or the one asked for).',
        parameters: [
          { name: 'workspace_id', in: 'query', required: false, description: 'One of your workspaces, or ALL (the default: every workspace of the key)', schema: jsonSchema(QUERY_PARAMETERS.workspace_id.schema, 'input') },
          ref('parameters', 'RequestId'),
        ],
        responses: {
          '200': { description: 'Active alerts, oldest first', headers: headers('X-Request-Id', 'Cache-Control', 'Vary', ...RATE_LIMIT), content: { 'application/json': { schema: ref('schemas', 'AlertsResponse') } } },
          ...ANY_GET,
          '400': problem('Invalid workspace_id (repeated or empty), or a GET with a body', ...RATE_LIMIT),
          '401': ref('responses', 'Unauthorized'),
          '403': problem('The key is not linked to that workspace', ...RATE_LIMIT),
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
                properties: { status: { enum: ['ready', 'degraded'] }, problem: { type: 'string' }, connections: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 } },
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
        RequestId: {
          name: 'X-Request-Id',
          in: 'header',
          required: false,
          description: 'Your id for this request (1-128 of A-Z a-z 0-9 . _ : -); another value is replaced by a new one',
          schema: { type: 'string', maxLength: HEADER_MAX_LENGTH, pattern: '^[^\\r\\n]*$' },
        },
        AcceptEncoding: {
          name: 'Accept-Encoding',
          in: 'header',
          required: false,
          description:
            'Content codings the caller reads (RFC 9110: q-values, `*`, `identity`): `br` or `gzip` compresses answers of 1 KB and more (br preferred at equal q, gzip for a cached JSON answer, whose gzip prefix is kept per cache generation); nothing acceptable: sent as it is',
          schema: { type: 'string', maxLength: HEADER_MAX_LENGTH, pattern: '^[^\\r\\n]*$' },
        },
        ...LINK_PARAMETERS,
      },
      headers: HEADERS,
      responses: RESPONSES,
      schemas: {
        CampaignAnalytics: jsonSchema(CampaignAnalyticsSchema),
        AnalyticsResponse: jsonSchema(AnalyticsResponseSchema),
        Problem: jsonSchema(ProblemSchema),
        ConnectionsResponse: jsonSchema(ConnectionsResponseSchema),
        HistoryResponse: jsonSchema(HistoryResponseSchema),
        AlertsResponse: jsonSchema(AlertsResponseSchema),
      },
    },
  };
}
