import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_PROVIDER_SETTINGS,
  PROVIDER_IDS,
  formatPath,
  interpolateEnv,
  loadConfigFile,
  resolveConfig,
  type GatewayConfig,
} from '../src/config';

const CLIENT_KEY_HASH = createHash('sha256').update('client-key-one').digest('hex');
const OTHER_CLIENT_KEY_HASH = createHash('sha256').update('client-key-two').digest('hex');

const ENV: NodeJS.ProcessEnv = {
  ACME_INSTANTLY_KEY: 'inst_live_ACME_5f0c9e2d7b',
  ACME_SELEQT_KEY: 'slq_live_ACME_88aa01ffee',
  GLOBEX_INSTANTLY_KEY: 'inst_live_GLOBEX_19d7c3b0aa',
};

/** A small valid document; tests copy it and change one thing. */
function baseDocument(): Record<string, unknown> {
  return {
    clients: [{ id: 'agency-bi', keySha256: CLIENT_KEY_HASH, workspaces: ['acme', 'globex'], defaultWorkspace: 'acme' }],
    workspaces: [
      {
        id: 'acme',
        name: 'Acme Corp',
        connections: [
          { id: 'acme-instantly', provider: 'instantly', apiKey: '${ACME_INSTANTLY_KEY}' },
          { id: 'acme-seleqt', provider: 'seleqt', apiKey: '${ACME_SELEQT_KEY}', vendorWorkspaceId: '340' },
        ],
      },
      { id: 'globex', connections: [{ id: 'globex-instantly', provider: 'instantly', apiKey: '${GLOBEX_INSTANTLY_KEY}' }] },
    ],
  };
}

/** The ConfigError problems of a document that must fail. */
function problemsOf(document: unknown, env: NodeJS.ProcessEnv = ENV): string[] {
  try {
    resolveConfig(document, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function connection(config: GatewayConfig, id: string): GatewayConfig['connections'][number] {
  const found = config.connections.find((c) => c.id === id);
  if (!found) throw new Error(`no connection ${id}`);
  return found;
}

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-config-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text, 'utf8');
    return path;
  }

  const YAML_TEXT = [
    'clients:',
    '  - id: agency-bi',
    `    keySha256: "${CLIENT_KEY_HASH}"`,
    '    workspaces: [acme, globex]',
    '    defaultWorkspace: acme',
    'workspaces:',
    '  - id: acme',
    '    name: Acme Corp',
    '    connections:',
    '      - { id: acme-instantly, provider: instantly, apiKey: "${ACME_INSTANTLY_KEY}" }',
    '      - id: acme-seleqt',
    '        provider: seleqt',
    '        apiKey: "${ACME_SELEQT_KEY}"',
    '        vendorWorkspaceId: "340"',
    '  - id: globex',
    '    connections:',
    '      - { id: globex-instantly, provider: instantly, apiKey: "${GLOBEX_INSTANTLY_KEY}" }',
    '',
  ].join('\n');

  it('reads a JSON file and resolves it', () => {
    const config = loadConfigFile(write('gateway.json', JSON.stringify(baseDocument())), ENV);
    expect(config.connections.map((c) => [c.workspace, c.id, c.provider, c.apiKey])).toEqual([
      ['acme', 'acme-instantly', 'instantly', 'inst_live_ACME_5f0c9e2d7b'],
      ['acme', 'acme-seleqt', 'seleqt', 'slq_live_ACME_88aa01ffee'],
      ['globex', 'globex-instantly', 'instantly', 'inst_live_GLOBEX_19d7c3b0aa'],
    ]);
    expect(config.workspaces.map((w) => [w.id, w.name, w.connections.length])).toEqual([
      ['acme', 'Acme Corp', 2],
      ['globex', 'globex', 1],
    ]);
    expect(config.demo).toBe(false);
  });

  it('reads .yaml and .yml files into the same config as the JSON file', () => {
    const fromJson = loadConfigFile(write('same.json', JSON.stringify(baseDocument())), ENV);
    const fromYaml = loadConfigFile(write('same.yaml', YAML_TEXT), ENV);
    const fromYml = loadConfigFile(write('same.YML', YAML_TEXT), ENV);
    expect(fromYaml).toEqual(fromJson);
    expect(fromYml).toEqual(fromJson);
  });

  it('puts environment values in after parsing, so YAML or JSON syntax in a value stays literal', () => {
    const env = { ...ENV, ACME_INSTANTLY_KEY: 'k:"v"#not-a-comment', ACME_SELEQT_KEY: '"},{"x":1' };
    expect(connection(loadConfigFile(write('literal.yaml', YAML_TEXT), env), 'acme-instantly').apiKey).toBe('k:"v"#not-a-comment');
    expect(connection(loadConfigFile(write('literal.json', JSON.stringify(baseDocument())), env), 'acme-seleqt').apiKey).toBe('"},{"x":1');
  });

  /** The problems `loadConfigFile` throws for a file that must fail. */
  function fileProblems(path: string, env: NodeJS.ProcessEnv = ENV): string[] {
    try {
      loadConfigFile(path, env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it('reports a file it cannot read as one problem naming the file', () => {
    const path = join(dir, 'missing.json');
    expect(fileProblems(path)).toEqual([`${path}: cannot read the file (no such file)`]);
    expect(fileProblems(dir)).toEqual([`${dir}: cannot read the file (a directory, not a file)`]);
  });

  it('reports broken JSON and broken YAML as one line each: file, line:column, key path, what was expected', () => {
    const jsonPath = write('broken.json', '{"clients": [');
    expect(fileProblems(jsonPath)).toEqual([`${jsonPath}:1:14: clients[0]: not valid JSON: the document ends where a value was expected`]);
    const yamlPath = write('broken.yaml', 'clients:\n  - id: [unclosed\n');
    expect(fileProblems(yamlPath)).toEqual([`${yamlPath}:2:9: clients[0].id: not valid YAML: this [ … ] or { … } is never closed (a closing bracket is missing, or a line inside it is not indented past its key)`]);
  });

  it('names every problem of a file with the file, as serve and check-config print it', () => {
    const path = write('bad-provider.yaml', YAML_TEXT.replace('provider: seleqt', 'provider: mailchimp'));
    expect(fileProblems(path)).toEqual([`${path}: workspaces[0].connections[1].provider: expected one of: instantly, sendkit, kakiyo, seleqt`]);
  });

  it('reads a file with a byte-order mark', () => {
    const config = loadConfigFile(write('bom.json', `\uFEFF${JSON.stringify(baseDocument())}`), ENV);
    expect(config.connections).toHaveLength(3);
  });
});

describe('environment interpolation', () => {
  it('replaces ${NAME} anywhere in a string, in arrays and in nested objects', () => {
    const problems: string[] = [];
    const out = interpolateEnv({ a: 'pre-${X}-mid-${Y}-post', list: ['${X}', 7, true, null], nested: { deep: ['${Y}'] } }, { X: 'ex', Y: 'why' }, problems);
    expect(out).toEqual({ a: 'pre-ex-mid-why-post', list: ['ex', 7, true, null], nested: { deep: ['why'] } });
    expect(problems).toEqual([]);
  });

  it('reports a missing variable with the path of the string that named it', () => {
    const problems: string[] = [];
    const out = interpolateEnv({ workspaces: [{ connections: [{ apiKey: 'x${NOPE}y' }] }], list: ['ok', '${ALSO_MISSING}'] }, {}, problems);
    expect(out).toEqual({ workspaces: [{ connections: [{ apiKey: 'xy' }] }], list: ['ok', ''] });
    expect(problems).toEqual([
      'workspaces[0].connections[0].apiKey: environment variable NOPE is not set',
      'list[1]: environment variable ALSO_MISSING is not set',
    ]);
  });

  it('keeps $${NAME} as a literal ${NAME}, whether or not NAME is set', () => {
    const problems: string[] = [];
    expect(interpolateEnv('price $${UNSET} and $${X} but ${X}', { X: 'ex' }, problems)).toBe('price ${UNSET} and ${X} but ex');
    expect(problems).toEqual([]);
  });

  it('leaves text that is not a variable reference alone', () => {
    const problems: string[] = [];
    expect(interpolateEnv('$X ${} ${1BAD} ${a-b} $ {X}', { X: 'ex' }, problems)).toBe('$X ${} ${1BAD} ${a-b} $ {X}');
    expect(problems).toEqual([]);
  });

  it('resolveConfig reports a missing variable once, not again as the empty value it leaves', () => {
    const env = { ...ENV };
    delete env.ACME_SELEQT_KEY;
    expect(problemsOf(baseDocument(), env)).toEqual(['workspaces[0].connections[1].apiKey: environment variable ACME_SELEQT_KEY is not set']);
  });

  it('resolveConfig reports a missing variable even when the rest of the file is valid', () => {
    const document = baseDocument();
    const workspaces = document.workspaces as { name?: string }[];
    const first = workspaces[0];
    if (first) first.name = 'Acme ${REGION}';
    expect(problemsOf(document)).toEqual(['workspaces[0].name: environment variable REGION is not set']);
    expect(resolveConfig(document, { ...ENV, REGION: 'EU' }).workspaces[0]?.name).toBe('Acme EU');
  });

  it('resolveConfig uses process.env when no env is given', () => {
    const name = 'OUTREACH_GATEWAY_CONFIG_TEST_KEY';
    process.env[name] = 'from-process-env-123';
    try {
      const document = baseDocument();
      const workspaces = document.workspaces as { connections: { apiKey: string }[] }[];
      for (const workspace of workspaces) for (const c of workspace.connections) c.apiKey = `\${${name}}`;
      expect(resolveConfig(document).connections.map((c) => c.apiKey)).toEqual(['from-process-env-123', 'from-process-env-123', 'from-process-env-123']);
    } finally {
      delete process.env[name];
    }
  });
});

describe('provider settings', () => {
  it('uses the per-provider defaults when nothing overrides them', () => {
    const config = resolveConfig(baseDocument(), ENV);
    expect(connection(config, 'acme-instantly').settings).toEqual(DEFAULT_PROVIDER_SETTINGS.instantly);
    expect(connection(config, 'acme-seleqt').settings).toEqual(DEFAULT_PROVIDER_SETTINGS.seleqt);
  });

  it('has documented defaults that stay under each vendor limit', () => {
    expect(PROVIDER_IDS).toEqual(['instantly', 'sendkit', 'kakiyo', 'seleqt']);
    expect(DEFAULT_PROVIDER_SETTINGS.instantly).toEqual({
      baseUrl: 'https://api.instantly.ai',
      timeoutMs: 10_000,
      maxAttempts: 3,
      requestsPerSecond: 10,
      burst: 20,
      concurrency: 4,
      windows: [],
      maxSocketsPerOrigin: 64,
      ttlSeconds: 300,
      staleSeconds: 86_400,
      maxPages: 1000,
      maxResponseBytes: 20 * 1024 * 1024,
      breakerThreshold: 5,
      breakerCooldownSeconds: 30,
    });
    expect(DEFAULT_PROVIDER_SETTINGS.sendkit.baseUrl).toBe('https://api.sendkit.ai');
    expect(DEFAULT_PROVIDER_SETTINGS.kakiyo.baseUrl).toBe('https://api.kakiyo.com');
    expect(DEFAULT_PROVIDER_SETTINGS.seleqt.baseUrl).toBe('https://app.seleqt.ai');
    // A full bucket plus one minute of refill: Kakiyo allows 60/min, Seleqt 50/min (VENDORS.md).
    const perMinute = (s: { burst: number; requestsPerSecond: number }): number => s.burst + s.requestsPerSecond * 60;
    expect(perMinute(DEFAULT_PROVIDER_SETTINGS.kakiyo)).toBe(50);
    expect(perMinute(DEFAULT_PROVIDER_SETTINGS.seleqt)).toBe(45);
    expect(DEFAULT_PROVIDER_SETTINGS.kakiyo.ttlSeconds).toBe(3600);
  });

  it('applies providers.<id> over the defaults and then the connection over both', () => {
    const document = baseDocument();
    document.providers = { instantly: { timeoutMs: 5000, requestsPerSecond: 2, burst: 4 } };
    const workspaces = document.workspaces as { connections: Record<string, unknown>[] }[];
    const globexInstantly = workspaces[1]?.connections[0];
    if (globexInstantly) Object.assign(globexInstantly, { timeoutMs: 2500, baseUrl: 'http://127.0.0.1:4010', concurrency: 1 });
    const config = resolveConfig(document, ENV);

    expect(connection(config, 'acme-instantly').settings).toEqual({ ...DEFAULT_PROVIDER_SETTINGS.instantly, timeoutMs: 5000, requestsPerSecond: 2, burst: 4 });
    expect(connection(config, 'globex-instantly').settings).toEqual({
      ...DEFAULT_PROVIDER_SETTINGS.instantly,
      timeoutMs: 2500,
      requestsPerSecond: 2,
      burst: 4,
      baseUrl: 'http://127.0.0.1:4010',
      concurrency: 1,
    });
    // Another vendor is untouched by the instantly block.
    expect(connection(config, 'acme-seleqt').settings).toEqual(DEFAULT_PROVIDER_SETTINGS.seleqt);
    // The defaults object itself is never mutated by a merge.
    expect(DEFAULT_PROVIDER_SETTINGS.instantly.timeoutMs).toBe(10_000);
  });

  it('reports bad provider settings with their path', () => {
    const document = baseDocument();
    document.providers = { kakiyo: { requestsPerSecond: -1, baseUrl: 'ftp://files.example' }, mailchimp: {} };
    expect(problemsOf(document)).toEqual([
      'providers.kakiyo.baseUrl: expected an http:// or https:// origin such as https://api.instantly.ai',
      'providers.kakiyo.requestsPerSecond: expected a number of calls per second from 0.01 to 1000',
      'providers: unknown key(s) "mailchimp"',
    ]);
  });

  it('reports bad per-connection overrides with their path', () => {
    const document = baseDocument();
    const workspaces = document.workspaces as { connections: Record<string, unknown>[] }[];
    const target = workspaces[1]?.connections[0];
    if (target) Object.assign(target, { timeoutMs: 0, concurrency: 1.5, maxAttempts: 11 });
    expect(problemsOf(document)).toEqual([
      'workspaces[1].connections[0].timeoutMs: expected a whole number of milliseconds from 1 to 120000 (2 minutes)',
      'workspaces[1].connections[0].maxAttempts: expected a whole number from 1 to 10',
      'workspaces[1].connections[0].concurrency: expected a whole number from 1 to 64',
    ]);
  });
});

describe('validation problems', () => {
  it('names an unknown provider with its full path and the allowed values', () => {
    const document = baseDocument();
    const workspaces = document.workspaces as { connections: Record<string, unknown>[] }[];
    const target = workspaces[1]?.connections[0];
    if (target) target.provider = 'mailchimp';
    expect(problemsOf(document)).toEqual(['workspaces[1].connections[0].provider: expected one of: instantly, sendkit, kakiyo, seleqt']);
  });

  it('reports unknown keys at the root, in a client and in a connection', () => {
    const document = baseDocument();
    document.junk = 1;
    const clients = document.clients as Record<string, unknown>[];
    const client = clients[0];
    if (client) client.extra = true;
    const workspaces = document.workspaces as { connections: Record<string, unknown>[] }[];
    const target = workspaces[0]?.connections[0];
    if (target) {
      delete target.apiKey;
      target.apikey = 'typo';
    }
    expect(problemsOf(document)).toEqual([
      'clients[0]: unknown key(s) "extra"',
      'workspaces[0].connections[0].apiKey: missing: expected the vendor key as text, e.g. "${ACME_INSTANTLY_KEY}"',
      'workspaces[0].connections[0]: unknown key(s) "apikey"',
      '(root): unknown key(s) "junk"',
    ]);
  });

  it('ConfigError has one line per problem, and its message lists them all', () => {
    const document = baseDocument();
    document.server = { port: 70000 };
    document.log = { level: 'trace' };
    document.redis = { url: 'http://127.0.0.1:6379', keySecret: 'k'.repeat(32) };
    let caught: unknown;
    try {
      resolveConfig(document, ENV);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    if (!(caught instanceof ConfigError)) return;
    expect(caught.name).toBe('ConfigError');
    expect(caught.problems).toEqual([
      'server.port: expected a whole number from 0 to 65535',
      'redis.url: must be a redis:// or rediss:// URL',
      'log.level: expected one of: error, warn, info, debug',
    ]);
    expect(caught.message).toBe(
      'invalid configuration:\n  server.port: expected a whole number from 0 to 65535\n  redis.url: must be a redis:// or rediss:// URL\n  log.level: expected one of: error, warn, info, debug',
    );
  });

  it('rejects a document that is not an object, and one without clients or workspaces', () => {
    expect(problemsOf(null)).toEqual(['(root): expected a mapping of keys to values, not null']);
    expect(problemsOf([])).toEqual(['(root): expected a mapping of keys to values, not a list']);
    expect(problemsOf({})).toEqual(['clients: missing: expected a list', 'workspaces: missing: expected a list']);
    expect(problemsOf({ ...baseDocument(), clients: [] })).toEqual(['clients: needs at least 1 entry']);
  });

  it('rejects duplicate workspace ids and duplicate connection ids (also across workspaces)', () => {
    const document = baseDocument();
    const workspaces = document.workspaces as { id: string; connections: Record<string, unknown>[] }[];
    workspaces.push({ id: 'acme', connections: [{ id: 'acme-seleqt', provider: 'seleqt', apiKey: 'another-key-123' }] });
    expect(problemsOf(document)).toEqual([
      'workspaces[2].id: duplicate workspace id "acme"',
      'workspaces[2].connections[0].id: duplicate connection id "acme-seleqt"',
    ]);
  });

  it('rejects two clients with the same key (the hash compared without case)', () => {
    const document = baseDocument();
    const clients = document.clients as Record<string, unknown>[];
    clients.push({ id: 'second', keySha256: CLIENT_KEY_HASH.toUpperCase(), workspaces: ['globex'] });
    expect(problemsOf(document)).toEqual(['clients[1].keySha256: two clients share one key']);
  });

  it('rejects a client linked to an unknown workspace', () => {
    const document = baseDocument();
    const clients = document.clients as Record<string, unknown>[];
    clients.push({ id: 'second', keySha256: OTHER_CLIENT_KEY_HASH, workspaces: ['globex', 'initech'] });
    expect(problemsOf(document)).toEqual(['clients[1].workspaces[1]: unknown workspace "initech"']);
  });

  it('reports cross-reference problems in the same run as other problems (one run shows them all)', () => {
    const document = baseDocument();
    const clients = document.clients as Record<string, unknown>[];
    clients.push({ id: 'second', keySha256: OTHER_CLIENT_KEY_HASH, workspaces: ['initech'] });
    const workspaces = document.workspaces as { id: string; connections: Record<string, unknown>[] }[];
    workspaces[0]?.connections.push({ id: 'acme-x', provider: 'mailchimp', apiKey: 'k' });
    document.server = { port: 70000 };
    expect(problemsOf(document)).toEqual([
      'server.port: expected a whole number from 0 to 65535',
      expect.stringMatching(/^workspaces\[0\]\.connections\[\d+\]\.provider: /),
      'clients[1].workspaces[0]: unknown workspace "initech"',
    ]);
  });

  it('skips the cross-reference checks only when the parts they read are malformed themselves', () => {
    const document = baseDocument();
    const clients = document.clients as Record<string, unknown>[];
    clients.push({ id: 'second', keySha256: OTHER_CLIENT_KEY_HASH, workspaces: 'initech' });
    expect(problemsOf(document)).toEqual(['clients[1].workspaces: expected a list, not text']);
  });

  it('rejects a defaultWorkspace that is not among the client\'s workspaces (even one that exists)', () => {
    const document = baseDocument();
    const clients = document.clients as Record<string, unknown>[];
    clients.push({ id: 'second', keySha256: OTHER_CLIENT_KEY_HASH, workspaces: ['globex'], defaultWorkspace: 'acme' });
    expect(problemsOf(document)).toEqual(["clients[1].defaultWorkspace: must be one of the client's workspaces"]);
  });

  it('rejects a keySha256 that is not 64 hex digits', () => {
    for (const bad of ['xyz', CLIENT_KEY_HASH.slice(1), `${CLIENT_KEY_HASH}0`, `${CLIENT_KEY_HASH.slice(0, 63)}g`, '']) {
      const document = baseDocument();
      const clients = document.clients as Record<string, unknown>[];
      const client = clients[0];
      if (client) client.keySha256 = bad;
      expect(problemsOf(document)).toEqual(['clients[0].keySha256: must be the 64-hex-digit SHA-256 of the client key']);
    }
  });

  it('rejects ALL as a workspace id and ids that start with a symbol or carry a slash', () => {
    const document = baseDocument();
    const workspaces = document.workspaces as { id: string; connections: Record<string, unknown>[] }[];
    const globex = workspaces[1];
    if (globex) {
      globex.id = 'ALL';
      const c = globex.connections[0];
      if (c) c.id = '../etc';
    }
    const clients = document.clients as Record<string, unknown>[];
    const client = clients[0];
    if (client) client.workspaces = ['acme'];
    expect(problemsOf(document)).toEqual([
      'workspaces[1].id: ALL is reserved',
      'workspaces[1].connections[0].id: must be 1-64 letters, digits, "-", "_" or "." (and not start with a symbol)',
    ]);
  });
});

describe('resolved config', () => {
  it('fills server, cache and log defaults', () => {
    const config = resolveConfig(baseDocument(), ENV);
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8080, deadlineMs: 15_000, maxUpstreamCalls: 2000 });
    expect(config.cache).toEqual({ maxBytes: 268_435_456 });
    expect(config.log).toEqual({ level: 'info' });
    expect(config.redis).toBeUndefined();
  });

  it('keeps given server, cache, redis and log values', () => {
    const keySecret = 'shared-secret-of-every-instance-0123456789';
    const document = { ...baseDocument(), server: { host: '0.0.0.0', port: 0, deadlineMs: 3000, maxUpstreamCalls: 10 }, cache: { maxBytes: 1024 }, redis: { url: 'rediss://cache:6380', keySecret }, log: { level: 'debug' } };
    const config = resolveConfig(document, ENV);
    expect(config.server).toEqual({ host: '0.0.0.0', port: 0, deadlineMs: 3000, maxUpstreamCalls: 10 });
    expect(config.cache).toEqual({ maxBytes: 1024 });
    expect(config.redis).toEqual({ url: 'rediss://cache:6380', keySecret, connectTimeoutMs: 1000, commandTimeoutMs: 150, maxValueBytes: 8 * 1024 * 1024, lockTtlMs: 5000 });
    expect(config.log).toEqual({ level: 'debug' });
  });

  it('resolves clients: lower-case hash, default workspace (given or first) and 600 requests per minute', () => {
    const document = baseDocument();
    const clients = document.clients as Record<string, unknown>[];
    clients.push({ id: 'second', keySha256: OTHER_CLIENT_KEY_HASH.toUpperCase(), workspaces: ['globex', 'acme'], requestsPerMinute: 30 });
    const config = resolveConfig(document, ENV);
    expect(config.clients).toEqual([
      { id: 'agency-bi', keySha256: CLIENT_KEY_HASH, workspaces: ['acme', 'globex'], defaultWorkspace: 'acme', requestsPerMinute: 600 },
      { id: 'second', keySha256: OTHER_CLIENT_KEY_HASH, workspaces: ['globex', 'acme'], defaultWorkspace: 'globex', requestsPerMinute: 30 },
    ]);
  });

  it('lists every vendor key in secrets, in connection order', () => {
    const config = resolveConfig(baseDocument(), ENV);
    expect(config.secrets).toEqual(['inst_live_ACME_5f0c9e2d7b', 'slq_live_ACME_88aa01ffee', 'inst_live_GLOBEX_19d7c3b0aa']);
  });

  it('keeps vendorWorkspaceId (undefined when absent)', () => {
    const config = resolveConfig(baseDocument(), ENV);
    expect(connection(config, 'acme-seleqt').vendorWorkspaceId).toBe('340');
    expect(connection(config, 'acme-instantly').vendorWorkspaceId).toBeUndefined();
  });
});

describe('rateLimitGroup', () => {
  /** Two instantly connections in two workspaces with the given keys and vendor workspaces. */
  function twoConnections(keyA: string, keyB: string, vwsA?: string, vwsB?: string): GatewayConfig {
    const document = baseDocument();
    const workspaces = document.workspaces as { connections: Record<string, unknown>[] }[];
    const a = workspaces[0]?.connections[0];
    const b = workspaces[1]?.connections[0];
    if (a && b) {
      a.apiKey = keyA;
      b.apiKey = keyB;
      if (vwsA !== undefined) a.vendorWorkspaceId = vwsA;
      if (vwsB !== undefined) b.vendorWorkspaceId = vwsB;
    }
    return resolveConfig(document, ENV);
  }

  it('puts connections with the same key into one group', () => {
    const config = twoConnections('inst_live_SHARED_0123456789', 'inst_live_SHARED_0123456789');
    const a = connection(config, 'acme-instantly').rateLimitGroup;
    expect(a).toMatch(/^instantly:[0-9a-f]{16}$/);
    expect(connection(config, 'globex-instantly').rateLimitGroup).toBe(a);
  });

  it('gives different keys, or the same key in different vendor workspaces, different groups', () => {
    const byKey = twoConnections('inst_live_FIRST_0123456789', 'inst_live_SECOND_0123456789');
    expect(connection(byKey, 'acme-instantly').rateLimitGroup).not.toBe(connection(byKey, 'globex-instantly').rateLimitGroup);
    const byWorkspace = twoConnections('inst_live_SHARED_0123456789', 'inst_live_SHARED_0123456789', 'ws-1', 'ws-2');
    expect(connection(byWorkspace, 'acme-instantly').rateLimitGroup).not.toBe(connection(byWorkspace, 'globex-instantly').rateLimitGroup);
  });

  it('is a stable function of provider, key and vendor workspace', () => {
    const key = 'inst_live_STABLE_0123456789';
    const expected = `instantly:${createHash('sha256').update(`${key}\u0000`).digest('hex').slice(0, 16)}`;
    expect(connection(twoConnections(key, 'other-key-xyz'), 'acme-instantly').rateLimitGroup).toBe(expected);
    expect(connection(twoConnections(key, 'third-key-xyz'), 'acme-instantly').rateLimitGroup).toBe(expected);
  });

  it('never contains the key', () => {
    const config = resolveConfig(baseDocument(), ENV);
    for (const c of config.connections) {
      expect(c.rateLimitGroup.includes(c.apiKey)).toBe(false);
      for (const secret of config.secrets) expect(c.rateLimitGroup).not.toContain(secret);
    }
  });

  it('keeps an explicit group, so connections can share one limiter on purpose', () => {
    const document = baseDocument();
    const workspaces = document.workspaces as { connections: Record<string, unknown>[] }[];
    for (const w of workspaces) for (const c of w.connections) if (c.provider === 'instantly') c.rateLimitGroup = 'instantly-org-1';
    const config = resolveConfig(document, ENV);
    expect(connection(config, 'acme-instantly').rateLimitGroup).toBe('instantly-org-1');
    expect(connection(config, 'globex-instantly').rateLimitGroup).toBe('instantly-org-1');
    expect(connection(config, 'acme-seleqt').rateLimitGroup).toMatch(/^seleqt:[0-9a-f]{16}$/);
  });
});

describe('formatPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['workspaces', 1, 'connections', 0, 'provider'])).toBe('workspaces[1].connections[0].provider');
    expect(formatPath([2, 'id'])).toBe('[2].id');
    expect(formatPath(['a', Symbol('s')])).toBe('a.Symbol(s)');
  });
});
