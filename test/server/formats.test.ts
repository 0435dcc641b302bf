/** CSV and NDJSON serializers, content negotiation and the X-Gateway-* headers (no vendors). */
import express from 'express';
import request from 'supertest';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import {
  BOM,
  CSV_COLUMNS,
  MAX_SOURCES_HEADER,
  csvCell,
  csvChunks,
  csvColumns,
  formatFromAccept,
  ndjsonChunks,
  nextPageLink,
  sourcesHeader,
} from '../../src/server/formats';
import { finishRecord } from '../../src/providers/shared';
import { buildOpenApi } from '../../src/server/openapi';
import { METRIC_NAMES, RATE_NAMES, emptyMetrics, type CampaignAnalytics } from '../../src/schema/campaign';
import type { Source } from '../../src/schema/envelope';
import { sourceRecord } from '../helpers/records';

function record(id: string, name: string, overrides: Partial<CampaignAnalytics> = {}): CampaignAnalytics {
  return {
    ...finishRecord(
      'seleqt',
      { id: 'acme-seleqt', workspace: 'acme' },
      {
        id,
        name,
        status: 'active',
        vendorStatus: 'ACTIVE',
        channels: ['email', 'linkedin'],
        createdAt: '2026-01-02T03:04:05.000Z',
        metrics: { ...emptyMetrics(), contacted: 300, replied: 7, linkedinInvitesSent: 90, linkedinInvitesAccepted: 13 },
        averageReplySeconds: 172800,
        steps: null,
        daily: null,
        leadStatus: null,
      },
      {},
      false,
    ),
    ...overrides,
  };
}

const csvText = (records: CampaignAnalytics[], fields?: Parameters<typeof csvColumns>[0], bom = false): string =>
  [...csvChunks(records, csvColumns(fields), { bom })].join('');

function parseCsv(text: string): Record<string, string>[] {
  return parse(text, { columns: true, bom: false, record_delimiter: '\r\n' });
}

function source(connection: string, status: Source['status'], code?: string): Source {
  return sourceRecord(connection, status, 'miss', code);
}

describe('csvCell', () => {
  test('null is empty; numbers stay numbers, negative ones too', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(0.08797)).toBe('0.08797');
    expect(csvCell(Number.NaN)).toBe('');
  });

  test('RFC 4180 quoting: comma, quote, CR and LF', () => {
    expect(csvCell('plain name')).toBe('plain name');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  test.each(['=SUM(A1:A9)', '+1', '-2+3', '-', '-1e5', '-0x1F', '- 99', '-99 ', '-1,5', '-2.', '-.5.5', '--1', '@cmd', '\tTAB', '\rCR', '=HYPERLINK("http://x","y")'])('formula-like text %j is neutralised with a quote prefix', (text) => {
    const cell = csvCell(text);
    expect(parse(`${cell}\r\n`)).toEqual([[`'${text}`]]);
  });

  test.each(['-99', '-2.5', '-0', '-.5', '0', '12', '3.25'])('a string that is a plain decimal number %j is written as it is', (text) => {
    expect(csvCell(text)).toBe(text);
    expect(parse(`${csvCell(text)}\r\n`)).toEqual([[text]]);
  });

  test('property: every string cell reads back as the string, quote-prefixed exactly when it starts like a formula and is not a plain number', () => {
    const formulaStart = fc.constantFrom('=', '+', '-', '@', '\t', '\r');
    const plainNumber = fc
      .tuple(fc.boolean(), fc.nat(), fc.option(fc.nat(), { nil: undefined }))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);
    const text = fc.oneof(fc.string(), fc.tuple(formulaStart, fc.string()).map(([start, rest]) => start + rest), plainNumber);
    fc.assert(
      fc.property(text, (value) => {
        const cell = csvCell(value);
        const rows: string[][] = parse(`${cell}\r\n`);
        const read = rows[0]?.[0];
        const number = /^-?\d+(\.\d+)?$/.test(value) || /^-?\.\d+$/.test(value);
        const prefixed = /^[=+\-@\t\r]/.test(value) && !number;
        // csv-parse drops an empty line, so '' is checked apart
        if (value === '') return cell === '';
        return read === (prefixed ? `'${value}` : value);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('CSV', () => {
  test('rows made once per campaign are the bytes formatting every cell gives, on every answer', () => {
    const records = [record('1', 'Hello, "World"'), record('2', '=SUM(A1)', { vendorStatus: '-1', createdAt: null }), record('3', 'plain')];
    // Copies of the columns are not the full set by identity: every cell is formatted afresh.
    const fresh = [...csvChunks(records, CSV_COLUMNS.map((column) => ({ ...column })))].join('');
    expect(csvText(records)).toBe(fresh);
    expect(csvText(records)).toBe(fresh);
    expect(csvText([records[2] as CampaignAnalytics, records[0] as CampaignAnalytics])).toBe(
      [...csvChunks([records[2] as CampaignAnalytics, records[0] as CampaignAnalytics], CSV_COLUMNS.map((column) => ({ ...column })))].join(''),
    );
  });

  test('header row, one row per campaign, CRLF, parses back to the same values', () => {
    const records = [
      record('1', 'Hello, "World"'),
      record('2', '=cmd|\' /C calc\'!A0', { status: 'paused', vendorStatus: '-1', createdAt: null }),
      record('3', 'Ünïcödé — 日本語 ✓', { averageReplySeconds: null }),
    ];
    const text = csvText(records);
    expect(text.startsWith('workspace,provider,connection,key,id,name,status,vendorStatus,createdAt,leads,')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(5); // header, 3 rows, '' after the final CRLF
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0] ?? {})).toEqual(CSV_COLUMNS.map((c) => c.name));
    for (const [i, row] of rows.entries()) {
      const r = records[i];
      if (!r) throw new Error('unreachable');
      expect(row.key).toBe(r.key);
      for (const metric of METRIC_NAMES) expect(row[metric]).toBe(r.metrics[metric] === null ? '' : String(r.metrics[metric]));
      for (const rate of RATE_NAMES) expect(row[rate] === '' ? null : Number(row[rate])).toBe(r.rates[rate]);
    }
    expect(rows[0]?.name).toBe('Hello, "World"');
    expect(rows[1]?.name).toBe('\'=cmd|\' /C calc\'!A0');
    expect(rows[1]?.vendorStatus).toBe('-1'); // a string, but a plain number: written as it is
    expect(rows[1]?.createdAt).toBe('');
    expect(rows[2]?.name).toBe('Ünïcödé — 日本語 ✓');
    expect(rows[2]?.averageReplySeconds).toBe('');
    expect(rows[0]?.averageReplySeconds).toBe('172800');
  });

  test('fields choose the columns (metrics and rates as groups), key always', () => {
    expect(csvColumns(['name']).map((c) => c.name)).toEqual(['key', 'name']);
    expect(csvColumns(['rates', 'workspace']).map((c) => c.name)).toEqual(['workspace', 'key', ...RATE_NAMES]);
    expect(csvColumns(['steps']).map((c) => c.name)).toEqual(['key']);
    const rows = parseCsv(csvText([record('1', 'A')], ['metrics']));
    expect(Object.keys(rows[0] ?? {})).toEqual(['key', ...METRIC_NAMES]);
  });

  test('no records: just the header; the optional BOM comes first', () => {
    expect(csvText([])).toBe(`${CSV_COLUMNS.map((c) => c.name).join(',')}\r\n`);
    const withBom = csvText([record('1', 'A')], undefined, true);
    expect(withBom.startsWith(`${BOM}workspace,`)).toBe(true);
    expect(parse(withBom, { columns: true, bom: true })).toHaveLength(1);
  });

  test('large answers come in bounded chunks that join to the whole', () => {
    const records = Array.from({ length: 3000 }, (_, i) => record(String(i), `Campaign ${i}`));
    const chunks = [...csvChunks(records, csvColumns())];
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeLessThan(70 * 1024);
    expect(parseCsv(chunks.join(''))).toHaveLength(3000);
  });
});

describe('NDJSON', () => {
  test('one JSON object per line, each line ending with \\n, nothing else', () => {
    const records = [record('1', 'line\nbreak'), record('2', 'B')];
    const text = [...ndjsonChunks(records)].join('');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map((line) => JSON.parse(line) as unknown)).toEqual(records);
    expect([...ndjsonChunks([])]).toEqual([]);
  });
});

describe('headers', () => {
  test('X-Gateway-Sources lists the sources that are not ok', () => {
    expect(sourcesHeader([source('a', 'ok')])).toBeUndefined();
    expect(sourcesHeader([source('acme-sendkit', 'error', 'upstream_unavailable'), source('acme-seleqt', 'ok'), source('globex-kakiyo', 'stale', 'rate_limited'), source('x', 'stale')])).toBe(
      'acme-sendkit=error:upstream_unavailable, globex-kakiyo=stale:rate_limited, x=stale',
    );
  });

  test('X-Gateway-Sources is bounded and says how many were left out', () => {
    const many = Array.from({ length: 300 }, (_, i) => source(`workspace-${i}-sendkit`, 'error', 'upstream_unavailable'));
    const header = sourcesHeader(many) ?? '';
    expect(header.length).toBeLessThanOrEqual(MAX_SOURCES_HEADER);
    const match = /, \+(\d+) more$/.exec(header);
    expect(match).not.toBeNull();
    const listed = header.split(', ').length - 1;
    expect(listed + Number(match?.[1])).toBe(300);
    for (const max of [5, 40, 41, 42, 43, 80]) {
      const small = sourcesHeader(many.slice(0, 3), max) ?? '';
      expect(small.length).toBeLessThanOrEqual(Math.max(max, '+3 more'.length));
      expect(small).toMatch(/(^|, )\+\d+ more$/);
    }
    expect(sourcesHeader(many.slice(0, 2), 1000)).toBe('workspace-0-sendkit=error:upstream_unavailable, workspace-1-sendkit=error:upstream_unavailable');
  });

  test('the next-page Link repeats the query with the new cursor', () => {
    expect(nextPageLink('/v1/campaigns/analytics', { limit: '5', cursor: 'old', sort: '-replied' }, 'NEW_cursor-1')).toBe(
      '</v1/campaigns/analytics?limit=5&sort=-replied&cursor=NEW_cursor-1>; rel="next"',
    );
  });
});

describe('content negotiation', () => {
  const app = express();
  app.get('/', (req, res) => {
    res.json({ format: formatFromAccept(req) ?? null });
  });
  test.each([
    [undefined, null],
    ['*/*', null],
    ['application/json', 'json'],
    ['text/csv', 'csv'],
    ['application/x-ndjson', 'ndjson'],
    ['text/*', 'csv'],
    ['text/csv;q=0.5, application/x-ndjson', 'ndjson'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json'],
    ['application/xml', null],
    ['text/csv;q=0', null],
  ])('Accept %j → %j (null: not negotiated, JSON)', async (accept, expected) => {
    const res = await request(app).get('/').set(accept === undefined ? {} : { Accept: accept });
    expect((res.body as { format: string | null }).format).toBe(expected);
  });
});

describe('OpenAPI', () => {
  test('documents the new parameters, the CSV and NDJSON media types, groups and page', () => {
    const document = buildOpenApi('test') as {
      paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[]; maximum?: number } }[]; responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const get = document.paths['/v1/campaigns/analytics']?.get;
    const parameter = (name: string): { enum?: string[]; maximum?: number } | undefined => get?.parameters.find((p) => p.name === name)?.schema;
    expect(parameter('format')?.enum).toEqual(['json', 'csv', 'ndjson']);
    expect(parameter('limit')?.maximum).toBe(1000);
    expect(parameter('sort')?.enum).toEqual(expect.arrayContaining(['name', '-replied', 'replyRate', '-createdAt']));
    expect(parameter('group_by')?.enum).toEqual(['provider', 'workspace', 'status']);
    expect(get?.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['cursor', 'fields']));
    for (const status of ['200', '502']) {
      expect(Object.keys(get?.responses[status]?.content ?? {})).toEqual(['application/json', 'text/csv', 'application/x-ndjson']);
      expect(Object.keys(get?.responses[status]?.headers ?? {})).toEqual(expect.arrayContaining(['X-Gateway-Complete', 'X-Gateway-Sources', 'X-Gateway-Next-Cursor', 'Link']));
    }
    expect(Object.keys(document.components.schemas.AnalyticsResponse?.properties ?? {})).toEqual(['data', 'totals', 'groups', 'page', 'sources', 'meta']);
  });
});
