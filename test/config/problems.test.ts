/**
 * `check-config` and `serve` run one config check: for each broken config an operator meets, both
 * exit 1 with the same stderr, one line per problem naming the file and the key path in words (not
 * zod's), and no line repeats a value from the file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../../src/cli';

const HASH = createHash('sha256').update('client-key').digest('hex');
const OTHER_HASH = createHash('sha256').update('other-client-key').digest('hex');
const CANARY = 'CANARY_c4n4ry_5ecret_9f8e7d';

interface Captured extends CliIo {
  stdout: string[];
  stderr: string[];
}

function capture(env: NodeJS.ProcessEnv): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line), env };
}

/** A valid config: one workspace with three connections, so a problem can sit at `connections[2]`. */
function document(): { clients: Record<string, unknown>[]; workspaces: { id: string; connections: Record<string, unknown>[] }[]; providers?: unknown } {
  return {
    clients: [{ id: 'agency-bi', keySha256: HASH, workspaces: ['acme'] }],
    workspaces: [
      {
        id: 'acme',
        connections: [
          { id: 'acme-instantly', provider: 'instantly', apiKey: '${ACME_INSTANTLY_KEY}' },
          { id: 'acme-kakiyo', provider: 'kakiyo', apiKey: 'k'.repeat(40) },
          { id: 'acme-sendkit', provider: 'sendkit', apiKey: `sk_${CANARY}` },
        ],
      },
    ],
  };
}

type Document = ReturnType<typeof document>;

function sendkit(doc: Document): Record<string, unknown> {
  const connection = doc.workspaces[0]?.connections[2];
  if (!connection) throw new Error('no sendkit connection');
  return connection;
}

const ENV = { ACME_INSTANTLY_KEY: 'inst_live_acme_0123456789' };
/** zod's own wording, which no problem line may carry. */
const ZOD_WORDS = /Invalid input|received undefined|Too small|Too big|Invalid URL|expected string|Unrecognized key/;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'og-config-problems-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, 'utf8');
  return path;
}

/** Runs check-config and serve on the file; both must fail alike. Returns the stderr lines. */
async function bothRefuse(path: string, env: NodeJS.ProcessEnv = ENV): Promise<string[]> {
  const checked = capture(env);
  expect(await runCli(['check-config', path], checked)).toBe(1);
  const served = capture(env);
  expect(await runCli(['serve', '--config', path], served)).toBe(1);
  const fromEnv = capture({ ...env, OUTREACH_GATEWAY_CONFIG: path });
  expect(await runCli([], fromEnv)).toBe(1);
  expect(served.stderr).toEqual(checked.stderr);
  expect(fromEnv.stderr).toEqual(checked.stderr);
  expect(checked.stdout).toEqual([]);
  for (const line of checked.stderr) {
    expect(line.startsWith(`${path}:`)).toBe(true);
    expect(line).not.toMatch(ZOD_WORDS);
    expect(line).not.toContain(CANARY);
    expect(line).not.toContain('\n');
  }
  return checked.stderr;
}

describe('one config check for check-config and serve', () => {
  test('the valid base document passes check-config', async () => {
    const io = capture(ENV);
    const path = write('valid.json', JSON.stringify(document()));
    expect(await runCli(['check-config', path], io)).toBe(0);
    expect(io.stdout).toEqual([`${path}: ok (1 workspaces, 3 connections, 1 clients)`]);
  });

  test('a baseUrl with user:pass@ fails both with the file and path, and the password is never printed', async () => {
    const doc = document();
    sendkit(doc).baseUrl = `https://admin:${CANARY}@api.sendkit.ai`;
    const path = write('credentials.json', JSON.stringify(doc));
    expect(await bothRefuse(path)).toEqual([
      `${path}: workspaces[0].connections[2].baseUrl: must not carry a user name or password (user:pass@): the vendor key goes in apiKey`,
    ]);
    const shared = document();
    shared.providers = { sendkit: { baseUrl: `https://${CANARY}@api.sendkit.ai` } };
    const sharedPath = write('credentials-provider.yaml', JSON.stringify(shared));
    expect(await bothRefuse(sharedPath)).toEqual([
      `${sharedPath}: providers.sendkit.baseUrl: must not carry a user name or password (user:pass@): the vendor key goes in apiKey`,
    ]);
  });

  test('a baseUrl with a path, query or fragment is refused, never dropped', async () => {
    for (const baseUrl of ['https://api.sendkit.ai/v1/', 'https://proxy.internal/sendkit', 'https://api.sendkit.ai/?x=1', 'https://api.sendkit.ai/#top']) {
      const doc = document();
      sendkit(doc).baseUrl = baseUrl;
      const path = write('path.json', JSON.stringify(doc));
      const lines = await bothRefuse(path);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: workspaces\\[0\\]\\.connections\\[2\\]\\.baseUrl: must be the (vendor's )?origin only`));
    }
    // The origin with or without its trailing slash is fine.
    for (const baseUrl of ['https://api.sendkit.ai', 'https://api.sendkit.ai/', 'http://127.0.0.1:4102']) {
      const doc = document();
      sendkit(doc).baseUrl = baseUrl;
      expect(await runCli(['check-config', write('origin.json', JSON.stringify(doc))], capture(ENV))).toBe(0);
    }
  });

  test('duplicate client ids are refused', async () => {
    const doc = document();
    doc.clients.push({ id: 'agency-bi', keySha256: OTHER_HASH, workspaces: ['acme'] });
    const path = write('duplicate-client.json', JSON.stringify(doc));
    expect(await bothRefuse(path)).toEqual([`${path}: clients[1].id: duplicate client id "agency-bi"`]);
  });

  test('ttlSeconds: 99999999999 is refused with the range', async () => {
    const doc = document();
    sendkit(doc).ttlSeconds = 99_999_999_999;
    const path = write('ttl.json', JSON.stringify(doc));
    expect(await bothRefuse(path)).toEqual([`${path}: workspaces[0].connections[2].ttlSeconds: expected a whole number of seconds from 0 to 604800 (7 days)`]);
  });

  test('a missing apiKey says what is expected, in words', async () => {
    const doc = document();
    delete sendkit(doc).apiKey;
    const path = write('missing-key.json', JSON.stringify(doc));
    expect(await bothRefuse(path)).toEqual([`${path}: workspaces[0].connections[2].apiKey: missing: expected the vendor key as text, e.g. "\${ACME_INSTANTLY_KEY}"`]);
  });

  test('an empty ${VAR} names the variable; an unset one too', async () => {
    const path = write('empty-var.json', JSON.stringify(document()));
    expect(await bothRefuse(path, { ACME_INSTANTLY_KEY: '' })).toEqual([
      `${path}: workspaces[0].connections[0].apiKey: must not be empty (the value comes from \${ACME_INSTANTLY_KEY}, which is set but empty)`,
    ]);
    expect(await bothRefuse(path, {})).toEqual([`${path}: workspaces[0].connections[0].apiKey: environment variable ACME_INSTANTLY_KEY is not set`]);
  });

  test('a key with a trailing newline (read from a file) is refused without printing it', async () => {
    const path = write('newline-key.json', JSON.stringify(document()));
    expect(await bothRefuse(path, { ACME_INSTANTLY_KEY: `${CANARY}\n` })).toEqual([
      `${path}: workspaces[0].connections[0].apiKey: must not contain spaces, tabs, line breaks or control characters (a trailing newline from a file?)`,
    ]);
  });

  test('a JSON syntax error is one line with line:column and the key path, never the text', async () => {
    const text = JSON.stringify(document(), null, 2).replace(`"sk_${CANARY}"`, `sk_${CANARY}`);
    const path = write('syntax.json', text);
    const line = text.split('\n').findIndex((l) => l.includes(CANARY)) + 1;
    expect(await bothRefuse(path)).toEqual([
      `${path}:${line}:21: workspaces[0].connections[2].apiKey: not valid JSON: expected a value: a "string" in double quotes, a number, true, false, null, an object {…} or a list […]`,
    ]);
  });

  test('a YAML syntax error with a key on the broken line is one line without the key', async () => {
    const text = [
      'clients:',
      `  - { id: agency-bi, keySha256: "${HASH}", workspaces: [acme] }`,
      'workspaces:',
      '  - id: acme',
      '    connections:',
      '      - id: acme-sendkit',
      '        provider: sendkit',
      `        apiKey: "sk_${CANARY}`,
      '        ttlSeconds: 300',
      '',
    ].join('\n');
    const path = write('syntax.yaml', text);
    expect(await bothRefuse(path)).toEqual([`${path}:8:17: workspaces[0].connections[0].apiKey: not valid YAML: this quoted value is never closed (its closing quote is missing)`]);
  });

  test('several problems: one line each, every one naming its path', async () => {
    const doc = document();
    sendkit(doc).baseUrl = `https://u:${CANARY}@api.sendkit.ai/v1/`;
    sendkit(doc).ttlSeconds = 99_999_999_999;
    doc.clients.push({ id: 'agency-bi', keySha256: OTHER_HASH, workspaces: ['acme'] });
    const first = doc.workspaces[0]?.connections[0];
    if (first) first.provider = 'mailchimp';
    const path = write('several.json', JSON.stringify(doc));
    expect(await bothRefuse(path, { ACME_INSTANTLY_KEY: '' })).toEqual([
      `${path}: workspaces[0].connections[0].provider: expected one of: instantly, sendkit, kakiyo, seleqt`,
      `${path}: workspaces[0].connections[0].apiKey: must not be empty (the value comes from \${ACME_INSTANTLY_KEY}, which is set but empty)`,
      `${path}: workspaces[0].connections[2].baseUrl: must not carry a user name or password (user:pass@): the vendor key goes in apiKey`,
      `${path}: workspaces[0].connections[2].ttlSeconds: expected a whole number of seconds from 0 to 604800 (7 days)`,
      `${path}: clients[1].id: duplicate client id "agency-bi"`,
    ]);
  });

  test('a YAML number where text belongs says to quote it', async () => {
    const doc = document();
    sendkit(doc).vendorWorkspaceId = 340;
    const path = write('number-id.yaml', JSON.stringify(doc));
    expect(await bothRefuse(path)).toEqual([`${path}: workspaces[0].connections[2].vendorWorkspaceId: expected text, not a number (put it in quotes)`]);
  });

  test('an unknown key is named when it reads like a setting, and only counted when it may be a value', async () => {
    const doc = document();
    Object.assign(sendkit(doc), { apikey: 'x', [`sk_${CANARY}`]: 1 });
    const path = write('unknown-keys.json', JSON.stringify(doc));
    expect(await bothRefuse(path)).toEqual([`${path}: workspaces[0].connections[2]: unknown key(s) "apikey", and 1 key not shown because it may be a value`]);
  });
});
