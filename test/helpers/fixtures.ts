/**
 * Fixture files: one vendor reply per file, `{request, status, headers, body}`.
 * `request` says what the client must send (method, path, query); `body` is JSON, or a string for
 * non-JSON replies (an HTML page with status 200).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';

export interface Fixture {
  description?: string;
  request: {
    method: 'GET';
    path: string;
    /** Exact query the client must send; arrays mean a repeated parameter. */
    query?: Record<string, string | string[]>;
  };
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures');

export function loadFixture(vendor: string, name: string): Fixture {
  const file = join(FIXTURES_DIR, vendor, name.endsWith('.json') ? name : `${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Fixture;
}

/**
 * Registers one nock interceptor for a fixture on `origin`. The query must match exactly (nothing
 * extra), and `reqheaders` (when given) must be present.
 */
export function mockFixture(
  origin: string,
  fixture: Fixture,
  options: { reqheaders?: Record<string, string>; badheaders?: string[]; times?: number } = {},
): nock.Scope {
  const scope = nock(origin, {
    ...(options.reqheaders ? { reqheaders: options.reqheaders } : {}),
    ...(options.badheaders ? { badheaders: options.badheaders } : {}),
  });
  const body = typeof fixture.body === 'string' ? fixture.body : JSON.stringify(fixture.body);
  const headers = { 'content-type': typeof fixture.body === 'string' ? 'text/html' : 'application/json', ...fixture.headers };
  scope
    .get(fixture.request.path)
    .query(fixture.request.query ?? {})
    .times(options.times ?? 1)
    .reply(fixture.status, body, headers);
  return scope;
}

/** Fixture-driven mock for several files in a row (pages of one walk). */
export function mockFixtures(origin: string, vendor: string, names: string[], options: Parameters<typeof mockFixture>[2] = {}): nock.Scope[] {
  return names.map((name) => mockFixture(origin, loadFixture(vendor, name), options));
}
