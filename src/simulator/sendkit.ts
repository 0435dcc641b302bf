/**
 * SendKit.ai simulator (VENDORS.md section 2; https://docs.sendkit.ai/, https://docs.sendkit.ai/llms.txt).
 *
 * - auth: `X-Api-Key: sk_…` or `Authorization: Bearer sk_…`. Workspace keys `sk_…` are bound to one
 *   workspace; platform keys `sk_user_…` must send `X-Workspace-Id` (400 without it, 403 for a
 *   workspace they do not own). Errors are the documented `{error: "Not Found", message, code: 404}`
 *   (`error` the status's reason phrase, `code` the status).
 * - `generation` (VENDORS.md section 7): `current` serves the current docs' shapes, list items whose
 *   `stats` carry `totalLeads`, `contacted`, `contactedLeads`, `totalEmailsSent` besides the send
 *   counts, and analytics whose `stats` is `{sent, delivered, opened, clicked, replied, bounced,
 *   unsubscribed}` with `bySequence`, `subsequences`, `statusBreakdown` (with `failed`, `pending`),
 *   `totalReplied` and `totalPositiveReplied`; `older` serves the older docs' shapes, list `stats`
 *   without lead counts and analytics `stats: {totalLeads, sent, opened, clicked, bounced, replied}`
 *   without a positive-replied count.
 * - `GET /v1/campaigns`: newest first; `limit` (default 20, anything above 100 quietly served as 100,
 *   reported in `pagination.limit`), `status`, `search`.
 *   - `pagination: 'cursor'` (current docs): `cursor` = the last item's `_id`;
 *     `{success, data, pagination:{nextCursor, hasMore, limit}}`.
 *   - `pagination: 'page'` (older docs): `page=` → `pagination:{page, limit, total, pages}`.
 *   - `sparsePages`: some pages come back `data: []` while more are available ("keep paging until
 *     the response says there's no more", hyreflow reference). In cursor mode such a page hands out
 *     a fresh cursor (a deleted campaign's id); in page mode `pages` counts the empty pages too.
 * - `GET /v1/analytics/campaigns/:id` (`from`/`to`): see `generation`; `stepStats[]._id` starts at
 *   `stepIndexBase` (0 now, 1 in the old docs). Lead counts (`totalLeads`, `statusBreakdown`) are
 *   not date-scoped.
 * - `GET /v1/analytics/daily/campaigns/:id` and `/v1/analytics/daily`: rows
 *   `{_id:'YYYY-MM-DD', sent, opened, clicked, bounced, replied, positiveReplied}`, ascending, days
 *   without activity left out; `from`/`to` default to the 30 days up to the reference date.
 * - `GET /v1/analytics/overview`: workspace totals; rates are strings with one decimal (`"45.0"`).
 * - limits: no number is published; default 10 requests/s per account, with
 *   `X-RateLimit-Limit/Remaining/Reset` on every authenticated answer and `Retry-After` on a 429.
 */
import {
  AsOfMemo,
  Lazy,
  asOfDay,
  campaignsAsOf,
  dailyCounts,
  generateCampaigns,
  isoDay,
  splitCount,
  totalsInRange,
  type CampaignCore,
  type DataEnv,
  type DayRange,
  type StatusOption,
} from './data';
import { bearerToken, first, headerValue, intParam, rangeParams } from './params';
import { between, hashSeed, hex, intBetween, mulberry32, pick, unitHash, type Rng } from './random';
import { perSecond } from './rate-limit';
import type { Reply, Route, SimRequest, VendorBehaviour } from './server';
import type { RateLimitSettings, SendkitGeneration, SendkitPagination, SimulatorAccount } from './types';

export const SENDKIT_DEFAULT_RATE_LIMIT: RateLimitSettings = { rules: [perSecond(10)], perEndpoint: false, retryAfter: 'seconds' };
export const SENDKIT_PLATFORM_PREFIX = 'sk_user_';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Share of list pages that come back empty when `sparsePages` is on. */
const SPARSE_SHARE = 0.3;
const DAILY_DEFAULT_DAYS = 30;

const STATUSES: readonly StatusOption<string>[] = [
  { value: 'active', weight: 40, kind: 'running' },
  { value: 'paused', weight: 15, kind: 'ended' },
  { value: 'completed', weight: 20, kind: 'ended' },
  { value: 'draft', weight: 12, kind: 'draft' },
  { value: 'archived', weight: 8, kind: 'ended' },
  // Not in any documented list: an unknown value the gateway must tolerate.
  { value: 'scheduled', weight: 5, kind: 'draft' },
];

const TIMEZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Singapore'] as const;

export interface SendkitKnobs {
  readonly pagination: SendkitPagination;
  readonly sparsePages: boolean;
  readonly stepIndexBase: 0 | 1;
  readonly generation: SendkitGeneration;
}

interface SendkitCampaign {
  readonly core: CampaignCore<string>;
  readonly id: string;
  /** Position in the newest-first list. */
  readonly order: number;
  readonly stepWeights: readonly number[];
  readonly timezone: string;
  readonly trackClicks: boolean;
}

interface SendkitData {
  /** Newest first, the order the list serves. */
  readonly listed: readonly SendkitCampaign[];
  readonly byId: ReadonlyMap<string, SendkitCampaign>;
}

interface SendkitAccount {
  readonly account: SimulatorAccount;
  readonly platform: boolean;
  readonly workspaceId: string;
  /** As of the simulator's day (see `AsOfMemo`). */
  readonly data: AsOfMemo<SendkitData>;
  /** Cursors handed out by empty (sparse) pages → the list position they continue from. */
  readonly ghostCursors: Map<string, number>;
}

/** A Mongo ObjectId: 4 bytes of seconds, 5 random bytes, a 3-byte counter. */
function objectId(ms: number, rng: Rng, counter: number): string {
  const seconds = Math.floor(ms / 1000).toString(16).padStart(8, '0').slice(-8);
  return `${seconds}${hex(rng, 10)}${(counter & 0xffffff).toString(16).padStart(6, '0')}`;
}

function buildData(account: SimulatorAccount, env: DataEnv): SendkitData {
  const cores = generateCampaigns(account, env, STATUSES);
  const listed = cores
    .map((core): SendkitCampaign => {
      const rng = mulberry32(hashSeed(core.seed, 'sendkit'));
      const steps = intBetween(rng, 1, 5);
      const decay = between(rng, 0.5, 0.85);
      return {
        core,
        id: objectId(core.createdMs, rng, core.index),
        order: cores.length - 1 - core.index,
        stepWeights: Array.from({ length: steps }, (_, s) => decay ** s),
        timezone: pick(rng, TIMEZONES),
        trackClicks: rng() < 0.8,
      };
    })
    .reverse();
  return { listed, byId: new Map(listed.map((c) => [c.id, c])) };
}

/** The data as it stood at the end of `day` (list positions keep their full-history values). */
function dataAsOf(full: SendkitData, day: number): SendkitData {
  const listed = campaignsAsOf(full.listed, day, 'active');
  return { listed, byId: new Map(listed.map((c) => [c.id, c])) };
}

/** Reason phrases for the statuses the simulator answers with (the documented `error` field). */
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The documented error body: `{"error": "Not Found", "message": "…", "code": 404}`. */
function fail(status: number, message: string): Reply {
  return { status, body: { error: REASONS[status] ?? 'Error', message, code: status } };
}

function ok(data: unknown, extra: Record<string, unknown> = {}): Reply {
  return { status: 200, body: { success: true, data, ...extra } };
}

/** The list item's `stats`: lifetime counts; the current generation adds the lead counts. */
function listStats(c: SendkitCampaign, generation: SendkitGeneration): Record<string, number> {
  const t = c.core.totals;
  const sends = {
    sent: t.emailsSent,
    delivered: t.emailsSent - t.bounced,
    opened: t.opened,
    clicked: t.clicked,
    replied: t.replied,
    bounced: t.bounced,
    unsubscribed: t.unsubscribed,
  };
  if (generation === 'older') return sends;
  return {
    totalLeads: c.core.leads,
    contacted: t.contacted,
    contactedLeads: t.contacted,
    totalEmailsSent: t.emailsSent,
    ...sends,
  };
}

function listItem(c: SendkitCampaign, generation: SendkitGeneration): Record<string, unknown> {
  const activity = c.core.activity;
  return {
    _id: c.id,
    name: c.core.name,
    status: c.core.status,
    stats: listStats(c, generation),
    // The documented step shape; wait steps are not generated, so `order` is the `stepStats` index.
    sequence: c.stepWeights.map((_, step) => ({
      type: 'email',
      name: step === 0 ? 'Initial Email' : `Follow-up ${step}`,
      order: step,
      subject: step === 0 ? 'Quick question, {{firstName}}' : 'Re: Quick question',
      body: step === 0 ? '<p>Hi {{firstName}},</p>' : '<p>Just following up...</p>',
    })),
    sendingSchedule: { timezone: c.timezone, startTime: '09:00', endTime: '17:00', workingDays: [1, 2, 3, 4, 5] },
    trackOpens: true,
    trackClicks: c.trackClicks,
    stopOnReply: true,
    startedAt: activity === null ? null : `${isoDay(activity.firstDay)}T09:00:00.000Z`,
    completedAt: c.core.status === 'completed' && activity !== null ? `${isoDay(activity.lastDay)}T17:00:00.000Z` : null,
    createdAt: new Date(c.core.createdMs).toISOString(),
    updatedAt: new Date(c.core.updatedMs).toISOString(),
  };
}

/**
 * Lead states; they partition `totalLeads` (lifetime, not date-scoped). The current generation
 * also reports `pending` (not yet contacted) and `failed` leads.
 */
function statusBreakdown(c: SendkitCampaign, generation: SendkitGeneration): Record<string, number> {
  const t = c.core.totals;
  const leads = c.core.leads;
  const bounced = Math.min(t.bounced, leads);
  const removed = Math.min(t.unsubscribed, leads - bounced);
  const completed = Math.max(0, Math.min(t.completed, leads - bounced - removed));
  const paused = Math.floor(Math.max(0, t.contacted - completed - bounced - removed) * 0.1);
  if (generation === 'older') {
    const active = Math.max(0, leads - bounced - removed - completed - paused);
    return { active, completed, paused, bounced, removed };
  }
  const pending = Math.max(0, Math.min(leads - t.contacted, leads - bounced - removed - completed - paused));
  const failed = Math.min(Math.floor(t.contacted * 0.002), Math.max(0, leads - bounced - removed - completed - paused - pending));
  const active = Math.max(0, leads - bounced - removed - completed - paused - pending - failed);
  return { active, completed, paused, bounced, removed, failed, pending };
}

function campaignAnalytics(c: SendkitCampaign, range: DayRange, knobs: SendkitKnobs): Record<string, unknown> {
  const t = totalsInRange(c.core, range);
  const split = (total: number): number[] => splitCount(total, c.stepWeights);
  const sent = split(t.emailsSent);
  const opened = split(t.opened);
  const clicked = split(t.clicked);
  const bounced = split(t.bounced);
  const stepStats =
    c.core.activity === null
      ? []
      : c.stepWeights.map((_, step) => ({
          _id: step + knobs.stepIndexBase,
          sent: sent[step] ?? 0,
          opened: opened[step] ?? 0,
          clicked: clicked[step] ?? 0,
          bounced: bounced[step] ?? 0,
        }));
  const campaign = { id: c.id, name: c.core.name, status: c.core.status };
  if (knobs.generation === 'older') {
    return {
      campaign,
      stats: { totalLeads: c.core.leads, sent: t.emailsSent, opened: t.opened, clicked: t.clicked, bounced: t.bounced, replied: t.replied },
      stepStats,
      statusBreakdown: statusBreakdown(c, 'older'),
      totalReplied: t.replied,
    };
  }
  return {
    campaign,
    stats: {
      sent: t.emailsSent,
      delivered: t.emailsSent - t.bounced,
      opened: t.opened,
      clicked: t.clicked,
      replied: t.replied,
      bounced: t.bounced,
      unsubscribed: t.unsubscribed,
    },
    // No subsequences are generated: everything was sent by the main sequence.
    bySequence: {
      main: { sent: t.emailsSent, opened: t.opened, clicked: t.clicked, bounced: t.bounced },
      subsequence: { sent: 0, opened: 0, clicked: 0, bounced: 0 },
    },
    stepStats,
    subsequences: [],
    statusBreakdown: statusBreakdown(c, 'current'),
    totalReplied: t.replied,
    totalPositiveReplied: t.interested,
  };
}

interface DailyRow {
  _id: string;
  sent: number;
  opened: number;
  clicked: number;
  bounced: number;
  replied: number;
  positiveReplied: number;
}

function dailyRows(campaigns: readonly SendkitCampaign[], range: DayRange): DailyRow[] {
  return dailyCounts(
    campaigns.map((c) => c.core),
    range,
    ['emailsSent', 'opened', 'clicked', 'bounced', 'replied', 'interested'],
  ).map(({ day, totals: t }) => ({
    _id: isoDay(day),
    sent: t.emailsSent,
    opened: t.opened,
    clicked: t.clicked,
    bounced: t.bounced,
    replied: t.replied,
    positiveReplied: t.interested,
  }));
}

/** `from`/`to` with the daily endpoints' default: the 30 days up to the reference date. */
function dailyRange(query: URLSearchParams, env: DataEnv): { ok: true; range: DayRange } | { ok: false; reply: Reply } {
  const parsed = rangeParams(query, 'from', 'to');
  if (!parsed.ok) return { ok: false, reply: fail(400, parsed.error === 'start after end' ? "'from' must be before 'to'" : parsed.error) };
  const toDay = parsed.value.toDay ?? asOfDay(env);
  const fromDay = parsed.value.fromDay ?? toDay - (DAILY_DEFAULT_DAYS - 1);
  return { ok: true, range: { fromDay, toDay } };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0.0' : ((part / whole) * 100).toFixed(1);
}

/** First index in `items` (ascending `order`) whose order is ≥ `position`. */
function lowerBound(items: readonly SendkitCampaign[], position: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((items[mid]?.order ?? Infinity) < position) low = mid + 1;
    else high = mid;
  }
  return low;
}

function listCursor(account: SendkitAccount, query: URLSearchParams, limit: number, filtered: readonly SendkitCampaign[], knobs: SendkitKnobs): Reply {
  const cursor = first(query, 'cursor');
  let position = 0;
  let fromGhost = false;
  if (cursor !== undefined) {
    const ghost = account.ghostCursors.get(cursor);
    const real = account.data.get().byId.get(cursor);
    if (ghost !== undefined) {
      position = ghost;
      fromGhost = true;
    } else if (real !== undefined) position = real.order + 1;
    else return fail(400, 'Invalid cursor');
  }
  const start = lowerBound(filtered, position);
  if (knobs.sparsePages && !fromGhost && start < filtered.length && unitHash(account.account.seed, 'sparse', position) < SPARSE_SHARE) {
    // An empty page with more to come, and a fresh cursor (a deleted campaign's id) to continue from.
    const ghost = objectId(Date.UTC(2024, 0, 1), mulberry32(hashSeed(account.account.seed, 'ghost', position)), position);
    account.ghostCursors.set(ghost, position);
    return ok([], { pagination: { nextCursor: ghost, hasMore: true, limit } });
  }
  const page = filtered.slice(start, start + limit);
  const hasMore = start + limit < filtered.length;
  const last = page[page.length - 1];
  return ok(page.map((c) => listItem(c, knobs.generation)), { pagination: { nextCursor: hasMore && last !== undefined ? last.id : null, hasMore, limit } });
}

function listPages(account: SendkitAccount, query: URLSearchParams, limit: number, filtered: readonly SendkitCampaign[], knobs: SendkitKnobs): Reply {
  const page = intParam(query, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
  if (!page.ok) return fail(400, page.error);
  const chunks = Math.ceil(filtered.length / limit);
  // Which chunk each page number holds; sparse mode puts empty pages in between (counted in `pages`).
  const slots: (number | null)[] = [];
  for (let placed = 0; placed < chunks; ) {
    const empty = knobs.sparsePages && unitHash(account.account.seed, 'sparse-page', slots.length + 1) < SPARSE_SHARE;
    slots.push(empty ? null : placed);
    if (!empty) placed += 1;
  }
  const chunk = slots[page.value - 1] ?? null;
  const data = chunk === null ? [] : filtered.slice(chunk * limit, (chunk + 1) * limit).map((c) => listItem(c, knobs.generation));
  return ok(data, { pagination: { page: page.value, limit, total: filtered.length, pages: slots.length } });
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

function findCampaign(account: SendkitAccount, id: string | undefined): SendkitCampaign | Reply {
  if (id === undefined || !OBJECT_ID.test(id)) return fail(400, 'Invalid campaign ID');
  return account.data.get().byId.get(id.toLowerCase()) ?? fail(404, 'Campaign not found');
}

function isReply(value: SendkitCampaign | Reply): value is Reply {
  return 'status' in value;
}

function routes(env: DataEnv, knobs: SendkitKnobs): Route<SendkitAccount>[] {
  return [
    {
      template: '/v1/campaigns',
      handle: ({ account, query }) => {
        const asked = intParam(query, 'limit', DEFAULT_LIMIT, 1, Number.MAX_SAFE_INTEGER);
        if (!asked.ok) return fail(400, asked.error);
        const limit = Math.min(asked.value, MAX_LIMIT);
        const status = first(query, 'status');
        const search = first(query, 'search')?.toLowerCase();
        const filtered = account.data
          .get()
          .listed.filter(
            (c) => (status === undefined || c.core.status === status) && (search === undefined || c.core.name.toLowerCase().includes(search)),
          );
        return knobs.pagination === 'page'
          ? listPages(account, query, limit, filtered, knobs)
          : listCursor(account, query, limit, filtered, knobs);
      },
    },
    {
      template: '/v1/campaigns/:id',
      handle: ({ account, params }) => {
        const found = findCampaign(account, params.id);
        if (isReply(found)) return found;
        return ok({ ...listItem(found, knobs.generation), workspaceId: account.workspaceId, mailboxCount: 1 + (found.core.index % 4) });
      },
    },
    {
      template: '/v1/analytics/campaigns/:id',
      handle: ({ account, params, query }) => {
        const found = findCampaign(account, params.id);
        if (isReply(found)) return found;
        const range = rangeParams(query, 'from', 'to');
        if (!range.ok) return fail(400, range.error === 'start after end' ? "'from' must be before 'to'" : range.error);
        return ok(campaignAnalytics(found, range.value, knobs));
      },
    },
    {
      template: '/v1/analytics/daily/campaigns/:id',
      handle: ({ account, params, query }) => {
        const found = findCampaign(account, params.id);
        if (isReply(found)) return found;
        const range = dailyRange(query, env);
        if (!range.ok) return range.reply;
        return ok(dailyRows([found], range.range));
      },
    },
    {
      template: '/v1/analytics/daily',
      handle: ({ account, query }) => {
        const range = dailyRange(query, env);
        if (!range.ok) return range.reply;
        return ok(dailyRows(account.data.get().listed, range.range));
      },
    },
    {
      template: '/v1/analytics/overview',
      handle: ({ account }) => {
        const listed = account.data.get().listed;
        const sum = { sent: 0, opened: 0, clicked: 0, bounced: 0, replied: 0, positive: 0 };
        for (const c of listed) {
          const t = c.core.totals;
          sum.sent += t.emailsSent;
          sum.opened += t.opened;
          sum.clicked += t.clicked;
          sum.bounced += t.bounced;
          sum.replied += t.replied;
          sum.positive += t.interested;
        }
        return ok({
          totalSent: sum.sent,
          totalOpened: sum.opened,
          totalClicked: sum.clicked,
          totalBounced: sum.bounced,
          totalReplied: sum.replied,
          totalPositiveReplied: sum.positive,
          totalCampaigns: listed.length,
          activeCampaigns: listed.filter((c) => c.core.status === 'active').length,
          rates: {
            open: percent(sum.opened, sum.sent),
            click: percent(sum.clicked, sum.sent),
            reply: percent(sum.replied, sum.sent),
            positiveReply: percent(sum.positive, sum.replied),
            bounce: percent(sum.bounced, sum.sent),
          },
        });
      },
    },
  ];
}

/** The key: `X-Api-Key` first, else `Authorization: Bearer`. */
function presentedKey(request: SimRequest): string | undefined {
  return headerValue(request.headers['x-api-key']) ?? bearerToken(headerValue(request.headers.authorization));
}

export function createSendkitBehaviour(
  accounts: readonly SimulatorAccount[],
  env: DataEnv,
  knobs: SendkitKnobs,
): VendorBehaviour<SendkitAccount> {
  const served = accounts.map(
    (account): SimulatorAccount => ({
      ...account,
      vendorWorkspaceId: account.vendorWorkspaceId ?? objectId(Date.UTC(2023, 5, 1), mulberry32(hashSeed(account.seed, 'sendkit-workspace')), 1),
    }),
  );
  const byKey = new Map<string, SendkitAccount>(
    served.map((account) => [
      account.apiKey,
      {
        account,
        platform: account.apiKey.startsWith(SENDKIT_PLATFORM_PREFIX),
        workspaceId: account.vendorWorkspaceId ?? '',
        data: new AsOfMemo(env, new Lazy(() => buildData(account, env)), dataAsOf),
        ghostCursors: new Map<string, number>(),
      },
    ]),
  );
  return {
    provider: 'sendkit',
    accounts: served,
    routes: routes(env, knobs),
    authenticate: (request) => {
      const key = presentedKey(request);
      if (key === undefined) return { ok: false, reply: fail(401, 'API key is required') };
      const found = byKey.get(key);
      if (found === undefined) return { ok: false, reply: fail(401, 'Invalid API key') };
      const workspace = headerValue(request.headers['x-workspace-id']);
      if (found.platform && workspace === undefined) {
        return { ok: false, reply: fail(400, 'X-Workspace-Id header is required when using a platform API key') };
      }
      if (workspace !== undefined && workspace !== found.workspaceId) {
        return { ok: false, reply: fail(403, 'You do not have access to this workspace') };
      }
      return { ok: true, account: found };
    },
    notFound: () => fail(404, 'The requested resource was not found'),
    rateLimited: () => fail(429, 'Too many requests, please try again later.'),
    internalError: () => fail(500, 'Internal server error'),
    unavailable: () => fail(503, 'Service unavailable'),
    defaultRateLimit: SENDKIT_DEFAULT_RATE_LIMIT,
    rateLimitHeaders: true,
    prepare: () => {
      for (const entry of byKey.values()) entry.data.get();
    },
  };
}
