/**
 * Validation of `GET /v1/campaigns/analytics` query parameters (DESIGN.md section 2). Each
 * parameter's rule is one zod schema, which `/openapi.json` states as it is; the rules across
 * parameters (dates together, group_by only with JSON, fields=raw with include=raw, the cursor's
 * query) follow. Every problem is collected (unknown, repeated and bad parameters alike) so one 400
 * names them all, and no vendor is called for a request that fails here.
 */
import { z } from 'zod';
import { GatewayError, type ProblemFieldError } from '../errors';
import { CAMPAIGN_STATUSES, CampaignStatusSchema, PROVIDER_IDS, ProviderIdSchema, type CampaignStatus, type ProviderId } from '../schema/campaign';
import {
  CAMPAIGN_FIELDS,
  GROUP_BY_VALUES,
  MAX_CURSOR_LENGTH,
  SORT_FIELDS,
  cursorBinding,
  decodeCursor,
  type ShapeRequest,
  type SortSpec,
} from './shape';

export const MAX_IDS = 100;
export const MAX_RANGE_DAYS = 366;
const INCLUDE_VALUES = ['steps', 'daily', 'raw'] as const;
/** `<connection>:<vendor id>`; vendor ids are UUIDs, 24-hex, `campaign_…` or integers: no dots, slashes or spaces. */
const CAMPAIGN_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9_-]{1,128}$/;
const WORKSPACE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The longest campaign key CAMPAIGN_KEY allows (64 + 1 + 128), stated as maxLength in /openapi.json. */
const MAX_KEY_LENGTH = 193;
/** A calendar date, `YYYY-MM-DD` (10 characters). */
export const DATE_SCHEMA = z.iso.date().max(10);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** An integer as a caller writes it in a URL: no sign, no leading zero, no exponent. */
const INTEGER_TEXT = /^(0|[1-9]\d{0,9})$/;
const CURSOR_TEXT = /^[A-Za-z0-9_-]+$/;
const DATE_MESSAGE = 'expected a date YYYY-MM-DD';
export const MAX_LIMIT = 1000;
export const OUTPUT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface AnalyticsRequest {
  workspaceId: string | undefined;
  providers: ProviderId[] | undefined;
  /** Campaign keys, `<connection>:<vendor id>`. */
  ids: string[] | undefined;
  statuses: CampaignStatus[] | undefined;
  startDate: string | undefined;
  endDate: string | undefined;
  include: { steps: boolean; daily: boolean; raw: boolean };
  refresh: boolean;
  requireAll: boolean;
  /** `format=`, else what the caller's Accept header (or the CLI's --format) asked for; absent = JSON. */
  format?: OutputFormat;
  /** Sorting, paging, field selection and grouping; absent when none was asked for, so the default answer takes no extra pass. */
  shape?: ShapeRequest;
}

/**
 * One query parameter: what it takes (with the rules it follows together with other parameters),
 * the zod schema its value must satisfy, and what a caller is told when it does not. The schema is
 * both the check and what `/openapi.json` states for the parameter (server/openapi.ts).
 */
export interface QueryParameter<S extends z.ZodType = z.ZodType> {
  description: string;
  schema: S;
  /** The text is a comma-separated list (items trimmed, duplicates dropped): OpenAPI `style: form, explode: false`. */
  list?: true;
  /** The text is a decimal integer. */
  integer?: true;
  /** The message of a 400 for a value the schema refuses (given the value as read). */
  message: string | ((value: unknown) => string);
}

function parameter<S extends z.ZodType>(definition: QueryParameter<S>): QueryParameter<S> {
  return definition;
}

const listOf = (values: readonly string[]): string => values.join(',');
const SORT_VALUES = SORT_FIELDS.flatMap((field) => [field, `-${field}`]);
/** What a range means for a vendor without range support (gateway/range.ts). */
const SNAPSHOT_RANGE_NOTE =
  "For a vendor whose numbers ignore a range (Seleqt, Kakiyo's totals, SendKit's leads and contacted), the source's metrics are the growth between the history store's snapshots of the day before start_date and of end_date (or now) when they cover both ends (warning date_range_from_snapshots), else lifetime (warning date_range_unsupported).";
const dateRule = (other: string): string =>
  `A day (UTC, YYYY-MM-DD), inclusive. Only together with ${other} (both or neither); start_date must not be after end_date and the range is at most ${MAX_RANGE_DAYS} days.`;

/**
 * The query parameters of `GET /v1/campaigns/analytics`, in the order errors are reported. Any other
 * parameter, and any parameter given twice, is a 400.
 */
export const QUERY_PARAMETERS = {
  workspace_id: parameter({
    description: "A workspace id the key is linked to (another one is a 403), or ALL for every workspace the key is linked to. Omitted: the key's default workspace.",
    schema: z.union([z.literal('ALL'), z.string().max(64).regex(WORKSPACE_ID)]),
    message: 'expected a workspace id or ALL',
  }),
  providers: parameter({
    description: 'Only these vendors (comma-separated).',
    schema: z.array(ProviderIdSchema).min(1).max(PROVIDER_IDS.length),
    list: true,
    message: `expected comma list of ${listOf(PROVIDER_IDS)}`,
  }),
  ids: parameter({
    description:
      `Only these campaigns: comma-separated campaign keys \`<connection>:<vendor id>\` (a campaign's \`key\`), at most ${MAX_IDS} once duplicates are dropped. ` +
      "The vendor id must be one the connection's vendor can have: Instantly a UUID, SendKit 24 hex digits, Kakiyo up to 128 letters, digits, `_` or `-`, Seleqt up to 18 digits; " +
      "a key of one of the caller's connections that breaks its vendor's rule is a 400 naming it, and no vendor is called. A key naming a connection outside the request's workspaces matches nothing.",
    schema: z.array(z.string().max(MAX_KEY_LENGTH).regex(CAMPAIGN_KEY)).min(1).max(MAX_IDS),
    list: true,
    message: (value) => {
      const items = Array.isArray(value) ? value : [];
      if (items.includes('')) return 'expected a comma list of campaign keys';
      if (items.length > MAX_IDS) return `at most ${MAX_IDS} campaign keys`;
      // The position, not the text: a malformed id may hold anything, and is never echoed.
      const position = items.findIndex((item) => typeof item !== 'string' || !CAMPAIGN_KEY.test(item)) + 1;
      return `id ${position} is not a campaign key <connection>:<vendor id> (letters, digits, "_" and "-"; at most 64 and 128 characters)`;
    },
  }),
  status: parameter({
    description: 'Only campaigns with these normalized statuses (comma-separated).',
    schema: z.array(CampaignStatusSchema).min(1).max(CAMPAIGN_STATUSES.length),
    list: true,
    message: `expected comma list of ${listOf(CAMPAIGN_STATUSES)}`,
  }),
  start_date: parameter({ description: `First day of the metrics window. ${dateRule('end_date')} ${SNAPSHOT_RANGE_NOTE}`, schema: DATE_SCHEMA, message: DATE_MESSAGE }),
  end_date: parameter({ description: `Last day of the metrics window. ${dateRule('start_date')}`, schema: DATE_SCHEMA, message: DATE_MESSAGE }),
  include: parameter({
    description:
      'Extra detail (comma-separated): steps (per sequence step), daily (a daily series), raw (the vendor records as sent; needed by fields=raw). ' +
      'steps and daily cost upstream calls per campaign: a request whose fan-out would pass the configured cap is a 400 too_expensive.',
    schema: z.array(z.enum(INCLUDE_VALUES)).min(1).max(INCLUDE_VALUES.length),
    list: true,
    message: `expected comma list of ${listOf(INCLUDE_VALUES)}`,
  }),
  refresh: parameter({ description: 'true: skip fresh cache entries and ask the vendors (as `Cache-Control: no-cache` does).', schema: z.enum(['true', 'false']), message: 'expected true or false' }),
  require: parameter({ description: 'all: answer 502 unless every source succeeded.', schema: z.enum(['all']), message: 'expected all' }),
  format: parameter({
    description: 'Output format; wins over the Accept header (application/json, text/csv, application/x-ndjson). csv and ndjson cannot be combined with group_by.',
    schema: z.enum(OUTPUT_FORMATS),
    message: `expected ${OUTPUT_FORMATS.join(', ')}`,
  }),
  limit: parameter({
    description: 'Page size; the JSON answer then has page.nextCursor (also in the X-Gateway-Next-Cursor and Link headers).',
    schema: z.number().int().min(1).max(MAX_LIMIT).meta({ format: 'int32' }),
    integer: true,
    message: `expected an integer 1..${MAX_LIMIT}`,
  }),
  cursor: parameter({
    description: 'page.nextCursor of the previous page, unchanged; only with the same workspace_id, providers, ids, status, start_date, end_date and sort as the request that issued it (another query is a 400).',
    schema: z.string().min(1).max(MAX_CURSOR_LENGTH).regex(CURSOR_TEXT),
    message: 'not a cursor issued by this gateway (pass page.nextCursor unchanged)',
  }),
  sort: parameter({
    description: 'One field, "-" prefix for descending; nulls last; ties by key. Default: workspace, provider, name, key.',
    schema: z.enum(SORT_VALUES),
    message: `expected one field of ${listOf(SORT_FIELDS)}, optionally prefixed with "-"`,
  }),
  fields: parameter({
    description: 'Top-level campaign fields to return (comma-separated); key is always included. raw only together with include=raw.',
    schema: z.array(z.enum(CAMPAIGN_FIELDS)).min(1).max(CAMPAIGN_FIELDS.length),
    list: true,
    message: `expected a comma list of ${listOf(CAMPAIGN_FIELDS)}`,
  }),
  group_by: parameter({
    description: 'Adds groups [{key, totals}] to the JSON answer. Not with format=csv or format=ndjson, nor with an Accept header that selects them.',
    schema: z.enum(GROUP_BY_VALUES),
    message: `expected ${GROUP_BY_VALUES.join(', ')}`,
  }),
};
type ParameterName = keyof typeof QUERY_PARAMETERS;

/** Rules across parameters, for the operation's description in `/openapi.json`. */
export const QUERY_RULES: readonly string[] = [
  'Unknown parameters and parameters given twice are a 400 (lists are comma-separated in one parameter).',
  `start_date and end_date go together; start_date is not after end_date; the range is at most ${MAX_RANGE_DAYS} days.`,
  'group_by cannot be combined with format=csv or format=ndjson (nor an Accept header that selects them).',
  'fields=raw needs include=raw.',
  'cursor only with the same workspace_id, providers, ids, status, start_date, end_date and sort as the request that issued it.',
  "A campaign key in ids whose vendor id its connection's vendor cannot have is a 400 naming it.",
  'A request whose upstream fan-out would pass the configured cap (include=steps/daily over many campaigns, workspace_id=ALL) is a 400 too_expensive.',
];

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30), as epoch ms at UTC midnight. */
export function parseDate(text: string): number | undefined {
  if (!DATE.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms;
}

/** The value of a parameter's text as its schema reads it: a list, an integer, or the text. */
function readText(definition: QueryParameter, text: string): unknown {
  if (definition.list) return [...new Set(text.split(',').map((item) => item.trim()))];
  if (definition.integer) return INTEGER_TEXT.test(text) ? Number(text) : text;
  return text;
}

/** Reads a raw query against a table of parameters, collecting every problem for one 400. */
export interface QueryReader<N extends string> {
  /** The texts given, by parameter name. */
  texts: ReadonlyMap<N, string>;
  errors: ProblemFieldError[];
  /** Records a problem with a parameter; returns undefined for use in expressions. */
  bad: (parameter: N, message: string) => undefined;
  /** The parameter's value when given and its schema accepts it; a 400 entry when not. */
  read: <S extends z.ZodType>(name: N, definition: QueryParameter<S>) => z.output<S> | undefined;
  /** Throws the 400 `invalid_query` when any problem was recorded. */
  check: () => void;
}

/**
 * Starts reading a raw query object (Express 5's simple parser: a repeated key arrives as an array):
 * unknown and repeated parameters are problems at once.
 */
export function queryReader<N extends string>(raw: Readonly<Record<string, unknown>>, known: Readonly<Record<N, QueryParameter>>): QueryReader<N> {
  const errors: ProblemFieldError[] = [];
  const texts = new Map<N, string>();
  const isKnown = (name: string): name is N => Object.prototype.hasOwnProperty.call(known, name);
  for (const [name, value] of Object.entries(raw)) {
    if (!isKnown(name)) {
      errors.push({ parameter: name.slice(0, 64), message: 'unknown parameter' });
    } else if (typeof value !== 'string') {
      errors.push({ parameter: name, message: 'repeated parameter (give it once; lists are comma-separated)' });
    } else {
      texts.set(name, value);
    }
  }
  const bad = (parameter: N, message: string): undefined => {
    errors.push({ parameter, message });
    return undefined;
  };
  return {
    texts,
    errors,
    bad,
    read: <S extends z.ZodType>(name: N, definition: QueryParameter<S>): z.output<S> | undefined => {
      const text = texts.get(name);
      if (text === undefined) return undefined;
      const value = readText(definition, text);
      const parsed = definition.schema.safeParse(value);
      if (parsed.success) return parsed.data;
      return bad(name, typeof definition.message === 'string' ? definition.message : definition.message(value));
    },
    check: (): void => {
      if (errors.length > 0) throw new GatewayError(400, 'invalid_query', `invalid query: ${errors.map((e) => e.parameter).join(', ')}`, errors);
    },
  };
}

/**
 * Parses the raw query object of `GET /v1/campaigns/analytics`. `negotiated` is the format the
 * Accept header (or the CLI's --format) asks for; an explicit `format=` wins over it. Throws a 400
 * `invalid_query` GatewayError listing every bad parameter.
 */
export function parseAnalyticsQuery(raw: Readonly<Record<string, unknown>>, negotiated?: OutputFormat): AnalyticsRequest {
  const { texts, bad, read, check } = queryReader<ParameterName>(raw, QUERY_PARAMETERS);

  const workspaceId = read('workspace_id', QUERY_PARAMETERS.workspace_id);
  const providers = read('providers', QUERY_PARAMETERS.providers);
  const statuses = read('status', QUERY_PARAMETERS.status);
  const includeList = read('include', QUERY_PARAMETERS.include);
  const ids = read('ids', QUERY_PARAMETERS.ids);

  const startText = read('start_date', QUERY_PARAMETERS.start_date);
  const endText = read('end_date', QUERY_PARAMETERS.end_date);
  const start = startText === undefined ? undefined : (parseDate(startText) ?? bad('start_date', DATE_MESSAGE));
  const end = endText === undefined ? undefined : (parseDate(endText) ?? bad('end_date', DATE_MESSAGE));
  if (texts.has('start_date') !== texts.has('end_date')) {
    bad(texts.has('start_date') ? 'end_date' : 'start_date', 'start_date and end_date go together');
  } else if (start !== undefined && end !== undefined) {
    if (start > end) bad('start_date', 'must not be after end_date');
    else if ((end - start) / 86_400_000 + 1 > MAX_RANGE_DAYS) bad('end_date', `the range must be at most ${MAX_RANGE_DAYS} days`);
  }

  const refresh = read('refresh', QUERY_PARAMETERS.refresh);
  const requireAll = read('require', QUERY_PARAMETERS.require);
  const formatValue = read('format', QUERY_PARAMETERS.format);
  const format = texts.has('format') ? formatValue : negotiated;
  const limit = read('limit', QUERY_PARAMETERS.limit);

  const sortText = read('sort', QUERY_PARAMETERS.sort);
  const sortField = sortText === undefined ? undefined : SORT_FIELDS.find((field) => field === sortText.replace(/^-/, ''));
  const sort: SortSpec | undefined = sortText === undefined || sortField === undefined ? undefined : { field: sortField, descending: sortText.startsWith('-') };

  let fields = read('fields', QUERY_PARAMETERS.fields);
  if (fields?.includes('raw') && !includeList?.includes('raw')) fields = bad('fields', 'raw is only present with include=raw');

  const groupBy = read('group_by', QUERY_PARAMETERS.group_by);
  if (groupBy !== undefined && format !== undefined && format !== 'json') {
    // CSV and NDJSON carry campaign rows only; grouped totals have no place in them.
    bad('group_by', `group_by adds groups to the JSON answer; it cannot be combined with ${format} (${texts.has('format') ? 'format' : 'from the Accept header'})`);
  }

  const cursor = read('cursor', QUERY_PARAMETERS.cursor);
  const shaped = limit !== undefined || texts.has('cursor') || sort !== undefined || fields !== undefined || groupBy !== undefined;
  // The cursor is bound to everything that decides which campaigns there are and their order, so
  // the next page continues the same list. Lists are canonical (sorted) so their order does not
  // matter. Hashed only when a shape was asked for: the default request does no extra work.
  const binding = !shaped ? '' : cursorBinding([
    workspaceId ?? null,
    providers ? [...providers].sort() : null,
    ids ? [...ids].sort() : null,
    statuses ? [...statuses].sort() : null,
    startText ?? null,
    endText ?? null,
    sort ? `${sort.descending ? '-' : ''}${sort.field}` : null,
  ]);
  let after: ShapeRequest['after'];
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor, binding, sort);
    if ('error' in decoded) bad('cursor', decoded.error);
    else after = decoded.position;
  }

  check();
  return {
    workspaceId,
    providers,
    ids,
    statuses,
    startDate: startText,
    endDate: endText,
    include: {
      steps: includeList?.includes('steps') ?? false,
      daily: includeList?.includes('daily') ?? false,
      raw: includeList?.includes('raw') ?? false,
    },
    refresh: refresh === 'true',
    requireAll: requireAll === 'all',
    ...(format !== undefined ? { format } : {}),
    ...(shaped ? { shape: { limit, after, cursor, sort, fields, groupBy, binding } } : {}),
  };
}
