/**
 * End-to-end: the dashboard's trend view against the history endpoint, in headless Debian
 * Chromium through playwright-core. The demo runs with its store in a temporary data directory;
 * the test records snapshots for 56 past days itself (the records of one real walk, each metric
 * scaled down the further back the day, so every period's growth is known), leaving out one
 * whole ISO week for every connection and two days for the Seleqt connections. Then, for a week
 * view by provider, a week view by workspace and a day view of a rate, it checks that every
 * number on the page (chart points, the table behind the chart, the comparison) equals the
 * history endpoint's answer for the same query, that the missing periods render as gaps (no
 * point, no line across them, "no data" in the table), that the comparison is the last complete
 * period against the one before with the right change, and that the known growth comes out.
 *
 * Screenshots go to test/artifacts/ (git-ignored).
 */
import { get as httpGet } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../src/demo';
import { watchPage } from '../helpers/contract';
import { METRIC_NAMES, type CampaignAnalytics, type MetricName } from '../../src/schema/campaign';
import { AnalyticsResponseSchema } from '../../src/schema/envelope';
import { HistoryResponseSchema, type HistoryResponse } from '../../src/schema/history';

const CHROMIUM = '/usr/bin/chromium';
const DEMO_KEY = 'demo-e2e-trend-5b1e07c3a9';
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STEP_MS = 20_000;
const DAY_MS = 86_400_000;

/** Days of history the test writes before today. */
const DAYS_BACK = 56;
/** Seleqt's connections have no snapshot on these days back (a gap in the day view). */
const SELEQT_MISSING = new Set([3, 4]);

jest.setTimeout(90_000);

let demo: RunningDemo;
let dataDir: string;
let profile: string;
let context: BrowserContext;
let page: Page;
let contract: ReturnType<typeof watchPage>;
const browserErrors: string[] = [];

/** The walk's records, per connection: the snapshot of today, and the base that past days are scaled from. */
let walk: CampaignAnalytics[] = [];
let today: string;
/** The whole ISO week (Monday) that no connection has a snapshot in. */
let missingWeek: string;

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
function daysBack(k: number): string {
  return dayOf(Date.parse(`${today}T00:00:00Z`) - k * DAY_MS);
}
function mondayOf(day: string): string {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return dayOf(ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS);
}

/** A campaign's cumulative value k days back: the walk's value, scaled down 1.2 % per day. */
function valueAt(base: number | null, k: number): number | null {
  return base === null ? null : k === 0 ? base : Math.floor(base * (1 - 0.012 * k));
}

function hasSnapshot(connection: string, k: number): boolean {
  if (k > DAYS_BACK) return false;
  if (k > 0 && mondayOf(daysBack(k)) === missingWeek) return false;
  return !(connection.endsWith('-seleqt') && SELEQT_MISSING.has(k));
}

/** Ground truth for a past period: Σ over campaigns (last snapshot in the period − last in the one before). */
function knownGrowth(campaigns: readonly CampaignAnalytics[], metric: MetricName, period: [string, string], before: [string, string]): number | null {
  const lastIn = (connection: string, [from, to]: [string, string]): number | undefined => {
    for (let k = 0; k <= DAYS_BACK; k += 1) {
      const day = daysBack(k);
      if (day >= from && day <= to && hasSnapshot(connection, k)) return k;
    }
    return undefined;
  };
  let total: number | null = null;
  for (const campaign of campaigns) {
    const end = lastIn(campaign.connection, period);
    const start = lastIn(campaign.connection, before);
    const base = campaign.metrics[metric];
    if (end === undefined || start === undefined || base === null) continue;
    total = (total ?? 0) + ((valueAt(base, end) as number) - (valueAt(base, start) as number));
  }
  return total;
}

function get(pathAndQuery: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${demo.url}${pathAndQuery}`, { headers: { 'X-API-Key': DEMO_KEY }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('error', reject);
  });
}

async function history(query: string): Promise<HistoryResponse> {
  const { status, body } = await get(`/v1/campaigns/history?${query}`);
  expect(status).toBe(200);
  return HistoryResponseSchema.parse(body);
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface TrendView {
  workspace: string;
  interval: 'week' | 'day';
  group: 'provider' | 'workspace';
  metric: { key: string; kind: 'count' | 'rate'; of?: [MetricName, MetricName] };
}

function queryOf(view: TrendView, group: string): string {
  const metrics = view.metric.kind === 'rate' ? (view.metric.of ?? []).join(',') : view.metric.key;
  return `workspace_id=${view.workspace}&interval=${view.interval}&group_by=${group}&metrics=${metrics}`;
}

type Point = HistoryResponse['data'][number]['points'][number];
function valueOf(point: Point | undefined, view: TrendView): number | null {
  if (!point || point.metrics === null) return null;
  const source = view.metric.kind === 'rate' ? (point.rates as Record<string, number | null> | null) : (point.metrics as Record<string, number | null | undefined>);
  return source?.[view.metric.key] ?? null;
}
function seriesId(group: HistoryResponse['data'][number]['group']): string {
  return group.provider ?? group.workspace ?? 'total';
}
const attr = (value: number | null): string => (value === null ? 'null' : String(value));

interface ShownTrend {
  cells: { period: string; series: string; value: string; gap: boolean; text: string }[];
  dots: { series: string; period: string; value: string }[];
  runs: { series: string; periods: string[] }[];
  bands: string[];
  compare: { series: string; previous: string; current: string; change: string; text: string }[];
  current: string | null;
  previous: string | null;
}

async function shownTrend(): Promise<ShownTrend> {
  return page.evaluate<ShownTrend>(`(() => {
    const trend = document.getElementById('trend');
    return {
      cells: [...document.querySelectorAll('#trend-table tbody td')].map((td) => ({
        period: td.closest('tr').getAttribute('data-period'), series: td.getAttribute('data-series'),
        value: td.getAttribute('data-value'), gap: td.getAttribute('data-gap') === 'true', text: td.textContent,
      })),
      dots: [...document.querySelectorAll('#trend-chart g[data-series] circle')].map((c) => ({
        series: c.closest('g').getAttribute('data-series'), period: c.getAttribute('data-period'), value: c.getAttribute('data-value'),
      })),
      runs: [...document.querySelectorAll('#trend-chart g[data-series] path')].map((p) => ({
        series: p.closest('g').getAttribute('data-series'), periods: p.getAttribute('data-periods').split(','),
      })),
      bands: [...document.querySelectorAll('#trend-chart rect[data-gap-period]')].map((r) => r.getAttribute('data-gap-period')),
      compare: [...document.querySelectorAll('#trend-compare tbody tr')].map((tr) => ({
        series: tr.getAttribute('data-series'),
        previous: tr.querySelector('[data-role=previous]').getAttribute('data-value'),
        current: tr.querySelector('[data-role=current]').getAttribute('data-value'),
        change: tr.querySelector('[data-role=change]').getAttribute('data-value'),
        text: tr.querySelector('[data-role=change]').textContent,
      })),
      current: trend.getAttribute('data-current-period'),
      previous: trend.getAttribute('data-previous-period'),
    };
  })()`);
}

/**
 * Waits for the page to show `view`, then holds every number on screen to the history endpoint's
 * answer for the same query. Returns both answers and what the page showed.
 */
async function expectTrendMatchesApi(view: TrendView): Promise<{ lines: HistoryResponse; total: HistoryResponse; shown: ShownTrend }> {
  const query = queryOf(view, view.group);
  await page.waitForSelector(`#trend[data-loaded-query="${query}"]:not([aria-busy])`, { timeout: STEP_MS });
  const [lines, total] = await Promise.all([history(query), history(queryOf(view, 'total'))]);
  const shown = await shownTrend();
  const periods = lines.periods.map((p) => p.period);
  const series = [...lines.data.map((s) => ({ id: seriesId(s.group), points: s.points })), { id: 'total', points: total.data[0]?.points ?? [] }];
  expect(series.length).toBeGreaterThan(2);

  // The table behind the chart: one cell per period and series, the API's value or a gap.
  const expectedCells = periods.flatMap((period, i) =>
    series.map((s) => ({ period, series: s.id, value: attr(valueOf(s.points[i], view)), gap: !s.points[i] || s.points[i]?.metrics === null })),
  );
  expect(shown.cells.map(({ period, series: id, value, gap }) => ({ period, series: id, value, gap }))).toEqual(expectedCells);
  for (const cell of shown.cells) if (cell.gap) expect(cell.text).toBe('—no data');

  // The chart: a point for every value and none elsewhere; each line a run of consecutive periods with values.
  const lineSeries = series.filter((s) => s.id !== 'total');
  const expectedDots = lineSeries.flatMap((s) => s.points.flatMap((p, i) => (valueOf(p, view) === null ? [] : [{ series: s.id, period: periods[i] as string, value: attr(valueOf(p, view)) }])));
  expect(shown.dots).toEqual(expectedDots);
  for (const run of shown.runs) {
    const first = periods.indexOf(run.periods[0] as string);
    expect(run.periods).toEqual(periods.slice(first, first + run.periods.length));
  }
  for (const s of lineSeries) {
    const inRuns = shown.runs.filter((r) => r.series === s.id).flatMap((r) => r.periods);
    expect(inRuns).toEqual(expectedDots.filter((d) => d.series === s.id).map((d) => d.period));
  }
  // A shaded band exactly where no line has a value.
  expect(shown.bands).toEqual(periods.filter((_, i) => lineSeries.every((s) => valueOf(s.points[i], view) === null)));

  // The comparison: the last period that has ended against the one before it, per series and in total.
  const serverToday = lines.meta.generatedAt.slice(0, 10);
  const current = lines.periods.map((p) => p.end < serverToday).lastIndexOf(true);
  expect(current).toBeGreaterThan(0);
  expect(shown.current).toBe(periods[current]);
  expect(shown.previous).toBe(periods[current - 1]);
  expect(shown.compare).toEqual(
    series.map((s) => {
      const before = valueOf(s.points[current - 1], view);
      const after = valueOf(s.points[current], view);
      return { series: s.id, previous: attr(before), current: attr(after), change: attr(before === null || after === null || before === 0 ? null : (after - before) / before), text: expect.any(String) };
    }),
  );
  return { lines, total, shown };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'outreach-gateway-trend-'));
  // No back-fill: this test writes a history of its own, with gaps where it wants them.
  demo = await startDemo({ port: 0, env: { OUTREACH_GATEWAY_DEMO_KEY: DEMO_KEY, OUTREACH_GATEWAY_DATA: dataDir }, out: () => {}, backfillDays: 0 });
  const store = demo.service.store;
  await until('the history store', () => store?.up === true);
  if (!store) throw new Error('the demo runs without a history store');

  // One real walk of every connection: it records today's snapshot, and its records are the base of the past days.
  const connections = demo.config.workspaces.flatMap((w) => w.connections.map((c) => ({ id: c.id, workspace: w.id, provider: c.provider })));
  const { status, body } = await get('/v1/campaigns/analytics?workspace_id=ALL');
  expect(status).toBe(200);
  walk = AnalyticsResponseSchema.parse(body).data as CampaignAnalytics[];
  await until("the walk's snapshots", () => store.counters.walksRecorded >= connections.length);
  today = dayOf(Date.now());
  missingWeek = mondayOf(daysBack(28));

  for (let k = 1; k <= DAYS_BACK; k += 1) {
    const fetchedAt = Date.parse(`${daysBack(k)}T18:00:00Z`);
    for (const connection of connections) {
      if (!hasSnapshot(connection.id, k)) continue;
      const records = walk
        .filter((c) => c.connection === connection.id)
        .map((c): CampaignAnalytics => {
          const metrics = { ...c.metrics };
          for (const name of METRIC_NAMES) metrics[name] = valueAt(c.metrics[name], k);
          return { ...c, metrics, daily: null };
        });
      await store.record({ connection: connection.id, workspace: connection.workspace, provider: connection.provider, records, fetchedAt, demo: true });
    }
  }
  expect(store.counters.writeFailures).toBe(0);

  profile = await mkdtemp(path.join(os.tmpdir(), 'outreach-gateway-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
    timezoneId: 'UTC',
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
}, 240_000); // the demo, a written history of its own and a browser

afterAll(async () => {
  await context?.close();
  await demo?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test("the trend view shows the history endpoint's numbers, gaps as gaps, and this period against the previous one", async () => {
  await page.goto(`${demo.url}/`);
  await page.getByLabel('Client key', { exact: true }).fill(DEMO_KEY);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.waitForSelector('#main[data-loaded-workspace="acme"]:not([aria-busy])', { timeout: STEP_MS });

  // 1. The default view: sent per week, one line per provider, for the first workspace.
  const sent: TrendView = { workspace: 'acme', interval: 'week', group: 'provider', metric: { key: 'sent', kind: 'count' } };
  const weekly = await expectTrendMatchesApi(sent);
  // The week nobody has a snapshot in is a gap, and so is the week after it (nothing to grow from).
  const weeks = weekly.lines.periods.map((p) => p.period);
  const gapWeek = weeks.indexOf(missingWeek);
  expect(gapWeek).toBeGreaterThan(0);
  expect(weekly.shown.bands).toEqual(expect.arrayContaining([missingWeek, weeks[gapWeek + 1]]));
  expect(weekly.shown.dots.some((d) => d.period === missingWeek || d.period === weeks[gapWeek + 1])).toBe(false);
  expect(weekly.shown.runs.some((r) => r.periods.includes(missingWeek))).toBe(false);
  // The comparison's numbers are the growth the test wrote, per provider and in total.
  const current = weekly.lines.periods.find((p) => p.period === weekly.shown.current);
  const previous = weekly.lines.periods.find((p) => p.period === weekly.shown.previous);
  const beforePrevious = weekly.lines.periods[weeks.indexOf(previous?.period ?? '') - 1];
  if (!current || !previous || !beforePrevious) throw new Error('no complete weeks to compare');
  const acme = walk.filter((c) => c.workspace === 'acme');
  for (const row of weekly.shown.compare) {
    const campaigns = row.series === 'total' ? acme : acme.filter((c) => c.provider === row.series);
    expect([row.series, Number(row.current)]).toEqual([row.series, knownGrowth(campaigns, 'sent', [current.period, current.end], [previous.period, previous.end])]);
    expect([row.series, Number(row.previous)]).toEqual([row.series, knownGrowth(campaigns, 'sent', [previous.period, previous.end], [beforePrevious.period, beforePrevious.end])]);
  }
  const total = weekly.shown.compare.find((r) => r.series === 'total');
  expect(Number(total?.current)).toBeGreaterThan(0);
  const change = (Number(total?.current) - Number(total?.previous)) / Number(total?.previous);
  expect(total?.text).toBe(`${change >= 0.0005 ? '▲ ' : change <= -0.0005 ? '▼ ' : ''}${new Intl.NumberFormat('en-US', { style: 'percent', signDisplay: 'exceptZero', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(change)}`);

  // 2. All workspaces, one line per workspace: chosen with the keyboard-reachable controls.
  await page.getByLabel('Workspace', { exact: true }).selectOption('ALL');
  await page.waitForSelector('#main[data-loaded-workspace="ALL"]:not([aria-busy])', { timeout: STEP_MS });
  await page.getByLabel('workspace', { exact: true }).check();
  const byWorkspace = await expectTrendMatchesApi({ ...sent, workspace: 'ALL', group: 'workspace' });
  expect(byWorkspace.lines.data.map((s) => s.group.workspace)).toEqual(['acme', 'globex']);

  // 3. A rate per day, one line per provider: Seleqt's two missing days are a three-day gap in its line only.
  await page.getByLabel('provider', { exact: true }).focus();
  await page.keyboard.press('Space');
  await page.getByLabel('day', { exact: true }).check();
  await page.getByLabel('Metric', { exact: true }).selectOption('replyRate');
  const daily = await expectTrendMatchesApi({ workspace: 'ALL', interval: 'day', group: 'provider', metric: { key: 'replyRate', kind: 'rate', of: ['replied', 'contacted'] } });
  const seleqtGap = [4, 3, 2].map(daysBack);
  const cellsOf = (series: string) => daily.shown.cells.filter((c) => c.series === series);
  expect(cellsOf('seleqt').filter((c) => seleqtGap.includes(c.period)).map((c) => [c.period, c.gap, c.text])).toEqual(seleqtGap.map((day) => [day, true, '—no data']));
  expect(daily.shown.runs.filter((r) => r.series === 'seleqt').some((r) => r.periods.some((p) => seleqtGap.includes(p)))).toBe(false);
  expect(daily.shown.runs.filter((r) => r.series === 'seleqt').length).toBeGreaterThan(1); // the line breaks, it is not drawn through
  expect(cellsOf('instantly').filter((c) => seleqtGap.includes(c.period)).every((c) => !c.gap && c.value !== 'null')).toBe(true);
  expect(daily.shown.bands).not.toEqual(expect.arrayContaining([seleqtGap[0]]));
  // Yesterday against the day before: Seleqt has nothing to compare (the day before is a gap), the others do.
  expect(daily.shown.current).toBe(daysBack(1));
  const seleqtRow = daily.shown.compare.find((r) => r.series === 'seleqt');
  expect(seleqtRow).toMatchObject({ previous: 'null', change: 'null', text: '—no data to compare' });
  const instantly = daily.shown.compare.find((r) => r.series === 'instantly');
  expect(instantly?.change).not.toBe('null');
  expect(instantly?.text).toMatch(/%\s\([-+−]?\d+\.\d pp\)$/); // a rate's change also in percentage points

  // The chart has a text alternative, and the page stayed free of script errors and CSP violations.
  expect(await page.getAttribute('#trend-chart svg', 'role')).toBe('img');
  expect(await page.textContent('#trend-title')).toMatch(/^Reply rate per day, .*Seleqt: \d+ of \d+ periods with data/);
  await mkdir(ARTIFACTS, { recursive: true });
  await page.getByLabel('week', { exact: true }).check();
  await page.waitForSelector('#trend[data-loaded-query*="interval=week"]:not([aria-busy])', { timeout: STEP_MS });
  await page.locator('#trend').scrollIntoViewIfNeeded();
  await page.locator('#trend').screenshot({ path: path.join(ARTIFACTS, 'dashboard-trend.png') });
  await page.getByLabel('day', { exact: true }).check();
  await page.waitForSelector('#trend[data-loaded-query*="interval=day"]:not([aria-busy])', { timeout: STEP_MS });
  await page.locator('#trend').screenshot({ path: path.join(ARTIFACTS, 'dashboard-trend-day.png') });
  expect(browserErrors).toEqual([]);
});

test('every answer the page got from the gateway matches /openapi.json', async () => {
  expect(await contract.problems()).toEqual([]);
});
