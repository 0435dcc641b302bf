/**
 * The answer content as the gateway made it before answers were built from per-source pieces
 * (answer-pieces.ts): every request merged its sources' campaigns, filtered them, sorted them in
 * the default order, summed the totals, shaped the result and serialized it whole. Kept here, as
 * it was, as the reference the pieces must reproduce byte for byte.
 */
import {
  compareDefault,
  comparePositions,
  compareSortValues,
  compareStrings,
  encodeCursor,
  positionFor,
  selectFields,
  sortAccessor,
  type GroupBy,
  type ShapeRequest,
  type ShapedData,
} from '../../src/gateway/shape';
import { CAMPAIGN_STATUSES, METRIC_NAMES, RATE_DEFINITIONS, RATE_NAMES, emptyMetrics, type CampaignAnalytics } from '../../src/schema/campaign';
import type { Group } from '../../src/schema/envelope';
import { ratio, type Totals } from '../../src/schema/rates';

export function referenceTotals(records: readonly Pick<CampaignAnalytics, 'metrics'>[]): Totals {
  const metrics = emptyMetrics();
  for (const record of records) {
    for (const name of METRIC_NAMES) {
      const value = record.metrics[name];
      if (value !== null) metrics[name] = (metrics[name] ?? 0) + value;
    }
  }
  const rate = (name: (typeof RATE_NAMES)[number]): number | null => {
    const [num, den] = RATE_DEFINITIONS[name];
    let numSum = 0;
    let denSum = 0;
    let seen = false;
    for (const record of records) {
      const n = record.metrics[num];
      const d = record.metrics[den];
      if (n === null || d === null) continue;
      numSum += n;
      denSum += d;
      seen = true;
    }
    return seen ? ratio(numSum, denSum) : null;
  };
  const rates = {
    openRate: rate('openRate'),
    clickRate: rate('clickRate'),
    replyRate: rate('replyRate'),
    bounceRate: rate('bounceRate'),
    interestedRate: rate('interestedRate'),
    inviteAcceptRate: rate('inviteAcceptRate'),
  };
  return { campaigns: records.length, metrics, rates };
}

const STATUS_RANK: ReadonlyMap<string, number> = new Map(CAMPAIGN_STATUSES.map((status, rank) => [status, rank]));

export function referenceGroupTotals(records: readonly CampaignAnalytics[], by: GroupBy): Group[] {
  const members = new Map<string, CampaignAnalytics[]>();
  for (const record of records) {
    const key = by === 'provider' ? record.provider : by === 'workspace' ? record.workspace : record.status;
    const list = members.get(key);
    if (list) list.push(record);
    else members.set(key, [record]);
  }
  const rank = (key: string): number => (by === 'status' ? (STATUS_RANK.get(key) ?? CAMPAIGN_STATUSES.length) : 0);
  return [...members.keys()].sort((a, b) => rank(a) - rank(b) || compareStrings(a, b)).map((key) => ({ key, totals: referenceTotals(members.get(key) ?? []) }));
}

export function referenceShape(data: CampaignAnalytics[], shape: ShapeRequest): ShapedData {
  let ordered = data;
  if (shape.sort) {
    const { descending } = shape.sort;
    const value = sortAccessor(shape.sort.field);
    ordered = data
      .map((record) => ({ record, value: value(record) }))
      .sort((a, b) => compareSortValues(a.value, b.value, descending) || compareStrings(a.record.key, b.record.key))
      .map((row) => row.record);
  }
  const positionOf = positionFor(shape.sort);
  const descending = shape.sort?.descending ?? false;
  let start = 0;
  if (shape.after) {
    const after = shape.after;
    start = ordered.findIndex((record) => comparePositions(positionOf(record), after, descending) > 0);
    if (start < 0) start = ordered.length;
  }
  const end = shape.limit === undefined ? ordered.length : Math.min(ordered.length, start + shape.limit);
  const slice = start === 0 && end === ordered.length ? ordered : ordered.slice(start, end);
  const last = ordered[end - 1];
  const out: ShapedData = { data: shape.fields ? selectFields(slice, shape.fields) : slice };
  if (shape.groupBy) out.groups = referenceGroupTotals(data, shape.groupBy);
  if (shape.limit !== undefined) {
    out.page = { limit: shape.limit, nextCursor: end < ordered.length && last !== undefined ? encodeCursor(positionOf(last), shape.binding) : null };
  }
  return out;
}

export interface ReferenceQuery {
  statuses?: readonly string[] | undefined;
  ids?: readonly string[] | undefined;
  shape?: ShapeRequest | undefined;
}

/** `JSON.stringify({data, totals, groups?, page?})` of an answer over these sources' records, as it was made. */
export function referenceContentJson(sources: readonly (readonly CampaignAnalytics[])[], query: ReferenceQuery): string {
  const statuses = query.statuses ? new Set(query.statuses) : undefined;
  const ids = query.ids ? new Set(query.ids) : undefined;
  const data: CampaignAnalytics[] = [];
  for (const records of sources) {
    for (const record of records) {
      if (statuses && !statuses.has(record.status)) continue;
      if (ids && !ids.has(record.key)) continue;
      data.push(record);
    }
  }
  data.sort(compareDefault);
  const totals = referenceTotals(data);
  const shaped = query.shape ? referenceShape(data, query.shape) : undefined;
  return JSON.stringify({
    data: shaped ? shaped.data : data,
    totals,
    ...(shaped?.groups ? { groups: shaped.groups } : {}),
    ...(shaped?.page ? { page: shaped.page } : {}),
  });
}
