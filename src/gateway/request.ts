/**
 * Validation of `GET /v1/campaigns/analytics` query parameters (DESIGN.md section 2). Every problem
 * is collected (unknown, repeated and bad parameters alike) so one 400 names them all, and no vendor
 * is called for a request that fails here.
 */
import { z } from 'zod';
import { GatewayError, type ProblemFieldError } from '../errors';
import { CAMPAIGN_STATUSES, PROVIDER_IDS, type CampaignStatus, type ProviderId } from '../schema/campaign';
import {
  CAMPAIGN_FIELDS,
  GROUP_BY_VALUES,
  SORT_FIELDS,
  cursorBinding,
  decodeCursor,
  type CampaignField,
  type ShapeRequest,
  type SortSpec,
} from './shape';

export const MAX_IDS = 100;
export const MAX_RANGE_DAYS = 366;
const INCLUDE_VALUES = ['steps', 'daily', 'raw'] as const;
/** `<connection>:<vendor id>`; vendor ids are UUIDs, 24-hex, `campaign_…` or integers: no dots, slashes or spaces. */
const CAMPAIGN_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9_-]{1,128}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
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

/** Parameter names and what they take, for the OpenAPI document and error messages. */
export const QUERY_PARAMETERS = {
  workspace_id: 'a workspace id the key is linked to, or ALL; omitted = the key\'s default workspace',
  providers: `comma list of ${PROVIDER_IDS.join(',')}`,
  ids: `comma list of at most ${MAX_IDS} campaign keys (<connection>:<vendor id>)`,
  status: `comma list of ${CAMPAIGN_STATUSES.join(',')}`,
  start_date: 'YYYY-MM-DD (UTC), with end_date',
  end_date: 'YYYY-MM-DD (UTC), with start_date; range at most 366 days',
  include: `comma list of ${INCLUDE_VALUES.join(',')}`,
  refresh: 'true: skip fresh cache entries',
  require: 'all: answer 502 unless every source succeeded',
  format: `${OUTPUT_FORMATS.join('|')}; wins over the Accept header (application/json, text/csv, application/x-ndjson)`,
  limit: `page size 1..${MAX_LIMIT}; the JSON answer then has page.nextCursor`,
  cursor: 'page.nextCursor of the previous page (same filters and sort)',
  sort: `one of ${SORT_FIELDS.join(',')}; "-" prefix for descending; nulls last; ties by key`,
  fields: `comma list of top-level campaign fields (${CAMPAIGN_FIELDS.join(',')}); key is always included`,
  group_by: `${GROUP_BY_VALUES.join('|')}: adds groups [{key, totals}] to the JSON answer`,
} as const;
type ParameterName = keyof typeof QUERY_PARAMETERS;

function isParameterName(name: string): name is ParameterName {
  return Object.prototype.hasOwnProperty.call(QUERY_PARAMETERS, name);
}

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30), as epoch ms at UTC midnight. */
export function parseDate(text: string): number | undefined {
  if (!DATE.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms;
}

function commaList(text: string): string[] | undefined {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) return undefined;
  return [...new Set(items)];
}

function enumList<T extends string>(text: string, allowed: readonly T[]): T[] | undefined {
  const items = commaList(text);
  if (!items) return undefined;
  const out: T[] = [];
  for (const item of items) {
    const found = allowed.find((value) => value === item);
    if (found === undefined) return undefined;
    out.push(found);
  }
  return out;
}

const WorkspaceIdSchema = z.union([z.literal('ALL'), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)]);

function oneOf<T extends string>(text: string, allowed: readonly T[]): T | undefined {
  return allowed.find((value) => value === text);
}

/**
 * Parses the raw query object (Express 5's simple parser: a repeated key arrives as an array).
 * `negotiated` is the format the Accept header (or the CLI's --format) asks for; an explicit
 * `format=` wins over it. Throws a 400 `invalid_query` GatewayError listing every bad parameter.
 */
export function parseAnalyticsQuery(raw: Readonly<Record<string, unknown>>, negotiated?: OutputFormat): AnalyticsRequest {
  const errors: ProblemFieldError[] = [];
  const values = new Map<ParameterName, string>();
  for (const [name, value] of Object.entries(raw)) {
    if (!isParameterName(name)) {
      errors.push({ parameter: name.slice(0, 64), message: 'unknown parameter' });
    } else if (typeof value !== 'string') {
      errors.push({ parameter: name, message: 'repeated parameter (give it once; lists are comma-separated)' });
    } else {
      values.set(name, value);
    }
  }

  const bad = (parameter: ParameterName, message: string): undefined => {
    errors.push({ parameter, message });
    return undefined;
  };
  const list = <T extends string>(name: ParameterName, allowed: readonly T[]): T[] | undefined => {
    const text = values.get(name);
    if (text === undefined) return undefined;
    return enumList(text, allowed) ?? bad(name, `expected ${QUERY_PARAMETERS[name]}`);
  };

  const workspaceText = values.get('workspace_id');
  let workspaceId: string | undefined;
  if (workspaceText !== undefined) {
    workspaceId = WorkspaceIdSchema.safeParse(workspaceText).success ? workspaceText : bad('workspace_id', 'expected a workspace id or ALL');
  }

  const providers = list('providers', PROVIDER_IDS);
  const statuses = list('status', CAMPAIGN_STATUSES);
  const includeList = list('include', INCLUDE_VALUES);

  let ids: string[] | undefined;
  const idsText = values.get('ids');
  if (idsText !== undefined) {
    const items = commaList(idsText);
    if (!items) bad('ids', 'expected a comma list of campaign keys');
    else if (items.length > MAX_IDS) bad('ids', `at most ${MAX_IDS} campaign keys`);
    else if (items.some((item) => !CAMPAIGN_KEY.test(item))) bad('ids', 'each id must be a campaign key <connection>:<vendor id> (letters, digits, "_" and "-")');
    else ids = items;
  }

  const startText = values.get('start_date');
  const endText = values.get('end_date');
  const start = startText === undefined ? undefined : (parseDate(startText) ?? bad('start_date', 'expected a date YYYY-MM-DD'));
  const end = endText === undefined ? undefined : (parseDate(endText) ?? bad('end_date', 'expected a date YYYY-MM-DD'));
  if ((startText === undefined) !== (endText === undefined)) {
    bad(startText === undefined ? 'start_date' : 'end_date', 'start_date and end_date go together');
  } else if (start !== undefined && end !== undefined) {
    if (start > end) bad('start_date', 'must not be after end_date');
    else if ((end - start) / 86_400_000 + 1 > MAX_RANGE_DAYS) bad('end_date', `the range must be at most ${MAX_RANGE_DAYS} days`);
  }

  const refreshText = values.get('refresh');
  if (refreshText !== undefined && refreshText !== 'true' && refreshText !== 'false') bad('refresh', 'expected true or false');
  const requireText = values.get('require');
  if (requireText !== undefined && requireText !== 'all') bad('require', 'expected all');

  const formatText = values.get('format');
  const format = formatText === undefined ? negotiated : (oneOf(formatText, OUTPUT_FORMATS) ?? bad('format', `expected ${OUTPUT_FORMATS.join(', ')}`));

  const limitText = values.get('limit');
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = /^[1-9]\d{0,3}$/.test(limitText) && Number(limitText) <= MAX_LIMIT ? Number(limitText) : bad('limit', `expected an integer 1..${MAX_LIMIT}`);
  }

  const sortText = values.get('sort');
  let sort: SortSpec | undefined;
  if (sortText !== undefined) {
    const descending = sortText.startsWith('-');
    const field = oneOf(descending ? sortText.slice(1) : sortText, SORT_FIELDS);
    sort = field === undefined ? bad('sort', `expected one field of ${SORT_FIELDS.join(',')}, optionally prefixed with "-"`) : { field, descending };
  }

  const fieldsText = values.get('fields');
  let fields: CampaignField[] | undefined;
  if (fieldsText !== undefined) {
    fields = enumList(fieldsText, CAMPAIGN_FIELDS) ?? bad('fields', `expected a comma list of ${CAMPAIGN_FIELDS.join(',')}`);
    if (fields?.includes('raw') && !includeList?.includes('raw')) fields = bad('fields', 'raw is only present with include=raw');
  }

  const groupText = values.get('group_by');
  const groupBy = groupText === undefined ? undefined : (oneOf(groupText, GROUP_BY_VALUES) ?? bad('group_by', `expected ${GROUP_BY_VALUES.join(', ')}`));
  if (groupBy !== undefined && format !== undefined && format !== 'json') {
    // CSV and NDJSON carry campaign rows only; grouped totals have no place in them.
    bad('group_by', `group_by adds groups to the JSON answer; it cannot be combined with ${format} (${formatText === undefined ? 'from the Accept header' : 'format'})`);
  }

  const cursor = values.get('cursor');
  const shaped = limit !== undefined || cursor !== undefined || sort !== undefined || fields !== undefined || groupBy !== undefined;
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

  if (errors.length > 0) {
    throw new GatewayError(400, 'invalid_query', `invalid query: ${errors.map((e) => e.parameter).join(', ')}`, errors);
  }
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
    refresh: refreshText === 'true',
    requireAll: requireText === 'all',
    ...(format !== undefined ? { format } : {}),
    ...(shaped ? { shape: { limit, after, cursor, sort, fields, groupBy, binding } } : {}),
  };
}
