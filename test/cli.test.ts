import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../src/cli';
import { startDemo } from '../src/demo';
import { PROVIDER_IDS } from '../src/schema/campaign';
import { startSimulator, type VendorSimulator } from '../src/simulator';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env };
}

const dir = mkdtempSync(join(tmpdir(), 'og-cli-'));

describe('cli', () => {
  test('hash-key prints the SHA-256 of the key', async () => {
    const io = capture();
    expect(await runCli(['hash-key', 'my-key'], io)).toBe(0);
    expect(io.stdout).toEqual([createHash('sha256').update('my-key').digest('hex')]);
    expect(await runCli(['hash-key'], io)).toBe(2);
  });

  test('check-config: ok, and one line per problem with exit 1', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      ['clients:', `  - { id: bi, keySha256: "${'a'.repeat(64)}", workspaces: [acme] }`, 'workspaces:', '  - id: acme', '    connections:', '      - { id: acme-seleqt, provider: seleqt, apiKey: "${SELEQT_KEY}", vendorWorkspaceId: "340" }'].join('\n'),
    );
    const ok = capture({ SELEQT_KEY: 'x.y' });
    expect(await runCli(['check-config', good], ok)).toBe(0);
    expect(ok.stdout[0]).toMatch(/ok \(1 workspaces, 1 connections, 1 clients\)/);

    const missingEnv = capture({});
    expect(await runCli(['check-config', good], missingEnv)).toBe(1);
    expect(missingEnv.stderr).toEqual([`${good}: workspaces[0].connections[0].apiKey: environment variable SELEQT_KEY is not set`]);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ clients: [], workspaces: [{ id: 'acme', connections: [{ id: 'c', provider: 'mailchimp', apiKey: 'k' }] }] }));
    const io = capture();
    expect(await runCli(['check-config', bad], io)).toBe(1);
    expect(io.stderr).toEqual([`${bad}: clients: needs at least 1 entry`, `${bad}: workspaces[0].connections[0].provider: expected one of: instantly, sendkit, kakiyo, seleqt`]);
    const missing = capture();
    expect(await runCli(['check-config', join(dir, 'nope.json')], missing)).toBe(1);
    expect(missing.stderr).toEqual([`${join(dir, 'nope.json')}: cannot read the file (no such file)`]);
  });

  test('fetch runs one query and prints JSON; exit 3 when partial', async () => {
    const sims: VendorSimulator[] = [];
    try {
      const seleqt = await startSimulator('seleqt', { accounts: [{ apiKey: 'abc.def', seed: 1, campaigns: 3, vendorWorkspaceId: '340' }] });
      sims.push(seleqt);
      const file = join(dir, 'fetch.json');
      writeFileSync(
        file,
        JSON.stringify({
          clients: [{ id: 'bi', keySha256: 'b'.repeat(64), workspaces: ['acme'] }],
          workspaces: [
            {
              id: 'acme',
              connections: [
                { id: 'acme-seleqt', provider: 'seleqt', apiKey: 'abc.def', vendorWorkspaceId: '340', baseUrl: seleqt.url },
                { id: 'acme-kakiyo', provider: 'kakiyo', apiKey: 'k'.repeat(40), baseUrl: 'http://127.0.0.1:9', maxAttempts: 1 },
              ],
            },
          ],
        }),
      );
      const io = capture();
      expect(await runCli(['fetch', '--config', file, '--query', 'providers=seleqt'], io)).toBe(0);
      const body = JSON.parse(io.stdout.join('\n')) as { data: unknown[]; meta: { complete: boolean } };
      expect(body.data).toHaveLength(3);
      const partial = capture();
      expect(await runCli(['fetch', '--config', file], partial)).toBe(3);
      expect(JSON.parse(partial.stdout.join('\n')).meta.complete).toBe(false);
      const badQuery = capture();
      expect(await runCli(['fetch', '--config', file, '--query', 'foo=1'], badQuery)).toBe(1);
      expect(badQuery.stderr[1]).toBe('  foo: unknown parameter');
    } finally {
      await Promise.all(sims.map((s) => s.close()));
    }
  });

  test('unknown commands and missing arguments exit 2', async () => {
    expect(await runCli(['frobnicate'], capture())).toBe(2);
    expect(await runCli(['fetch'], capture())).toBe(2);
    expect(await runCli(['check-config'], capture())).toBe(2);
    const help = capture();
    expect(await runCli(['--help'], help)).toBe(0);
    expect(help.stdout[0]).toMatch(/^usage:/);
  });
});

describe('demo', () => {
  test('serves all four providers for the printed key, both workspaces with ALL, and says demo', async () => {
    const lines: string[] = [];
    const demo = await startDemo({ env: { OUTREACH_GATEWAY_DEMO_KEY: 'demo-key-for-test' }, out: (l) => lines.push(l), port: 0 });
    try {
      expect(lines.join('\n')).toContain(`curl -s -H 'X-API-Key: demo-key-for-test' '${demo.url}/v1/campaigns/analytics'`);
      const res = await fetch(`${demo.url}/v1/campaigns/analytics`, { headers: { 'X-API-Key': 'demo-key-for-test' } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { provider: string }[]; meta: { demo: boolean; complete: boolean } };
      expect(new Set(body.data.map((c) => c.provider))).toEqual(new Set(PROVIDER_IDS));
      expect(body.meta).toMatchObject({ demo: true, complete: true });
      const all = (await (await fetch(`${demo.url}/v1/campaigns/analytics?workspace_id=ALL`, { headers: { 'X-API-Key': 'demo-key-for-test' } })).json()) as {
        meta: { workspaces: string[] };
      };
      expect(all.meta.workspaces).toEqual(['acme', 'globex']);
      const denied = await fetch(`${demo.url}/v1/campaigns/analytics?workspace_id=initech`, { headers: { 'X-API-Key': 'demo-key-for-test' } });
      expect(denied.status).toBe(403);
      // The demo back-filled 60 days of history before it listened: weeks of growth, marked demo.
      const history = await fetch(`${demo.url}/v1/campaigns/history?workspace_id=ALL&interval=week`, { headers: { 'X-API-Key': 'demo-key-for-test' } });
      expect(history.status).toBe(200);
      const weeks = (await history.json()) as { data: { points: { source: string | null; metrics: { sent: number | null } | null }[] }[]; meta: { demo: boolean } };
      expect(weeks.meta.demo).toBe(true);
      // Filled weeks, from the snapshots or the vendor's own daily rows the back-fill stored.
      const filled = weeks.data[0]?.points.filter((p) => p.source !== null) ?? [];
      expect(filled.every((p) => ['snapshots', 'vendor_daily', 'mixed'].includes(p.source ?? ''))).toBe(true);
      expect(filled.length).toBeGreaterThanOrEqual(7);
      expect(filled.some((p) => (p.metrics?.sent ?? 0) > 0)).toBe(true);
    } finally {
      await demo.close();
    }
  }, 120_000);

  test('without OUTREACH_GATEWAY_DEMO_KEY a random key is generated and printed', async () => {
    const lines: string[] = [];
    const demo = await startDemo({ env: {}, out: (l) => lines.push(l), port: 0, backfillDays: 0 });
    try {
      expect(demo.clientKey).toMatch(/^demo-[0-9a-f]{24}$/);
      expect(lines.join('\n')).toContain(demo.clientKey);
    } finally {
      await demo.close();
    }
  });
});
