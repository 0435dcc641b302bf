/**
 * `outreach-gateway probe` against the vendor simulators: a good key on every vendor, a refused
 * key, a host that serves the SPA's HTML, a host that redirects (and the other Seleqt host that
 * answers JSON), Kakiyo's credit gate, exit codes, and no key in the output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../src/cli';
import { loadConfigFile } from '../src/config';
import { probeAll } from '../src/probe';
import { PROVIDER_IDS, type ProviderId } from '../src/schema/campaign';
import { startSimulator, type SimulatorOptions, type VendorSimulator } from '../src/simulator';

const dir = mkdtempSync(join(tmpdir(), 'og-probe-'));
const REFERENCE_DATE = '2026-06-30';

/** Canary keys: none may appear in any output line. */
const KEYS: Readonly<Record<ProviderId, string>> = {
  instantly: 'canary-instantly-key-7f3a9c',
  sendkit: 'canary-sendkit-key-7f3a9c',
  kakiyo: 'kcanarykakiyokey7f3a9c'.padEnd(40, '0'),
  seleqt: 'canary.seleqtkey7f3a9c',
};

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

const sims: VendorSimulator[] = [];
async function sim(provider: ProviderId, options: Partial<SimulatorOptions> = {}): Promise<VendorSimulator> {
  const started = await startSimulator(provider, {
    accounts: [{ apiKey: KEYS[provider], seed: 7, campaigns: 5, ...(provider === 'seleqt' ? { vendorWorkspaceId: '340' } : {}) }],
    referenceDate: REFERENCE_DATE,
    ...options,
  });
  sims.push(started);
  return started;
}

afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

interface ConnectionSpec {
  id: string;
  provider: ProviderId;
  baseUrl: string;
  apiKey?: string;
}

function writeConfig(name: string, connections: readonly ConnectionSpec[]): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      clients: [{ id: 'bi', keySha256: 'a'.repeat(64), workspaces: ['acme'] }],
      workspaces: [
        {
          id: 'acme',
          connections: connections.map((c) => ({
            id: c.id,
            provider: c.provider,
            apiKey: c.apiKey ?? KEYS[c.provider],
            baseUrl: c.baseUrl,
            ...(c.provider === 'seleqt' ? { vendorWorkspaceId: '340' } : {}),
          })),
        },
      ],
    }),
  );
  return file;
}

function expectNoKey(lines: readonly string[]): void {
  const text = lines.join('\n');
  for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
}

describe('probe', () => {
  test('a good key on every vendor: ok, the campaign count, calls and time; Kakiyo only with --yes-spend-credits', async () => {
    const connections: ConnectionSpec[] = [];
    for (const provider of PROVIDER_IDS) connections.push({ id: `acme-${provider}`, provider, baseUrl: (await sim(provider)).url });
    const file = writeConfig('good.json', connections);

    const withoutCredits = capture();
    expect(await runCli(['probe', '--config', file], withoutCredits)).toBe(0);
    const text = withoutCredits.stdout.join('\n');
    for (const provider of PROVIDER_IDS.filter((p) => p !== 'kakiyo')) expect(text).toMatch(new RegExp(`acme-${provider} \\(${provider}, http://127\\.0\\.0\\.1:\\d+\\)\\n  ok: key accepted, JSON answers; 5 campaign\\(s\\) in \\d+ call\\(s\\)`));
    expect(text).toMatch(/acme-kakiyo \(kakiyo, .*\)\n {2}skipped: not called: Kakiyo charges a credit per call/);
    expect(withoutCredits.stdout.at(-1)).toBe('3 ok, 0 failed, 1 skipped');
    const kakiyoSim = sims.find((s) => s.url === connections.find((c) => c.provider === 'kakiyo')?.baseUrl);
    expect(kakiyoSim?.stats().total).toBe(0);

    const withCredits = capture();
    expect(await runCli(['probe', '--config', file, '--connection', 'acme-kakiyo', '--yes-spend-credits'], withCredits)).toBe(0);
    expect(withCredits.stdout[1]).toMatch(/^ {2}ok: key accepted, JSON answers; 5 campaign\(s\) in 1 call\(s\)$/);
    expect(withCredits.stdout.at(-1)).toBe('1 ok, 0 failed, 0 skipped');
    expectNoKey([...withoutCredits.stdout, ...withoutCredits.stderr, ...withCredits.stdout, ...withCredits.stderr]);
  }, 60_000);

  test('a refused key, an HTML host and a redirect: exit 3, each says why, never the key', async () => {
    const api = await sim('seleqt');
    const spa = await sim('seleqt', { seleqtHost: 'spa' });
    const redirect = await sim('seleqt', { seleqtHost: 'redirect' });
    const file = writeConfig('bad.json', [
      { id: 'bad-key', provider: 'seleqt', baseUrl: api.url, apiKey: 'wrong.key-canary-0001' },
      { id: 'spa-host', provider: 'seleqt', baseUrl: spa.url },
      { id: 'redirect-host', provider: 'seleqt', baseUrl: redirect.url },
    ]);
    const io = capture();
    expect(await runCli(['probe', '--config', file], io)).toBe(3);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/bad-key \(seleqt, .*\)\n {2}failed: unauthorized \(HTTP 401\)/);
    expect(text).toMatch(/spa-host \(seleqt, .*\)\n {2}failed: wrong_host \(HTTP 200\): .*set baseUrl to/);
    expect(text).toMatch(/redirect-host \(seleqt, .*\)\n {2}failed: wrong_host \(HTTP 302\): .*set baseUrl to/);
    expect(io.stdout.at(-1)).toBe('0 ok, 3 failed, 0 skipped');
    expectNoKey(io.stdout);
    expect(text).not.toContain('wrong.key-canary-0001');
  }, 60_000);

  test("Seleqt's other host is tried when the configured one serves HTML, and named when it answers JSON", async () => {
    const api = await sim('seleqt');
    const spa = await sim('seleqt', { seleqtHost: 'spa' });
    const file = writeConfig('spa.json', [{ id: 'acme-seleqt', provider: 'seleqt', baseUrl: spa.url }]);
    const config = loadConfigFile(file, {});
    const [probe] = await probeAll(config, { spendCredits: false, alternateHosts: () => [api.url] });
    expect(probe).toMatchObject({ outcome: 'failed', workingBaseUrl: api.url, campaigns: 5 });
    expect(probe?.summary).toContain(`${api.url} answers JSON with this key (5 campaign(s)): set baseUrl to ${api.url}`);
  }, 60_000);

  test('an unknown --connection is a usage error', async () => {
    const file = writeConfig('one.json', [{ id: 'acme-seleqt', provider: 'seleqt', baseUrl: 'http://127.0.0.1:9' }]);
    const io = capture();
    expect(await runCli(['probe', '--config', file, '--connection', 'nope'], io)).toBe(2);
    expect(io.stderr).toEqual([`no connection "nope" in ${file}`]);
  });
});
