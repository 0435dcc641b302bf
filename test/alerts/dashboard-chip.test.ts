/**
 * The dashboard's active-alerts chip in headless Chromium (as test/e2e/dashboard.test.ts drives it):
 * a gateway without a store (alerts in memory) with a rule that holds for one workspace; the chip
 * shows the count `GET /v1/alerts` answers for the selected workspace (1 for acme, 0 for globex).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createHash } from 'node:crypto';
import { resolveConfig } from '../../src/config';
import { createService, type GatewayService } from '../../src/service';
import { startSimulator, type VendorSimulator } from '../../src/simulator';

jest.setTimeout(60_000);

const KEY = 'canary-alerts-chip-key-31f0';
const VENDOR_KEYS = { acme: 'canaryInstantlyChipAcme0001', globex: 'canaryInstantlyChipGlobex02' };
const STEP_MS = 20_000;

let sim: VendorSimulator;
let service: GatewayService;
let url: string;
let profile: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  sim = await startSimulator('instantly', {
    rateLimit: { rules: [] },
    referenceDate: '2026-11-20',
    accounts: [
      { apiKey: VENDOR_KEYS.acme, seed: 11, campaigns: 3, label: 'acme' },
      { apiKey: VENDOR_KEYS.globex, seed: 22, campaigns: 3, label: 'globex' },
    ],
  });
  const config = resolveConfig({
    clients: [{ id: 'agency', keySha256: createHash('sha256').update(KEY).digest('hex'), workspaces: ['acme', 'globex'] }],
    workspaces: (['acme', 'globex'] as const).map((w) => ({ id: w, connections: [{ id: `${w}-instantly`, provider: 'instantly', apiKey: VENDOR_KEYS[w], baseUrl: sim.url }] })),
    storage: { enabled: false },
    alerts: {
      webhooks: [{ id: 'chat', format: 'slack', url: 'http://127.0.0.1:9/unreachable' }],
      rules: [{ id: 'acme-contacted', kind: 'threshold', when: 'contacted > 0', per: 'workspace', scope: { workspaces: ['acme'] } }],
      delivery: { initialBackoffMs: 3_600_000 },
    },
  });
  service = createService({ ...config, log: { level: 'error' } }, { extraSecrets: [KEY] });
  url = await service.listen(0, '127.0.0.1');
  profile = await mkdtemp(path.join(os.tmpdir(), 'outreach-gateway-chip-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    timeout: STEP_MS,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_MS);
});

afterAll(async () => {
  await context?.close();
  await service?.close(100);
  await sim?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function apiCount(workspace: string): Promise<number> {
  const response = await fetch(`${url}/v1/alerts?workspace_id=${workspace}`, { headers: { 'X-API-Key': KEY } });
  return ((await response.json()) as { data: unknown[] }).data.length;
}

test('the chip shows the active alert count of the selected workspace', async () => {
  // Fill the cache (one plain request), then evaluate (the scheduler is not running here).
  const filled = await fetch(`${url}/v1/campaigns/analytics?workspace_id=ALL`, { headers: { 'X-API-Key': KEY } });
  expect(filled.status).toBe(200);
  await service.alerts?.evaluate();
  expect(await apiCount('acme')).toBe(1);
  expect(await apiCount('globex')).toBe(0);

  await page.goto(`${url}/`);
  await page.locator('#client-key').fill(KEY);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#alerts-chip[data-count="1"]:not([hidden])');
  expect(await page.locator('#alerts-chip').textContent()).toBe('1 active alert');
  expect(await page.locator('#alerts-chip').getAttribute('title')).toContain('(kept in memory only: the store is unavailable)');

  await page.getByLabel('Workspace', { exact: true }).selectOption('globex');
  await page.waitForSelector('#alerts-chip[data-count="0"]:not([hidden])');
  expect(await page.locator('#alerts-chip').textContent()).toBe('0 active alerts');
});
