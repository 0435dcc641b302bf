/**
 * Requests generated from `/openapi.json` against the demo stack (the four simulators on loopback):
 * every query parameter's value comes from the schema the document states for it (fast-check
 * arbitraries built from the JSON Schema: enums, patterns, `format: date`, minimum/maximum, item
 * counts), lists serialized as the document's `style: form, explode: false` says. Each request is
 * then classed valid or invalid by the rules the document states in prose (dates go together and
 * within 366 days, group_by only with JSON, fields=raw with include=raw, a workspace the key is
 * linked to, ids its vendor can have). At least 90 % of the valid ones must get 200, none a 5xx;
 * every invalid one a 400 or 403; and every status must be one the document declares for the
 * route. `cursor` is left aside (only the server makes one).
 */
import fc from 'fast-check';
import { createProviders } from '../../src/providers/registry';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { checkContract } from '../helpers/contract';
import { arbitraryFor, isRecord, queryParameters, serialize, type Json, type OpenApiDocument } from '../helpers/openapi-arbitrary';
import { CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';
const RUNS = 240;
const PARALLEL = 6;
const DAY_MS = 86_400_000;

const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

interface Caller {
  workspaces: Set<string>;
  /** The caller's connections and their providers. */
  connections: Map<string, ProviderId>;
  /** Real campaign keys, for ids that match something. */
  keys: string[];
}

/** Why the document calls a generated query invalid (undefined: valid). */
function invalidBecause(query: Map<string, string>, caller: Caller, accept: string | undefined): string | undefined {
  const providers = createProviders();
  const start = query.get('start_date');
  const end = query.get('end_date');
  if ((start === undefined) !== (end === undefined)) return 'dates go together';
  if (start !== undefined && end !== undefined) {
    const days = (Date.parse(end) - Date.parse(start)) / DAY_MS + 1;
    if (days < 1) return 'start after end';
    if (days > 366) return 'range over 366 days';
  }
  const format = query.get('format') ?? (accept === 'text/csv' ? 'csv' : undefined);
  if (query.has('group_by') && (format === 'csv' || format === 'ndjson')) return 'group_by with a row format';
  if ((query.get('fields') ?? '').split(',').includes('raw') && !(query.get('include') ?? '').split(',').includes('raw')) return 'fields=raw without include=raw';
  const workspace = query.get('workspace_id');
  if (workspace !== undefined && workspace !== 'ALL' && !caller.workspaces.has(workspace)) return 'a workspace the key is not linked to';
  for (const key of (query.get('ids') ?? '').split(',').filter((k) => k !== '')) {
    const at = key.indexOf(':');
    const provider = caller.connections.get(key.slice(0, at));
    if (provider !== undefined && !providers[provider].isCampaignId(key.slice(at + 1))) return 'an id its vendor cannot have';
  }
  return undefined;
}

describe('requests generated from /openapi.json', () => {
  let stack: Stack;
  let document: OpenApiDocument;
  let caller: Caller;

  beforeAll(async () => {
    stack = await startStack({
      // Two campaigns per account keep each upstream walk to a few calls.
      campaigns: 2,
      // No inbound limit in the way, no outbound wait, and a deadline a loaded machine meets.
      requestsPerMinute: 100_000,
      server: { deadlineMs: 20_000 },
      providerSettings: Object.fromEntries(PROVIDER_IDS.map((p) => [p, { requestsPerSecond: 1000, burst: 1000, timeoutMs: 10_000 }])),
    });
    document = (await stack.get('/openapi.json')).body as OpenApiDocument;
    const connections = ((await stack.get('/v1/connections')).body as { data: { id: string; workspace: string; provider: ProviderId }[] }).data;
    const all = (await stack.get(`${ANALYTICS}?workspace_id=ALL`)).body as { data: { key: string }[] };
    caller = {
      workspaces: new Set(connections.map((c) => c.workspace)),
      connections: new Map(connections.map((c) => [c.id, c.provider])),
      keys: all.data.map((c) => c.key),
    };
  });
  afterAll(async () => {
    await stack.close();
  });

  // A few seconds on an idle machine; the bound leaves room for a loaded CI host.
  test('at least 90 % of the valid ones get 200, none a 5xx; the invalid ones a 400 or 403; every status declared', async () => {
    const operation = document.paths[ANALYTICS]?.get;
    if (!operation) throw new Error('the document has no GET /v1/campaigns/analytics');
    const declared = new Set(Object.keys(operation.responses));
    const parameters = [...queryParameters(document, ANALYTICS).values()].filter((p) => p.name !== 'cursor');
    expect(parameters.map((p) => p.name).sort()).toEqual(
      ['workspace_id', 'providers', 'ids', 'status', 'start_date', 'end_date', 'include', 'refresh', 'require', 'format', 'limit', 'sort', 'fields', 'group_by'].sort(),
    );
    const byName = new Map(parameters.map((p) => [p.name, p]));
    const schemaOf = (name: string): Json => {
      const schema = byName.get(name)?.schema;
      if (!schema) throw new Error(`no parameter ${name}`);
      return schema;
    };

    // Values from the document's schemas; for the caller-specific ones (which workspaces and
    // connections this key has) the caller's own values are mixed in, or nearly every request
    // would name a workspace or connection that is not the caller's.
    const valueOf: Record<string, fc.Arbitrary<unknown>> = {};
    for (const parameter of parameters) valueOf[parameter.name] = arbitraryFor(parameter.schema);
    valueOf.workspace_id = fc.oneof(fc.constantFrom('ALL', ...caller.workspaces), arbitraryFor(schemaOf('workspace_id')));
    const idItems = schemaOf('ids').items;
    if (!isRecord(idItems)) throw new Error('ids has no item schema');
    const vendorIdPattern = typeof idItems.pattern === 'string' ? `^${idItems.pattern.slice(idItems.pattern.indexOf(':') + 1)}` : '^x$';
    const callerKey = fc.tuple(fc.constantFrom(...caller.connections.keys()), fc.stringMatching(new RegExp(vendorIdPattern))).map(([c, v]) => `${c}:${v}`);
    valueOf.ids = fc.array(fc.oneof(arbitraryFor(idItems), fc.constantFrom(...caller.keys), callerKey), { minLength: 1, maxLength: 4 });
    // The two dates: each from its schema, or a pair inside the documented range (else nearly
    // every request with dates would break the 366-day rule).
    const date = arbitraryFor(schemaOf('start_date')).map(String);
    const dates = fc.oneof(
      { arbitrary: fc.constant({}), weight: 10 },
      { arbitrary: fc.record({ start_date: date, end_date: date }, { requiredKeys: [] }), weight: 2 },
      { arbitrary: fc.tuple(date, fc.integer({ min: 0, max: 365 })).map(([start, days]) => ({ start_date: start, end_date: addDays(start, days) })), weight: 4 },
    );
    // Each parameter in about one request of four: a handful per request, as a caller writes them.
    const sometimes = (arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary, weight: 1 });
    const others = Object.fromEntries(Object.entries(valueOf).filter(([name]) => name !== 'start_date' && name !== 'end_date').map(([name, arbitrary]) => [name, sometimes(arbitrary)]));
    const requests = fc.sample(fc.record({ values: fc.record(others), dates, accept: fc.constantFrom(undefined, undefined, undefined, 'text/csv') }), {
      numRuns: RUNS,
      seed: 20261206,
    });

    const counts = { valid: 0, valid200: 0, valid5xx: 0, invalid: 0, invalid4xx: 0 };
    const byStatus: Record<string, number> = {};
    const reasons: Record<string, number> = {};
    const problems: string[] = [];
    const one = async ({ values, dates: range, accept }: (typeof requests)[number]): Promise<void> => {
      const query = new Map<string, string>();
      for (const [name, value] of Object.entries({ ...values, ...range })) {
        const parameter = byName.get(name);
        if (parameter && value !== undefined) query.set(name, serialize(parameter, value));
      }
      const search = [...query].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
      const headers: Record<string, string> = { 'X-API-Key': CLIENT_KEY, ...(accept ? { Accept: accept } : {}) };
      const res = await stack.get(`${ANALYTICS}${search ? `?${search}` : ''}`, headers);
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (!declared.has(String(res.status))) problems.push(`undeclared ${res.status} for ?${search}`);
      const why = invalidBecause(query, caller, accept);
      if (why === undefined) {
        counts.valid += 1;
        if (res.status === 200) counts.valid200 += 1;
        else if (res.status >= 500) {
          counts.valid5xx += 1;
          problems.push(`${res.status} for the valid ?${search}: ${res.text.slice(0, 300)}`);
        } else problems.push(`${res.status} for the valid ?${search}: ${res.text.slice(0, 300)}`);
      } else {
        counts.invalid += 1;
        reasons[why] = (reasons[why] ?? 0) + 1;
        if (res.status === 400 || res.status === 403) counts.invalid4xx += 1;
        else problems.push(`${res.status} for ?${search}, invalid (${why})`);
      }
    };
    const started = Date.now();
    for (let i = 0; i < requests.length; i += PARALLEL) await Promise.all(requests.slice(i, i + PARALLEL).map(one));
    const seconds = (Date.now() - started) / 1000;

    console.log(
      `generated from /openapi.json: ${requests.length} requests in ${seconds.toFixed(1)} s; ` +
        `valid ${counts.valid} (200: ${counts.valid200}, ${((100 * counts.valid200) / Math.max(1, counts.valid)).toFixed(1)} %; 5xx: ${counts.valid5xx}); ` +
        `invalid ${counts.invalid} (400/403: ${counts.invalid4xx}; ${JSON.stringify(reasons)}); statuses ${JSON.stringify(byStatus)}` +
        (problems.length > 0 ? `\n${problems.slice(0, 10).join('\n')}` : ''),
    );
    expect(counts.valid).toBeGreaterThanOrEqual(RUNS / 3);
    expect(counts.invalid).toBeGreaterThan(0);
    expect(counts.valid200 / counts.valid).toBeGreaterThanOrEqual(0.9);
    expect(counts.valid5xx).toBe(0);
    expect(counts.invalid4xx).toBe(counts.invalid);
    expect(problems.filter((p) => p.startsWith('undeclared'))).toEqual([]);
  }, 120_000);

  test('every route answers only statuses the document declares for it: each path, each refused method, an unknown path', async () => {
    const seen: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const res = await send(stack.url, method.toUpperCase(), path);
        seen.push(`${method.toUpperCase()} ${path} ${res.status}`);
        expect(`${method} ${path}: ${res.status} ${Object.keys(operation.responses).includes(String(res.status)) ? 'declared' : 'undeclared'}`).toBe(`${method} ${path}: ${res.status} declared`);
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    }
    const unknown = await send(stack.url, 'GET', '/v1/campaign/analytics');
    expect(unknown.status).toBe(404);
    expect(document.components.responses.NotFound).toBeDefined();
    expect(seen.filter((line) => line.endsWith(' 405')).length).toBeGreaterThan(0);

    // The statuses of the API routes beyond 200: 401 without a key, 429 over the limit, 304 for a known ETag.
    expect((await send(stack.url, 'GET', '/v1/connections', {})).status).toBe(401);
    const first = await stack.get(ANALYTICS);
    const etag = first.headers.get('etag') ?? '';
    const notModified = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, 'If-None-Match': etag });
    expect(notModified.status).toBe(304);
    for (const header of ['etag', 'ratelimit', 'ratelimit-policy', 'x-request-id']) expect(notModified.headers.get(header)).toBeTruthy();
    const declared = (path: string): string[] => Object.keys(document.paths[path]?.get?.responses ?? {});
    expect(declared('/v1/connections')).toEqual(expect.arrayContaining(['200', '401', '429']));
    expect(declared(ANALYTICS)).toEqual(expect.arrayContaining(['200', '304', '400', '401', '403', '429', '502']));
  });
});

/** One request of any method (node's fetch cannot send TRACE). */
async function send(base: string, method: string, path: string, headers: Record<string, string> = { 'X-API-Key': CLIENT_KEY }): Promise<{ status: number; headers: Headers }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') out.set(name, value);
        const status = res.statusCode ?? 0;
        try {
          checkContract({ method, url: path, status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({ status, headers: out });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
