/**
 * End-to-end: the demo (four vendor simulators and the gateway on loopback) with the dashboard at
 * `/`, driven in headless Debian Chromium through playwright-core. A user enters the demo key,
 * switches workspaces (acme → ALL → globex), sorts and filters the table and downloads the CSV; at
 * every step what the page shows is compared with what the API answers for the same query.
 *
 * `.ci/run` installs Chromium when it is missing, so a missing browser is a failure, not a skip.
 * A screenshot of the final state is saved under test/artifacts/ (git-ignored).
 */
import { get as httpGet } from 'node:http';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../src/demo';
import { watchPage } from '../helpers/contract';
import { DASHBOARD_CSP } from '../../src/server/dashboard';
import { z } from 'zod';
import { CampaignAnalyticsSchema } from '../../src/schema/campaign';
import { AnalyticsResponseSchema } from '../../src/schema/envelope';

/** Without `fields`, every campaign is complete: the test holds the API to that. */
const FullAnswerSchema = AnalyticsResponseSchema.extend({ data: z.array(CampaignAnalyticsSchema) });
type AnalyticsResponse = z.infer<typeof FullAnswerSchema>;

const CHROMIUM = '/usr/bin/chromium';
const DEMO_KEY = 'demo-e2e-dashboard-0c4f9a71d2';
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Every wait in the browser is bounded; the whole file stays under a minute. */
const STEP_MS = 20_000;

jest.setTimeout(60_000);

let demo: RunningDemo;
let dataDir: string;
let profile: string;
let context: BrowserContext;
let page: Page;
let contract: ReturnType<typeof watchPage>;
const browserErrors: string[] = [];

/** The API's answer for a query, fetched the way a BI tool would (node:http: no fetch-added cache headers). */
function api(query: string): Promise<{ status: number; body: AnalyticsResponse }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${demo.url}/v1/campaigns/analytics?${query}`, { headers: { 'X-API-Key': DEMO_KEY }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          const body = FullAnswerSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          resolve({ status: response.statusCode ?? 0, body });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('error', reject);
  });
}

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const rates = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** What the page must show for the API's totals: raw value in data-value, formatted text in the card. */
function expectedTotals(body: AnalyticsResponse): Record<string, { value: string; text: string }> {
  const { totals } = body;
  const entries: [string, number | null, 'count' | 'rate'][] = [
    ['campaigns', totals.campaigns, 'count'],
    ['contacted', totals.metrics.contacted, 'count'],
    ['sent', totals.metrics.sent, 'count'],
    ['replied', totals.metrics.replied, 'count'],
    ['replyRate', totals.rates.replyRate, 'rate'],
    ['interested', totals.metrics.interested, 'count'],
    ['interestedRate', totals.rates.interestedRate, 'rate'],
    ['openRate', totals.rates.openRate, 'rate'],
    ['bounceRate', totals.rates.bounceRate, 'rate'],
  ];
  return Object.fromEntries(
    entries.map(([key, value, kind]) => [
      key,
      { value: value === null ? 'null' : String(value), text: value === null ? '—not reported' : kind === 'count' ? counts.format(value) : rates.format(value) },
    ]),
  );
}

async function shownTotals(): Promise<Record<string, { value: string; text: string }>> {
  return page.$$eval('[data-total]', (cells) =>
    Object.fromEntries(cells.map((cell) => [cell.getAttribute('data-total') ?? '', { value: cell.getAttribute('data-value') ?? '', text: cell.textContent ?? '' }])),
  );
}

async function shownSources(): Promise<{ connection: string; status: string }[]> {
  return page.$$eval('#sources li', (chips) => chips.map((chip) => ({ connection: chip.getAttribute('data-connection') ?? '', status: chip.getAttribute('data-status') ?? '' })));
}

async function shownRowKeys(): Promise<string[]> {
  return page.$$eval('#campaigns-body tr', (rows) => rows.map((row) => row.getAttribute('data-key') ?? ''));
}

/** The numbers of one table column, top to bottom (null where the vendor does not report it). */
async function columnValues(column: string): Promise<(number | null)[]> {
  const index = await page.$$eval('#campaigns-head th', (headers, name) => headers.findIndex((th) => th.getAttribute('data-column') === name), column);
  expect(index).toBeGreaterThanOrEqual(0);
  const raw = await page.$$eval('#campaigns-body tr', (rows, i) => rows.map((row) => row.children[i]?.getAttribute('data-value') ?? 'missing'), index);
  return raw.map((value) => (value === 'null' ? null : Number(value)));
}

/** Chooses a workspace with the keyboard-accessible select and waits until the page shows that answer. */
async function chooseWorkspace(workspace: string): Promise<void> {
  await page.getByLabel('Workspace', { exact: true }).selectOption(workspace);
  await page.waitForSelector(`#main[data-loaded-workspace="${workspace}"]:not([aria-busy])`, { timeout: STEP_MS });
}

/** The page shows exactly the API's totals, one chip per API source, one row per API campaign. */
async function expectPageMatchesApi(workspace: string): Promise<AnalyticsResponse> {
  const { status, body } = await api(`workspace_id=${workspace}`);
  expect(status).toBe(200);
  expect(body.meta.complete).toBe(true);
  expect(body.totals.campaigns).toBeGreaterThan(0);
  expect(await shownTotals()).toEqual(expectedTotals(body));
  expect(await shownSources()).toEqual(body.sources.map((s) => ({ connection: s.connection, status: s.status })));
  expect(await shownRowKeys()).toEqual(body.data.map((c) => c.key));
  expect(await page.locator('#funnel svg g[data-provider]').count()).toBe(new Set(body.data.map((c) => c.provider)).size);
  const withRate = body.data.filter((c) => c.rates.replyRate !== null).length;
  expect(await page.locator('#reply-chart svg g[data-key]').count()).toBe(Math.min(10, withRate));
  return body;
}

/** Evaluates an expression in the page (a string: this project compiles without the DOM library). */
function inPage(expression: string): Promise<unknown> {
  return page.evaluate(expression);
}

/** Waits (bounded) until an element's text matches. */
async function expectText(selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(`new RegExp(${JSON.stringify(pattern.source)}).test(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`, undefined, { timeout: STEP_MS });
}

beforeAll(async () => {
  // The demo's history store in a temporary directory; the page's trend view asks it, so it must be up first.
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'outreach-gateway-dashboard-'));
  demo = await startDemo({ port: 0, env: { OUTREACH_GATEWAY_DEMO_KEY: DEMO_KEY, OUTREACH_GATEWAY_DATA: dataDir }, out: () => {} });
  const deadline = Date.now() + STEP_MS;
  while (demo.service.store?.up !== true) {
    if (Date.now() > deadline) throw new Error('the demo history store did not open');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  profile = await mkdtemp(path.join(os.tmpdir(), 'outreach-gateway-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
    acceptDownloads: true,
    timeout: STEP_MS,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_MS);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') browserErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => browserErrors.push(`pageerror: ${error.message}`));
  // Every answer the page gets from the gateway is checked against /openapi.json.
  contract = watchPage(page, demo.url);
}, 180_000); // the demo back-fills 60 days of history before it listens

afterAll(async () => {
  await context?.close();
  await demo?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the dashboard shows the same numbers as the API, by keyboard and mouse, across workspaces', async () => {
  const response = await page.goto(`${demo.url}/`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
  expect(await page.locator('#main').isHidden()).toBe(true);

  // Keyboard: the key field has focus on arrival, the skip link comes before it; Enter submits the key.
  await page.waitForFunction("document.activeElement?.id === 'client-key'", undefined, { timeout: STEP_MS });
  await page.keyboard.press('Shift+Tab');
  expect(await inPage('document.activeElement?.className')).toBe('skip-link');
  await page.keyboard.press('Tab');
  expect(await inPage('document.activeElement?.id')).toBe('client-key');
  await page.keyboard.type(DEMO_KEY);
  await page.keyboard.press('Enter');

  // The first workspace the key is linked to is shown first.
  await page.waitForSelector('#main[data-loaded-workspace="acme"]:not([aria-busy])', { timeout: STEP_MS });
  await expectText('#status', /^Loaded \d+ campaigns for acme from 4 sources\.$/);
  const acme = await expectPageMatchesApi('acme');
  expect(new Set(acme.data.map((c) => c.workspace))).toEqual(new Set(['acme']));

  // The key is in this tab's sessionStorage only: not in localStorage, a cookie or the URL.
  const storage = await inPage(`({
    session: sessionStorage.getItem('outreach-gateway.client-key'),
    local: localStorage.length,
    cookie: document.cookie,
    href: location.href,
    field: document.getElementById('client-key').value,
  })`);
  expect(storage).toEqual({ session: DEMO_KEY, local: 0, cookie: '', href: `${demo.url}/`, field: '' });

  await chooseWorkspace('ALL');
  const all = await expectPageMatchesApi('ALL');
  expect(all.totals.campaigns).toBeGreaterThan(acme.totals.campaigns);
  expect(new Set(all.data.map((c) => c.workspace))).toEqual(new Set(['acme', 'globex']));
  // The demo back-filled 60 days of history on start: the trend view shows weeks of it at once.
  await page.waitForSelector('#trend[data-loaded-query^="workspace_id=ALL&"]:not([aria-busy])', { timeout: STEP_MS });
  expect(await page.textContent('#trend-status')).not.toMatch(/^No history yet/);
  expect(await page.locator('#trend-chart circle').count()).toBeGreaterThanOrEqual(8);
  expect(await page.locator('#trend-body').isHidden()).toBe(false);
  // Only with several workspaces on screen does the table show a workspace column.
  expect(await page.locator('#campaigns-head th[data-column="workspace"]').count()).toBe(1);
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-all.png') });

  await chooseWorkspace('globex');
  const globex = await expectPageMatchesApi('globex');
  expect(await page.locator('#campaigns-head th[data-column="workspace"]').count()).toBe(0);
  expect(globex.totals.campaigns + acme.totals.campaigns).toBe(all.totals.campaigns);

  // Sorting with the mouse: reply rate, highest first, not-reported values last.
  const replyRate = page.locator('#campaigns-head button[data-column="replyRate"]');
  await replyRate.click();
  expect(await page.getAttribute('#campaigns-head th[data-column="replyRate"]', 'aria-sort')).toBe('descending');
  const descending = await columnValues('replyRate');
  const reported = descending.filter((v): v is number => v !== null);
  expect(reported).toEqual([...reported].sort((a, b) => b - a));
  expect(descending.slice(reported.length).every((v) => v === null)).toBe(true);
  expect(reported[0]).toBe(Math.max(...globex.data.map((c) => c.rates.replyRate ?? -1)));

  // Sorting with the keyboard: focus stays on the header button, Enter flips the direction.
  expect(await inPage("document.activeElement?.getAttribute('data-column')")).toBe('replyRate');
  await page.keyboard.press('Enter');
  expect(await page.getAttribute('#campaigns-head th[data-column="replyRate"]', 'aria-sort')).toBe('ascending');
  const ascending = (await columnValues('replyRate')).filter((v): v is number => v !== null);
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));

  // Shift+Tab walks back to the previous header; Space sorts by it; only one header carries aria-sort.
  await page.keyboard.press('Shift+Tab');
  expect(await inPage("document.activeElement?.getAttribute('data-column')")).toBe('replied');
  await page.keyboard.press('Space');
  expect(await page.$$eval('#campaigns-head th[aria-sort]', (ths) => ths.map((th) => [th.getAttribute('data-column'), th.getAttribute('aria-sort')]))).toEqual([['replied', 'descending']]);
  const replied = (await columnValues('replied')).filter((v): v is number => v !== null);
  expect(replied).toEqual([...replied].sort((a, b) => b - a));

  // Sorting does not change what is shown, only the order.
  expect(new Set(await shownRowKeys())).toEqual(new Set(globex.data.map((c) => c.key)));
  expect(await shownTotals()).toEqual(expectedTotals(globex));

  // The filter narrows the table to matching campaigns.
  await page.getByLabel('Filter', { exact: true }).fill('kakiyo');
  const kakiyoKeys = globex.data.filter((c) => c.provider === 'kakiyo').map((c) => c.key);
  expect(kakiyoKeys.length).toBeGreaterThan(0);
  expect(new Set(await shownRowKeys())).toEqual(new Set(kakiyoKeys));
  await expectText('#shown-count', new RegExp(`^${kakiyoKeys.length} of ${globex.data.length} campaigns$`));
  await page.getByLabel('Filter', { exact: true }).fill('');
  expect(await shownRowKeys()).toHaveLength(globex.data.length);

  // The CSV download holds every campaign of the workspace with the API's numbers.
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: STEP_MS }), page.getByRole('button', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^campaigns-globex-\d{4}-\d{2}-\d{2}\.csv$/);
  const downloaded = await download.path();
  const rows: Record<string, string>[] = parse(await readFile(downloaded, 'utf8'), { columns: true, skip_empty_lines: true });
  expect(rows.map((r) => `${r.connection}:${r.id}`).sort()).toEqual(globex.data.map((c) => c.key).sort());
  for (const campaign of globex.data) {
    const row = rows.find((r) => r.connection === campaign.connection && r.id === campaign.id);
    expect(row?.contacted).toBe(campaign.metrics.contacted === null ? '' : String(campaign.metrics.contacted));
    expect(row?.replied).toBe(campaign.metrics.replied === null ? '' : String(campaign.metrics.replied));
  }

  await inPage('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-full.png'), fullPage: true });

  // Forgetting the key clears it from storage and hides the numbers.
  await page.getByRole('button', { name: 'Forget key' }).click();
  expect(await inPage("sessionStorage.getItem('outreach-gateway.client-key')")).toBeNull();
  expect(await page.locator('#main').isHidden()).toBe(true);

  // No script error, no CSP violation, no failed asset on the way.
  expect(browserErrors).toEqual([]);
});

test('a wrong key is refused and not kept', async () => {
  browserErrors.length = 0;
  await page.goto(`${demo.url}/`);
  await page.getByLabel('Client key', { exact: true }).fill('not-the-demo-key');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expectText('#status', /refused this key/);
  expect(await inPage("sessionStorage.getItem('outreach-gateway.client-key')")).toBeNull();
  expect(await page.locator('#main').isHidden()).toBe(true);
  // The 401 itself is the only error the browser reports (Chromium logs failed fetches to the console).
  expect(browserErrors.every((line) => line.includes('401'))).toBe(true);
});

test('a vendor that fails on "Refresh from vendors" shows as a stale chip with its age and error code', async () => {
  browserErrors.length = 0;
  await page.goto(`${demo.url}/`);
  await page.getByLabel('Client key', { exact: true }).fill(DEMO_KEY);
  await page.getByRole('button', { name: 'Connect' }).click();
  // Forgetting the key in the first test also forgot the workspace: the first one is shown again.
  await page.waitForSelector('#main[data-loaded-workspace="acme"]:not([aria-busy])', { timeout: STEP_MS });

  demo.simulators.seleqt.setFaults({ down: true });
  try {
    await page.getByRole('button', { name: 'Refresh from vendors' }).click();
    await page.waitForSelector('#sources li[data-connection="acme-seleqt"][data-status="stale"]', { timeout: STEP_MS });
    await page.waitForSelector('#main:not([aria-busy])', { timeout: STEP_MS });
    const chip = (await page.textContent('#sources li[data-connection="acme-seleqt"]')) ?? '';
    expect(chip).toMatch(/^stale\s*acme · Seleqt/);
    expect(chip).toMatch(/(just now|\d+ s old)/);
    expect(chip).toContain('upstream_unavailable');
    expect((await shownSources()).filter((s) => s.status !== 'ok')).toEqual([{ connection: 'acme-seleqt', status: 'stale' }]);
    await expectText('#status', /; 1 stale\.$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stale.png') });
    // The stale data is the data the API serves for the same query: same totals on both sides.
    const { body } = await api('workspace_id=acme');
    expect(await shownTotals()).toEqual(expectedTotals(body));
  } finally {
    demo.simulators.seleqt.setFaults({ down: false });
  }
  // Chromium reports the page's own fetches only when they fail; every vendor failure stayed inside the gateway.
  expect(browserErrors).toEqual([]);
});

test('every answer the page got from the gateway matches /openapi.json', async () => {
  expect(await contract.problems()).toEqual([]);
});
