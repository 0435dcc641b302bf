/**
 * `/openapi.json` against Spectral's OpenAPI rules and the OWASP API Security Top 10 2023 rules
 * (`.spectral.yaml`, which says why each rule it narrows is narrowed): zero errors and zero
 * warnings. The same ruleset must still catch a broken document, so the check cannot pass vacuously.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { VERSION } from '../../src/server/app';
import { buildOpenApi } from '../../src/server/openapi';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const SPECTRAL = path.join(ROOT, 'node_modules', '@stoplight', 'spectral-cli', 'dist', 'index.js');

interface Finding {
  code: string;
  severity: number;
  path: string[];
  message: string;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spectral-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lint(document: unknown, name: string): Promise<Finding[]> {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(document, null, 2));
  // Exit code 1 means findings: read them either way.
  const result = await run(process.execPath, [SPECTRAL, 'lint', file, '--ruleset', path.join(ROOT, '.spectral.yaml'), '--format', 'json', '--fail-severity', 'hint', '--quiet'], { cwd: ROOT }).catch(
    (error: { stdout?: string; code?: number }) => {
      if (error.code !== 1 || error.stdout === undefined) throw error as Error;
      return { stdout: error.stdout };
    },
  );
  const text = result.stdout.trim();
  return text === '' || text.startsWith('No results') ? [] : (JSON.parse(text) as Finding[]);
}

const describeFindings = (findings: Finding[]): string[] => findings.map((f) => `${['error', 'warning', 'info', 'hint'][f.severity] ?? f.severity} ${f.code} at ${f.path.join('.')}: ${f.message}`);

test('/openapi.json passes the OpenAPI and OWASP rulesets with no error and no warning', async () => {
  expect(describeFindings(await lint(buildOpenApi(VERSION), 'openapi.json'))).toEqual([]);
}, 60_000);

test('the ruleset catches what it is there for: unbounded input, a /v1 read without a key, a /v1 answer without RateLimit', async () => {
  const document = buildOpenApi(VERSION) as {
    components: { parameters: Record<string, { schema: Record<string, unknown> }> };
    paths: Record<string, { get: { security?: unknown[]; responses: Record<string, { headers?: Record<string, unknown> }> } }>;
  };
  delete document.components.parameters.RequestId?.schema.maxLength;
  const connections = document.paths['/v1/connections']?.get;
  if (connections) connections.security = [];
  const ok = document.paths['/v1/connections']?.get.responses['200'];
  if (ok?.headers) delete ok.headers.RateLimit;
  const codes = new Set((await lint(document, 'broken.json')).filter((f) => f.severity === 0).map((f) => f.code));
  expect([...codes].sort()).toEqual(expect.arrayContaining(['parameter-limits', 'rate-limit-v1', 'read-restricted-v1']));
}, 60_000);
