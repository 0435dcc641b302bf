/**
 * CORS for the API routes: which browser pages on other origins may read the answers, and what
 * their preflights are told. One rule, applied to every request on an API route when
 * `server.cors.origins` lists at least one origin (nothing changes when it lists none):
 *
 * - every answer on the route names `Origin` in `Vary` (the answer differs by origin);
 * - a request whose `Origin` is listed gets `Access-Control-Allow-Origin: <that origin>` (never `*`)
 *   and `Access-Control-Expose-Headers` on whatever it is answered, errors included, so a browser
 *   tool can read a 401, 403 or 429 and its rate-limit headers;
 * - a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from a listed origin is
 *   answered 204 with the methods and request headers the API accepts. The browser itself refuses
 *   a request that asks for more. Any other `OPTIONS` (a disallowed origin, or no preflight
 *   headers) goes on to the read-only check and gets 405 as before: a disallowed origin learns
 *   nothing it would not from any other method;
 * - never `Access-Control-Allow-Credentials`: keys travel in X-API-Key or Authorization, which the
 *   page sets itself; cookies are never read.
 *
 * A request from a disallowed origin is still answered (without the CORS headers): CORS only tells
 * browsers which pages may read an answer; the key is what authorizes a caller.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { contextOf } from './context';

/** The methods the API answers (everything else is 405). */
export const CORS_ALLOWED_METHODS = ['GET', 'HEAD'] as const;
/** The request headers the API reads. */
export const CORS_ALLOWED_HEADERS = ['X-API-Key', 'Authorization', 'X-Request-Id', 'If-None-Match', 'Cache-Control', 'Accept'] as const;
/** The answer headers a page may read besides the CORS-safelisted ones (Content-Type, Cache-Control, ...). */
export const CORS_EXPOSED_HEADERS = [
  'ETag',
  'X-Request-Id',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'X-Gateway-Complete',
  'X-Gateway-Sources',
  'X-Gateway-Next-Cursor',
  'Link',
] as const;
/** How long a browser may reuse a preflight answer (Chromium caps it at 2 hours). */
export const CORS_MAX_AGE_SECONDS = 600;

const ALLOW_METHODS = CORS_ALLOWED_METHODS.join(', ');
const ALLOW_HEADERS = CORS_ALLOWED_HEADERS.join(', ');
const EXPOSE_HEADERS = CORS_EXPOSED_HEADERS.join(', ');

/**
 * The CORS handler for one API route (mounted with `app.all(route, ...)` before the read-only check,
 * so it matches paths exactly as the route does), or undefined when no origin is allowed.
 */
export function corsHandler(origins: readonly string[] | undefined, route: string): RequestHandler | undefined {
  if (!origins || origins.length === 0) return undefined;
  const allowed: ReadonlySet<string> = new Set(origins);
  return (req: Request, res: Response, next: NextFunction): void => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === undefined || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      contextOf(res).route = route;
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    next();
  };
}
