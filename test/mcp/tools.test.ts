/**
 * The MCP tool table in-process (no stdio): arguments turned into the route's query texts, the
 * client's inbound limit, the history tool without a store, and an unexpected failure answered
 * without its message.
 */
import { PassThrough } from 'node:stream';
import { GatewayTools, toQuery, ANALYTICS_TOOL_PARAMETERS } from '../../src/mcp/tools';
import { QUERY_PARAMETERS } from '../../src/gateway/request';
import { createLogger } from '../../src/logger';
import { startStack, type Stack } from '../helpers/stack';

describe('mcp tools', () => {
  let stack: Stack;
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  const logger = createLogger({ level: 'info', stream });

  beforeAll(async () => {
    stack = await startStack({ requestsPerMinute: 3, campaigns: 2 });
  });
  afterAll(async () => {
    await stack.close();
  });

  const toolsFor = (clientId: string, gateway = stack.service.gateway): GatewayTools => {
    const client = stack.config.clients.find((c) => c.id === clientId);
    if (!client) throw new Error(clientId);
    let n = 0;
    return new GatewayTools({ gateway, client, logger, store: undefined, now: Date.now, newRequestId: () => `req-${(n += 1)}` });
  };

  test('arguments become the query texts the route reads; route-only parameters are unknown', () => {
    expect(toQuery({ providers: ['instantly', 'seleqt'], limit: 5, refresh: true, cursor: null, ids: [] }, QUERY_PARAMETERS, ANALYTICS_TOOL_PARAMETERS)).toEqual({
      providers: 'instantly,seleqt',
      limit: '5',
      refresh: 'true',
      ids: '',
    });
    expect(toQuery({ workspace_id: { nested: 1 }, status: [{ a: 1 }] }, QUERY_PARAMETERS, ANALYTICS_TOOL_PARAMETERS)).toEqual({ workspace_id: '{"nested":1}', status: '{"a":1}' });
    expect(() => toQuery({ format: 'csv', providers: 'instantly' }, QUERY_PARAMETERS, ANALYTICS_TOOL_PARAMETERS)).toThrow(
      expect.objectContaining({ status: 400, code: 'invalid_query', errors: [{ parameter: 'format', message: 'unknown parameter' }] }),
    );
    expect(toQuery(undefined, QUERY_PARAMETERS, ANALYTICS_TOOL_PARAMETERS)).toEqual({});
  });

  test("the client's requestsPerMinute applies to tool calls, as a 429 problem", async () => {
    const tools = toolsFor('agency');
    for (let i = 0; i < 3; i += 1) expect((await tools.call('connection_health', {})).isError).toBeUndefined();
    const limited = await tools.call('connection_health', {});
    expect(limited.isError).toBe(true);
    expect(JSON.parse(limited.content[0]?.text ?? '')).toEqual({
      type: 'https://outreach-gateway.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'this client is limited to 3 requests per minute',
      code: 'rate_limited',
      requestId: 'req-4',
    });
    expect(lines.join('')).toMatch(/"status":429/);
  });

  test('without a store the history tool answers the 503 problem of the route', async () => {
    const history = await toolsFor('globex-only').call('campaign_history', { workspace_id: 'globex' });
    expect(history.isError).toBe(true);
    const res = await stack.get('/v1/campaigns/history?workspace_id=globex');
    const { requestId: _a, ...tool } = JSON.parse(history.content[0]?.text ?? '') as Record<string, unknown>;
    const { requestId: _b, ...http } = res.body as Record<string, unknown>;
    expect(res.status).toBe(503);
    expect(tool).toEqual(http);
  });

  test('an unexpected failure is an internal problem without its message, logged to the log stream', async () => {
    const broken = Object.create(stack.service.gateway) as typeof stack.service.gateway;
    broken.connections = () => {
      throw new Error('secret-internal-detail');
    };
    const result = await toolsFor('globex-only', broken).call('connection_health', undefined);
    expect(result.isError).toBe(true);
    const text = result.content[0]?.text ?? '';
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'internal' });
    expect(text).not.toContain('secret-internal-detail');
    expect(lines.join('')).toContain('secret-internal-detail');
  });
});
