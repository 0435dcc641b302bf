/**
 * Seleqt simulator (VENDORS.md section 4).
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
 * - ids are integers; statuses upper-case, with the occasional undocumented `SCHEDULED`.
 * - `average_reply_time` is text: "45 minutes", "3 hours", "2 days", "1 day 4 hours", or null
 *   when nobody replied.
 * - limits: 50 requests/minute per key, 429 `{"error":"Rate limit exceeded"}`, no `Retry-After`.
 */
import { Lazy, generateCampaigns, type CampaignCore, type DataEnv, type StatusOption } from './data';
import { first, headerValue } from './params';
import { hashSeed, intBetween, mulberry32, pick, pickWeighted, type Rng } from './random';
import { perMinute } from './rate-limit';
import { BodyCache, jsonReply, type Reply, type Route, type VendorBehaviour } from './server';
import type { RateLimitSettings, SimulatorAccount } from './types';

export const SELEQT_DEFAULT_RATE_LIMIT: RateLimitSettings = { rules: [perMinute(50)], perEndpoint: false, retryAfter: 'none' };

const STATUSES: readonly StatusOption<string>[] = [
  { value: 'ACTIVE', weight: 45, kind: 'running' },
  { value: 'PAUSED', weight: 15, kind: 'ended' },
  { value: 'COMPLETED', weight: 15, kind: 'ended' },
  { value: 'DRAFT', weight: 12, kind: 'draft' },
  { value: 'ARCHIVED', weight: 5, kind: 'ended' },
  // Not documented (only ACTIVE and DRAFT are): an unknown value the gateway must tolerate.
  { value: 'SCHEDULED', weight: 5, kind: 'draft' },
];

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
  readonly data: Lazy<readonly SeleqtCampaign[]>;
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

function analyticsRecord(c: SeleqtCampaign, workspace: number | string): Record<string, unknown> {
  const t = c.core.totals;
  const email = c.channels !== 'linkedin';
  const linkedin = c.channels !== 'email';
  return {
    id: c.id,
    name: c.core.name,
    status: c.core.status,
    workspace_id: workspace,
    analytics: {
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

/** `workspace_id` must be absent, `ALL`, or a workspace the key is linked to. */
function workspaceAllowed(account: SeleqtAccount, query: URLSearchParams): boolean {
  const asked = first(query, 'workspace_id');
  return asked === undefined || asked === 'ALL' || asked === String(account.workspaceValue);
}

function routes(): Route<SeleqtAccount>[] {
  return [
    {
      template: '/api/v1/dashboard/campaign-analytics/',
      handle: ({ account, query }) => {
        if (!workspaceAllowed(account, query)) return seleqtError(403, 'Access denied');
        return jsonReply(
          account.bodies.json('dashboard', () => ({ campaigns: account.data.get().map((c) => analyticsRecord(c, account.workspaceValue)) })),
        );
      },
    },
    {
      template: '/api/v1/campaigns/',
      handle: ({ account, query }) => {
        if (!workspaceAllowed(account, query)) return seleqtError(403, 'Access denied');
        return jsonReply(
          account.bodies.json('campaigns', () => ({ campaigns: account.data.get().map((c) => listRecord(c, account.workspaceValue)) })),
        );
      },
    },
  ];
}

export function createSeleqtBehaviour(accounts: readonly SimulatorAccount[], env: DataEnv): VendorBehaviour<SeleqtAccount> {
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
          data: new Lazy(() => buildData(account, env)),
          bodies: new BodyCache(),
        },
      ];
    }),
  );
  return {
    provider: 'seleqt',
    accounts: served,
    routes: routes(),
    authenticate: (request) => {
      const key = headerValue(request.headers['x-api-key']);
      if (key === undefined) return { ok: false, reply: seleqtError(401, 'Missing API key', 'Provide X-API-Key header') };
      const found = byKey.get(key);
      if (found === undefined) return { ok: false, reply: seleqtError(401, 'Invalid API key') };
      return { ok: true, account: found };
    },
    notFound: () => seleqtError(404, 'Not found'),
    rateLimited: () => seleqtError(429, 'Rate limit exceeded'),
    internalError: () => seleqtError(500, 'Internal server error'),
    unavailable: () => seleqtError(503, 'Service unavailable'),
    defaultRateLimit: SELEQT_DEFAULT_RATE_LIMIT,
    rateLimitHeaders: false,
  };
}
