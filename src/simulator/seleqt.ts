/**
 * Seleqt simulator (VENDORS.md sections 4 and 7).
 *
 * - auth: `X-API-Key: <prefix>.<secret>`; missing → 401
 *   `{"error":"Missing API key","message":"Provide X-API-Key header"}`
 *   (https://seleqtai.mintlify.app/getting-started/authentication); wrong → 401 `{"error":"Invalid API key"}`.
 * - `GET /api/v1/dashboard/campaign-analytics/?workspace_id=<id>|ALL`
 *   (https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics): every campaign with lifetime
 *   analytics in one call, no paging, no dates. The trailing slash is part of the path: without it
 *   the answer is the 404 body. `workspace_id` omitted = the key's workspace; `ALL` = every
 *   workspace the key is linked to (its own); any other workspace → 403 `{"error":"Access denied"}`.
 * - `GET /api/v1/campaigns/?workspace_id=` (https://docs.seleqt.ai/api-reference/campaigns-list):
 *   `{campaigns:[{id, name, status, workspace_id, timezone, language, created_at, updated_at, prospect_count}]}`.
 * - ids are integers; statuses upper-case, only the two seen: `ACTIVE` (campaigns that run or ran)
 *   and `DRAFT`. The dashboard records carry no `created_at` (only the list does).
 * - `average_reply_time` is text: "45 minutes", "3 hours", "2 days", "1 day 4 hours", or null
 *   when nobody replied.
 * - limits: 50 requests/minute per key, 429 `{"error":"Rate limit exceeded"}`, no `Retry-After`.
 * - modes: `nullAnalytics` answers `analytics: null` for campaigns that never sent (a new
 *   campaign, or one not started yet as of the simulator's day); `host: 'spa'` plays the SPA frontend (every path: its HTML shell, 200, whatever the
 *   key), `host: 'redirect'` a host that answers every path with a 302 to the same path on
 *   `https://api.seleqt.ai` (the two contested hosts, VENDORS.md section 7).
 */
import { AsOfMemo, Lazy, asOfDay, campaignsAsOf, generateCampaigns, type CampaignCore, type DataEnv, type StatusOption } from './data';
import { first, headerValue } from './params';
import { hashSeed, intBetween, mulberry32, pick, pickWeighted, type Rng } from './random';
import { perMinute } from './rate-limit';
import { BodyCache, jsonReply, type Reply, type Route, type SimRequest, type VendorBehaviour } from './server';
import type { RateLimitSettings, SeleqtHostMode, SimulatorAccount } from './types';

export const SELEQT_DEFAULT_RATE_LIMIT: RateLimitSettings = { rules: [perMinute(50)], perEndpoint: false, retryAfter: 'none' };

/** Only ACTIVE and DRAFT have been seen; a campaign that finished sending is still ACTIVE here. */
const STATUSES: readonly StatusOption<string>[] = [
  { value: 'ACTIVE', weight: 55, kind: 'running' },
  { value: 'ACTIVE', weight: 25, kind: 'ended' },
  { value: 'DRAFT', weight: 20, kind: 'draft' },
];

/** The API host a `redirect` host points to. */
export const REDIRECT_TARGET_ORIGIN = 'https://api.seleqt.ai';

/** The SPA's HTML shell, as a Vite-built frontend serves it for every path. */
export const SELEQT_SPA_HTML =
  '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <title>Seleqt</title>\n' +
  '    <script type="module" crossorigin src="/assets/index-4f1c2a.js"></script>\n  </head>\n' +
  '  <body>\n    <div id="root"></div>\n  </body>\n</html>\n';

export interface SeleqtSimulatorOptions {
  readonly host: SeleqtHostMode;
  readonly nullAnalytics: boolean;
}

const TIMEZONES = ['Europe/Amsterdam', 'Europe/London', 'America/New_York', 'Asia/Dubai'] as const;
const LANGUAGES = ['en', 'nl', 'de', 'fr'] as const;

type Channels = 'email' | 'linkedin' | 'both';

/** Seleqt is multichannel: some campaigns email only, some use LinkedIn only, most both. */
const CHANNEL_MIX: readonly { readonly value: Channels; readonly weight: number }[] = [
  { value: 'email', weight: 1 },
  { value: 'linkedin', weight: 1 },
  { value: 'both', weight: 2 },
];

interface SeleqtCampaign {
  readonly core: CampaignCore<string>;
  readonly id: number;
  readonly channels: Channels;
  readonly replyTime: string;
  readonly timezone: string;
  readonly language: string;
}

interface SeleqtAccount {
  readonly account: SimulatorAccount;
  /** What `workspace_id` says in replies: a number when the id is numeric, as Seleqt's are. */
  readonly workspaceValue: number | string;
  /** As of the simulator's day (see `AsOfMemo`). */
  readonly data: AsOfMemo<readonly SeleqtCampaign[]>;
  readonly bodies: BodyCache;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** The vendor's human-readable average reply time. */
function replyTimeText(rng: Rng): string {
  const roll = rng();
  if (roll < 0.2) return plural(intBetween(rng, 5, 59), 'minute');
  if (roll < 0.5) return plural(intBetween(rng, 1, 23), 'hour');
  if (roll < 0.8) return plural(intBetween(rng, 1, 9), 'day');
  return `${plural(intBetween(rng, 1, 4), 'day')} ${plural(intBetween(rng, 1, 23), 'hour')}`;
}

function buildData(account: SimulatorAccount, env: DataEnv): SeleqtCampaign[] {
  const base = 1000 + (hashSeed(account.seed, 'seleqt-ids') % 9000) * 1000;
  return generateCampaigns(account, env, STATUSES).map((core): SeleqtCampaign => {
    const rng = mulberry32(hashSeed(core.seed, 'seleqt'));
    return {
      core,
      id: base + core.index,
      channels: pickWeighted(rng, CHANNEL_MIX).value,
      replyTime: replyTimeText(rng),
      timezone: pick(rng, TIMEZONES),
      language: pick(rng, LANGUAGES),
    };
  });
}

function analyticsRecord(c: SeleqtCampaign, workspace: number | string, nullAnalytics: boolean): Record<string, unknown> {
  const t = c.core.totals;
  const email = c.channels !== 'linkedin';
  const linkedin = c.channels !== 'email';
  return {
    id: c.id,
    name: c.core.name,
    status: c.core.status,
    workspace_id: workspace,
    analytics: nullAnalytics && c.core.activity === null ? null : {
      amount_of_prospects: c.core.leads,
      amount_of_emails_sent: email ? t.emailsSent : 0,
      amount_of_invites_sent: linkedin ? t.invitesSent : 0,
      amount_of_invites_accepted: linkedin ? t.invitesAccepted : 0,
      amount_of_linkedin_messages_sent: linkedin ? t.linkedinMessages : 0,
      amount_of_prospects_contacted: t.contacted,
      amount_of_replies: t.replied,
      amount_of_interested: t.interested,
      average_reply_time: t.replied > 0 ? c.replyTime : null,
    },
  };
}

function listRecord(c: SeleqtCampaign, workspace: number | string): Record<string, unknown> {
  return {
    id: c.id,
    name: c.core.name,
    status: c.core.status,
    workspace_id: workspace,
    timezone: c.timezone,
    language: c.language,
    created_at: new Date(c.core.createdMs).toISOString(),
    updated_at: new Date(c.core.updatedMs).toISOString(),
    prospect_count: c.core.leads,
  };
}

function seleqtError(status: number, error: string, message?: string): Reply {
  return { status, body: message === undefined ? { error } : { error, message } };
}

/** What a host that is not the JSON API answers to any request, or undefined on the API host. */
function wrongHostReply(host: SeleqtHostMode, request: SimRequest): Reply | undefined {
  if (host === 'spa') return { status: 200, body: SELEQT_SPA_HTML, headers: { 'content-type': 'text/html; charset=utf-8' } };
  if (host === 'redirect') {
    const search = request.query.toString();
    const location = `${REDIRECT_TARGET_ORIGIN}${request.path}${search === '' ? '' : `?${search}`}`;
    return { status: 302, body: '', headers: { 'content-type': 'text/html; charset=utf-8', location } };
  }
  return undefined;
}

/** `workspace_id` must be absent, `ALL`, or a workspace the key is linked to. */
function workspaceAllowed(account: SeleqtAccount, query: URLSearchParams): boolean {
  const asked = first(query, 'workspace_id');
  return asked === undefined || asked === 'ALL' || asked === String(account.workspaceValue);
}

function routes(env: DataEnv, options: SeleqtSimulatorOptions): Route<SeleqtAccount>[] {
  return [
    {
      template: '/api/v1/dashboard/campaign-analytics/',
      handle: ({ account, query }) => {
        if (!workspaceAllowed(account, query)) return seleqtError(403, 'Access denied');
        return jsonReply(
          account.bodies.json(`dashboard@${asOfDay(env)}`, () => ({
            campaigns: account.data.get().map((c) => analyticsRecord(c, account.workspaceValue, options.nullAnalytics)),
          })),
        );
      },
    },
    {
      template: '/api/v1/campaigns/',
      handle: ({ account, query }) => {
        if (!workspaceAllowed(account, query)) return seleqtError(403, 'Access denied');
        return jsonReply(
          account.bodies.json(`campaigns@${asOfDay(env)}`, () => ({ campaigns: account.data.get().map((c) => listRecord(c, account.workspaceValue)) })),
        );
      },
    },
  ];
}

export function createSeleqtBehaviour(
  accounts: readonly SimulatorAccount[],
  env: DataEnv,
  options: SeleqtSimulatorOptions = { host: 'api', nullAnalytics: false },
): VendorBehaviour<SeleqtAccount> {
  const served = accounts.map(
    (account): SimulatorAccount => ({
      ...account,
      vendorWorkspaceId: account.vendorWorkspaceId ?? String(100 + (hashSeed(account.seed, 'seleqt-workspace') % 900)),
    }),
  );
  const byKey = new Map<string, SeleqtAccount>(
    served.map((account) => {
      const id = account.vendorWorkspaceId ?? '';
      return [
        account.apiKey,
        {
          account,
          workspaceValue: /^[1-9]\d{0,14}$/.test(id) ? Number(id) : id,
          // A campaign that finished sending is still ACTIVE here, so the status never changes.
          data: new AsOfMemo<readonly SeleqtCampaign[]>(env, new Lazy(() => buildData(account, env)), (full, day) => campaignsAsOf(full, day, 'ACTIVE')),
          bodies: new BodyCache(),
        },
      ];
    }),
  );
  return {
    provider: 'seleqt',
    accounts: served,
    routes: routes(env, options),
    // A host that is not the API answers before any key check (the server asks `authenticate`
    // first on every known path, and `notFound` on the others).
    authenticate: (request) => {
      const wrongHost = wrongHostReply(options.host, request);
      if (wrongHost !== undefined) return { ok: false, reply: wrongHost };
      const key = headerValue(request.headers['x-api-key']);
      if (key === undefined) return { ok: false, reply: seleqtError(401, 'Missing API key', 'Provide X-API-Key header') };
      const found = byKey.get(key);
      if (found === undefined) return { ok: false, reply: seleqtError(401, 'Invalid API key') };
      return { ok: true, account: found };
    },
    notFound: (request) => wrongHostReply(options.host, request) ?? seleqtError(404, 'Not found'),
    rateLimited: () => seleqtError(429, 'Rate limit exceeded'),
    internalError: () => seleqtError(500, 'Internal server error'),
    unavailable: () => seleqtError(503, 'Service unavailable'),
    defaultRateLimit: SELEQT_DEFAULT_RATE_LIMIT,
    rateLimitHeaders: false,
    prepare: () => {
      for (const entry of byKey.values()) entry.data.get();
    },
  };
}
