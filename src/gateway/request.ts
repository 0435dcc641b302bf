/**
 * Validation of `GET /v1/campaigns/analytics` query parameters (DESIGN.md section 2). Every problem
 * is collected (unknown, repeated and bad parameters alike) so one 400 names them all, and no vendor
 * is called for a request that fails here.
 */
import { z } from 'zod';
import { GatewayError, type ProblemFieldError } from '../errors';
import { CAMPAIGN_STATUSES, PROVIDER_IDS, type CampaignStatus, type ProviderId } from '../schema/campaign';

export const MAX_IDS = 100;
export const MAX_RANGE_DAYS = 366;
const INCLUDE_VALUES = ['steps', 'daily', 'raw'] as const;
/** `<connection>:<vendor id>`; vendor ids are UUIDs, 24-hex, `campaign_…` or integers: no dots, slashes or spaces. */
const CAMPAIGN_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9_-]{1,128}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

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

/**
 * Parses the raw query object (Express 5's simple parser: a repeated key arrives as an array).
 * Throws a 400 `invalid_query` GatewayError listing every bad parameter.
 */
export function parseAnalyticsQuery(raw: Readonly<Record<string, unknown>>): AnalyticsRequest {
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
  };
}
