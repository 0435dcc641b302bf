/**
 * `outreach-gateway mcp`: the SDK's MCP client drives the real subcommand (spawned with ts-node, on
 * stdio) against the vendor simulators on 127.0.0.1, and an HTTP service on the same config file
 * answers the same queries: the tools list, the same numbers, the same refusals and problem texts,
 * the client's workspaces only, and no secret in any tool result or log line.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { runCli } from '../../src/cli';
import { loadConfigFile } from '../../src/config';
import { QUERY_PARAMETERS } from '../../src/gateway/request';
import { HISTORY_PARAMETERS } from '../../src/gateway/history';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import type { AnalyticsResponse, Problem } from '../../src/schema/envelope';
import type { HistoryResponse } from '../../src/schema/history';
import { createService, type GatewayService } from '../../src/service';
import { startSimulator, type VendorSimulator } from '../../src/simulator';
import { ALL_SECRETS, CLIENT_KEY, OTHER_CLIENT_KEY, VENDOR_KEYS } from '../helpers/stack';

const ROOT = join(__dirname, '..', '..');
const INITECH_SELEQT_KEY = 'canaryinit.SeleqtSecret0003';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Agent {
  client: Client;
  stderr: string[];
  /** Every tool result's text, for the canary check. */
  outputs: string[];
  /** Protocol errors the client saw (a stray line on stdout would be one). */
  errors: unknown[];
  call(name: string, args?: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: never }>;
  close(): Promise<void>;
}

async function startAgent(configFile: string, clientId: string, dataDir: string): Promise<Agent> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', 'mcp', '--config', configFile, '--client', clientId],
    cwd: ROOT,
    env: { ...getDefaultEnvironment(), OUTREACH_GATEWAY_DATA: dataDir },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  const errors: unknown[] = [];
  client.onerror = (error) => errors.push(error);
  // The process opens its history store (embedded PostgreSQL) before it answers the handshake.
  await client.connect(transport, { timeout: 120_000 });
  const outputs: string[] = [];
  return {
    client,
    stderr,
    outputs,
    errors,
    async call(name, args = {}) {
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 });
      const content = result.content as { type: string; text: string }[];
      expect(content).toHaveLength(1);
      expect(content[0]?.type).toBe('text');
      const text = content[0]?.text ?? '';
      outputs.push(text, JSON.stringify(result));
      return { isError: result.isError === true, text, structured: result.structuredContent as never };
    },
    close: () => client.close(),
  };
}

/** What must be equal between two analytics answers of different processes (not ids, times, cache outcomes). */
function numbers(body: AnalyticsResponse): unknown {
  return {
    data: body.data,
    totals: body.totals,
    groups: body.groups,
    page: body.page,
    complete: body.meta.complete,
    workspaces: body.meta.workspaces,
    sources: body.sources.map((s) => ({ connection: s.connection, status: s.status, campaigns: s.campaigns })),
  };
}

/** A problem+json body without its request id. */
function problem(body: Problem): unknown {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

describe('mcp subcommand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'og-mcp-'));
  const sims = {} as Record<ProviderId, VendorSimulator>;
  let http: GatewayService;
  let url: string;
  let agency: Agent;
  const configFile = join(dir, 'gateway.json');

  const get = async (path: string, key = CLIENT_KEY): Promise<{ status: number; body: never }> => {
    const res = await fetch(`${url}${path}`, { headers: { 'X-API-Key': key } });
    return { status: res.status, body: (await res.json()) as never };
  };

  beforeAll(async () => {
    for (const provider of PROVIDER_IDS) {
      sims[provider] = await startSimulator(provider, {
        rateLimit: { rules: [] },
        referenceDate: '2026-11-20',
        accounts: [
          { apiKey: VENDOR_KEYS.acme[provider], seed: 11, campaigns: 5, label: 'Acme', vendorWorkspaceId: provider === 'seleqt' ? '340' : undefined },
          { apiKey: VENDOR_KEYS.globex[provider], seed: 22, campaigns: 4, label: 'Globex', vendorWorkspaceId: provider === 'seleqt' ? '341' : undefined },
          ...(provider === 'seleqt' ? [{ apiKey: INITECH_SELEQT_KEY, seed: 33, campaigns: 3, label: 'Initech', vendorWorkspaceId: '342' }] : []),
        ],
      });
    }
    const connection = (workspace: 'acme' | 'globex', provider: ProviderId): Record<string, unknown> => ({
      id: `${workspace}-${provider}`,
      provider,
      apiKey: VENDOR_KEYS[workspace][provider],
      baseUrl: sims[provider].url,
      ...(provider === 'seleqt' ? { vendorWorkspaceId: workspace === 'acme' ? '340' : '341' } : {}),
    });
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, deadlineMs: 4000 },
        clients: [
          { id: 'agency', keySha256: sha256(CLIENT_KEY), workspaces: ['acme', 'globex'], defaultWorkspace: 'acme' },
          { id: 'initech', keySha256: sha256(OTHER_CLIENT_KEY), workspaces: ['initech'] },
        ],
        workspaces: [
          { id: 'acme', name: 'Acme', connections: PROVIDER_IDS.map((p) => connection('acme', p)) },
          { id: 'globex', name: 'Globex', connections: PROVIDER_IDS.map((p) => connection('globex', p)) },
          // A workspace outside the agent's client.
          { id: 'initech', name: 'Initech', connections: [{ id: 'initech-seleqt', provider: 'seleqt', apiKey: INITECH_SELEQT_KEY, vendorWorkspaceId: '342', baseUrl: sims.seleqt.url }] },
        ],
        providers: Object.fromEntries(PROVIDER_IDS.map((p) => [p, { maxAttempts: 2, timeoutMs: 2000, requestsPerSecond: 200, burst: 200 }])),
        log: { level: 'debug' },
      }),
    );
    http = createService(loadConfigFile(configFile, {}), { logStream: new PassThrough() });
    url = await http.listen(0, '127.0.0.1');
    agency = await startAgent(configFile, 'agency', join(dir, 'data'));
  }, 240_000);

  afterAll(async () => {
    await agency?.close();
    await http?.close(100);
    await Promise.all(PROVIDER_IDS.map((p) => sims[p]?.close()));
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  test('lists the three tools, their inputs derived from the HTTP parameter tables', async () => {
    const { tools } = await agency.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['campaign_analytics', 'campaign_history', 'connection_health']);
    const [analytics, history, health] = tools;
    expect(Object.keys(analytics?.inputSchema.properties ?? {})).toEqual(Object.keys(QUERY_PARAMETERS).filter((name) => name !== 'format'));
    expect(Object.keys(history?.inputSchema.properties ?? {})).toEqual(Object.keys(HISTORY_PARAMETERS).filter((name) => name !== 'format'));
    expect(health?.inputSchema.properties).toEqual({});
    expect(analytics?.inputSchema.properties?.providers).toMatchObject({ type: 'array', items: { enum: [...PROVIDER_IDS] }, description: QUERY_PARAMETERS.providers.description });
    expect(analytics?.inputSchema.properties?.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    for (const tool of tools) {
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.annotations?.readOnlyHint).toBe(true);
    }
    const info = agency.client.getServerVersion();
    expect(info?.name).toBe('outreach-gateway');
  });

  test('the analytics tool gives the HTTP API\'s numbers for the same query, page by page', async () => {
    const queries: [Record<string, unknown>, string][] = [
      [{ workspace_id: 'ALL' }, 'workspace_id=ALL'],
      [{}, ''],
      [{ workspace_id: 'globex', providers: ['instantly', 'seleqt'], sort: '-sent', limit: 3, group_by: 'provider' }, 'workspace_id=globex&providers=instantly,seleqt&sort=-sent&limit=3&group_by=provider'],
      [{ workspace_id: 'ALL', providers: 'sendkit,kakiyo', start_date: '2026-11-01', end_date: '2026-11-14', fields: ['name', 'metrics'] }, 'workspace_id=ALL&providers=sendkit,kakiyo&start_date=2026-11-01&end_date=2026-11-14&fields=name,metrics'],
    ];
    for (const [args, query] of queries) {
      const tool = await agency.call('campaign_analytics', args);
      const res = await get(`/v1/campaigns/analytics?${query}`);
      expect(res.status).toBe(200);
      expect(tool.isError).toBe(false);
      // The text is the JSON body; structuredContent is the same object.
      expect(JSON.parse(tool.text)).toEqual(tool.structured);
      expect(numbers(tool.structured)).toEqual(numbers(res.body));
      const body: AnalyticsResponse = res.body;
      expect(body.totals.campaigns).toBeGreaterThan(0);
      expect(body.meta.complete).toBe(true);
    }
    const all = await agency.call('campaign_analytics', { workspace_id: 'ALL' });
    // Both workspaces' campaigns of every vendor: 5 in acme's accounts, 4 in globex's.
    expect((all.structured as AnalyticsResponse).totals.campaigns).toBe((5 + 4) * PROVIDER_IDS.length);

    // Follow the cursor through the tool and through HTTP: the same pages.
    const first = await agency.call('campaign_analytics', { workspace_id: 'ALL', sort: 'name', limit: 10 });
    const cursor = (first.structured as AnalyticsResponse).page?.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const next = await agency.call('campaign_analytics', { workspace_id: 'ALL', sort: 'name', limit: 10, cursor });
    const nextHttp = await get(`/v1/campaigns/analytics?workspace_id=ALL&sort=name&limit=10&cursor=${cursor ?? ''}`);
    expect(numbers(next.structured)).toEqual(numbers(nextHttp.body));
    expect((next.structured as AnalyticsResponse).data).toHaveLength(10);
  }, 60_000);

  test('a workspace outside the client\'s is refused, as over HTTP', async () => {
    const tool = await agency.call('campaign_analytics', { workspace_id: 'initech' });
    const res = await get('/v1/campaigns/analytics?workspace_id=initech');
    expect(res.status).toBe(403);
    expect(tool.isError).toBe(true);
    expect(tool.structured).toBeUndefined();
    expect(problem(JSON.parse(tool.text))).toEqual(problem(res.body));
    expect(JSON.parse(tool.text)).toMatchObject({ status: 403, code: 'access_denied' });

    const history = await agency.call('campaign_history', { workspace_id: 'initech' });
    expect(history.isError).toBe(true);
    expect(problem(JSON.parse(history.text))).toEqual(problem((await get('/v1/campaigns/history?workspace_id=initech')).body));

    // ALL is the client's workspaces; another workspace's campaign keys match nothing.
    const mine: AnalyticsResponse = (await agency.call('campaign_analytics', { workspace_id: 'ALL' })).structured;
    expect(mine.meta.workspaces).toEqual(['acme', 'globex']);
    expect(new Set(mine.data.map((c) => c.workspace))).toEqual(new Set(['acme', 'globex']));
    const theirs: AnalyticsResponse = (await get('/v1/campaigns/analytics?workspace_id=initech', OTHER_CLIENT_KEY)).body;
    const initechKey = theirs.data[0]?.key;
    expect(initechKey).toMatch(/^initech-seleqt:/);
    const foreign: AnalyticsResponse = (await agency.call('campaign_analytics', { workspace_id: 'ALL', ids: [initechKey] })).structured;
    expect(foreign.data).toEqual([]);
    expect(foreign.totals.campaigns).toBe(0);
    const health = await agency.call('connection_health');
    const ids = (body: { data: { id: string }[] }): string[] => body.data.map((c) => c.id);
    expect(ids(health.structured)).toEqual([...PROVIDER_IDS.map((p) => `acme-${p}`), ...PROVIDER_IDS.map((p) => `globex-${p}`)]);
    expect(ids((await get('/v1/connections')).body)).toEqual(ids(health.structured));
  }, 60_000);

  test('invalid parameters are refused with the HTTP API\'s problem text', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['campaign_analytics', { providers: ['mailchimp'], limit: 0, foo: 1 }, '/v1/campaigns/analytics?providers=mailchimp&limit=0&foo=1'],
      ['campaign_analytics', { start_date: '2026-02-30' }, '/v1/campaigns/analytics?start_date=2026-02-30'],
      ['campaign_analytics', { ids: ['acme-instantly:not-a-uuid'] }, '/v1/campaigns/analytics?ids=acme-instantly:not-a-uuid'],
      ['campaign_analytics', { limit: 2.5, sort: 'bogus', cursor: 'x' }, '/v1/campaigns/analytics?limit=2.5&sort=bogus&cursor=x'],
      ['campaign_history', { interval: 'year', metrics: [] }, '/v1/campaigns/history?interval=year&metrics='],
      ['connection_health', { workspace_id: 'acme' }, '/v1/connections?workspace_id=acme'],
    ];
    for (const [name, args, path] of cases) {
      const tool = await agency.call(name, args);
      const res = await get(path);
      expect(tool.isError).toBe(true);
      const body = JSON.parse(tool.text);
      expect(body).toMatchObject({ status: 400, code: 'invalid_query' });
      if (name === 'connection_health') {
        // The route ignores a query; the tool, which has no parameters, names the stray one.
        expect(body.errors).toEqual([{ parameter: 'workspace_id', message: 'unknown parameter' }]);
      } else {
        expect(res.status).toBe(400);
        expect(problem(body)).toEqual(problem(res.body));
      }
    }
    // `format` is the route's, not the tools' (they answer JSON).
    const format = JSON.parse((await agency.call('campaign_analytics', { format: 'csv' })).text);
    expect(format).toMatchObject({ status: 400, errors: [{ parameter: 'format', message: 'unknown parameter' }] });
    // An unknown tool is a tool error, not a crash.
    expect((await agency.call('drop_tables')).isError).toBe(true);
  }, 60_000);

  test('the history tool answers from the store the process opened', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const result = await agency.call('campaign_history', { workspace_id: 'ALL', interval: 'day', group_by: 'provider', start_date: today, end_date: today });
    expect(result.isError).toBe(false);
    const body: HistoryResponse = result.structured;
    expect(JSON.parse(result.text)).toEqual(body);
    expect(body.meta).toMatchObject({ workspaces: ['acme', 'globex'], interval: 'day', groupBy: 'provider', startDate: today, endDate: today });
    expect(body.periods).toEqual([{ period: today, end: today }]);
  });

  test('no secret in any tool result or log line; stdout carried only the protocol', async () => {
    // Failures upstream, and secrets offered as arguments.
    sims.instantly.setFaults({ errorRate: 1 });
    sims.sendkit.setFaults({ malformedRate: 1 });
    sims.seleqt.setFaults({ down: true });
    try {
      await agency.call('campaign_analytics', { workspace_id: 'ALL', refresh: true });
      await agency.call('campaign_analytics', { workspace_id: 'ALL', refresh: 'true', require: 'all' });
      await agency.call('connection_health');
      await agency.call('campaign_analytics', { api_key: CLIENT_KEY, ids: [`../${CLIENT_KEY}`], cursor: CLIENT_KEY, workspace_id: CLIENT_KEY });
      await agency.call('campaign_analytics', { workspace_id: CLIENT_KEY });
      await agency.call('campaign_analytics', { workspace_id: 'initech', refresh: true });
    } finally {
      sims.instantly.setFaults({ errorRate: 0 });
      sims.sendkit.setFaults({ malformedRate: 0 });
      sims.seleqt.setFaults({ down: false });
    }
    const logs = agency.stderr.join('');
    expect(logs).toMatch(/"tool call"|tool call/);
    expect(logs).toMatch(/upstream walk failed/);
    const outputs = agency.outputs;
    expect(outputs.join('\n')).toMatch(/"status":"error"/);
    for (const secret of [...ALL_SECRETS, INITECH_SELEQT_KEY, sha256(CLIENT_KEY), sha256(OTHER_CLIENT_KEY)]) {
      expect(logs).not.toContain(secret);
      for (const text of outputs) expect(text).not.toContain(secret);
    }
    expect(agency.errors).toEqual([]);
  }, 60_000);
});

describe('mcp arguments', () => {
  const io = (): { lines: string[]; out: (l: string) => void; err: (l: string) => void; env: NodeJS.ProcessEnv } => {
    const lines: string[] = [];
    return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} };
  };

  test('needs a config and a client that the config has', async () => {
    const missing = io();
    expect(await runCli(['mcp', '--client', 'agency'], missing)).toBe(2);
    expect(missing.lines).toEqual(['mcp needs --config FILE (or OUTREACH_GATEWAY_CONFIG) and --client ID']);
    expect(await runCli(['mcp', '--config', 'gateway.json'], io())).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'og-mcp-args-'));
    const file = join(dir, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({
        clients: [{ id: 'agency', keySha256: sha256(CLIENT_KEY), workspaces: ['acme'] }],
        workspaces: [{ id: 'acme', connections: [{ id: 'acme-seleqt', provider: 'seleqt', apiKey: VENDOR_KEYS.acme.seleqt, vendorWorkspaceId: '340' }] }],
      }),
    );
    const unknown = io();
    expect(await runCli(['mcp', '--config', file, '--client', 'nobody'], unknown)).toBe(1);
    expect(unknown.lines).toEqual([`no client "nobody" in ${file}`]);
    const badConfig = io();
    expect(await runCli(['mcp', '--config', join(dir, 'nope.json'), '--client', 'agency'], badConfig)).toBe(1);
    expect(badConfig.lines[0]).toMatch(/cannot read the file/);
    rmSync(dir, { recursive: true, force: true });
  });
});
