/**
 * Formats, paging and shaping end to end: the gateway against the four vendor simulators on
 * loopback. CSV is read back with a real CSV parser and compared with the JSON answer for the same
 * query; vendor calls are counted by the simulators.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli, type CliIo } from '../../src/cli';
import { z } from 'zod';
import { CampaignAnalyticsSchema, METRIC_NAMES, PROVIDER_IDS, RATE_NAMES } from '../../src/schema/campaign';
import { computeTotals } from '../../src/schema/rates';
import { CSV_COLUMNS } from '../../src/server/formats';
import { CLIENT_KEY, VENDOR_KEYS, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';

interface Campaign {
  key: string;
  workspace: string;
  provider: string;
  connection: string;
  id: string;
  name: string;
  status: string;
  vendorStatus: string;
  createdAt: string | null;
  metrics: Record<string, number | null>;
  rates: Record<string, number | null>;
  averageReplySeconds: number | null;
}
interface Totals {
  campaigns: number;
  metrics: Record<string, number | null>;
  rates: Record<string, number | null>;
}
interface Body {
  data: Campaign[];
  totals: Totals;
  groups?: { key: string; totals: Totals }[];
  page?: { limit: number; nextCursor: string | null };
  sources: { connection: string; status: string }[];
  meta: { complete: boolean };
}

function csvRows(text: string): Record<string, string>[] {
  return parse(text, { columns: true, record_delimiter: '\r\n' });
}

/** What a string cell must read after formula neutralisation (a plain decimal number, like Instantly's `-99` status, is left as it is). */
function textCell(value: string | null): string {
  if (value === null) return '';
  return /^[=+\-@\t\r]/.test(value) && !/^-?(\d+(\.\d+)?|\.\d+)$/.test(value) ? `'${value}` : value;
}

function fromCell(cell: string | undefined): number | null {
  return cell === undefined || cell === '' ? null : Number(cell);
}

/** A cell of one CSV row per JSON campaign, keyed by column name. */
function expectRowMatches(row: Record<string, string>, campaign: Campaign): void {
  for (const name of ['workspace', 'provider', 'connection', 'key', 'id', 'name', 'status', 'vendorStatus', 'createdAt'] as const) {
    expect(row[name]).toBe(textCell(campaign[name]));
  }
  for (const metric of METRIC_NAMES) expect(fromCell(row[metric])).toBe(campaign.metrics[metric] ?? null);
  for (const rate of RATE_NAMES) expect(fromCell(row[rate])).toBe(campaign.rates[rate] ?? null);
  expect(fromCell(row.averageReplySeconds)).toBe(campaign.averageReplySeconds);
}

describe('formats, paging and shaping against the simulators', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });

  test('CSV parses back to the same values as the JSON for the same query, from the same cache', async () => {
    const json = await stack.get(`${ANALYTICS}?workspace_id=ALL`);
    expect(json.status).toBe(200);
    const body = json.body as Body;
    expect(body.data.length).toBeGreaterThan(20);
    const calls = stack.upstreamCalls();

    const csv = await stack.get(`${ANALYTICS}?workspace_id=ALL&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers.get('content-disposition')).toContain('.csv');
    expect(csv.headers.get('x-gateway-complete')).toBe('true');
    expect(csv.headers.get('x-gateway-sources')).toBeNull();
    expect(csv.text.split('\r\n')[0]).toBe(CSV_COLUMNS.map((c) => c.name).join(','));
    expect(stack.upstreamCalls()).toBe(calls); // a cache hit: the format changes nothing upstream

    const rows = csvRows(csv.text);
    expect(rows.map((r) => r.key)).toEqual(body.data.map((c) => c.key));
    for (const [i, row] of rows.entries()) {
      const campaign = body.data[i];
      if (!campaign) throw new Error('unreachable');
      expectRowMatches(row, campaign);
    }
    // the totals a spreadsheet would compute from the CSV are the gateway's totals
    for (const metric of METRIC_NAMES) {
      const cells = rows.map((r) => fromCell(r[metric])).filter((v): v is number => v !== null);
      expect(cells.length === 0 ? null : cells.reduce((a, b) => a + b, 0)).toBe(body.totals.metrics[metric]);
    }
  });

  test('Accept negotiates CSV and NDJSON; format= wins; Vary names Accept', async () => {
    const byAccept = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, Accept: 'text/csv' });
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(byAccept.headers.get('vary')).toContain('Accept');
    const explicit = await stack.get(`${ANALYTICS}?format=json`, { 'X-API-Key': CLIENT_KEY, Accept: 'text/csv' });
    expect(explicit.headers.get('content-type')).toMatch(/^application\/json/);
    const odd = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, Accept: 'application/xml' });
    expect(odd.status).toBe(200);
    expect(odd.headers.get('content-type')).toMatch(/^application\/json/);

    const ndjson = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY, Accept: 'application/x-ndjson' });
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = ndjson.text.split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((line) => JSON.parse(line) as Campaign);
    expect(records).toEqual((explicit.body as Body).data);
  });

  test('ETags differ per format and shape; If-None-Match gives 304 for each', async () => {
    const variants = ['', '?format=csv', '?format=ndjson', '?limit=5', '?sort=-replied', '?fields=name', '?group_by=provider', '?format=csv&fields=name'];
    const etags: string[] = [];
    for (const query of variants) {
      const res = await stack.get(`${ANALYTICS}${query}`);
      expect(res.status).toBe(200);
      const etag = res.headers.get('etag') ?? '';
      etags.push(etag);
      const again = await stack.get(`${ANALYTICS}${query}`, { 'X-API-Key': CLIENT_KEY, 'If-None-Match': etag });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
    }
    expect(new Set(etags).size).toBe(variants.length);
    // format=json is the default representation: same ETag
    expect((await stack.get(`${ANALYTICS}?format=json`)).headers.get('etag')).toBe(etags[0]);
  });

  test.each(['', '&sort=-replied', '&sort=name', '&sort=createdAt', '&sort=replyRate'])(
    'paging through with limit%s returns every campaign exactly once, in a stable order',
    async (sort) => {
      const whole = (await stack.get(`${ANALYTICS}?workspace_id=ALL${sort}`)).body as Body;
      const keys: string[] = [];
      let path = `${ANALYTICS}?workspace_id=ALL${sort}&limit=7`;
      for (let pages = 0; pages < 50; pages += 1) {
        const res = await stack.get(path);
        expect(res.status).toBe(200);
        const body = res.body as Body;
        expect(body.totals).toEqual(whole.totals); // totals over the whole set, not the page
        expect(body.data.length).toBeLessThanOrEqual(7);
        keys.push(...body.data.map((c) => c.key));
        const next = body.page?.nextCursor ?? null;
        expect(res.headers.get('x-gateway-next-cursor')).toBe(next);
        if (next === null) {
          expect(res.headers.get('link')).toBeNull();
          break;
        }
        expect(body.data).toHaveLength(7);
        // follow the Link header, as a generic client would
        const link = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '');
        expect(link?.[1]).toContain(`cursor=${next}`);
        path = link?.[1] ?? '';
      }
      expect(keys).toEqual(whole.data.map((c) => c.key));
      expect(new Set(keys).size).toBe(whole.totals.campaigns);
    },
  );

  test('queries that select the same campaigns in other words each get a cursor that works for them', async () => {
    for (const query of ['limit=3', 'workspace_id=acme&limit=3', 'limit=3', 'workspace_id=acme&limit=3']) {
      const first = (await stack.get(`${ANALYTICS}?${query}`)).body as Body;
      const next = await stack.get(`${ANALYTICS}?${query}&cursor=${first.page?.nextCursor ?? ''}`);
      expect(next.status).toBe(200);
      expect((next.body as Body).data).toHaveLength(3);
    }
  });

  test('CSV pages carry the next cursor in headers', async () => {
    const first = await stack.get(`${ANALYTICS}?format=csv&limit=4`);
    expect(csvRows(first.text)).toHaveLength(4);
    const cursor = first.headers.get('x-gateway-next-cursor');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await stack.get(`${ANALYTICS}?format=csv&limit=4&cursor=${cursor ?? ''}`);
    const all = csvRows((await stack.get(`${ANALYTICS}?format=csv`)).text).map((r) => r.key);
    expect([...csvRows(first.text), ...csvRows(second.text)].map((r) => r.key)).toEqual(all.slice(0, 8));
  });

  test('bad sort, fields, cursor, limit, group_by and format are 400s naming the parameter, with no vendor call', async () => {
    const cursor = ((await stack.get(`${ANALYTICS}?limit=2`)).body as Body).page?.nextCursor ?? '';
    stack.resetCounts();
    const cases: [string, string][] = [
      ['sort=bogus', 'sort'],
      ['sort=-', 'sort'],
      ['fields=name,password', 'fields'],
      ['cursor=%%%', 'cursor'],
      [`cursor=${cursor}&providers=instantly`, 'cursor'],
      [`cursor=${cursor}&sort=name`, 'cursor'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['group_by=connection', 'group_by'],
      ['format=xlsx', 'format'],
      ['format=csv&group_by=provider', 'group_by'],
    ];
    for (const [query, parameter] of cases) {
      const res = await stack.get(`${ANALYTICS}?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((res.body as { errors: { parameter: string }[] }).errors.map((e) => e.parameter)).toEqual([parameter]);
    }
    const negotiated = await stack.get(`${ANALYTICS}?group_by=status`, { 'X-API-Key': CLIENT_KEY, Accept: 'text/csv' });
    expect(negotiated.status).toBe(400);
    expect(stack.upstreamCalls()).toBe(0);
  });

  test('group_by adds groups whose totals are the sums of their campaigns; fields trims records', async () => {
    const res = await stack.get(`${ANALYTICS}?workspace_id=ALL&group_by=provider&limit=3&fields=name,metrics`);
    const body = res.body as Body;
    expect(body.data).toHaveLength(3);
    for (const row of body.data) expect(Object.keys(row)).toEqual(['key', 'name', 'metrics']);
    const whole = z.array(CampaignAnalyticsSchema).parse(((await stack.get(`${ANALYTICS}?workspace_id=ALL`)).body as Body).data);
    expect(body.groups?.map((g) => g.key)).toEqual([...PROVIDER_IDS].sort());
    for (const group of body.groups ?? []) {
      const members = whole.filter((c) => c.provider === group.key);
      expect(group.totals.campaigns).toBe(members.length);
      expect(group.totals).toEqual(computeTotals(members));
      for (const metric of METRIC_NAMES) {
        const reported = members.map((c) => c.metrics[metric]).filter((v): v is number => v !== null);
        expect(group.totals.metrics[metric]).toBe(reported.length === 0 ? null : reported.reduce((a, b) => a + b, 0));
      }
    }
    expect(body.groups?.reduce((sum, g) => sum + g.totals.campaigns, 0)).toBe(body.totals.campaigns);
  });

  test('a failed source is reported in headers in CSV mode; require=all is 502 in CSV too', async () => {
    stack.sims.sendkit.setFaults({ down: true });
    const res = await stack.get(`${ANALYTICS}?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-complete')).toBe('false');
    expect(res.headers.get('x-gateway-sources')).toMatch(/^acme-sendkit=error:[a-z_]+$/);
    const rows = csvRows(res.text);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.provider === 'sendkit')).toBe(false);

    const strict = await stack.get(`${ANALYTICS}?format=csv&require=all`);
    expect(strict.status).toBe(502);
    expect(strict.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(strict.headers.get('x-gateway-sources')).toContain('acme-sendkit=error');

    const ndjson = await stack.get(`${ANALYTICS}?format=ndjson&workspace_id=ALL`);
    expect(ndjson.headers.get('x-gateway-sources')).toMatch(/^acme-sendkit=error:[a-z_]+, globex-sendkit=error:[a-z_]+$/);
    const json = await stack.get(ANALYTICS);
    expect(json.headers.get('x-gateway-sources')).toBe(res.headers.get('x-gateway-sources'));
  });

  test('HEAD of a CSV answer sends the headers and no body', async () => {
    const res = await fetch(`${stack.url}${ANALYTICS}?format=csv`, { method: 'HEAD', headers: { 'X-API-Key': CLIENT_KEY } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await res.text()).toBe('');
  });

  test('outreach-gateway fetch --format csv|ndjson writes the same rows as the API (for cron jobs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'og-formats-'));
    const file = join(dir, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({
        clients: [{ id: 'bi', keySha256: 'b'.repeat(64), workspaces: ['acme'] }],
        workspaces: [
          {
            id: 'acme',
            connections: PROVIDER_IDS.map((provider) => ({
              id: `acme-${provider}`,
              provider,
              apiKey: VENDOR_KEYS.acme[provider],
              baseUrl: stack.sims[provider].url,
              ...(provider === 'seleqt' ? { vendorWorkspaceId: '340' } : {}),
            })),
          },
        ],
      }),
    );
    const capture = (withWrite: boolean): CliIo & { stdout: string[]; stderr: string[]; raw: string[] } => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const raw: string[] = [];
      return { stdout, stderr, raw, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {}, ...(withWrite ? { write: (t: string) => raw.push(t) } : {}) };
    };
    const api = (await stack.get(ANALYTICS)).body as Body;

    const csv = capture(true);
    expect(await runCli(['fetch', '--config', file, '--format', 'csv'], csv)).toBe(0);
    const text = csv.raw.join('');
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = csvRows(text);
    expect(rows.map((r) => r.key)).toEqual(api.data.map((c) => c.key));
    for (const [i, row] of rows.entries()) {
      const campaign = api.data[i];
      if (!campaign) throw new Error('more CSV rows than campaigns');
      expectRowMatches(row, campaign);
    }

    const bom = capture(true);
    expect(await runCli(['fetch', '--config', file, '--format', 'csv', '--bom', '--query', 'fields=name&limit=2'], bom)).toBe(0);
    expect(bom.raw.join('').startsWith('\uFEFFkey,name\r\n')).toBe(true);
    expect(bom.stderr.some((l) => l.startsWith('next page: cursor='))).toBe(true);

    const ndjson = capture(false); // an io without raw writes gets whole lines
    expect(await runCli(['fetch', '--config', file, '--format', 'ndjson'], ndjson)).toBe(0);
    expect(ndjson.stdout.join('\n').split('\n').map((l) => (JSON.parse(l) as Campaign).key)).toEqual(api.data.map((c) => c.key));

    // format= in the query wins over --format
    const json = capture(true);
    expect(await runCli(['fetch', '--config', file, '--format', 'csv', '--query', 'format=json'], json)).toBe(0);
    expect((JSON.parse(json.stdout.join('\n')) as Body).data).toHaveLength(api.data.length);

    stack.sims.sendkit.setFaults({ down: true });
    const partial = capture(true);
    expect(await runCli(['fetch', '--config', file, '--format', 'csv', '--query', 'refresh=true'], partial)).toBe(3);
    expect(partial.stderr.join('\n')).toMatch(/^incomplete: acme-sendkit=error:/m);

    expect(await runCli(['fetch', '--config', file, '--format', 'xlsx'], capture(true))).toBe(2);
  });
});
