import SwaggerParser from '@apidevtools/swagger-parser';
import { buildOpenApi } from '../../src/server/openapi';
import { QUERY_PARAMETERS } from '../../src/gateway/request';
import { METRIC_NAMES } from '../../src/schema/campaign';

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
