/**
 * The config file (DESIGN.md section 4): JSON or YAML, `${NAME}` replaced by environment variables,
 * validated with zod. `check-config`, `serve` and `fetch` all go through `loadConfigFile`, so a file
 * that passes the check starts. A bad file yields one line per problem naming the file, the key
 * path and what is expected, in words (never zod's own), e.g.
 * `gateway.json: workspaces[1].connections[0].provider: expected one of: instantly, sendkit, kakiyo, seleqt`.
 * No problem line repeats a value from the file (a value may be a key); syntax errors are located
 * by `config-syntax.ts`. Every number has an upper bound (`CONFIG_BOUNDS`, printed in the README).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { parseJsonText, parseYamlText, type ParseOutcome } from './config-syntax';
import { PROVIDER_FACTORIES } from './providers/registry';
import { DEFAULT_MAX_SOCKETS_PER_ORIGIN } from './http/agents';
import { METRIC_NAMES, PROVIDER_IDS, ProviderIdSchema, RATE_NAMES, type ProviderId } from './schema/campaign';

/** The allowed range of a number setting. `note` says the maximum in everyday units. */
export interface NumberBound {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly unit?: 'ms' | 'seconds' | 'bytes' | 'per second';
  readonly note?: string;
}

/**
 * Every number the file may hold, with its range: a typo such as `ttlSeconds: 99999999999` is
 * refused instead of served (as `max-age=99999999990`). Keys as the README's config tables name
 * them; a test checks that the tables print `boundText` of each.
 */
export const CONFIG_BOUNDS = {
  'server.port': { min: 0, max: 65_535, integer: true },
  'server.deadlineMs': { min: 1, max: 600_000, integer: true, unit: 'ms', note: '10 minutes' },
  'server.maxUpstreamCalls': { min: 1, max: 100_000, integer: true },
  requestsPerMinute: { min: 1, max: 100_000_000, integer: true },
  'cache.maxBytes': { min: 1, max: 4 * 1024 ** 3, integer: true, unit: 'bytes', note: '4 GiB' },
  'redis.connectTimeoutMs': { min: 1, max: 60_000, integer: true, unit: 'ms', note: '1 minute' },
  'redis.commandTimeoutMs': { min: 1, max: 10_000, integer: true, unit: 'ms' },
  'redis.maxValueBytes': { min: 1, max: 512 * 1024 ** 2, integer: true, unit: 'bytes', note: '512 MiB, the largest Redis value' },
  'redis.lockTtlMs': { min: 100, max: 600_000, integer: true, unit: 'ms', note: '10 minutes' },
  'storage.retentionDays': { min: 1, max: 3650, integer: true, note: '10 years' },
  'sync.share': { min: 0.01, max: 1, integer: false },
  'sync.intervalSeconds': { min: 1, max: 604_800, integer: true, unit: 'seconds', note: '7 days' },
  'sync.jitter': { min: 0, max: 0.5, integer: false },
  'sync.maxBackoffSeconds': { min: 1, max: 86_400, integer: true, unit: 'seconds', note: '1 day' },
  'sync.kakiyo.dailyCreditBudget': { min: 0, max: 1_000_000, integer: true },
  'alerts.delivery.timeoutMs': { min: 1, max: 60_000, integer: true, unit: 'ms', note: '1 minute' },
  'alerts.delivery.maxAttempts': { min: 1, max: 100, integer: true },
  'alerts.delivery.initialBackoffMs': { min: 1, max: 3_600_000, integer: true, unit: 'ms', note: '1 hour' },
  'alerts.delivery.maxBackoffMs': { min: 1, max: 86_400_000, integer: true, unit: 'ms', note: '1 day' },
  timeoutMs: { min: 1, max: 120_000, integer: true, unit: 'ms', note: '2 minutes' },
  maxAttempts: { min: 1, max: 10, integer: true },
  requestsPerSecond: { min: 0.01, max: 1000, integer: false, unit: 'per second' },
  burst: { min: 1, max: 10_000, integer: true },
  concurrency: { min: 1, max: 64, integer: true },
  'windows.requests': { min: 1, max: 1_000_000, integer: true },
  'windows.seconds': { min: 0.001, max: 86_400, integer: false, unit: 'seconds', note: '1 day' },
  maxSocketsPerOrigin: { min: 1, max: 4096, integer: true },
  ttlSeconds: { min: 0, max: 604_800, integer: true, unit: 'seconds', note: '7 days' },
  staleSeconds: { min: 0, max: 2_592_000, integer: true, unit: 'seconds', note: '30 days' },
  maxPages: { min: 1, max: 100_000, integer: true },
  maxResponseBytes: { min: 1, max: 256 * 1024 ** 2, integer: true, unit: 'bytes', note: '256 MiB' },
  breakerThreshold: { min: 1, max: 1000, integer: true },
  breakerCooldownSeconds: { min: 0.1, max: 3600, integer: false, unit: 'seconds', note: '1 hour' },
} as const satisfies Record<string, NumberBound>;
export type BoundedSetting = keyof typeof CONFIG_BOUNDS;

const UNIT_SHORT: Record<NonNullable<NumberBound['unit']>, string> = { ms: ' ms', seconds: ' s', bytes: ' bytes', 'per second': '/s' };
const UNIT_LONG: Record<NonNullable<NumberBound['unit']>, string> = { ms: ' of milliseconds', seconds: ' of seconds', bytes: ' of bytes', 'per second': ' of calls per second' };

/** The range as the README prints it: `0–604800 s (7 days)`. */
export function boundText(bound: NumberBound): string {
  return `${bound.min}–${bound.max}${bound.unit ? UNIT_SHORT[bound.unit] : ''}${bound.note ? ` (${bound.note})` : ''}`;
}

/** `expected a whole number of seconds from 0 to 604800 (7 days)`. */
function expectedNumber(bound: NumberBound): string {
  const kind = bound.integer ? 'a whole number' : 'a number';
  return `expected ${kind}${bound.unit ? UNIT_LONG[bound.unit] : ''} from ${bound.min} to ${bound.max}${bound.note ? ` (${bound.note})` : ''}`;
}

/** A schema's own message for every issue: `expected …`, or `missing: expected …` when there is no value. */
function expecting(expected: string): (issue: z.core.$ZodRawIssue) => string {
  return (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? `missing: ${expected}` : expected);
}

/** A number in `CONFIG_BOUNDS[name]`; every way of missing it gets the one message saying the range. */
function bounded(name: BoundedSetting): z.ZodNumber {
  const bound: NumberBound = CONFIG_BOUNDS[name];
  const message = expecting(expectedNumber(bound));
  const schema = z.number({ error: message }).min(bound.min, { error: message }).max(bound.max, { error: message });
  return bound.integer ? schema.int({ error: message }) : schema;
}

const ORIGIN_EXPECTED = 'expected an http:// or https:// origin such as https://api.instantly.ai';

/**
 * What is wrong with a configured vendor origin, in words that never repeat its text (it may hold a
 * password). A path is refused, not dropped: each vendor's paths carry their own version prefix
 * (`/api/v2/…`, `/v1/…`), which the providers add to the origin.
 */
export function baseUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return ORIGIN_EXPECTED;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return ORIGIN_EXPECTED;
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password (user:pass@): the vendor key goes in apiKey';
  if (url.pathname !== '/') {
    return "must be the vendor's origin only (scheme://host[:port]), without a path: the gateway adds each vendor's versioned paths (/api/v2/…, /v1/…) itself";
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) return 'must be the origin only, without a query (?…) or fragment (#…)';
  return undefined;
}

const baseUrlSchema = z.string({ error: expecting(ORIGIN_EXPECTED) }).superRefine((text, ctx) => {
  const problem = baseUrlProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const BROWSER_ORIGIN_EXPECTED = 'expected a browser origin such as https://lookerstudio.google.com';

/**
 * What is wrong with an origin allowed to read the API from a browser page (`server.cors.origins`),
 * in words that never repeat its text. It must be exactly what a browser sends in `Origin`
 * (scheme://host[:port], lower case, no default port, no trailing slash), since origins are compared
 * as strings. `*` is refused: client keys are typed into browser pages, and a list of the tools'
 * origins keeps the set of pages that can read answers with such a key reviewable.
 */
export function browserOriginProblem(text: string): string | undefined {
  if (text.includes('*')) return 'must be one exact origin; wildcards (*) are not accepted: list each tool\'s origin';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return BROWSER_ORIGIN_EXPECTED;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return BROWSER_ORIGIN_EXPECTED;
  if (url.origin !== text) {
    return 'must be written as a browser sends it in Origin: scheme://host[:port], lower case, no default port, no path, trailing slash, query or user name';
  }
  return undefined;
}

const browserOriginSchema = z.string({ error: expecting(BROWSER_ORIGIN_EXPECTED) }).superRefine((text, ctx) => {
  const problem = browserOriginProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** Browser pages on other origins allowed to read the API (README "CORS"); none when absent. */
export const CorsConfigSchema = z
  .object({
    /** Exact origins (`https://lookerstudio.google.com`); no wildcard. */
    origins: z.array(browserOriginSchema),
  })
  .strict();

/** Settings every provider has; each has a per-vendor default and may be overridden per connection. */
export const ProviderSettingsSchema = z
  .object({
    /** The vendor's origin (`https://api.instantly.ai`); paths carry their version prefix. A path here is refused. */
    baseUrl: baseUrlSchema,
    /** Timeout of one upstream attempt. @default 10000 */
    timeoutMs: bounded('timeoutMs'),
    /** Attempts per upstream call, the first included. @default 3 */
    maxAttempts: bounded('maxAttempts'),
    /** Token-bucket refill rate per vendor account. Defaults stay well under each vendor's published limit. */
    requestsPerSecond: bounded('requestsPerSecond'),
    /** Token-bucket capacity (the largest burst). */
    burst: bounded('burst'),
    /** Upstream calls in flight per vendor account. @default 4 */
    concurrency: bounded('concurrency'),
    /**
     * The vendor's documented sliding windows per account ("100 per second and 6,000 per minute"):
     * never more than `requests` calls in any `seconds`, counted from when each call was sent.
     * @default [] (the token bucket alone)
     */
    windows: z
      .array(z.object({ requests: bounded('windows.requests'), seconds: bounded('windows.seconds') }).strict())
      .max(8, { error: 'expected at most 8 windows' }),
    /** Sockets to the vendor's origin for the whole process, all its connections together (a keep-alive pool). @default 64 */
    maxSocketsPerOrigin: bounded('maxSocketsPerOrigin'),
    /** Seconds a cached result is fresh. */
    ttlSeconds: bounded('ttlSeconds'),
    /** Seconds past freshness a cached result may still be served while refreshing or when the vendor fails. */
    staleSeconds: bounded('staleSeconds'),
    /** Hard cap on list pages per walk (a loop guard; repeated cursors are caught separately). @default 1000 */
    maxPages: bounded('maxPages'),
    /** Response size cap per upstream call. @default 20 MB */
    maxResponseBytes: bounded('maxResponseBytes'),
    /** Consecutive failures that open the circuit breaker. @default 5 */
    breakerThreshold: bounded('breakerThreshold'),
    /** Seconds the breaker stays open before one probe. @default 30 */
    breakerCooldownSeconds: bounded('breakerCooldownSeconds'),
  })
  .strict();
export type ProviderSettings = z.infer<typeof ProviderSettingsSchema>;

const COMMON_DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 3,
  concurrency: 4,
  maxSocketsPerOrigin: DEFAULT_MAX_SOCKETS_PER_ORIGIN,
  maxPages: 1000,
  maxResponseBytes: 20 * 1024 * 1024,
  breakerThreshold: 5,
  breakerCooldownSeconds: 30,
  staleSeconds: 86_400,
} as const;

/** Defaults per vendor: the settings every vendor shares, then what each provider's folder says (`defaults`). */
export const DEFAULT_PROVIDER_SETTINGS: Readonly<Record<ProviderId, ProviderSettings>> = Object.fromEntries(
  PROVIDER_IDS.map((provider) => [provider, { ...COMMON_DEFAULTS, windows: [] as ProviderSettings['windows'], ...PROVIDER_FACTORIES[provider]().defaults }]),
) as Record<ProviderId, ProviderSettings>;

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "-", "_" or "." (and not start with a symbol)');

export const ConnectionConfigSchema = ProviderSettingsSchema.partial()
  .extend({
    id: idSchema,
    provider: ProviderIdSchema,
    apiKey: z.string({ error: expecting('expected the vendor key as text, e.g. "${ACME_INSTANTLY_KEY}"') }).superRefine((key, ctx) => {
      if (key === '') ctx.addIssue({ code: 'custom', message: 'must not be empty' });
      // A key read with $(cat file) keeps its newline; no vendor's key has whitespace in it.
      else if (/[\s\p{Cc}]/u.test(key)) ctx.addIssue({ code: 'custom', message: 'must not contain spaces, tabs, line breaks or control characters (a trailing newline from a file?)' });
    }),
    vendorWorkspaceId: z.string().min(1).optional(),
    /**
     * Connections with the same group share one outbound limiter (Instantly's limit is per vendor
     * workspace, shared by all its keys). @default the provider and a hash of the key
     */
    rateLimitGroup: z.string().min(1).optional(),
  })
  .strict();

export const WorkspaceConfigSchema = z
  .object({
    id: idSchema.refine((id) => id !== 'ALL', 'ALL is reserved'),
    name: z.string().optional(),
    connections: z.array(ConnectionConfigSchema),
  })
  .strict();

export const ClientConfigSchema = z
  .object({
    id: idSchema,
    /** Hex SHA-256 of the client key (`outreach-gateway hash-key KEY` prints it). */
    keySha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64-hex-digit SHA-256 of the client key').transform((s) => s.toLowerCase()),
    workspaces: z.array(idSchema).min(1),
    defaultWorkspace: idSchema.optional(),
    /** Inbound requests per minute for this key. @default 600 */
    requestsPerMinute: bounded('requestsPerMinute').default(600),
  })
  .strict();

/**
 * Scale-out through Redis (README "Scale-out with Redis"): a shared second cache tier, shared
 * outbound token buckets and cross-instance coalescing. Every instance must use the same
 * `keySecret`: the cache keys are HMACs of the vendor credential under it, so instances with
 * different secrets never find each other's entries. There is deliberately no default: a random
 * per-process secret would silently turn sharing off, and one derived from the vendor keys would
 * let anyone who can read Redis test guesses of a key.
 */
export const RedisConfigSchema = z
  .object({
    /** `redis://[[user]:password@]host[:port][/db]` or `rediss://` (TLS). */
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    /** HMAC secret of the shared cache keys; the same value on every instance (e.g. `${GATEWAY_KEY_SECRET}`). */
    keySecret: z
      .string({ error: (issue) => (issue.input === undefined ? 'required with redis.url: the same secret (32+ characters) on every instance' : 'must be a string') })
      .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)'),
    /** Connecting (and each reconnect attempt) gives up after this long. @default 1000 */
    connectTimeoutMs: bounded('redis.connectTimeoutMs').default(1000),
    /** The longest a request waits for one Redis read before treating it as a miss. @default 150 */
    commandTimeoutMs: bounded('redis.commandTimeoutMs').default(150),
    /** Results larger than this (serialized) stay in the local tier only. @default 8388608 (8 MB) */
    maxValueBytes: bounded('redis.maxValueBytes').default(8 * 1024 * 1024),
    /** Lifetime of the cross-instance walk lock; the holder renews it, so a dead holder's lock ends within it. @default 5000 */
    lockTtlMs: bounded('redis.lockTtlMs').default(5000),
  })
  .strict();
export type RedisConfig = z.infer<typeof RedisConfigSchema>;

/**
 * The history store (README "History"): snapshots of every successful walk in PostgreSQL. By
 * default the embedded one (PGlite) in `dir`; with `url`, a PostgreSQL server, which is how several
 * instances share one history.
 */
export const StorageConfigSchema = z
  .object({
    /** false: no history (the history endpoint answers 503). @default true */
    enabled: z.boolean().default(true),
    /** The embedded database's directory. @default $OUTREACH_GATEWAY_DATA, else ./data */
    dir: z.string().min(1, 'must not be empty').optional(),
    /** `postgres://user:password@host:port/db`: a PostgreSQL server instead of the embedded store. */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
    /** Snapshots older than this many days are deleted. @default 400 */
    retentionDays: bounded('storage.retentionDays').default(400),
  })
  .strict();
export type StorageConfig = z.infer<typeof StorageConfigSchema>;

/**
 * The scheduled sync (README "Scheduled sync"): each connection refreshed before its cache entry
 * goes stale, within a share of each vendor account's rate and Kakiyo's daily credit budget.
 */
export const SyncConfigSchema = z
  .object({
    /** false: nothing is refreshed unless a caller asks. @default true (serve and the demo) */
    enabled: z.boolean().default(true),
    /** The share of each vendor account's requestsPerSecond and burst the scheduler may use. @default 0.5 */
    share: bounded('sync.share').default(0.5),
    /** Seconds between refreshes per provider. @default 80 % of each connection's ttlSeconds */
    intervalSeconds: z.partialRecord(ProviderIdSchema, bounded('sync.intervalSeconds')).default({}),
    /** Each wait is shortened by up to this fraction at random, so connections spread out. @default 0.1 */
    jitter: bounded('sync.jitter').default(0.1),
    /** Longest wait after repeated failures (the wait doubles from 1 s). @default 900 */
    maxBackoffSeconds: bounded('sync.maxBackoffSeconds').default(900),
    kakiyo: z
      .object({
        /** Calls (credits) per Kakiyo account and UTC day the scheduler may make. @default 500 */
        dailyCreditBudget: bounded('sync.kakiyo.dailyCreditBudget').default(500),
      })
      .strict()
      .default({ dailyCreditBudget: 500 }),
  })
  .strict();
export type SyncConfig = z.infer<typeof SyncConfigSchema>;

/** A signed link's id (`link_id=` in its URL): what `links.revoked` lists. */
export const LINK_ID_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;
/** The base URL links are printed with: an http(s) origin, optionally a path prefix (behind a proxy), no query. */
export const LINK_BASE_URL_PATTERN = /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/;

/**
 * Signed read-only links (README "Signed links"): `outreach-gateway link` prints a URL that answers
 * a plain GET (no key header) for exactly one query of one client until it expires. Its signature
 * is an HMAC-SHA256 under `secret`: changing the secret revokes every link at once.
 */
export const LinksConfigSchema = z
  .object({
    /** HMAC secret of the links (e.g. `${GATEWAY_LINK_SECRET}`); 32+ characters. */
    secret: z
      .string({ error: expecting('expected the link secret as text (32+ characters), e.g. "${GATEWAY_LINK_SECRET}"') })
      .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`): a shorter secret makes links easier to forge')
      .regex(/^[^\s\p{Cc}]*$/u, 'must not contain spaces, tabs, line breaks or control characters (a trailing newline from a file?)'),
    /** The gateway's public origin (and path prefix behind a proxy) the CLI prints links with. @default http://server.host:server.port */
    baseUrl: z
      .string()
      .regex(LINK_BASE_URL_PATTERN, 'expected an http:// or https:// URL without a query or fragment, e.g. https://gateway.example.com')
      .optional(),
    /** Ids of single links that no longer answer (`link_id=` of the URL; the CLI prints it). @default [] */
    revoked: z.array(z.string().regex(LINK_ID_PATTERN, 'expected a link id: 6-64 letters, digits, "-" or "_" (the link_id= of the URL)')).default([]),
  })
  .strict();
export type LinksConfig = z.infer<typeof LinksConfigSchema>;
/** `bounceRate > 0.03`: a name, a comparison and a number (alert rules' `when` and `once`). */
export const ALERT_COMPARISON = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(>=|<=|>|<)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;
const ALERT_NAMES: readonly string[] = [...METRIC_NAMES, ...RATE_NAMES];
export const ALERT_RULE_KINDS = ['threshold', 'weekly_change', 'source_failing', 'budget_exhausted'] as const;
/** What one alert is about: one campaign, one connection or one workspace (never across workspaces). */
export const ALERT_SUBJECTS = ['campaign', 'connection', 'workspace'] as const;

function comparisonSchema(example: string, names: readonly string[]): z.ZodType<string> {
  const expected = `expected a comparison such as "${example}": a metric or rate name, one of > >= < <=, and a number`;
  return z.string({ error: expecting(expected) }).superRefine((text, ctx) => {
    const match = ALERT_COMPARISON.exec(text);
    if (!match) return void ctx.addIssue({ code: 'custom', message: expected });
    if (!names.includes(match[1] ?? '')) ctx.addIssue({ code: 'custom', message: `unknown name on the left; expected one of: ${names.join(', ')}` });
  });
}

/**
 * One alert rule (README "Alerts"). `threshold`: `when` over the cached numbers (`bounceRate > 0.03`),
 * once `once` holds (`contacted >= 100`). `weekly_change`: the relative change of `metric` from the
 * week before the last ended week to the last ended week (history store), `when: "change < -0.3"`.
 * `source_failing`: a connection failing for longer than `minutes`. `budget_exhausted`: the scheduler
 * holds a connection back for its vendor's daily credit budget.
 */
export const AlertRuleSchema = z
  .object({
    id: idSchema,
    kind: z.enum(ALERT_RULE_KINDS),
    when: z.string().optional(),
    once: comparisonSchema('contacted >= 100', METRIC_NAMES).optional(),
    metric: z.enum([...METRIC_NAMES, ...RATE_NAMES]).optional(),
    minutes: z.number({ error: expecting('expected a number of minutes from 0 to 10080 (7 days)') }).min(0, 'must be at least 0').max(10_080, 'must be at most 10080 (7 days)').optional(),
    /** One alert per campaign, connection or workspace. @default campaign (threshold, weekly_change) */
    per: z.enum(ALERT_SUBJECTS).optional(),
    scope: z
      .object({
        workspaces: z.array(idSchema).min(1).optional(),
        providers: z.array(ProviderIdSchema).min(1).optional(),
        /** Campaign keys `<connection>:<vendor id>`. */
        campaigns: z.array(z.string().min(3)).min(1).optional(),
      })
      .strict()
      .default({}),
    /** Webhook ids; @default every webhook. */
    webhooks: z.array(idSchema).min(1).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const need = (key: 'when' | 'metric' | 'minutes', what: string): void => {
      if (rule[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `missing: ${what} (required for kind ${rule.kind})` });
    };
    const refuse = (key: 'when' | 'once' | 'metric' | 'minutes' | 'per'): void => {
      if (rule[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `not used by kind ${rule.kind}` });
    };
    const check = (example: string, names: readonly string[]): void => {
      const parsed = comparisonSchema(example, names).safeParse(rule.when);
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['when'], message: issue.message });
    };
    if (rule.kind === 'threshold') {
      need('when', 'expected a comparison such as "bounceRate > 0.03"');
      if (rule.when !== undefined) check('bounceRate > 0.03', ALERT_NAMES);
      refuse('metric');
      refuse('minutes');
    } else if (rule.kind === 'weekly_change') {
      need('metric', 'expected the metric or rate whose change is watched');
      need('when', 'expected a comparison of the relative change such as "change < -0.3"');
      if (rule.when !== undefined) check('change < -0.3', ['change']);
      refuse('minutes');
      if (rule.per === 'connection') ctx.addIssue({ code: 'custom', path: ['per'], message: 'expected campaign or workspace (the history is kept per campaign)' });
    } else {
      if (rule.kind === 'source_failing') need('minutes', 'expected a number of minutes from 0 to 10080 (7 days)');
      else refuse('minutes');
      refuse('when');
      refuse('once');
      refuse('metric');
      if (rule.per !== undefined && rule.per !== 'connection') ctx.addIssue({ code: 'custom', path: ['per'], message: `kind ${rule.kind} is per connection` });
    }
  });
export type AlertRule = z.infer<typeof AlertRuleSchema>;

const WEBHOOK_URL_EXPECTED = 'expected an http:// or https:// URL';

/** Where notifications go: Slack-compatible `{text}`, or JSON signed with `secret` (HMAC-SHA256). */
export const AlertWebhookSchema = z
  .object({
    id: idSchema,
    url: z.string({ error: expecting(WEBHOOK_URL_EXPECTED) }).superRefine((text, ctx) => {
      let url: URL | undefined;
      try {
        url = new URL(text);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) ctx.addIssue({ code: 'custom', message: WEBHOOK_URL_EXPECTED });
    }),
    format: z.enum(['slack', 'json']).default('json'),
    /** HMAC-SHA256 key of `X-Outreach-Signature` (json: required; slack: optional). */
    secret: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)').optional(),
  })
  .strict()
  .superRefine((webhook, ctx) => {
    if (webhook.format === 'json' && webhook.secret === undefined) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'missing: a json webhook is signed; expected a secret of 16+ characters (e.g. "${ALERT_WEBHOOK_SECRET}")' });
  });
export type AlertWebhook = z.infer<typeof AlertWebhookSchema>;

export const AlertsConfigSchema = z
  .object({
    webhooks: z.array(AlertWebhookSchema).default([]),
    rules: z.array(AlertRuleSchema).default([]),
    delivery: z
      .object({
        /** One delivery attempt. @default 5000 */
        timeoutMs: bounded('alerts.delivery.timeoutMs').default(5000),
        /** Attempts per notification before it is given up (logged and counted). @default 12 */
        maxAttempts: bounded('alerts.delivery.maxAttempts').default(12),
        /** The first wait after a failed attempt; it doubles up to maxBackoffMs. @default 1000 */
        initialBackoffMs: bounded('alerts.delivery.initialBackoffMs').default(1000),
        /** @default 600000 (10 minutes) */
        maxBackoffMs: bounded('alerts.delivery.maxBackoffMs').default(600_000),
      })
      .strict()
      .default({ timeoutMs: 5000, maxAttempts: 12, initialBackoffMs: 1000, maxBackoffMs: 600_000 }),
  })
  .strict();
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;

/** Cross-references of the alerts block: ids unique, every workspace, connection and webhook named exists. */
const AlertReferencesSchema = z.object({
  workspaces: z.array(z.object({ id: z.string(), connections: z.array(z.object({ id: z.string() })) })),
  alerts: z
    .object({
      webhooks: z.array(z.object({ id: z.string() })).optional(),
      rules: z.array(z.object({ id: z.string(), webhooks: z.array(z.string()).optional(), scope: z.object({ workspaces: z.array(z.string()).optional(), campaigns: z.array(z.string()).optional() }).optional() })).optional(),
    })
    .optional(),
});

function checkAlertReferences(value: unknown, ctx: z.core.$RefinementCtx): void {
  const references = AlertReferencesSchema.parse(value);
  const alerts = references.alerts;
  if (!alerts) return;
  const workspaceIds = new Set(references.workspaces.map((w) => w.id));
  const connectionIds = new Set(references.workspaces.flatMap((w) => w.connections.map((c) => c.id)));
  const webhookIds = new Set<string>();
  (alerts.webhooks ?? []).forEach((webhook, i) => {
    if (webhookIds.has(webhook.id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'webhooks', i, 'id'], message: `duplicate webhook id "${webhook.id}"` });
    webhookIds.add(webhook.id);
  });
  const ruleIds = new Set<string>();
  (alerts.rules ?? []).forEach((rule, i) => {
    if (ruleIds.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', i, 'id'], message: `duplicate rule id "${rule.id}"` });
    ruleIds.add(rule.id);
    (rule.webhooks ?? []).forEach((id, j) => {
      if (!webhookIds.has(id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', i, 'webhooks', j], message: `unknown webhook "${id}"` });
    });
    (rule.scope?.workspaces ?? []).forEach((id, j) => {
      if (!workspaceIds.has(id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', i, 'scope', 'workspaces', j], message: `unknown workspace "${id}"` });
    });
    (rule.scope?.campaigns ?? []).forEach((key, j) => {
      if (!connectionIds.has(key.slice(0, Math.max(0, key.indexOf(':'))))) {
        ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', i, 'scope', 'campaigns', j], message: 'expected a campaign key <connection>:<vendor id> of a configured connection' });
      }
    });
  });
  if (webhookIds.size === 0 && ruleIds.size > 0) ctx.addIssue({ code: 'custom', path: ['alerts', 'webhooks'], message: 'needs at least 1 entry: rules have nowhere to send notifications' });
}

/** The store as the service opens it. */
export interface ResolvedStorage {
  enabled: boolean;
  dir: string;
  url: string | undefined;
  retentionDays: number;
}

/**
 * The parts of a config file that refer to each other (ids, client keys, client workspaces), and
 * nothing else: the cross-reference checks below read only these.
 */
const ReferencesSchema = z.object({
  workspaces: z.array(z.object({ id: z.string(), connections: z.array(z.object({ id: z.string() })) })),
  clients: z.array(z.object({ id: z.string(), keySha256: z.string(), workspaces: z.array(z.string()), defaultWorkspace: z.string().optional() })),
});

export const ConfigFileSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: bounded('server.port').default(8080),
        /** Every request answers by then, whatever the vendors do. @default 15000 */
        deadlineMs: bounded('server.deadlineMs').default(15_000),
        /** Largest number of upstream calls one request may plan (e.g. include=steps over many campaigns). @default 2000 */
        maxUpstreamCalls: bounded('server.maxUpstreamCalls').default(2000),
        /** Origins of browser pages allowed to read the API (CORS). @default none */
        cors: CorsConfigSchema.optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, deadlineMs: 15_000, maxUpstreamCalls: 2000 }),
    clients: z.array(ClientConfigSchema).min(1),
    workspaces: z.array(WorkspaceConfigSchema).min(1),
    providers: z.partialRecord(ProviderIdSchema, ProviderSettingsSchema.partial()).default({}),
    cache: z
      .object({
        /** Byte bound of all per-provider caches together. @default 268435456 (256 MB) */
        maxBytes: bounded('cache.maxBytes').default(268_435_456),
      })
      .strict()
      .default({ maxBytes: 268_435_456 }),
    redis: RedisConfigSchema.optional(),
    storage: StorageConfigSchema.default({ enabled: true, retentionDays: 400 }),
    sync: SyncConfigSchema.default({ enabled: true, share: 0.5, intervalSeconds: {}, jitter: 0.1, maxBackoffSeconds: 900, kakiyo: { dailyCreditBudget: 500 } }),
    log: z.object({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info') }).strict().default({ level: 'info' }),
    links: LinksConfigSchema.optional(),
    alerts: AlertsConfigSchema.optional(),
  })
  .strict()
  .superRefine(checkAlertReferences, { when: (payload) => AlertReferencesSchema.safeParse(payload.value).success })
  .superRefine(
    (config, ctx) => {
      // Re-read through ReferencesSchema: with `when`, this runs even if other parts of the file
      // failed, so `config` is only known to have what ReferencesSchema checked.
      const references = ReferencesSchema.parse(config);
      const workspaceIds = new Set<string>();
      const connectionIds = new Set<string>();
      references.workspaces.forEach((workspace, w) => {
        if (workspaceIds.has(workspace.id)) ctx.addIssue({ code: 'custom', path: ['workspaces', w, 'id'], message: `duplicate workspace id "${workspace.id}"` });
        workspaceIds.add(workspace.id);
        workspace.connections.forEach((connection, c) => {
          if (connectionIds.has(connection.id)) {
            ctx.addIssue({ code: 'custom', path: ['workspaces', w, 'connections', c, 'id'], message: `duplicate connection id "${connection.id}"` });
          }
          connectionIds.add(connection.id);
        });
      });
      const hashes = new Set<string>();
      const clientIds = new Set<string>();
      references.clients.forEach((client, i) => {
        if (clientIds.has(client.id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'id'], message: `duplicate client id "${client.id}"` });
        clientIds.add(client.id);
        const hash = client.keySha256.toLowerCase();
        if (hashes.has(hash)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'keySha256'], message: 'two clients share one key' });
        hashes.add(hash);
        client.workspaces.forEach((workspace, j) => {
          if (!workspaceIds.has(workspace)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'workspaces', j], message: `unknown workspace "${workspace}"` });
        });
        if (client.defaultWorkspace !== undefined && !client.workspaces.includes(client.defaultWorkspace)) {
          ctx.addIssue({ code: 'custom', path: ['clients', i, 'defaultWorkspace'], message: 'must be one of the client\'s workspaces' });
        }
      });
    },
    // Cross-references are checked in the same run as every other problem, whenever the parts
    // they read are well-formed (zod would otherwise skip them until the whole file is valid).
    { when: (payload) => ReferencesSchema.safeParse(payload.value).success },
  );
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface ResolvedConnection {
  id: string;
  workspace: string;
  provider: ProviderId;
  apiKey: string;
  vendorWorkspaceId: string | undefined;
  /** Connections with the same value share one outbound limiter. */
  rateLimitGroup: string;
  settings: ProviderSettings;
}

export interface ResolvedClient {
  id: string;
  keySha256: string;
  workspaces: string[];
  defaultWorkspace: string;
  requestsPerMinute: number;
}

export interface GatewayConfig {
  server: ConfigFile['server'];
  clients: ResolvedClient[];
  workspaces: { id: string; name: string; connections: ResolvedConnection[] }[];
  connections: ResolvedConnection[];
  cache: ConfigFile['cache'];
  redis: ConfigFile['redis'];
  log: ConfigFile['log'];
  storage: ResolvedStorage;
  sync: SyncConfig;
  /** Signed read-only links; undefined when the file has no `links` block (links then answer 401). */
  links: LinksConfig | undefined;
  /** Alert rules and webhooks (README "Alerts"); none when the file has no `alerts` block. */
  alerts: AlertsConfig;
  /** Every secret value in the config (vendor keys), for log redaction. */
  secrets: string[];
  /** Set by the demo; shows as `meta.demo`. */
  demo: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError' as const;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** `workspaces[1].connections[0].provider` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One `${NAME}` found in the file: where, which variable, and whether it was unset or empty. */
interface EnvReference {
  path: string;
  name: string;
  found: 'unset' | 'empty' | 'set';
}

/** Replaces `${NAME}` in every string, noting each reference; `$${NAME}` escapes a literal `${NAME}`. */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, references: EnvReference[], path: PropertyKey[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
      if (match.startsWith('$$')) return match.slice(1);
      const found = env[name];
      references.push({ path: formatPath(path), name, found: found === undefined ? 'unset' : found === '' ? 'empty' : 'set' });
      return found ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, references, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substituteEnv(item, env, references, [...path, key]);
    return out;
  }
  return value;
}

function unsetProblem(reference: EnvReference): string {
  return `${reference.path}: environment variable ${reference.name} is not set`;
}

/**
 * Replaces `${NAME}` in every string with the environment variable; a missing variable is a
 * problem naming the path. `$${NAME}` escapes a literal `${NAME}`.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, problems: string[], path: PropertyKey[] = []): unknown {
  const references: EnvReference[] = [];
  const out = substituteEnv(value, env, references, path);
  for (const reference of references) if (reference.found === 'unset') problems.push(unsetProblem(reference));
  return out;
}

const NOUNS: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
};

/** What a value is, never what it holds (a value may be a key). */
function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string') return 'text';
  if (typeof input === 'number') return 'a number';
  if (typeof input === 'boolean') return 'true/false';
  if (typeof input === 'object') return 'a mapping';
  return typeof input;
}

/**
 * `unknown key(s) "apikey"`. A key is named only when it looks like a setting's name (letters,
 * `_` and `-`, at most 32): a value written where a key belongs (`- sk_live_…: x`) is counted,
 * never printed.
 */
function unknownKeys(keys: readonly string[]): string {
  const shown = keys.filter((key) => /^[A-Za-z][A-Za-z_-]{0,31}$/.test(key));
  const hidden = keys.length - shown.length;
  const named = shown.map((key) => `"${key}"`).join(', ');
  if (hidden === 0) return `unknown key(s) ${named}`;
  const withheld = `${plural(hidden, 'key', 'keys')} not shown because it may be a value`;
  return shown.length === 0 ? `unknown key(s): ${withheld}` : `unknown key(s) ${named}, and ${withheld}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * zod's issues in the words a person would write ("missing: expected text", "must not be empty"),
 * for every issue the schema did not word itself. Values are never quoted; key names and allowed
 * values are.
 */
function humanMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const noun = NOUNS[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `missing: expected ${noun}`;
      // YAML reads `vendorWorkspaceId: 340` or `id: yes` as a number or a boolean.
      const quote = issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean') ? ' (put it in quotes)' : '';
      return `expected ${noun}, not ${kindOf(issue.input)}${quote}`;
    }
    case 'invalid_value':
      return `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return unknownKeys(issue.keys);
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') return `needs at least ${plural(min, 'entry', 'entries')}`;
      if (issue.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${plural(min, 'character', 'characters')}`;
      return issue.inclusive ? `must be at least ${min}` : `must be more than ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') return `may have at most ${plural(max, 'entry', 'entries')}`;
      if (issue.origin === 'string') return `may be at most ${plural(max, 'character', 'characters')}`;
      return issue.inclusive ? `must be at most ${max}` : `must be less than ${max}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' ? 'is not in the expected format' : `expected a valid ${issue.format}`;
    default:
      return undefined;
  }
}

/** Every key name the schema knows (and the provider ids), for locating syntax errors safely. */
function keyNames(schema: z.core.$ZodType, into: Set<string>): Set<string> {
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.core.$ZodType> = schema.shape;
    for (const [key, child] of Object.entries(shape)) {
      into.add(key);
      keyNames(child, into);
    }
  } else if (schema instanceof z.ZodArray) {
    keyNames(schema.element, into);
  } else if (schema instanceof z.ZodRecord) {
    keyNames(schema.keyType, into);
    keyNames(schema.valueType, into);
  } else if (schema instanceof z.ZodEnum) {
    for (const option of schema.options) into.add(String(option));
  } else if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) {
    keyNames(schema.unwrap(), into);
  } else if (schema instanceof z.ZodPipe) {
    keyNames(schema.in, into);
  }
  return into;
}

/** The key names a syntax-error line may show (see `config-syntax.ts`). */
export const CONFIG_KEY_NAMES: ReadonlySet<string> = keyNames(ConfigFileSchema, new Set());

/** Drops keys whose value is undefined, so an absent override never erases a default. */
function definedOnly(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The password in a URL (`postgres://user:password@…`), for log redaction; [] when none. */
function urlPassword(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? [] : [password];
  } catch {
    return [];
  }
}

/** The Redis key secret and the password in the Redis URL, for log redaction. */
function redisSecrets(redis: RedisConfig | undefined): string[] {
  if (!redis) return [];
  const secrets = [redis.keySecret];
  try {
    const password = decodeURIComponent(new URL(redis.url).password);
    if (password !== '') secrets.push(password);
  } catch {
    // An unparseable URL fails at connect time; there is no password to pick out of it here.
  }
  return secrets;
}

/** Webhook secrets and URLs (a Slack webhook URL is itself a credential), for log redaction. */
function alertSecrets(alerts: AlertsConfig | undefined): string[] {
  return (alerts?.webhooks ?? []).flatMap((webhook) => [webhook.url, ...(webhook.secret !== undefined ? [webhook.secret] : [])]);
}

/**
 * The problems of a parsed document, one line each (`path: what is expected`), and the valid file
 * when there are none. An unset `${NAME}` is reported once, for the variable, not again for the
 * empty value it leaves; a field that fails because its `${NAME}` is set but empty names the variable.
 */
function validateDocument(document: unknown, env: NodeJS.ProcessEnv): { problems: string[]; file: ConfigFile | undefined } {
  const references: EnvReference[] = [];
  const interpolated = substituteEnv(document, env, references, []);
  const problems = references.filter((reference) => reference.found === 'unset').map(unsetProblem);
  const unsetPaths = new Set(references.filter((reference) => reference.found === 'unset').map((reference) => reference.path));
  const parsed = ConfigFileSchema.safeParse(interpolated, { error: humanMessage });
  if (parsed.success) return { problems, file: problems.length === 0 ? parsed.data : undefined };
  for (const issue of parsed.error.issues) {
    const path = formatPath(issue.path);
    if (unsetPaths.has(path)) continue;
    const empty = references.filter((reference) => reference.path === path && reference.found === 'empty').map((reference) => `\${${reference.name}}`);
    const cause = empty.length > 0 ? ` (the value comes from ${empty.join(', ')}, which is set but empty)` : '';
    problems.push(`${path}: ${issue.message}${cause}`);
  }
  return { problems, file: undefined };
}

/** Validates a parsed config document (already interpolated or not) into the resolved config. */
export function resolveConfig(document: unknown, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { problems, file } = validateDocument(document, env);
  if (file === undefined) throw new ConfigError(problems);


  const connections: ResolvedConnection[] = [];
  const workspaces = file.workspaces.map((workspace) => {
    const resolved = workspace.connections.map((connection): ResolvedConnection => {
      const { id, provider, apiKey, vendorWorkspaceId, rateLimitGroup, ...overrides } = connection;
      const settings = ProviderSettingsSchema.parse({
        ...DEFAULT_PROVIDER_SETTINGS[provider],
        ...definedOnly(file.providers[provider] ?? {}),
        ...definedOnly(overrides),
      });
      return {
        id,
        workspace: workspace.id,
        provider,
        apiKey,
        vendorWorkspaceId,
        rateLimitGroup: rateLimitGroup ?? `${provider}:${sha256Hex(`${apiKey}\u0000${vendorWorkspaceId ?? ''}`).slice(0, 16)}`,
        settings,
      };
    });
    connections.push(...resolved);
    return { id: workspace.id, name: workspace.name ?? workspace.id, connections: resolved };
  });

  const clients = file.clients.map((client): ResolvedClient => {
    const defaultWorkspace = client.defaultWorkspace ?? client.workspaces[0] ?? '';
    return { id: client.id, keySha256: client.keySha256, workspaces: client.workspaces, defaultWorkspace, requestsPerMinute: client.requestsPerMinute };
  });

  return {
    server: file.server,
    clients,
    workspaces,
    connections,
    cache: file.cache,
    redis: file.redis,
    log: file.log,
    storage: {
      enabled: file.storage.enabled,
      dir: file.storage.dir ?? (env.OUTREACH_GATEWAY_DATA || './data'),
      url: file.storage.url,
      retentionDays: file.storage.retentionDays,
    },
    sync: file.sync,
    links: file.links,
    alerts: file.alerts ?? AlertsConfigSchema.parse({}),
    secrets: [...connections.map((c) => c.apiKey), ...redisSecrets(file.redis), ...urlPassword(file.storage.url), ...(file.links ? [file.links.secret] : []), ...alertSecrets(file.alerts)],
    demo: false,
  };
}

/** Why a file could not be read, from the error's code (its message repeats the path). */
function readFailure(error: unknown): string {
  // Not `instanceof Error`: an fs error from another realm (a test VM) is not one.
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? 'unreadable';
}

/** YAML for `.yaml`/`.yml`, JSON for every other name. */
function syntaxOf(path: string): 'YAML' | 'JSON' {
  return ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? 'YAML' : 'JSON';
}

/** The parsed text of a config file; a leading BOM is ignored. */
function parseConfigText(path: string, text: string): ParseOutcome {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return syntaxOf(path) === 'YAML' ? parseYamlText(body, CONFIG_KEY_NAMES) : parseJsonText(body, CONFIG_KEY_NAMES);
}

/**
 * Reads and validates a config file (`.json`, `.yaml` or `.yml`): the one check `check-config`,
 * `serve` and `fetch` run. Every problem line starts with the file; a syntax error is one line
 * `FILE:LINE:COLUMN: key.path: not valid YAML|JSON: what was expected`, without the file's text.
 */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read the file (${readFailure(error)})`]);
  }
  const parsed = parseConfigText(path, text);
  if (!parsed.ok) {
    const { line, column, path: keyPath, message } = parsed.problem;
    throw new ConfigError([`${path}:${line}:${column}: ${formatPath(keyPath)}: not valid ${syntaxOf(path)}: ${message}`]);
  }
  try {
    return resolveConfig(parsed.value, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.problems.map((problem) => `${path}: ${problem}`));
    throw error;
  }
}

export { PROVIDER_IDS };
