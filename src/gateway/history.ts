/**
 * `GET /v1/campaigns/history`: its query parameters (the main endpoint's filters plus the period,
 * interval, metrics and grouping), and the answer built from the history store for a client's
 * workspaces. The store is optional: without one, or while it is unreachable, the endpoint answers
 * 503 and the main endpoint keeps serving.
 */
import { z } from 'zod';
import { GatewayError } from '../errors';
import { METRIC_NAMES, type MetricName } from '../schema/campaign';
import type { HistoryResponse } from '../schema/history';
import type { HistoryStore } from '../store';
import { HISTORY_GROUPS, HISTORY_INTERVALS, type HistoryResult } from '../store/history';
import { StoreUnavailableError } from '../store';
import { DATE_SCHEMA, QUERY_PARAMETERS, parseDate, queryReader, type QueryParameter } from './request';

export const HISTORY_ROUTE = '/v1/campaigns/history';

/** The longest history one request may ask for. */
export const MAX_HISTORY_DAYS = 731;
/** Without dates: the last 90 days up to today (UTC). */
export const DEFAULT_HISTORY_DAYS = 90;

const HISTORY_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

const historyDate = (which: 'first' | 'last'): QueryParameter<z.ZodISODate> => ({
  description: `The ${which} day of the history (UTC, YYYY-MM-DD), inclusive. Without start_date and end_date: the last ${DEFAULT_HISTORY_DAYS} days up to today; one without the other is a 400; at most ${MAX_HISTORY_DAYS} days. Periods are whole: a week or month that starts before start_date is reported whole.`,
  schema: DATE_SCHEMA,
  message: 'expected a date YYYY-MM-DD',
});

export const HISTORY_PARAMETERS = {
  workspace_id: QUERY_PARAMETERS.workspace_id,
  providers: QUERY_PARAMETERS.providers,
  ids: QUERY_PARAMETERS.ids,
  status: {
    ...QUERY_PARAMETERS.status,
    description: "Only campaigns whose status in their latest snapshot of the range is one of these (comma-separated).",
  },
  start_date: historyDate('first'),
  end_date: historyDate('last'),
  interval: {
    description: 'The period each point covers: day, week (ISO, Monday to Sunday) or month; UTC. Default week.',
    schema: z.enum(HISTORY_INTERVALS),
    message: `expected ${HISTORY_INTERVALS.join(', ')}`,
  },
  metrics: {
    description: 'The metrics each point reports (comma-separated); default all. Rates are always recomputed from the sums.',
    schema: z.array(z.enum(METRIC_NAMES)).min(1).max(METRIC_NAMES.length),
    list: true,
    message: `expected a comma list of ${METRIC_NAMES.join(',')}`,
  },
  group_by: {
    description: 'One series per campaign, provider, workspace, or one in total (default).',
    schema: z.enum(HISTORY_GROUPS),
    message: `expected ${HISTORY_GROUPS.join(', ')}`,
  },
  format: {
    description: 'json (default), csv or ndjson (one row per series and period); wins over the Accept header.',
    schema: z.enum(HISTORY_FORMATS),
    message: `expected ${HISTORY_FORMATS.join(', ')}`,
  },
} satisfies Record<string, QueryParameter>;
type HistoryParameter = keyof typeof HISTORY_PARAMETERS;

export interface HistoryRequest {
  workspaceId: string | undefined;
  providers: (typeof QUERY_PARAMETERS.providers.schema)['_output'] | undefined;
  ids: string[] | undefined;
  statuses: (typeof QUERY_PARAMETERS.status.schema)['_output'] | undefined;
  startDate: string;
  endDate: string;
  interval: (typeof HISTORY_INTERVALS)[number];
  metrics: MetricName[] | undefined;
  groupBy: (typeof HISTORY_GROUPS)[number];
  format: HistoryFormat;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses the history query; a 400 names every bad parameter. `now` sets the default range. */
export function parseHistoryQuery(raw: Readonly<Record<string, unknown>>, now: number, negotiated?: HistoryFormat): HistoryRequest {
  const { texts, bad, read, check } = queryReader<HistoryParameter>(raw, HISTORY_PARAMETERS);
  const workspaceId = read('workspace_id', HISTORY_PARAMETERS.workspace_id);
  const providers = read('providers', HISTORY_PARAMETERS.providers);
  const ids = read('ids', HISTORY_PARAMETERS.ids);
  const statuses = read('status', HISTORY_PARAMETERS.status);
  const interval = read('interval', HISTORY_PARAMETERS.interval) ?? 'week';
  const metrics = read('metrics', HISTORY_PARAMETERS.metrics);
  const groupBy = read('group_by', HISTORY_PARAMETERS.group_by) ?? 'total';
  const format = read('format', HISTORY_PARAMETERS.format) ?? negotiated ?? 'json';

  let startDate = day(now - (DEFAULT_HISTORY_DAYS - 1) * 86_400_000);
  let endDate = day(now);
  const startText = read('start_date', HISTORY_PARAMETERS.start_date);
  const endText = read('end_date', HISTORY_PARAMETERS.end_date);
  if (texts.has('start_date') !== texts.has('end_date')) {
    bad(texts.has('start_date') ? 'end_date' : 'start_date', 'start_date and end_date go together');
  } else if (startText !== undefined && endText !== undefined) {
    const start = parseDate(startText) ?? bad('start_date', 'expected a date YYYY-MM-DD');
    const end = parseDate(endText) ?? bad('end_date', 'expected a date YYYY-MM-DD');
    if (start !== undefined && end !== undefined) {
      if (start > end) bad('start_date', 'must not be after end_date');
      else if ((end - start) / 86_400_000 + 1 > MAX_HISTORY_DAYS) bad('end_date', `the range must be at most ${MAX_HISTORY_DAYS} days`);
    }
    startDate = startText;
    endDate = endText;
  }
  check();
  return { workspaceId, providers, ids, statuses, startDate, endDate, interval, metrics, groupBy, format };
}

/** Answers a parsed history request for the given workspaces (already authorized). */
export async function answerHistory(store: HistoryStore | undefined, workspaces: readonly string[], request: HistoryRequest): Promise<HistoryResult> {
  if (!store) throw new GatewayError(503, 'history_unavailable', 'history is off: this gateway runs without a store (storage.enabled: false)');
  try {
    return await store.history({
      workspaces,
      providers: request.providers,
      ids: request.ids,
      statuses: request.statuses,
      startDate: request.startDate,
      endDate: request.endDate,
      interval: request.interval,
      metrics: request.metrics,
      groupBy: request.groupBy,
    });
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new GatewayError(503, 'history_unavailable', 'the history store is unreachable; the main endpoint still answers from vendors and cache');
    throw error;
  }
}

/**
 * The JSON answer of a history request: the body of `GET /v1/campaigns/history` and the result of
 * the MCP history tool (one shape, built in one place).
 */
export function historyBody(result: HistoryResult, request: HistoryRequest, workspaces: readonly string[], requestId: string, now: number): HistoryResponse {
  return {
    data: result.series,
    periods: result.periods,
    warnings: result.warnings,
    meta: {
      requestId,
      generatedAt: new Date(now).toISOString(),
      workspaces: [...workspaces],
      startDate: request.startDate,
      endDate: request.endDate,
      interval: request.interval,
      groupBy: request.groupBy,
      demo: result.demo,
    },
  };
}

const HISTORY_RATES = ['openRate', 'replyRate', 'bounceRate', 'interestedRate'] as const;

/** The columns of the CSV/NDJSON rows of a history answer, for the metrics asked for. */
export function historyColumns(metrics: readonly MetricName[] | undefined): string[] {
  return ['campaign', 'name', 'provider', 'workspace', 'period', 'end', 'source', 'campaigns', ...(metrics ?? METRIC_NAMES), ...HISTORY_RATES];
}

/** CSV/NDJSON rows of a history answer: one per series and period, keyed by `historyColumns`. */
export function historyRows(result: HistoryResult, metrics: readonly MetricName[] | undefined): Record<string, string | number | null>[] {
  const wanted = metrics ?? METRIC_NAMES;
  const rows: Record<string, string | number | null>[] = [];
  for (const series of result.series) {
    for (const point of series.points) {
      const row: Record<string, string | number | null> = {
        campaign: series.group.campaign ?? null,
        name: series.group.name ?? null,
        provider: series.group.provider ?? null,
        workspace: series.group.workspace ?? null,
        period: point.period,
        end: point.end,
        source: point.source,
        campaigns: point.campaigns,
      };
      for (const metric of wanted) row[metric] = point.metrics?.[metric] ?? null;
      for (const rate of HISTORY_RATES) row[rate] = point.rates?.[rate] ?? null;
      rows.push(row);
    }
  }
  return rows;
}

