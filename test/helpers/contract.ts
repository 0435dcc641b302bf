/**
 * The response contract: every answer a test receives from the gateway is checked against
 * `/openapi.json` (the document the server serves, built by src/server/openapi.ts).
 *
 * For each response: the route and method must be in the document (a path it does not list is
 * checked against `components.responses.NotFound`, as the document says), the status must be
 * declared for that operation, every header the document marks required must be there, every API
 * header the gateway sends (request id, rate limit, cache validators, X-Gateway-*, CORS, encoding)
 * must be declared on that response, the media type must be one the response declares, and a JSON
 * body must validate against the declared schema with ajv (JSON Schema 2020-12, as OpenAPI 3.1).
 * The schemas are zod's output (`additionalProperties: false`, every non-optional property
 * required), so a field the document does not declare, or declares as always present but the
 * answer lacks, fails. NDJSON must be one JSON value per line; CSV a header row and rows of the
 * same width. A response with no content declared must have an empty body.
 *
 * Counts per status and media type are written to a file per worker in the directory jest's global
 * setup made (test/helpers/contract-setup.ts); the global teardown prints the total.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { VERSION } from '../../src/server/app';
import { buildOpenApi } from '../../src/server/openapi';

type Json = Record<string, unknown>;

export const CONTRACT_DIR_ENV = 'OUTREACH_CONTRACT_DIR';

/** Headers the gateway sets itself; each one sent must be declared on the response it came with. */
const API_HEADERS = new Set([
  'x-request-id',
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
  'etag',
  'cache-control',
  'x-gateway-complete',
  'x-gateway-sources',
  'x-gateway-next-cursor',
  'link',
  'www-authenticate',
  'allow',
  'vary',
  'content-disposition',
  'content-encoding',
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
]);

export interface ObservedResponse {
  method: string;
  /** The request's URL or path (only the path is used). */
  url: string;
  status: number;
  /** Response headers, any case. */
  headers: Record<string, string | string[] | undefined> | Headers;
  body: string;
}

let document: Json | undefined;
let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();
const counts: Record<string, number> = {};
/** Jest loads this module once per test file, so each load writes its own file. */
const countsFile = `${process.pid}-${randomUUID()}.json`;

function openapi(): Json {
  if (document === undefined) {
    document = buildOpenApi(VERSION);
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi.json', components: (document as { components: Json }).components }, 'openapi.json');
  }
  return document;
}

function pointer(ref: string): unknown {
  const parts = ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = openapi();
  for (const part of parts) node = (node as Json | undefined)?.[part];
  if (node === undefined) throw new Error(`contract: ${ref} is not in the document`);
  return node;
}

function deref<T>(node: T): T {
  let current: unknown = node;
  while (current !== null && typeof current === 'object' && typeof (current as Json).$ref === 'string') current = pointer((current as { $ref: string }).$ref);
  return current as T;
}

/** A validator for a schema at a location in the document (refs resolved by ajv against the components). */
function validatorAt(location: string, schema: Json): ValidateFunction {
  let validate = validators.get(location);
  if (validate === undefined) {
    openapi();
    const rewritten = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi.json#/')) as Json;
    validate = (ajv as Ajv2020).compile(rewritten);
    validators.set(location, validate);
  }
  return validate;
}

function headerMap(headers: ObservedResponse['headers']): Map<string, string> {
  const out = new Map<string, string>();
  if (headers instanceof Headers) headers.forEach((value, name) => out.set(name.toLowerCase(), value));
  else for (const [name, value] of Object.entries(headers)) if (value !== undefined) out.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
  return out;
}

interface Found {
  where: string;
  response: Json | undefined;
}

function responseFor(method: string, pathname: string, status: number): Found {
  const doc = openapi() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const item = doc.paths[pathname];
  if (item === undefined) return { where: `${method} ${pathname} (not listed: NotFound)`, response: status === 404 ? deref<Json>({ $ref: '#/components/responses/NotFound' }) : undefined };
  const operation = item[method === 'head' ? 'get' : method];
  if (operation === undefined) return { where: `${method} ${pathname}`, response: undefined };
  const declared = operation.responses[String(status)] ?? operation.responses.default;
  return { where: `${method.toUpperCase()} ${pathname} ${status}`, response: declared === undefined ? undefined : deref<Json>(declared as Json) };
}

function checkBody(where: string, mediaType: string, schema: Json | undefined, body: string, problems: string[]): void {
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      problems.push(`${where}: body is not JSON`);
      return;
    }
    if (schema === undefined) return;
    const validate = validatorAt(`${where} ${mediaType}`, schema);
    if (!validate(value)) {
      const errors = (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
      problems.push(`${where}: body does not match the declared schema: ${errors.join('; ')}`);
    }
  } else if (mediaType === 'application/x-ndjson') {
    const lines = body.split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((line, index) => {
      try {
        JSON.parse(line);
      } catch {
        problems.push(`${where}: NDJSON line ${index + 1} is not JSON`);
      }
    });
  } else if (mediaType === 'text/csv') {
    if (body.length === 0) return;
    try {
      const rows = parseCsv(body, { relax_column_count: false }) as unknown[];
      if (rows.length === 0) problems.push(`${where}: CSV without a header row`);
    } catch (error) {
      problems.push(`${where}: CSV does not parse: ${(error as Error).message}`);
    }
  }
}

function record(key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
  const dir = process.env[CONTRACT_DIR_ENV];
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, countsFile), JSON.stringify(counts));
}

/** Checks one response against the document; throws with every problem found. */
export function checkContract(observed: ObservedResponse): void {
  const method = observed.method.toLowerCase();
  const pathname = new URL(observed.url, 'http://gateway.test').pathname;
  const headers = headerMap(observed.headers);
  const found = responseFor(method, pathname, observed.status);
  const problems: string[] = [];
  if (found.response === undefined) {
    throw new Error(`contract: ${found.where}: status ${observed.status} is not declared in /openapi.json`);
  }
  const declaredHeaders = new Map<string, Json>();
  for (const [name, header] of Object.entries((found.response.headers ?? {}) as Record<string, Json>)) declaredHeaders.set(name.toLowerCase(), deref(header));
  for (const [name, header] of declaredHeaders) if (header.required === true && !headers.has(name)) problems.push(`${found.where}: required header ${name} missing`);
  for (const name of headers.keys()) if (API_HEADERS.has(name) && !declaredHeaders.has(name)) problems.push(`${found.where}: header ${name} sent but not declared`);
  const content = found.response.content as Record<string, { schema?: Json }> | undefined;
  const mediaType = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (content === undefined) {
    if (observed.body.length > 0) problems.push(`${found.where}: a body where the document declares none`);
  } else if (method !== 'head' && observed.status !== 304) {
    const media = content[mediaType];
    if (media === undefined) problems.push(`${found.where}: media type ${mediaType || '(none)'} not declared (declared: ${Object.keys(content).join(', ')})`);
    else checkBody(found.where, mediaType, media.schema === undefined ? undefined : deref(media.schema), observed.body, problems);
  }
  if (problems.length > 0) throw new Error(`contract: ${problems.join('\n')}`);
  record(`${observed.status} ${observed.status === 304 || method === 'head' ? '-' : mediaType}`);
}

/** `fetch`, with the answer checked against the contract (the body is read once and given back). */
export async function checkedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const body = await res.text();
  checkContract({ method: init.method ?? 'GET', url, status: res.status, headers: res.headers, body });
  return new Response(res.status === 304 || body === '' ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * Checks every answer a browser page gets from the gateway at `origin` (dashboard tests): the
 * checks run as answers arrive; `problems()` returns what failed, for the test to assert empty.
 */
export function watchPage(page: { on(event: 'response', listener: (response: BrowserResponse) => void): unknown }, origin: string): { problems(): Promise<string[]> } {
  const pending: Promise<string | undefined>[] = [];
  page.on('response', (response) => {
    if (!response.url().startsWith(origin)) return;
    const request = response.request();
    pending.push(
      (async () => {
        const headers = await response.allHeaders();
        // Chromium reports a revalidated cache entry (a 304 on the wire) as a 200 with the 304's
        // headers and the cached body: check what the gateway sent, the 304.
        const revalidated = response.status() === 200 && headers['content-type'] === undefined && (await request.allHeaders())['if-none-match'] !== undefined;
        const status = revalidated ? 304 : response.status();
        // Redirects and 304s have no body to read; a HEAD neither.
        const body = status === 304 || (status >= 300 && status < 400) || request.method() === 'HEAD' ? '' : await response.text().catch(() => '');
        try {
          checkContract({ method: request.method(), url: response.url(), status, headers, body });
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      })(),
    );
  });
  return {
    async problems() {
      return (await Promise.all(pending)).filter((p): p is string => p !== undefined);
    },
  };
}

/** The part of Playwright's Response the page watcher reads. */
export interface BrowserResponse {
  url(): string;
  status(): number;
  text(): Promise<string>;
  allHeaders(): Promise<Record<string, string>>;
  request(): { method(): string; allHeaders(): Promise<Record<string, string>> };
}
