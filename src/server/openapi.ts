/**
 * `/openapi.json`: an OpenAPI 3.1 document generated from the same zod schemas the code uses
 * (zod's JSON Schema output is draft 2020-12, which OpenAPI 3.1 takes as it is).
 */
import { z } from 'zod';
import { MAX_LIMIT, OUTPUT_FORMATS, QUERY_PARAMETERS } from '../gateway/request';
import { GROUP_BY_VALUES, SORT_FIELDS } from '../gateway/shape';
import { CampaignAnalyticsSchema } from '../schema/campaign';
import { AnalyticsResponseSchema, ConnectionsResponseSchema, ProblemSchema } from '../schema/envelope';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  return rest;
}

const problemResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Parameters with a closed set of values; the rest are strings (comma lists, ids, dates, cursor). */
const PARAMETER_SCHEMAS: Readonly<Partial<Record<string, Record<string, unknown>>>> = {
  refresh: { type: 'string', enum: ['true', 'false'] },
  require: { type: 'string', enum: ['all'] },
  format: { type: 'string', enum: [...OUTPUT_FORMATS] },
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
  sort: { type: 'string', enum: SORT_FIELDS.flatMap((field) => [field, `-${field}`]) },
  group_by: { type: 'string', enum: [...GROUP_BY_VALUES] },
};

const rowsDescription =
  'CSV (RFC 4180, UTF-8, CRLF, header row; columns workspace, provider, connection, key, id, name, status, vendorStatus, createdAt, every metric, averageReplySeconds, every rate; null = empty cell; text cells starting with = + - @ tab CR prefixed with \') or NDJSON (one campaign per line). Completeness is in the X-Gateway-Complete and X-Gateway-Sources headers.';

export function buildOpenApi(version: string): Record<string, unknown> {
  const parameters = Object.entries(QUERY_PARAMETERS).map(([name, description]) => ({
    name,
    in: 'query',
    required: false,
    description,
    schema: PARAMETER_SCHEMAS[name] ?? { type: 'string' },
  }));
  const answerHeaders = {
    ETag: { schema: { type: 'string' } },
    'X-Gateway-Complete': { schema: { type: 'string', enum: ['true', 'false'] } },
    'X-Gateway-Sources': { description: 'Sources that are not ok: `connection=status[:code]`, comma-separated, at most 2000 characters (`+N more`)', schema: { type: 'string' } },
    'X-Gateway-Next-Cursor': { description: 'With `limit`, when there is a next page: its cursor', schema: { type: 'string' } },
    Link: { description: 'With `limit`, when there is a next page: `<url>; rel="next"`', schema: { type: 'string' } },
    'X-Request-Id': { schema: { type: 'string' } },
  };
  const answerContent = {
    'application/json': { schema: { $ref: '#/components/schemas/AnalyticsResponse' } },
    'text/csv': { schema: { type: 'string', description: rowsDescription } },
    'application/x-ndjson': { schema: { type: 'string', description: rowsDescription } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Outreach Gateway',
      version,
      description: 'Campaign analytics from Instantly, SendKit, Kakiyo and Seleqt in one normalized schema, cached and rate limited.',
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/v1/campaigns/analytics': {
        get: {
          operationId: 'getCampaignAnalytics',
          summary: 'Normalized campaign analytics for one workspace, or ALL the caller is linked to',
          parameters: [
            ...parameters,
            { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
            { name: 'X-Request-Id', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Campaigns, totals and per-source status (partial results when a source failed: meta.complete false); CSV or NDJSON with format= or Accept',
              headers: answerHeaders,
              content: answerContent,
            },
            '304': { description: 'Not modified (If-None-Match matched the ETag)' },
            '400': problemResponse('Invalid query (every bad parameter listed in errors) or a fan-out over the upstream call cap'),
            '401': problemResponse('Missing or unknown client key'),
            '403': problemResponse('The key is not linked to that workspace'),
            '429': problemResponse('Too many requests for this key (Retry-After and RateLimit headers)'),
            '502': {
              description: 'Every source failed, or require=all and one failed (same body shape and format as 200)',
              headers: answerHeaders,
              content: answerContent,
            },
          },
        },
      },
      '/v1/connections': {
        get: {
          operationId: 'listConnections',
          summary: "The caller's connections and their health (never a secret)",
          responses: {
            '200': { description: 'Connections', content: { 'application/json': { schema: { $ref: '#/components/schemas/ConnectionsResponse' } } } },
            '401': problemResponse('Missing or unknown client key'),
          },
        },
      },
      '/healthz': { get: { operationId: 'healthz', security: [], summary: 'Process is up', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { operationId: 'readyz', security: [], summary: 'Config loaded and dependencies reachable', responses: { '200': { description: '`{status: "ready"}`, or `{status: "degraded", problem}` while Redis is unreachable (still serving from the local tiers)' } } } },
      '/metrics': { get: { operationId: 'metrics', security: [], summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        CampaignAnalytics: jsonSchema(CampaignAnalyticsSchema),
        AnalyticsResponse: jsonSchema(AnalyticsResponseSchema),
        Problem: jsonSchema(ProblemSchema),
        ConnectionsResponse: jsonSchema(ConnectionsResponseSchema),
      },
    },
  };
}
