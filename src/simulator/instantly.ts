/**
 * Instantly API v2 simulator (VENDORS.md section 1; spec `vendor-specs/instantly-api-v2-campaigns-analytics.openapi.json`).
 *
 * - auth: `Authorization: Bearer <key>`; missing → 401 "Missing Authorization header", wrong →
 *   401 "Invalid API key", both `{statusCode, error, message}`.
 * - admin keys (starter-kit `docs/conventions.md`): `x-as-workspace: <sub_workspace_id>` makes an
 *   admin-workspace key act on a sub-workspace. Modelled by `AccountSpec.subWorkspaces`: when the
 *   key's account lists the id, the request is served as the account whose `vendorWorkspaceId` it is
 *   (its campaigns, its rate-limit window, its `stats().byKey` label: Instantly's limit is per
 *   workspace). Any other id (not listed, unknown, the key's own workspace, any id from a key
 *   without `subWorkspaces`) → 403 `{statusCode:403, error:"Forbidden", message:"This API key
 *   cannot act on the requested workspace"}`: the real answer is undocumented, this is our guess.
 *   An empty header value counts as absent (our choice; HTTP trims it to "" anyway), and without
 *   the header every key acts on its own account, as before.
 * - `GET /api/v2/campaigns/analytics`: every campaign in one unpaged array; `id` and repeated `ids`
 *   restrict it; `start_date`/`end_date` (`YYYY-MM-DD` = UTC midnight, or ISO) scale the counts,
 *   both days inclusive (undocumented; our choice). A campaign is absent until it has sent, so
 *   drafts never appear (starter-kit `docs/api/analytics.md`). About one campaign in sixteen leaves
 *   out the optional `*_unique`, `*_by_step` and `*_automatic*` fields; mode `instantlyAnalytics:
 *   'live'` leaves them out of every record, as recorded live replies do. A 400 here is just `{message}`.
 * - `GET /api/v2/campaigns`: `limit` 1–100 (default 10), `starting_after` → `next_starting_after`,
 *   ids ascending (UUIDv7). Items carry `sequences[0].steps` (one entry per step, its `variants`). The quirk of the real API is kept: every page with items carries
 *   `next_starting_after`, so the last page with data does too, and the page after it is
 *   `{items: []}` (starter-kit `docs/conventions.md`).
 * - `GET /api/v2/campaigns/analytics/steps` and `/daily`: `campaign_id` (omitted = all campaigns),
 *   `step`/`variant` as strings; `variant` from 0, `step` from `instantlyStepBase` (1 unless set to
 *   0: the numbering is contested). About one campaign in ten has a row for replies the vendor
 *   could not attribute, whose `step` (and `variant`) is JSON null for half of them and the string
 *   "null" for the other half (client code filters `str(step) != "null"`). Steps and daily rows add
 *   up exactly to the analytics totals.
 * - status 5 is not in the documented enum: it appears now and then, as an unknown value would.
 * - limits: 100/s and 6,000/min per account (https://developer.instantly.ai/getting-started/rate-limit),
 *   429 `{statusCode:429, error:"Too Many Requests", message:"Rate limit exceeded"}`.
 */
import {
  AsOfMemo,
  Lazy,
  asOfDay,
  campaignsAsOf,
  dailyCounts,
  firstIndexAfter,
  generateCampaigns,
  isoDay,
  splitCount,
  totalsInRange,
  type CampaignCore,
  type DataEnv,
  type DayRange,
  type StatusOption,
  type Totals,
} from './data';
import { boolParam, bearerToken, first, headerValue, intParam, rangeParams } from './params';
import { between, hashSeed, hex, intBetween, mulberry32, pick, pickWeighted, type Rng } from './random';
import { perMinute, perSecond } from './rate-limit';
import { BodyCache, jsonReply, type Reply, type Route, type SimRequest, type VendorBehaviour } from './server';
import type { InstantlyAnalyticsShape, RateLimitSettings, SimulatorAccount } from './types';

export const INSTANTLY_DEFAULT_RATE_LIMIT: RateLimitSettings = {
  rules: [perSecond(100), perMinute(6000)],
  perEndpoint: false,
  retryAfter: 'seconds',
};

const STATUSES: readonly StatusOption<number>[] = [
  { value: 1, weight: 40, kind: 'running' },
  { value: 2, weight: 14, kind: 'ended' },
  { value: 3, weight: 20, kind: 'ended' },
  { value: 0, weight: 8, kind: 'draft' },
  { value: 4, weight: 5, kind: 'running' },
  { value: -1, weight: 3, kind: 'running' },
  { value: -2, weight: 3, kind: 'ended' },
  { value: -99, weight: 2, kind: 'ended' },
  { value: 5, weight: 3, kind: 'running' },
];

const TIMEZONES = ['America/Chicago', 'America/Detroit', 'Europe/Belgrade', 'Europe/Helsinki', 'Asia/Dubai', 'Australia/Melbourne'] as const;
const SENDER_NAMES = ['alex', 'sam', 'jordan', 'taylor', 'morgan', 'casey'] as const;

interface InstantlyCampaign {
  readonly core: CampaignCore<number>;
  readonly id: string;
  readonly evergreen: boolean;
  /** Leaves out the optional analytics fields. */
  readonly sparse: boolean;
  readonly stepWeights: readonly number[];
  readonly variantWeights: readonly number[];
  /** Has a `step: null` row in the steps analytics. */
  readonly unattributed: boolean;
  readonly timezone: string;
  readonly dailyLimit: number;
  readonly senders: readonly string[];
  readonly plValue: number | null;
}

interface InstantlyData {
  readonly campaigns: readonly InstantlyCampaign[];
  readonly byId: ReadonlyMap<string, InstantlyCampaign>;
  readonly organization: string;
  readonly owner: string;
}

interface InstantlyAccount {
  readonly account: SimulatorAccount;
  /** As of the simulator's day (see `AsOfMemo`). */
  readonly data: AsOfMemo<InstantlyData>;
  readonly bodies: BodyCache;
}

/** The modes of one Instantly simulator (see `SimulatorOptions`). */
export interface InstantlyModes {
  readonly analytics: InstantlyAnalyticsShape;
  readonly stepBase: 0 | 1;
}

function uuidV4(rng: Rng): string {
  const h = hex(rng, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${pick(rng, ['8', '9', 'a', 'b'])}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** UUIDv7: the creation time leads, so ids sort in creation order (what `starting_after` pages on). */
function uuidV7(ms: number, rng: Rng): string {
  const time = ms.toString(16).padStart(12, '0');
  const h = hex(rng, 18);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${h.slice(0, 3)}-${pick(rng, ['8', '9', 'a', 'b'])}${h.slice(3, 6)}-${h.slice(6, 18)}`;
}

function domainOf(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${slug === '' ? 'example' : slug}-mail.com`;
}

function buildData(account: SimulatorAccount, env: DataEnv): InstantlyData {
  const cores = generateCampaigns(account, env, STATUSES);
  const accountRng = mulberry32(hashSeed(account.seed, 'instantly-account'));
  const organization = uuidV4(accountRng);
  const owner = uuidV4(accountRng);
  const domain = domainOf(account.label);
  const campaigns = cores.map((core): InstantlyCampaign => {
    const rng = mulberry32(hashSeed(core.seed, 'instantly'));
    const id = uuidV7(core.createdMs, rng);
    const steps = intBetween(rng, 1, 5);
    const decay = between(rng, 0.5, 0.85);
    const variants = pickWeighted(rng, [
      { count: 1, weight: 5 },
      { count: 2, weight: 4 },
      { count: 3, weight: 1 },
    ]).count;
    const senderCount = intBetween(rng, 1, 3);
    return {
      core,
      id,
      evergreen: rng() < 0.1,
      sparse: rng() < 1 / 16,
      stepWeights: Array.from({ length: steps }, (_, s) => decay ** s),
      variantWeights: Array.from({ length: variants }, () => between(rng, 0.5, 1.5)),
      unattributed: rng() < 0.1,
      timezone: pick(rng, TIMEZONES),
      dailyLimit: intBetween(rng, 2, 20) * 25,
      senders: Array.from({ length: senderCount }, (_, i) => `${SENDER_NAMES[(core.index + i) % SENDER_NAMES.length] ?? 'team'}@${domain}`),
      plValue: rng() < 0.3 ? null : intBetween(rng, 1, 20) * 50,
    };
  });
  return { campaigns, byId: new Map(campaigns.map((c) => [c.id, c])), organization, owner };
}

/** The data as it stood at the end of `day`. */
function dataAsOf(full: InstantlyData, day: number): InstantlyData {
  // Status 1 (active) is what a campaign that paused or completed later showed while it ran.
  const campaigns = campaignsAsOf(full.campaigns, day, 1);
  return { ...full, campaigns, byId: new Map(campaigns.map((c) => [c.id, c])) };
}

function analyticsRow(c: InstantlyCampaign, range: DayRange, modes: InstantlyModes): Record<string, unknown> {
  const t = totalsInRange(c.core, range);
  const sparse = c.sparse || modes.analytics === 'live';
  return {
    campaign_name: c.core.name,
    campaign_id: c.id,
    campaign_status: c.core.status,
    campaign_is_evergreen: c.evergreen,
    leads_count: c.core.leads,
    contacted_count: t.contacted,
    emails_sent_count: t.emailsSent,
    new_leads_contacted_count: t.newLeadsContacted,
    open_count: t.opens,
    ...(sparse ? {} : { open_count_unique: t.opened, open_count_unique_by_step: t.openedByStep }),
    reply_count: t.replies,
    ...(sparse
      ? {}
      : {
          reply_count_unique: t.replied,
          reply_count_unique_by_step: t.repliedByStep,
          reply_count_automatic: t.autoReplies,
          reply_count_automatic_unique: t.autoReplied,
          reply_count_automatic_unique_by_step: t.autoRepliedByStep,
        }),
    link_click_count: t.clicks,
    ...(sparse ? {} : { link_click_count_unique: t.clicked, link_click_count_unique_by_step: t.clickedByStep }),
    bounced_count: t.bounced,
    unsubscribed_count: t.unsubscribed,
    completed_count: t.completed,
    total_opportunities: t.interested,
    total_opportunity_value: t.interested * c.core.dealValue,
  };
}

interface StepRow {
  /** The step number as text; null or the string "null" for the unattributed row. */
  step: string | null;
  variant: string | null;
  sent: number;
  opened: number;
  unique_opened: number;
  replies: number;
  unique_replies: number;
  replies_automatic: number;
  unique_replies_automatic: number;
  clicks: number;
  unique_clicks: number;
  opportunities?: number;
  unique_opportunities?: number;
  meetings_booked?: number;
  won?: number;
}

/** Replies the vendor could not tie to a step (the `step: null` row). */
function unattributedReplies(c: InstantlyCampaign, t: Totals): number {
  return c.unattributed ? Math.min(t.replies, 1 + (c.core.index % 3)) : 0;
}

function stepRows(c: InstantlyCampaign, range: DayRange, withOpportunities: boolean, stepBase: 0 | 1): StepRow[] {
  if (c.core.activity === null) return [];
  const t = totalsInRange(c.core, range);
  const cells: { step: number; variant: number; weight: number }[] = [];
  c.stepWeights.forEach((stepWeight, step) => {
    c.variantWeights.forEach((variantWeight, variant) => cells.push({ step, variant, weight: stepWeight * variantWeight }));
  });
  const weights = cells.map((cell) => cell.weight);
  const nullReplies = unattributedReplies(c, t);
  const split = (total: number): number[] => splitCount(total, weights);
  const sent = split(t.emailsSent);
  const opened = split(t.opens);
  const uniqueOpened = split(t.openedByStep);
  const replies = split(t.replies - nullReplies);
  const uniqueReplies = split(t.repliedByStep);
  const automatic = split(t.autoReplies);
  const uniqueAutomatic = split(t.autoRepliedByStep);
  const clicks = split(t.clicks);
  const uniqueClicks = split(t.clickedByStep);
  const opportunities = split(t.interested);
  const meetings = split(t.meetings);
  const won = split(t.won);
  const rows = cells.map((cell, i): StepRow => ({
    step: String(cell.step + stepBase),
    variant: String(cell.variant),
    sent: sent[i] ?? 0,
    opened: opened[i] ?? 0,
    unique_opened: uniqueOpened[i] ?? 0,
    replies: replies[i] ?? 0,
    unique_replies: uniqueReplies[i] ?? 0,
    replies_automatic: automatic[i] ?? 0,
    unique_replies_automatic: uniqueAutomatic[i] ?? 0,
    clicks: clicks[i] ?? 0,
    unique_clicks: uniqueClicks[i] ?? 0,
    ...(withOpportunities
      ? { opportunities: opportunities[i] ?? 0, unique_opportunities: opportunities[i] ?? 0, meetings_booked: meetings[i] ?? 0, won: won[i] ?? 0 }
      : {}),
  }));
  if (nullReplies > 0) {
    // Both forms of "no step" are served: JSON null and the string "null".
    const unplaced = c.core.index % 2 === 0 ? null : 'null';
    rows.push({
      step: unplaced,
      variant: unplaced,
      sent: 0,
      opened: 0,
      unique_opened: 0,
      replies: nullReplies,
      unique_replies: 0,
      replies_automatic: 0,
      unique_replies_automatic: 0,
      clicks: 0,
      unique_clicks: 0,
      ...(withOpportunities ? { opportunities: 0, unique_opportunities: 0, meetings_booked: 0, won: 0 } : {}),
    });
  }
  return rows;
}

const STEP_METRICS = [
  'sent',
  'opened',
  'unique_opened',
  'replies',
  'unique_replies',
  'replies_automatic',
  'unique_replies_automatic',
  'clicks',
  'unique_clicks',
  'opportunities',
  'unique_opportunities',
  'meetings_booked',
  'won',
] as const;

/** True for the row of replies the vendor could not tie to a step (`step` null or "null"). */
function unplaced(row: StepRow): boolean {
  return row.step === null || row.step === 'null';
}

/** Sums step rows of many campaigns by (step, variant); numbered steps first, the unplaced rows (null, then "null") last. */
function sumStepRows(rows: readonly StepRow[]): StepRow[] {
  const sums = new Map<string, StepRow>();
  for (const row of rows) {
    const key = `${row.step ?? '~'}:${row.variant ?? '~'}`;
    const sum = sums.get(key);
    if (sum === undefined) {
      sums.set(key, { ...row });
      continue;
    }
    for (const metric of STEP_METRICS) {
      const value = row[metric];
      if (value !== undefined) sum[metric] = (sum[metric] ?? 0) + value;
    }
  }
  const order = (row: StepRow): number => (unplaced(row) ? Number.MAX_SAFE_INTEGER - (row.step === null ? 1 : 0) : Number(row.step) * 100 + Number(row.variant));
  return [...sums.values()].sort((a, b) => order(a) - order(b));
}

interface DailyRow {
  date: string;
  sent: number;
  contacted: number;
  new_leads_contacted: number;
  opened: number;
  unique_opened: number;
  replies: number;
  unique_replies: number;
  replies_automatic: number;
  unique_replies_automatic: number;
  clicks: number;
  unique_clicks: number;
  opportunities: number;
  unique_opportunities: number;
}

/** Daily rows summed over `campaigns`, ascending, days without any activity left out. */
function dailyRows(campaigns: readonly InstantlyCampaign[], range: DayRange): DailyRow[] {
  return dailyCounts(
    campaigns.map((c) => c.core),
    range,
    ['emailsSent', 'newLeadsContacted', 'opens', 'opened', 'replies', 'replied', 'autoReplies', 'autoReplied', 'clicks', 'clicked', 'interested'],
  ).map(({ day, totals: t }) => ({
    date: isoDay(day),
    // One email per lead per day: the day's unique contacts are its sends.
    sent: t.emailsSent,
    contacted: t.emailsSent,
    new_leads_contacted: t.newLeadsContacted,
    opened: t.opens,
    unique_opened: t.opened,
    replies: t.replies,
    unique_replies: t.replied,
    replies_automatic: t.autoReplies,
    unique_replies_automatic: t.autoReplied,
    clicks: t.clicks,
    unique_clicks: t.clicked,
    opportunities: t.interested,
    unique_opportunities: t.interested,
  }));
}

function campaignObject(c: InstantlyCampaign, data: InstantlyData): Record<string, unknown> {
  return {
    id: c.id,
    name: c.core.name,
    status: c.core.status,
    pl_value: c.plValue,
    is_evergreen: c.evergreen,
    campaign_schedule: {
      start_date: null,
      end_date: null,
      schedules: [
        {
          name: 'Weekdays',
          timing: { from: '09:00', to: '17:00' },
          days: { '0': false, '1': true, '2': true, '3': true, '4': true, '5': true, '6': false },
          timezone: c.timezone,
        },
      ],
    },
    sequences: [
      {
        steps: c.stepWeights.map((_, step) => ({
          type: 'email',
          delay: step === 0 ? 2 : 3,
          delay_unit: 'days',
          variants: c.variantWeights.map((_w, variant) => ({
            subject: `${step === 0 ? 'Quick question' : 'Following up'} {{firstName}} (${String.fromCharCode(65 + variant)})`,
            body: 'Hey {{firstName}},<br/><br/>Worth a chat?',
          })),
        })),
      },
    ],
    timestamp_created: new Date(c.core.createdMs).toISOString(),
    timestamp_updated: new Date(c.core.updatedMs).toISOString(),
    email_gap: 10,
    random_wait_max: 10,
    text_only: false,
    email_list: c.senders,
    daily_limit: c.dailyLimit,
    stop_on_reply: true,
    link_tracking: true,
    open_tracking: true,
    stop_on_auto_reply: false,
    organization: data.organization,
    owned_by: data.owner,
  };
}

function fastifyError(status: number, error: string, message: string): Reply {
  return { status, body: { statusCode: status, error, message } };
}

/** 400 on the analytics endpoints is just `{message}` (spec). */
function analyticsBadRequest(message: string): Reply {
  return { status: 400, body: { message } };
}

function analyticsRange(query: URLSearchParams): { ok: true; range: DayRange } | { ok: false; reply: Reply } {
  const range = rangeParams(query, 'start_date', 'end_date');
  if (range.ok) return { ok: true, range: range.value };
  if (range.error === 'start after end') return { ok: false, reply: analyticsBadRequest('Start Date must be earlier than End Date') };
  return { ok: false, reply: analyticsBadRequest(range.error) };
}

function routes(env: DataEnv, modes: InstantlyModes): Route<InstantlyAccount>[] {
  return [
    {
      template: '/api/v2/campaigns/analytics',
      handle: ({ account, query }) => {
        const parsed = analyticsRange(query);
        if (!parsed.ok) return parsed.reply;
        const data = account.data.get();
        const wanted = [...new Set([...query.getAll('id'), ...query.getAll('ids')].filter((id) => id !== ''))];
        const key = `${asOfDay(env)}|${parsed.range.fromDay ?? ''}..${parsed.range.toDay ?? ''}|${wanted.join(',')}`;
        return jsonReply(
          account.bodies.json(key, () => {
            const picked =
              wanted.length === 0
                ? data.campaigns
                : wanted.flatMap((id) => {
                    const found = data.byId.get(id);
                    return found === undefined ? [] : [found];
                  });
            // Absent until it has sent: drafts never appear.
            return picked.filter((c) => c.core.activity !== null).map((c) => analyticsRow(c, parsed.range, modes));
          }),
        );
      },
    },
    {
      template: '/api/v2/campaigns/analytics/steps',
      handle: ({ account, query }) => {
        const parsed = analyticsRange(query);
        if (!parsed.ok) return parsed.reply;
        const withOpportunities = boolParam(query, 'include_opportunities_count', false);
        if (!withOpportunities.ok) return analyticsBadRequest(withOpportunities.error);
        const data = account.data.get();
        const campaignId = first(query, 'campaign_id');
        if (campaignId !== undefined) {
          const c = data.byId.get(campaignId);
          return { status: 200, body: c === undefined ? [] : stepRows(c, parsed.range, withOpportunities.value, modes.stepBase) };
        }
        const all = data.campaigns.flatMap((c) => stepRows(c, parsed.range, withOpportunities.value, modes.stepBase));
        return { status: 200, body: sumStepRows(all) };
      },
    },
    {
      template: '/api/v2/campaigns/analytics/daily',
      handle: ({ account, query }) => {
        const parsed = analyticsRange(query);
        if (!parsed.ok) return parsed.reply;
        const data = account.data.get();
        const campaignId = first(query, 'campaign_id');
        const status = first(query, 'campaign_status');
        let picked: readonly InstantlyCampaign[] = data.campaigns;
        if (campaignId !== undefined) {
          const c = data.byId.get(campaignId);
          picked = c === undefined ? [] : [c];
        }
        if (status !== undefined) picked = picked.filter((c) => String(c.core.status) === status);
        return { status: 200, body: dailyRows(picked, parsed.range) };
      },
    },
    {
      template: '/api/v2/campaigns',
      handle: ({ account, query }) => {
        const limit = intParam(query, 'limit', 10, 1, 100);
        if (!limit.ok) return fastifyError(400, 'Bad Request', `querystring/${limit.error}`);
        const data = account.data.get();
        const search = first(query, 'search')?.toLowerCase();
        const status = first(query, 'status');
        const excluded = first(query, 'exclude_status');
        const filtered = data.campaigns.filter(
          (c) =>
            (search === undefined || c.core.name.toLowerCase().includes(search)) &&
            (status === undefined || String(c.core.status) === status) &&
            (excluded === undefined || String(c.core.status) !== excluded),
        );
        const after = first(query, 'starting_after');
        const start = after === undefined ? 0 : firstIndexAfter(filtered, after, (c) => c.id);
        const page = filtered.slice(start, start + limit.value);
        const last = page[page.length - 1];
        // The quirk: any page with items carries a cursor, even the last one.
        const body =
          last === undefined
            ? { items: [] }
            : { items: page.map((c) => campaignObject(c, data)), next_starting_after: last.id };
        return { status: 200, body };
      },
    },
    {
      template: '/api/v2/campaigns/:id',
      handle: ({ account, params }) => {
        const data = account.data.get();
        const c = data.byId.get(params.id ?? '');
        if (c === undefined) return fastifyError(404, 'Not Found', 'Campaign not found');
        return { status: 200, body: campaignObject(c, data) };
      },
    },
  ];
}

/** Our guess at Instantly's answer to `x-as-workspace` naming a workspace the key may not act on. */
export const INSTANTLY_FORBIDDEN_WORKSPACE_MESSAGE = 'This API key cannot act on the requested workspace';

export function createInstantlyBehaviour(
  accounts: readonly SimulatorAccount[],
  env: DataEnv,
  modes: InstantlyModes = { analytics: 'documented', stepBase: 1 },
): VendorBehaviour<InstantlyAccount> {
  const served = accounts.map(
    (account): InstantlyAccount => ({ account, data: new AsOfMemo(env, new Lazy(() => buildData(account, env)), dataAsOf), bodies: new BodyCache() }),
  );
  const byKey = new Map<string, InstantlyAccount>(served.map((entry) => [entry.account.apiKey, entry]));
  // resolveAccounts has checked that every listed sub-workspace id names exactly one account.
  const byWorkspace = new Map<string, InstantlyAccount>();
  for (const entry of served) {
    if (entry.account.vendorWorkspaceId !== undefined) byWorkspace.set(entry.account.vendorWorkspaceId, entry);
  }
  return {
    provider: 'instantly',
    accounts,
    routes: routes(env, modes),
    authenticate: (request: SimRequest) => {
      const header = headerValue(request.headers.authorization);
      if (header === undefined) return { ok: false, reply: fastifyError(401, 'Unauthorized', 'Missing Authorization header') };
      const key = bearerToken(header);
      const found = key === undefined ? undefined : byKey.get(key);
      if (found === undefined) return { ok: false, reply: fastifyError(401, 'Unauthorized', 'Invalid API key') };
      const asWorkspace = headerValue(request.headers['x-as-workspace']);
      if (asWorkspace === undefined) return { ok: true, account: found };
      const target = found.account.subWorkspaces?.includes(asWorkspace) ? byWorkspace.get(asWorkspace) : undefined;
      if (target === undefined) return { ok: false, reply: fastifyError(403, 'Forbidden', INSTANTLY_FORBIDDEN_WORKSPACE_MESSAGE) };
      return { ok: true, account: target };
    },
    notFound: (request) => fastifyError(404, 'Not Found', `Route ${request.method}:${request.path} not found`),
    rateLimited: () => fastifyError(429, 'Too Many Requests', 'Rate limit exceeded'),
    internalError: () => fastifyError(500, 'Internal Server Error', 'An unexpected error occurred'),
    unavailable: () => fastifyError(503, 'Service Unavailable', 'Service temporarily unavailable'),
    defaultRateLimit: INSTANTLY_DEFAULT_RATE_LIMIT,
    rateLimitHeaders: false,
    prepare: () => {
      for (const entry of byKey.values()) entry.data.get();
    },
  };
}
