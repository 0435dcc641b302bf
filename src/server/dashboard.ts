/**
 * The dashboard: the page at `GET /` and its assets under `/dashboard/`, plain files from
 * `web/` (no build step, no CDN, no chart library: the charts are inline SVG drawn by `web/app.js`).
 *
 * The page and its assets are public; the data comes from the `/v1` routes, which the page calls
 * with the client key the user typed (kept in the tab's sessionStorage). The files are read once at
 * start-up into memory and served from a fixed list, so no request path ever reaches the file
 * system. `web/` is resolved from the project root, which is two levels above both `src/server`
 * (ts-jest, ts-node) and `dist/server` (`npm start`).
 *
 * The page gets its own Content-Security-Policy, stricter than helmet's default and without
 * `upgrade-insecure-requests` (that directive would make a browser fetch the assets over https from
 * a gateway served on plain http inside a private network, and the page would load without them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { contextOf } from './context';

export const WEB_ROOT = path.join(__dirname, '..', '..', 'web');

/** Scripts, styles, images and API calls from this origin only; no inline code, no framing, no form posts. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  // The key form is handled by script; if script fails, the browser must not submit it anywhere.
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  route: string;
  file: string;
  type: string;
}

export const DASHBOARD_ASSETS: readonly Asset[] = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/dashboard/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { route: '/dashboard/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
  { route: '/dashboard/favicon.svg', file: 'favicon.svg', type: 'image/svg+xml' },
];

/** The dashboard routes; throws at start-up when a file is missing, rather than serving a broken page. */
export function createDashboard(webRoot: string = WEB_ROOT): Router {
  const router = Router();
  for (const asset of DASHBOARD_ASSETS) {
    const body = readFileSync(path.join(webRoot, asset.file));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    router.get(asset.route, (req, res) => {
      contextOf(res).route = asset.route;
      res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      // Revalidate every time (a 304 costs nothing), so a new release is never hidden behind a stale copy.
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', etag);
      if (req.get('if-none-match') === etag) {
        res.status(304).end();
        return;
      }
      res.type(asset.type).send(body);
    });
  }
  return router;
}
