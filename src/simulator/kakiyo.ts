/**
 * Kakiyo simulator (VENDORS.md section 3; https://docs.kakiyo.com/api-reference/introduction).
 *
 * - auth: `Authorization: Bearer <40-char key>`. Errors are `{error: <code>, message}`:
 *   401 missing_api_key / invalid_api_key_format / invalid_api_key, 400 validation_error,
 *   404 not_found, 429 rate_limit_exceeded, 500 internal_error.
 * - `GET /v1/campaigns?limit&after` (names from the vendor's n8n node): oldest first, `after` = the
 *   last item's `id`; `limit` defaults to 20 (the vendor's n8n node's default). The envelope is
 *   undocumented, so the `envelope` option serves each plausible shape the client accepts:
 *   - `campaigns` (default): `{campaigns:[{id,name,status}], nextCursor}`, `nextCursor`
 *     null on the last page;
 *   - `array`: a bare array (a short page is the end);
 *   - `data`: `{data:[…], pagination:{nextCursor, hasMore}}`;
 *   - `data-campaigns`: `{data:{campaigns:[…], nextCursor, hasMore}}`.
 * - `GET /v1/analytics/campaigns/:id`: the documented shape
 *   (https://docs.kakiyo.com/api-reference/analytics/campaigns), rates as percentages 0–100,
 *   `dailyBreakdown` newest first over the campaign's whole activity, no date parameters.
 *   `statusDistribution` partitions the prospects (pending = never contacted). The
 *   `analyticsShape` option `minimal` serves the page's other example instead: only
 *   `campaign{id,name}` and `metrics{totalProspects,conversionRate}`.
 * - limits: 60 requests/minute per endpoint per key; no rate-limit headers and no `Retry-After`
 *   by default (neither is documented).
 */
import {
  AsOfMemo,
  Lazy,
  asOfDay,
  campaignsAsOf,
  dailyCounts,
  generateCampaigns,
  isoDay,
  totalsInRange,
  type CampaignCore,
  type DataEnv,
  type StatusOption,
} from './data';
import { bearerToken, first, headerValue, intParam } from './params';
import { hashSeed, hex, mulberry32, pick, type Rng } from './random';
import { perMinute } from './rate-limit';
import type { Reply, Route, VendorBehaviour } from './server';
import type { KakiyoAnalyticsShape, KakiyoEnvelope, RateLimitSettings, SimulatorAccount } from './types';

export const KAKIYO_DEFAULT_RATE_LIMIT: RateLimitSettings = { rules: [perMinute(60)], perEndpoint: true, retryAfter: 'none' };
export const KAKIYO_KEY_LENGTH = 40;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const STATUSES: readonly StatusOption<string>[] = [
  { value: 'active', weight: 45, kind: 'running' },
  { value: 'paused', weight: 20, kind: 'ended' },
  { value: 'completed', weight: 15, kind: 'ended' },
  { value: 'draft', weight: 10, kind: 'draft' },
  { value: 'archived', weight: 5, kind: 'ended' },
  // Not documented anywhere: an unknown value the gateway must tolerate.
  { value: 'scheduled', weight: 5, kind: 'draft' },
];

const PRODUCTS = ['Enterprise Solution', 'Starter Plan', 'Analytics Add-on', 'Consulting Package'] as const;

interface KakiyoCampaign {
  readonly core: CampaignCore<string>;
  readonly id: string;
  readonly agent: string;
  readonly product: string;
}

interface KakiyoData {
  readonly campaigns: readonly KakiyoCampaign[];
  readonly byId: ReadonlyMap<string, KakiyoCampaign>;
}

interface KakiyoAccount {
  readonly account: SimulatorAccount;
  /** As of the simulator's day (see `AsOfMemo`). */
  readonly data: AsOfMemo<KakiyoData>;
}

function buildData(account: SimulatorAccount, env: DataEnv): KakiyoData {
  const prefix = hex(mulberry32(hashSeed(account.seed, 'kakiyo-account')), 4);
  const agents = Array.from({ length: 3 }, (_, i) => `agent_${hex(mulberry32(hashSeed(account.seed, 'kakiyo-agent', i)), 6)}`);
  const campaigns = generateCampaigns(account, env, STATUSES).map((core): KakiyoCampaign => {
    const rng: Rng = mulberry32(hashSeed(core.seed, 'kakiyo'));
    return {
      core,
      // `campaign_` + hex, as the docs' `campaign_12345abcde`; the index part keeps ids unique.
      id: `campaign_${prefix}${hex(rng, 2)}${core.index.toString(16).padStart(6, '0')}`,
      agent: pick(rng, agents),
      product: pick(rng, PRODUCTS),
    };
  });
  return { campaigns, byId: new Map(campaigns.map((c) => [c.id, c])) };
}

/** The data as it stood at the end of `day`: an oldest-first prefix, so `after` paging still works by index. */
function dataAsOf(full: KakiyoData, day: number): KakiyoData {
  const campaigns = campaignsAsOf(full.campaigns, day, 'active');
  return { campaigns, byId: new Map(campaigns.map((c) => [c.id, c])) };
}

function kakiyoError(status: number, error: string, message: string): Reply {
  return { status, body: { error, message } };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : round2((part / whole) * 100);
}

/** A list item as the introduction's example object shows one: `{id, name, status}`. */
function listItem(c: KakiyoCampaign): Record<string, unknown> {
  return { id: c.id, name: c.core.name, status: c.core.status };
}

function analytics(c: KakiyoCampaign, env: DataEnv): Record<string, unknown> {
  const t = c.core.totals;
  const prospects = c.core.leads;
  const contacted = t.contacted;
  const answers = t.replied;
  const qualified = t.interested;
  const closed = t.won;
  // Every contacted prospect got a first message (the invite note); follow-ups come on top.
  const messages = contacted + t.linkedinMessages;
  const daily = dailyCounts([c.core], {}, ['contacted', 'linkedinMessages', 'replied', 'interested'])
    .reverse()
    .map(({ day, totals }) => ({
      date: isoDay(day),
      messages: totals.contacted + totals.linkedinMessages,
      responses: totals.replied,
      qualified: totals.interested,
    }));
  const today = asOfDay(env);
  const week = totalsInRange(c.core, { fromDay: today - 6, toDay: today });
  return {
    campaign: {
      id: c.id,
      name: c.core.name,
      status: c.core.status,
      createdAt: new Date(c.core.createdMs).toISOString(),
      agent: c.agent,
      product: c.product,
    },
    metrics: {
      totalProspects: prospects,
      totalMessages: messages,
      totalQualified: qualified,
      totalAnswers: answers,
      totalClosed: closed,
      conversionRate: percentOf(qualified, prospects),
      responseRate: percentOf(answers, prospects),
      qualificationRate: percentOf(qualified, answers),
      averageMessagesPerProspect: prospects === 0 ? 0 : round2(messages / prospects),
    },
    activity: {
      dailyBreakdown: daily,
      last7Days: {
        messages: week.contacted + week.linkedinMessages,
        responses: week.replied,
        qualified: week.interested,
      },
    },
    statusDistribution: {
      pending: prospects - contacted,
      contacted: contacted - answers,
      responded: answers - qualified,
      qualified: qualified - closed,
      closed,
    },
    qualificationBreakdown: {
      pending: prospects - qualified - Math.floor((answers - qualified) / 2),
      qualified,
      disqualified: Math.floor((answers - qualified) / 2),
    },
  };
}

/** The docs' minimal example: only the fields it shows. */
function minimalAnalytics(c: KakiyoCampaign): Record<string, unknown> {
  return {
    campaign: { id: c.id, name: c.core.name },
    metrics: { totalProspects: c.core.leads, conversionRate: percentOf(c.core.totals.interested, c.core.leads) },
  };
}

function routes(env: DataEnv, envelope: KakiyoEnvelope, analyticsShape: KakiyoAnalyticsShape): Route<KakiyoAccount>[] {
  return [
    {
      template: '/v1/campaigns',
      handle: ({ account, query }) => {
        const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
        if (!limit.ok) return kakiyoError(400, 'validation_error', limit.error);
        const data = account.data.get();
        const after = first(query, 'after');
        let start = 0;
        if (after !== undefined) {
          const found = data.byId.get(after);
          if (found === undefined) return kakiyoError(400, 'validation_error', 'after must be the id of a campaign');
          start = found.core.index + 1;
        }
        const page = data.campaigns.slice(start, start + limit.value);
        const hasMore = start + limit.value < data.campaigns.length;
        const last = page[page.length - 1];
        const nextCursor = hasMore && last !== undefined ? last.id : null;
        const items = page.map(listItem);
        switch (envelope) {
          case 'array':
            return { status: 200, body: items };
          case 'data':
            return { status: 200, body: { data: items, pagination: { nextCursor, hasMore } } };
          case 'data-campaigns':
            return { status: 200, body: { data: { campaigns: items, nextCursor, hasMore } } };
          case 'campaigns':
            return { status: 200, body: { campaigns: items, nextCursor } };
        }
      },
    },
    {
      template: '/v1/analytics/campaigns/:id',
      handle: ({ account, params }) => {
        const c = account.data.get().byId.get(params.id ?? '');
        if (c === undefined) return kakiyoError(404, 'not_found', 'Campaign not found');
        return { status: 200, body: analyticsShape === 'minimal' ? minimalAnalytics(c) : analytics(c, env) };
      },
    },
  ];
}

export function createKakiyoBehaviour(
  accounts: readonly SimulatorAccount[],
  env: DataEnv,
  envelope: KakiyoEnvelope,
  analyticsShape: KakiyoAnalyticsShape = 'full',
): VendorBehaviour<KakiyoAccount> {
  for (const account of accounts) {
    if (account.apiKey.length !== KAKIYO_KEY_LENGTH) {
      throw new Error(`kakiyo simulator account ${account.label}: keys are ${KAKIYO_KEY_LENGTH} characters`);
    }
  }
  const byKey = new Map<string, KakiyoAccount>(
    accounts.map((account) => [account.apiKey, { account, data: new AsOfMemo(env, new Lazy(() => buildData(account, env)), dataAsOf) }]),
  );
  return {
    provider: 'kakiyo',
    accounts,
    routes: routes(env, envelope, analyticsShape),
    authenticate: (request) => {
      const header = headerValue(request.headers.authorization);
      if (header === undefined) {
        return { ok: false, reply: kakiyoError(401, 'missing_api_key', 'API key is required: send Authorization: Bearer <key>') };
      }
      const key = bearerToken(header);
      if (key === undefined || key.length !== KAKIYO_KEY_LENGTH) {
        return { ok: false, reply: kakiyoError(401, 'invalid_api_key_format', 'API key must be 40 characters, sent as Bearer') };
      }
      const found = byKey.get(key);
      if (found === undefined) return { ok: false, reply: kakiyoError(401, 'invalid_api_key', 'Invalid API key') };
      return { ok: true, account: found };
    },
    notFound: () => kakiyoError(404, 'not_found', 'Endpoint not found'),
    rateLimited: () => kakiyoError(429, 'rate_limit_exceeded', 'Rate limit exceeded: 60 requests per minute per endpoint'),
    internalError: () => kakiyoError(500, 'internal_error', 'An internal error occurred'),
    unavailable: () => kakiyoError(503, 'service_unavailable', 'Service temporarily unavailable'),
    defaultRateLimit: KAKIYO_DEFAULT_RATE_LIMIT,
    rateLimitHeaders: false,
    prepare: () => {
      for (const entry of byKey.values()) entry.data.get();
    },
  };
}
