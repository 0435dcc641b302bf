import SwaggerParser from '@apidevtools/swagger-parser';
import fc from 'fast-check';
import { z } from 'zod';
import { buildOpenApi } from '../../src/server/openapi';
import { QUERY_PARAMETERS, parseAnalyticsQuery } from '../../src/gateway/request';
import { METRIC_NAMES, PROVIDER_IDS } from '../../src/schema/campaign';
import { arbitraryFor, queryParameters, serialize, type OpenApiDocument } from '../helpers/openapi-arbitrary';

const ANALYTICS = '/v1/campaigns/analytics';

describe('/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const document = buildOpenApi('test');
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect(document.openapi).toBe('3.1.0');
    // and the validator does reject a broken one
    await expect(SwaggerParser.validate({ openapi: '3.1.0', paths: { '/x': { get: { responses: 'no' } } } } as never)).rejects.toThrow();
  });

  test('documents the endpoint, every parameter, the normalized schema and the error body', () => {
    const document = buildOpenApi('test') as {
      paths: Record<string, { get: { parameters?: { name: string }[]; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties?: Record<string, { properties?: Record<string, unknown> }> }> };
    };
    const get = document.paths['/v1/campaigns/analytics']?.get;
    expect(get?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(Object.keys(QUERY_PARAMETERS)));
    expect(Object.keys(get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '304', '400', '401', '403', '429', '502']));
    const campaign = document.components.schemas.CampaignAnalytics;
    expect(Object.keys(campaign?.properties ?? {})).toEqual(
      expect.arrayContaining(['key', 'id', 'provider', 'connection', 'workspace', 'name', 'status', 'vendorStatus', 'channels', 'createdAt', 'metrics', 'rates', 'averageReplySeconds', 'steps', 'daily', 'leadStatus', 'raw']),
    );
    expect(Object.keys(campaign?.properties?.metrics?.properties ?? {}).sort()).toEqual([...METRIC_NAMES].sort());
    expect(Object.keys(document.components.schemas.Problem?.properties ?? {})).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'errors', 'requestId']),
    );
  });
});

describe('/openapi.json states the rules', () => {
  const document = buildOpenApi('test') as unknown as OpenApiDocument & {
    paths: Record<string, Record<string, { description?: string; responses: Record<string, { $ref?: string; headers?: Record<string, unknown> }> }>>;
    components: { responses: Record<string, { headers?: Record<string, { $ref?: string }> }>; headers: Record<string, { required?: boolean }> };
  };
  const parameters = queryParameters(document, ANALYTICS);
  const schema = (name: string): Record<string, unknown> => parameters.get(name)?.schema ?? {};

  test('each query parameter carries the schema request.ts validates it with', () => {
    for (const [name, definition] of Object.entries(QUERY_PARAMETERS)) {
      const { $schema: _ignored, ...expected } = z.toJSONSchema(definition.schema, { io: 'input' });
      expect(schema(name)).toEqual(expected);
      expect(parameters.get(name)?.description).toBe(definition.description);
    }
    expect(schema('limit')).toEqual({ type: 'integer', format: 'int32', minimum: 1, maximum: 1000 });
    expect(schema('start_date')).toMatchObject({ type: 'string', format: 'date' });
    expect(schema('providers')).toEqual({ type: 'array', minItems: 1, maxItems: PROVIDER_IDS.length, items: { type: 'string', enum: [...PROVIDER_IDS] } });
    expect(parameters.get('providers')).toMatchObject({ style: 'form', explode: false });
    expect(schema('ids')).toMatchObject({ type: 'array', minItems: 1, maxItems: 100, items: { pattern: expect.any(String) } });
    expect(schema('cursor')).toMatchObject({ minLength: 1, maxLength: 7168, pattern: '^[A-Za-z0-9_-]+$' });
    expect(schema('sort')).toMatchObject({ enum: expect.arrayContaining(['name', '-name', 'replyRate', '-createdAt']) });
    expect(schema('workspace_id')).toMatchObject({ anyOf: [{ const: 'ALL' }, { pattern: expect.any(String) }] });
    // No parameter is left a bare string.
    for (const [name, parameter] of parameters) expect(`${name}: ${JSON.stringify(parameter.schema) === '{"type":"string"}' ? 'bare' : 'constrained'}`).toBe(`${name}: constrained`);
  });

  test('the rules across parameters are in the descriptions', () => {
    const text = [document.paths[ANALYTICS]?.get?.description ?? '', ...[...parameters.values()].map((p) => JSON.stringify(p))].join('\n');
    expect(text).toMatch(/start_date and end_date go together/);
    expect(text).toMatch(/at most 366 days/);
    expect(text).toMatch(/group_by cannot be combined with format=csv or format=ndjson/);
    expect(text).toMatch(/fields=raw needs include=raw/);
    expect(text).toMatch(/cursor only with the same/);
    expect(text).toMatch(/Instantly a UUID, SendKit 24 hex digits/);
  });

  test('property: every value the document allows for a parameter, alone, is accepted by the validation', () => {
    const alone = [...parameters.values()].filter((p) => !['cursor', 'start_date', 'end_date'].includes(p.name));
    fc.assert(
      fc.property(fc.constantFrom(...alone).chain((p) => arbitraryFor(p.schema).map((value) => [p, value] as const)), ([parameter, value]) => {
        const query: Record<string, string> = { [parameter.name]: serialize(parameter, value) };
        if (parameter.name === 'fields') query.include = 'raw'; // fields=raw needs it
        expect(() => parseAnalyticsQuery(query)).not.toThrow();
      }),
      { numRuns: 500, seed: 15 },
    );
    fc.assert(
      fc.property(arbitraryFor(schema('start_date')), (date) => {
        expect(() => parseAnalyticsQuery({ start_date: String(date), end_date: String(date) })).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  test('every status each route answers is declared, with the headers sent with it', () => {
    const responses = (path: string, method = 'get'): Record<string, { $ref?: string; headers?: Record<string, unknown> }> => document.paths[path]?.[method]?.responses ?? {};
    expect(Object.keys(responses(ANALYTICS)).sort()).toEqual(['200', '304', '400', '401', '403', '414', '429', '431', '500', '502']);
    expect(Object.keys(responses('/v1/connections')).sort()).toEqual(['200', '400', '401', '414', '429', '431', '500']);
    for (const path of Object.keys(document.paths)) {
      expect(responses(path)['400']).toBeDefined();
      for (const method of ['put', 'post', 'delete', 'patch', 'trace']) expect(Object.keys(responses(path, method))).toEqual(['405']);
      // OPTIONS on the API paths is also a CORS preflight (cors.ts)
      expect(Object.keys(responses(path, 'options'))).toEqual(path.startsWith('/v1/') ? ['204', '405'] : ['405']);
    }
    expect(document.components.responses.NotFound).toBeDefined();
    expect(document.components.responses.MethodNotAllowed?.headers?.Allow).toEqual({ $ref: '#/components/headers/Allow' });
    // 429: Retry-After (always) and the RateLimit pair; the rate-limit headers on every answer after the key is checked.
    expect(Object.keys(document.components.responses.TooManyRequests?.headers ?? {}).sort()).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id']);
    expect(document.components.headers['Retry-After']?.required).toBe(true);
    for (const status of ['200', '304', '400', '403', '502']) expect(Object.keys(responses(ANALYTICS)[status]?.headers ?? {})).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'X-Request-Id']));
    for (const status of ['200', '304', '502']) expect(Object.keys(responses(ANALYTICS)[status]?.headers ?? {})).toContain('ETag');
    expect(Object.keys(responses('/v1/connections')['200']?.headers ?? {})).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'X-Request-Id']));
  });
});
