/**
 * End-to-end CORS in headless Debian Chromium (playwright-core, launched as the dashboard test
 * does): a gateway on one loopback origin with `server.cors.origins` listing one page origin, and a
 * tiny page served from two other loopback origins (other ports). The page's script fetches the
 * analytics with an X-API-Key header, so the browser sends a preflight first. From the allowed
 * origin the page reads the JSON, the exposed headers and a 401's problem body; from the other
 * origin the browser refuses (fetch rejects with a TypeError) after the gateway's 405 preflight.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const CHROMIUM = '/usr/bin/chromium';
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
const STEP_MS = 20_000;

jest.setTimeout(60_000);

/** The page a browser tool would be: a script that reads the gateway with a key in a header. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>BI tool</title></head>
<body><p id="out">idle</p>
<script>
window.readGateway = async function (url, key) {
  try {
    const headers = key ? { 'X-API-Key': key } : {};
    const response = await fetch(url, { headers, mode: 'cors', credentials: 'omit', cache: 'no-store' });
    const text = await response.text();
    return {
      ok: true,
      status: response.status,
      contentType: response.headers.get('content-type'),
      etag: response.headers.get('etag'),
      requestId: response.headers.get('x-request-id'),
      rateLimit: response.headers.get('ratelimit'),
      complete: response.headers.get('x-gateway-complete'),
      body: text,
    };
  } catch (error) {
    return { ok: false, name: error && error.name, message: String(error && error.message) };
  }
};
document.getElementById('out').textContent = 'ready';
</script></body></html>`;

type Outcome =
  | { ok: true; status: number; contentType: string | null; etag: string | null; requestId: string | null; rateLimit: string | null; complete: string | null; body: string }
  | { ok: false; name: string; message: string };

async function servePage(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let stack: Stack;
let allowedPage: { server: Server; origin: string };
let otherPage: { server: Server; origin: string };
let profile: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  allowedPage = await servePage();
  otherPage = await servePage();
  stack = await startStack({ server: { cors: { origins: [allowedPage.origin] } } });
  profile = await mkdtemp(path.join(os.tmpdir(), 'outreach-gateway-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: STEP_MS });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_MS);
});

afterAll(async () => {
  await context?.close();
  await stack?.close();
  await Promise.all([allowedPage, otherPage].filter(Boolean).map(({ server }) => new Promise((resolve) => server.close(resolve))));
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function readFrom(origin: string, url: string, key: string | undefined): Promise<Outcome> {
  await page.goto(`${origin}/`);
  await page.locator('#out', { hasText: 'ready' }).waitFor();
  return page.evaluate(([target, clientKey]) => (globalThis as unknown as { readGateway: (u: string, k?: string) => Promise<Outcome> }).readGateway(target, clientKey), [url, key] as const);
}

/** The request log lines the gateway wrote for a method, from the given offset in the log. */
function logged(from: number, method: string): { status: number; route: string }[] {
  return stack.logs
    .slice(from)
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { message?: string; method?: string; status: number; route: string })
    .filter((line) => line.message === 'request' && line.method === method);
}

test('the gateway and the pages are on different origins', () => {
  expect(new URL(stack.url).origin).not.toBe(allowedPage.origin);
  expect(new URL(stack.url).origin).not.toBe(otherPage.origin);
  expect(allowedPage.origin).not.toBe(otherPage.origin);
});

test('a page on an allowed origin reads the JSON answer and its exposed headers after a preflight', async () => {
  const mark = stack.logs.length;
  const outcome = await readFrom(allowedPage.origin, `${stack.url}/v1/campaigns/analytics?workspace_id=ALL`, CLIENT_KEY);
  if (!outcome.ok) throw new Error(`fetch failed in the browser: ${outcome.name}: ${outcome.message}`);
  expect(outcome.status).toBe(200);
  expect(outcome.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(outcome.body) as { data: { key: string }[]; meta: { requestId: string; complete: boolean } };
  expect(body.data.length).toBeGreaterThan(0);
  expect(body.meta.complete).toBe(true);
  // exposed headers are readable from the page; the request id is the one in the body
  expect(outcome.requestId).toBe(body.meta.requestId);
  expect(outcome.etag).toMatch(/^"/);
  expect(outcome.rateLimit).toMatch(/^"per-key";r=\d+;t=\d+$/);
  expect(outcome.complete).toBe('true');
  // the browser asked first: one preflight (204), then the GET
  expect(logged(mark, 'OPTIONS').map((line) => line.status)).toEqual([204]);
  expect(logged(mark, 'GET').map((line) => line.status)).toEqual([200]);
});

test('a page on an allowed origin reads a 401 problem body', async () => {
  const outcome = await readFrom(allowedPage.origin, `${stack.url}/v1/connections`, 'not-a-valid-key-0000');
  if (!outcome.ok) throw new Error(`fetch failed in the browser: ${outcome.name}: ${outcome.message}`);
  expect(outcome.status).toBe(401);
  expect(outcome.contentType).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(outcome.body)).toMatchObject({ status: 401, code: 'unauthorized' });
});

test('a page on another origin is refused: fetch rejects with a TypeError after a 405 preflight', async () => {
  const mark = stack.logs.length;
  const outcome = await readFrom(otherPage.origin, `${stack.url}/v1/campaigns/analytics?workspace_id=ALL`, CLIENT_KEY);
  expect(outcome).toMatchObject({ ok: false, name: 'TypeError' });
  expect(logged(mark, 'OPTIONS').map((line) => line.status)).toEqual([405]);
  // the browser never sent the GET
  expect(logged(mark, 'GET')).toEqual([]);
});

test('a page on another origin cannot read even a simple request (no preflight): the answer has no Allow-Origin', async () => {
  const mark = stack.logs.length;
  const outcome = await readFrom(otherPage.origin, `${stack.url}/v1/connections`, undefined);
  expect(outcome).toMatchObject({ ok: false, name: 'TypeError' });
  // the request reached the gateway (a simple GET is sent), but the browser kept the answer from the page
  expect(logged(mark, 'GET').map((line) => line.status)).toEqual([401]);
});
