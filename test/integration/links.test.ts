/**
 * Signed read-only links end to end: `outreach-gateway link` prints a URL, a plain GET of it (no
 * header) gets that one query as CSV; the same link changed in any way, expired, revoked or after a
 * secret rotation gets a 401 problem+json; a link spends its client's inbound budget; and a canary
 * link secret and the signatures never reach a log line or /metrics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli, type CliIo } from '../../src/cli';
import { ANALYTICS_ROUTE } from '../../src/server/hot-path';
import { HISTORY_ROUTE } from '../../src/gateway/history';
import { signLink } from '../../src/server/links';
import { createService, type GatewayService } from '../../src/service';
import type { GatewayConfig } from '../../src/config';
import { PassThrough } from 'node:stream';
import { ALL_SECRETS, CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const LINK_SECRET = 'canary-link-secret-5d1f0e9c8b7a6f5e4d3c2b1a';
const ROTATED_SECRET = 'canary-rotated-link-secret-0a1b2c3d4e5f6a7b';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** A plain GET with no header at all (what IMPORTDATA or Power BI's Web source send, less their User-Agent). */
async function plainGet(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function capture(env: NodeJS.ProcessEnv): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env };
}

/** The config file a stack's gateway was built from, with `links.secret` from the environment. */
function configFile(config: GatewayConfig, dir: string): string {
  const document = {
    server: { host: '127.0.0.1', port: 8080 },
    clients: config.clients.map(({ id, keySha256, workspaces, defaultWorkspace, requestsPerMinute }) => ({ id, keySha256, workspaces, defaultWorkspace, requestsPerMinute })),
    workspaces: config.workspaces.map((workspace) => ({
      id: workspace.id,
      connections: workspace.connections.map((c) => ({ id: c.id, provider: c.provider, apiKey: c.apiKey, baseUrl: c.settings.baseUrl, ...(c.vendorWorkspaceId ? { vendorWorkspaceId: c.vendorWorkspaceId } : {}) })),
    })),
    links: { secret: '${GATEWAY_LINK_SECRET}' },
  };
  const path = join(dir, 'gateway.json');
  writeFileSync(path, JSON.stringify(document));
  return path;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function expectRefused(answer: Answer, detail: RegExp): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(answer.text) as { status: number; code: string; detail: string };
  expect(body).toMatchObject({ status: 401, code: 'unauthorized' });
  expect(body.detail).toMatch(detail);
}

/** A second gateway on the same simulators with a changed config (a rotated secret, a revoked id, a lower limit). */
async function variant(stack: Stack, change: (config: GatewayConfig) => GatewayConfig, logs: string[]): Promise<{ service: GatewayService; url: string }> {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const service = createService({ ...change(stack.config), log: { level: 'debug' } }, { logStream: stream, extraSecrets: [CLIENT_KEY] });
  return { service, url: await service.listen(0, '127.0.0.1') };
}

describe('signed read-only links', () => {
  let stack: Stack;
  let dir: string;
  let file: string;
  const seen: string[] = [];
  const extraLogs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'og-links-'));
    stack = await startStack({ storageDir: join(dir, 'data'), links: { secret: LINK_SECRET } });
    file = configFile(stack.config, dir);
  }, 90_000); // the embedded store opens first
  afterAll(async () => {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI's link for `query` (analytics unless `endpoint`), checked to print one URL. */
  async function mint(query: string, ...more: string[]): Promise<string> {
    const io = capture({ GATEWAY_LINK_SECRET: LINK_SECRET });
    const code = await runCli(['link', '--config', file, '--client', 'agency', '--query', query, '--base-url', stack.url, ...more], io);
    expect(io.stderr.join('\n')).toMatch(/^link [A-Za-z0-9_-]{12} for client agency, expires \d{4}-/);
    expect(code).toBe(0);
    expect(io.stdout).toHaveLength(1);
    const url = io.stdout[0] ?? '';
    seen.push(url);
    return url;
  }

  test('the CLI prints a URL whose plain GET is that query as CSV, the same rows as the keyed API', async () => {
    const url = await mint('workspace_id=ALL&providers=instantly,seleqt', '--format', 'csv', '--expires', '30d');
    expect(url).toMatch(new RegExp(`^${stack.url}/v1/campaigns/analytics\\?workspace_id=ALL&providers=instantly,seleqt&format=csv&client=agency&expires=\\d+&link_id=[A-Za-z0-9_-]{12}&sig=[A-Za-z0-9_-]{43}$`));
    const answer = await plainGet(url);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows: Record<string, string>[] = parse(answer.text, { columns: true, record_delimiter: '\r\n' });
    const keyed = (await stack.get(`${ANALYTICS_ROUTE}?workspace_id=ALL&providers=instantly,seleqt`)).body as { data: { key: string; provider: string }[] };
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.key)).toEqual(keyed.data.map((c) => c.key));
    expect(new Set(rows.map((row) => row.provider))).toEqual(new Set(['instantly', 'seleqt']));

    // An Accept header cannot change the signed format, and the link is logged by id, not by signature.
    const withAccept = await plainGet(url, { Accept: 'application/json' });
    expect(withAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    const linkId = /link_id=([^&]+)/.exec(url)?.[1];
    expect(stack.logs.some((line) => line.includes(`"link":"${linkId}"`) && line.includes('"client":"agency"'))).toBe(true);
  });

  test('the same link with one parameter changed, added, removed or moved, another format or route, or an altered signature: 401 problem+json', async () => {
    const url = await mint('workspace_id=ALL&providers=instantly', '--format', 'csv');
    const [base = '', query = ''] = url.split('?');
    const pairs = query.split('&');
    const signature = pairs.at(-1) ?? '';
    const rebuild = (list: string[]): string => `${base}?${list.join('&')}`;
    const flip = (text: string): string => text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A');
    const altered: Record<string, string> = {
      'value changed': url.replace('workspace_id=ALL', 'workspace_id=acme'),
      'list changed': url.replace('providers=instantly', 'providers=instantly,seleqt'),
      'format changed': url.replace('format=csv', 'format=json'),
      'client changed': url.replace('client=agency', 'client=globex-only'),
      'expiry moved': url.replace(/expires=(\d+)/, (_m, n: string) => `expires=${Number(n) + 86_400}`),
      'parameter added': rebuild([...pairs.slice(0, -1), 'limit=5', signature]),
      'parameter removed': rebuild([...pairs.slice(0, 1), ...pairs.slice(2)]),
      'parameters reordered': rebuild([pairs[1] ?? '', pairs[0] ?? '', ...pairs.slice(2)]),
      'signature altered': flip(url),
      // The same signature bytes spelled another way: the last character's two unused bits set.
      'signature respelled': url.slice(0, -1) + BASE64URL.charAt(BASE64URL.indexOf(url.slice(-1)) ^ 1),
      'another route': url.replace(ANALYTICS_ROUTE, HISTORY_ROUTE),
    };
    for (const [why, changed] of Object.entries(altered)) {
      expect(`${why}: ${changed === url ? 'same' : 'changed'}`).toBe(`${why}: changed`);
      seen.push(changed);
      expectRefused(await plainGet(changed), /signature does not match/);
    }
    expectRefused(await plainGet(`${url}&limit=5`), /ends with one sig=/);
    expectRefused(await plainGet(`${stack.url}/v1/connections?${query}`), /only \/v1\/campaigns\/analytics and \/v1\/campaigns\/history/);
    // Encoded differently by a tool, the same link still holds.
    expect((await plainGet(url.replace('format=csv', 'format=%63sv'))).status).toBe(200);
  });

  test('a link past its expiry gets 401; a history link answers the history endpoint', async () => {
    const expired = signLink(LINK_SECRET, { route: ANALYTICS_ROUTE, clientId: 'agency', query: [['workspace_id', 'acme'], ['format', 'csv']], expires: Math.floor(Date.now() / 1000) - 1 });
    seen.push(expired.path);
    expectRefused(await plainGet(`${stack.url}${expired.path}`), /expired at \d{4}-/);

    const history = await mint('workspace_id=acme&interval=day&group_by=provider', '--endpoint', 'history', '--format', 'csv');
    expect(history).toContain(`${HISTORY_ROUTE}?`);
    const answer = await plainGet(history);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(answer.text.split('\r\n')[0]).toMatch(/^campaign,name,provider,workspace,period/);
  });

  test('a revoked link id and a rotated secret get 401; the other links of a revocation still answer', async () => {
    const revokedUrl = await mint('workspace_id=acme', '--format', 'csv');
    const keptUrl = await mint('workspace_id=globex', '--format', 'csv');
    const revokedId = /link_id=([^&]+)/.exec(revokedUrl)?.[1] ?? '';
    const path = (url: string): string => url.slice(stack.url.length);

    const revoking = await variant(stack, (config) => ({ ...config, links: { secret: LINK_SECRET, revoked: [revokedId] } }), extraLogs);
    const rotated = await variant(stack, (config) => ({ ...config, links: { secret: ROTATED_SECRET, revoked: [] } }), extraLogs);
    try {
      expectRefused(await plainGet(`${revoking.url}${path(revokedUrl)}`), new RegExp(`link ${revokedId} has been revoked`));
      expect((await plainGet(`${revoking.url}${path(keptUrl)}`)).status).toBe(200);
      for (const url of [revokedUrl, keptUrl]) expectRefused(await plainGet(`${rotated.url}${path(url)}`), /secret was rotated/);
    } finally {
      await revoking.service.close(100);
      await rotated.service.close(100);
    }
  });

  test("a link spends its client's inbound budget, shared with the client's key", async () => {
    const url = await mint('workspace_id=acme', '--format', 'ndjson');
    const limited = await variant(stack, (config) => ({ ...config, clients: config.clients.map((c) => ({ ...c, requestsPerMinute: 3 })) }), extraLogs);
    try {
      const at = (base: string): string => `${limited.url}${base.slice(stack.url.length)}`;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await plainGet(at(url))).status);
      const over = await plainGet(at(url));
      expect(statuses).toEqual([200, 200, 200]);
      expect(over.status).toBe(429);
      expect(over.headers.get('ratelimit-policy')).toBe('"per-key";q=3;w=60');
      expect((await plainGet(`${limited.url}${ANALYTICS_ROUTE}?workspace_id=acme`, { 'X-API-Key': CLIENT_KEY })).status).toBe(429);
    } finally {
      await limited.service.close(100);
    }
  });

  test('a JSON link answers the JSON envelope', async () => {
    const answer = await plainGet(await mint('workspace_id=acme&fields=name', '--format', 'json'));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as { data: { key: string; workspace?: string }[]; meta: { workspaces: string[] } };
    expect(body.meta.workspaces).toEqual(['acme']);
    expect(body.data.length).toBeGreaterThan(0);
  });

  test('the link secret and every signature stay out of the logs and /metrics', async () => {
    const metrics = (await stack.get('/metrics')).text;
    expect(metrics).toMatch(/gateway_inbound_rejected_total\{reason="invalid_link"\} [1-9]/);
    const signatures = seen.map((url) => /sig=([^&]+)$/.exec(url)?.[1] ?? '').filter((sig) => sig !== '');
    expect(signatures.length).toBeGreaterThan(10);
    const texts = [...stack.logs, ...extraLogs, metrics];
    expect(stack.logs.length).toBeGreaterThan(20);
    for (const secret of [LINK_SECRET, ROTATED_SECRET, ...signatures, ...ALL_SECRETS]) {
      for (const text of texts) expect(text).not.toContain(secret);
    }
  });
});
