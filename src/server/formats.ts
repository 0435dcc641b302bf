/**
 * Output formats of `GET /v1/campaigns/analytics` besides JSON: CSV for spreadsheets and
 * BI tools, NDJSON for pipelines, plus the content negotiation and the `X-Gateway-*` headers that
 * carry what a flat format has no room for.
 *
 * CSV (RFC 4180): a header row, one row per campaign, CRLF line ends, UTF-8 without a byte-order
 * mark (BI tools and `csv-parse`/pandas read UTF-8 as it is and would see a BOM as part of the first
 * column name; the CLI's `--bom` adds one for files opened in Excel by double-click). Cells with `"`,
 * `,`, CR or LF are quoted and `"` doubled; null is an empty cell. A string cell that begins with
 * `=`, `+`, `-`, `@`, tab or CR gets a `'` prefix so a spreadsheet shows it as text instead of
 * running it as a formula (OWASP "CSV injection"), unless the whole string is a plain decimal
 * number (`-99`, `-2.5`: Instantly's `vendorStatus` is such a string), which no spreadsheet runs as a
 * formula and which is written as it is, like a number cell (`-1` stays `-1`).
 *
 * NDJSON: one campaign object per line (`\n`), nothing else: a pipeline reads pure records. Totals
 * and source status are not repeated as a summary line; the headers below carry completeness.
 */
import type { Request, Response } from 'express';
import type { CampaignField } from '../gateway/shape';
import { linesChunkWritten } from '../gateway/answer-pieces';
import { writeChunks } from './answer-writer';
import { streamCompressed, type ContentCoding } from './compression';
import { OUTPUT_FORMATS, type OutputFormat } from '../gateway/request';
import { METRIC_NAMES, RATE_NAMES } from '../schema/campaign';
import type { AnalyticsResponse, CampaignSelection, Source } from '../schema/envelope';

export const MEDIA_TYPES: Readonly<Record<OutputFormat, string>> = {
  json: 'application/json',
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
};

const CONTENT_TYPES: Readonly<Record<'csv' | 'ndjson', string>> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * The format an Accept header asks for (q-values and wildcards honoured, via Express's negotiator).
 * No header, a wildcard, or only types the gateway cannot produce: undefined, i.e. JSON. Falling
 * back instead of answering 406 keeps BI tools that send odd Accept headers working; `format=`
 * is the way to be explicit.
 */
export function formatFromAccept(req: Pick<Request, 'accepts' | 'get'>): OutputFormat | undefined {
  const accept = req.get('accept');
  // The common cases (no header, curl's `*/*`) skip the negotiator: the hot path stays cheap.
  if (accept === undefined || accept === '*/*') return undefined;
  const chosen = req.accepts(OUTPUT_FORMATS.map((format) => MEDIA_TYPES[format]));
  if (chosen === false) return undefined;
  return OUTPUT_FORMATS.find((format) => MEDIA_TYPES[format] === chosen);
}

// ---------------------------------------------------------------------------------------------
// CSV

type Cell = string | number | null;

export interface CsvColumn {
  name: string;
  /** The top-level CampaignAnalytics field it comes from (for `fields=`). */
  field: CampaignField;
  value: (record: CampaignSelection) => Cell;
}

function text(field: 'workspace' | 'provider' | 'connection' | 'key' | 'id' | 'name' | 'status' | 'vendorStatus' | 'createdAt'): CsvColumn {
  return { name: field, field, value: (record) => record[field] ?? null };
}

/** The flat CSV column set, in order; metric and rate names are unique, so they stay unprefixed. */
export const CSV_COLUMNS: readonly CsvColumn[] = [
  text('workspace'),
  text('provider'),
  text('connection'),
  text('key'),
  text('id'),
  text('name'),
  text('status'),
  text('vendorStatus'),
  text('createdAt'),
  ...METRIC_NAMES.map((metric): CsvColumn => ({ name: metric, field: 'metrics', value: (record) => record.metrics?.[metric] ?? null })),
  { name: 'averageReplySeconds', field: 'averageReplySeconds', value: (record) => record.averageReplySeconds ?? null },
  ...RATE_NAMES.map((rate): CsvColumn => ({ name: rate, field: 'rates', value: (record) => record.rates?.[rate] ?? null })),
];

/** The columns for a `fields=` selection (`key` always); every column without one. */
export function csvColumns(fields?: readonly CampaignField[]): CsvColumn[] {
  if (!fields) return [...CSV_COLUMNS];
  return CSV_COLUMNS.filter((column) => column.field === 'key' || fields.includes(column.field));
}

const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number: an optional minus, digits, an optional fraction (no sign `+`, no exponent, no spaces). */
const PLAIN_NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV cell: null empty, numbers as they are, strings neutralised (unless they are a plain
 * decimal number) and quoted when needed.
 */
export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const BOM = '\uFEFF';

/** The size the chunks of a CSV answer, or of NDJSON formatted here, reach before one is written. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Each campaign's full-column CSV row as UTF-8 bytes, made once per campaign object: cached
 * campaigns are the same objects for a whole cache generation, so a warm CSV answer copies rows
 * into its chunks instead of formatting every cell again (the row goes when its campaign is
 * collected). Bytes, not strings: a chunk joined from strings is a rope that the socket write
 * flattens into a new string and then encodes, about 70 MB of short-lived heap per 5 s of big CSV
 * answers in the big-agency bench; joined from bytes, a chunk is one copy outside the V8 heap.
 */
const fullRows = new WeakMap<CampaignSelection, Buffer>();

function fullRow(record: CampaignSelection): Buffer {
  let row = fullRows.get(record);
  if (row === undefined) {
    row = Buffer.from(`${CSV_COLUMNS.map((column) => csvCell(column.value(record))).join(',')}\r\n`, 'utf8');
    fullRows.set(record, row);
  }
  return row;
}

/** The CSV in chunks of about 64 KB of UTF-8 (header row first; every row ends with CRLF). */
export function* csvChunks(records: readonly CampaignSelection[], columns: readonly CsvColumn[], options: { bom?: boolean } = {}): Generator<Buffer> {
  const header = Buffer.from(`${options.bom ? BOM : ''}${columns.map((column) => column.name).join(',')}\r\n`, 'utf8');
  const full = columns.length === CSV_COLUMNS.length && columns.every((column, i) => column === CSV_COLUMNS[i]);
  let rows: Buffer[] = [header];
  let bytes = header.length;
  for (const record of records) {
    const row = full ? fullRow(record) : Buffer.from(`${columns.map((column) => csvCell(column.value(record))).join(',')}\r\n`, 'utf8');
    rows.push(row);
    bytes += row.length;
    if (bytes >= CHUNK_BYTES) {
      yield Buffer.concat(rows, bytes);
      rows = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield Buffer.concat(rows, bytes);
}

/**
 * NDJSON in chunks of about 64 KB: one JSON object per campaign, each line ending with `\n` (a
 * `fields=` selection and the CLI; the server's other NDJSON answers are the views' lines).
 */
export function* ndjsonChunks(records: readonly CampaignSelection[]): Generator<string> {
  let chunk = '';
  for (const record of records) {
    chunk += `${JSON.stringify(record)}\n`;
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

// ---------------------------------------------------------------------------------------------
// Headers

export const MAX_SOURCES_HEADER = 2000;

/**
 * `X-Gateway-Sources`: every source that is not `ok`, as `connection=status[:code]` joined by
 * `, ` (connection ids and codes are header-safe tokens), e.g.
 * `acme-sendkit=error:upstream_unavailable, globex-kakiyo=stale:rate_limited`. Bounded: past
 * `maxLength` characters the rest is summarised as `+N more`. Undefined when every source is ok.
 */
export function sourcesHeader(sources: readonly Source[], maxLength = MAX_SOURCES_HEADER): string | undefined {
  const problems = sources.filter((source) => source.status !== 'ok').map((s) => `${s.connection}=${s.status}${s.error ? `:${s.error.code}` : ''}`);
  if (problems.length === 0) return undefined;
  let out = '';
  for (const [i, problem] of problems.entries()) {
    const candidate = out === '' ? problem : `${out}, ${problem}`;
    const left = problems.length - i - 1;
    // An item goes in only if the summary of whatever follows still fits after it, so the
    // returned header never passes maxLength.
    if ((left > 0 ? `${candidate}, +${left} more` : candidate).length > maxLength) {
      return out === '' ? `+${problems.length} more` : `${out}, +${problems.length - i} more`;
    }
    out = candidate;
  }
  return out;
}

/** `Link: <…?…&cursor=…>; rel="next"` for the next page: the same query with the new cursor. */
export function nextPageLink(path: string, query: Readonly<Record<string, unknown>>, cursor: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (typeof value === 'string' && name !== 'cursor') params.set(name, value);
  params.set('cursor', cursor);
  return `<${path}?${params.toString()}>; rel="next"`;
}

/** Headers every format gets: the source problems and, when paging, the next cursor. */
export function setAnswerHeaders(req: Pick<Request, 'path' | 'query'>, res: Response, body: AnalyticsResponse): void {
  const problems = sourcesHeader(body.sources);
  if (problems !== undefined) res.setHeader('X-Gateway-Sources', problems);
  const next = body.page?.nextCursor;
  if (next) {
    res.setHeader('X-Gateway-Next-Cursor', next);
    res.setHeader('Link', nextPageLink(req.path, req.query, next));
  }
}

/**
 * Sends a CSV or NDJSON answer (JSON stays on the app's one-line path), streamed with backpressure
 * and compressed on the way when gzip or br was negotiated (a slow reader does not make the
 * gateway hold a second copy of a large answer); a reader that leaves ends the stream quietly.
 */
export async function sendAnswer(
  req: Pick<Request, 'method'>,
  res: Response,
  status: number,
  body: AnalyticsResponse,
  format: 'csv' | 'ndjson',
  fields: readonly CampaignField[] | undefined,
  /** NDJSON without `fields`: the lines of `body.data` from the views' serialized campaigns (gateway/answer-pieces.ts), the same bytes. */
  lines?: () => Iterable<Buffer>,
  /** The negotiated content coding (compression.ts; Content-Encoding already set): streamed through its compressor. */
  coding: ContentCoding = 'identity',
): Promise<void> {
  res.status(status).setHeader('Content-Type', CONTENT_TYPES[format]);
  if (format === 'csv') res.setHeader('Content-Disposition', 'attachment; filename="campaign-analytics.csv"');
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const flat = flatBody(body.data, format, fields, lines);
  if (coding !== 'identity') return streamCompressed(res, flat.chunks, coding);
  // A caller that disconnects mid-stream ends the writing quietly: nothing is left to answer.
  // The lines' chunks go back to their pool once written (a compressor's input is left to the GC).
  await writeChunks(res, flat.chunks, flat);
}

/** A CSV or NDJSON answer's body: its chunks, and how `writeChunks` writes them. */
export interface FlatBody {
  chunks: Iterable<Buffer | string>;
  cork?: boolean;
  written?: (chunk: Buffer) => void;
}

/**
 * The body of a CSV or NDJSON answer of `data`, as the pipeline (`sendAnswer`) and the cache-hit
 * fast path (hot-path.ts) both send it. The NDJSON lines of the sources' views (`lines`, without
 * `fields`) are copied into pooled 64 KB chunks as they are written: corked like a JSON answer's
 * pieces, and each chunk back to its pool once written (generated chunks are not corked: see writeBody).
 */
export function flatBody(
  data: readonly CampaignSelection[],
  format: 'csv' | 'ndjson',
  fields: readonly CampaignField[] | undefined,
  lines: (() => Iterable<Buffer>) | undefined,
): FlatBody {
  if (format === 'csv') return { chunks: csvChunks(data, csvColumns(fields)) };
  if (lines !== undefined && !fields) return { chunks: lines(), cork: true, written: linesChunkWritten };
  return { chunks: ndjsonChunks(data) };
}
