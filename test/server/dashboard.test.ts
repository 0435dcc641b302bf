/**
 * The dashboard routes inside the real app: public page and assets from a fixed list, the page's own
 * CSP (no inline script, no upgrade-insecure-requests), revalidation with ETags, and nothing else of
 * the file system reachable. The browser behaviour itself is tested in test/e2e/dashboard.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { resolveConfig } from '../../src/config';
import { DASHBOARD_ASSETS, DASHBOARD_CSP, WEB_ROOT, createDashboard } from '../../src/server/dashboard';
import { createService, type GatewayService } from '../../src/service';

const KEY = 'dashboard-test-client-key-1234';

function makeService(): GatewayService {
  const config = resolveConfig({
    clients: [{ id: 'bi', keySha256: createHash('sha256').update(KEY).digest('hex'), workspaces: ['acme'] }],
    workspaces: [{ id: 'acme', connections: [{ id: 'acme-seleqt', provider: 'seleqt', apiKey: 'vendor-key-seleqt', baseUrl: 'http://127.0.0.1:9' }] }],
  });
  return createService(config, { logStream: new PassThrough() });
}

describe('dashboard routes', () => {
  const service = makeService();

  test.each(DASHBOARD_ASSETS.map((asset) => [asset.route, asset.file, asset.type] as const))('%s serves web/%s as %s, without a key', async (route, file, type) => {
    const res = await request(service.server).get(route).buffer(true).parse((response, callback) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => callback(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.compare(res.body as Buffer, await readFile(path.join(WEB_ROOT, file)))).toBe(0);
  });

  test('the page CSP allows only this origin, nothing inline, and never upgrades http asset URLs', () => {
    const directives = new Map(DASHBOARD_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('form-action')).toBe("'none'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests|https:|data:/);
  });

  test('the page loads its script and styles from files, with no inline script or style', async () => {
    const html = await readFile(path.join(WEB_ROOT, 'index.html'), 'utf8');
    expect(html).toContain('<script src="dashboard/app.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="dashboard/app.css">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every <script> has a src
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i); // no inline style, no inline handlers
    // The key input has no name, so even a form submitted without script carries no key.
    expect(html).toMatch(/<input id="client-key" type="password"(?![^>]*\bname=)[^>]*>/);
  });

  test('the browser script keeps the key in sessionStorage only and renders vendor text as text', async () => {
    const script = await readFile(path.join(WEB_ROOT, 'app.js'), 'utf8');
    expect(script).toContain('sessionStorage');
    expect(script).not.toMatch(/localStorage|document\.cookie|innerHTML|outerHTML|insertAdjacentHTML|eval\(/);
  });

  test("the trend view has labelled controls and a text alternative, and asks only this gateway's API", async () => {
    const html = await readFile(path.join(WEB_ROOT, 'index.html'), 'utf8');
    expect(html).toContain('<label for="trend-metric">Metric</label>');
    // Each radio of the two toggles has its own label, inside a fieldset named by its legend.
    for (const id of ['trend-week', 'trend-day', 'trend-by-provider', 'trend-by-workspace']) {
      expect(html).toMatch(new RegExp(`<input type="radio" name="trend-[a-z]+" id="${id}"[^>]*><label for="${id}">`));
    }
    expect(html.match(/<fieldset class="toggle">\s*<legend>/g)).toHaveLength(2);
    expect(html).toMatch(/<details id="trend-numbers" class="trend-numbers" hidden>\s*<summary>/); // the chart's numbers as a table
    const script = await readFile(path.join(WEB_ROOT, 'app.js'), 'utf8');
    const calls = [...script.matchAll(/\bapi\(([^,)]+)/g)].map((m) => m[1]);
    expect(calls).toEqual(expect.arrayContaining(['`/v1/campaigns/history?${q}`']));
    for (const call of calls) if (call !== 'path') expect(call).toMatch(/^['`]\/v1\//); // same origin, API paths only
    expect(script).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg')/); // no other origin (the SVG namespace is a name, not a request)
    expect([...script.matchAll(/\bfetch\(/g)]).toHaveLength(1); // every request goes through api(), with the key header
  });

  test('an unchanged asset revalidates to 304 with its ETag; HEAD answers headers only', async () => {
    const first = await request(service.server).get('/dashboard/app.css');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const again = await request(service.server).get('/dashboard/app.css').set('If-None-Match', String(etag));
    expect(again.status).toBe(304);
    const other = await request(service.server).get('/dashboard/app.js').set('If-None-Match', String(etag));
    expect(other.status).toBe(200);
    const head = await request(service.server).head('/');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  test('nothing outside the fixed list is served', async () => {
    for (const url of ['/dashboard/', '/dashboard/index.html', '/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/web/app.js', '/index.html', '/app.js']) {
      const res = await request(service.server).get(url);
      expect([url, res.status]).toEqual([url, 404]);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  test('the API behind the page still needs the key', async () => {
    const res = await request(service.server).get('/v1/connections');
    expect(res.status).toBe(401);
    const ok = await request(service.server).get('/v1/connections').set('X-API-Key', KEY);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual([expect.objectContaining({ id: 'acme-seleqt', workspace: 'acme' })]);
  });

  test('page requests are counted under their own route label', async () => {
    await request(service.server).get('/');
    const metrics = await request(service.server).get('/metrics');
    expect(metrics.text).toMatch(/gateway_http_requests_total\{route="\/",status="200"\} \d+/);
    expect(metrics.text).toMatch(/gateway_http_requests_total\{route="\/dashboard\/app.css",status="304"\} \d+/);
  });

  test('a missing asset stops start-up instead of serving a broken page', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'dashboard-web-'));
    try {
      await writeFile(path.join(folder, 'index.html'), '<!doctype html>');
      expect(() => createDashboard(folder)).toThrow(/app\.js/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
