/**
 * The config file (DESIGN.md section 4): JSON or YAML, `${NAME}` replaced by environment variables,
 * validated with zod. A bad file yields one line per problem naming its path, e.g.
 * `workspaces[1].connections[0].provider: expected one of instantly|sendkit|kakiyo|seleqt`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PROVIDER_FACTORIES } from './providers/registry';
import { PROVIDER_IDS, ProviderIdSchema, type ProviderId } from './schema/campaign';

const positiveInt = z.number().int().positive();

/** Settings every provider has; each has a per-vendor default and may be overridden per connection. */
export const ProviderSettingsSchema = z
  .object({
    /** The vendor's origin (`https://api.instantly.ai`); paths carry their version prefix. */
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** Timeout of one upstream attempt. @default 10000 */
    timeoutMs: positiveInt.max(120_000),
    /** Attempts per upstream call, the first included. @default 3 */
    maxAttempts: positiveInt.max(10),
    /** Token-bucket refill rate per vendor account. Defaults stay well under each vendor's published limit. */
    requestsPerSecond: z.number().positive().max(1000),
    /** Token-bucket capacity (the largest burst). */
    burst: positiveInt.max(10_000),
    /** Upstream calls in flight per vendor account. @default 4 */
    concurrency: positiveInt.max(64),
    /** Seconds a cached result is fresh. */
    ttlSeconds: z.number().int().nonnegative(),
    /** Seconds past freshness a cached result may still be served while refreshing or when the vendor fails. */
    staleSeconds: z.number().int().nonnegative(),
    /** Hard cap on list pages per walk (a loop guard; repeated cursors are caught separately). @default 1000 */
    maxPages: positiveInt.max(100_000),
    /** Response size cap per upstream call. @default 20 MB */
    maxResponseBytes: positiveInt,
    /** Consecutive failures that open the circuit breaker. @default 5 */
    breakerThreshold: positiveInt.max(1000),
    /** Seconds the breaker stays open before one probe. @default 30 */
    breakerCooldownSeconds: z.number().positive().max(3600),
  })
  .strict();
export type ProviderSettings = z.infer<typeof ProviderSettingsSchema>;

const COMMON_DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 3,
  concurrency: 4,
  maxPages: 1000,
  maxResponseBytes: 20 * 1024 * 1024,
  breakerThreshold: 5,
  breakerCooldownSeconds: 30,
  staleSeconds: 86_400,
} as const;

/** Defaults per vendor: the settings every vendor shares, then what each provider's folder says (`defaults`). */
export const DEFAULT_PROVIDER_SETTINGS: Readonly<Record<ProviderId, ProviderSettings>> = Object.fromEntries(
  PROVIDER_IDS.map((provider) => [provider, { ...COMMON_DEFAULTS, ...PROVIDER_FACTORIES[provider]().defaults }]),
) as Record<ProviderId, ProviderSettings>;

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "-", "_" or "." (and not start with a symbol)');

export const ConnectionConfigSchema = ProviderSettingsSchema.partial()
  .extend({
    id: idSchema,
    provider: ProviderIdSchema,
    apiKey: z.string().min(1, 'must not be empty'),
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
    requestsPerMinute: positiveInt.default(600),
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
    connectTimeoutMs: positiveInt.max(60_000).default(1000),
    /** The longest a request waits for one Redis read before treating it as a miss. @default 150 */
    commandTimeoutMs: positiveInt.max(10_000).default(150),
    /** Results larger than this (serialized) stay in the local tier only. @default 8388608 (8 MB) */
    maxValueBytes: positiveInt.default(8 * 1024 * 1024),
    /** Lifetime of the cross-instance walk lock; the holder renews it, so a dead holder's lock ends within it. @default 5000 */
    lockTtlMs: z.number().int().min(100).max(600_000).default(5000),
  })
  .strict();
export type RedisConfig = z.infer<typeof RedisConfigSchema>;

/**
 * The parts of a config file that refer to each other (ids, client keys, client workspaces), and
 * nothing else: the cross-reference checks below read only these.
 */
const ReferencesSchema = z.object({
  workspaces: z.array(z.object({ id: z.string(), connections: z.array(z.object({ id: z.string() })) })),
  clients: z.array(z.object({ keySha256: z.string(), workspaces: z.array(z.string()), defaultWorkspace: z.string().optional() })),
});

export const ConfigFileSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Every request answers by then, whatever the vendors do. @default 15000 */
        deadlineMs: positiveInt.max(600_000).default(15_000),
        /** Largest number of upstream calls one request may plan (e.g. include=steps over many campaigns). @default 2000 */
        maxUpstreamCalls: positiveInt.default(2000),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, deadlineMs: 15_000, maxUpstreamCalls: 2000 }),
    clients: z.array(ClientConfigSchema).min(1),
    workspaces: z.array(WorkspaceConfigSchema).min(1),
    providers: z.partialRecord(ProviderIdSchema, ProviderSettingsSchema.partial()).default({}),
    cache: z
      .object({
        /** Byte bound of all per-provider caches together. @default 268435456 (256 MB) */
        maxBytes: positiveInt.default(268_435_456),
      })
      .strict()
      .default({ maxBytes: 268_435_456 }),
    redis: RedisConfigSchema.optional(),
    log: z.object({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info') }).strict().default({ level: 'info' }),
  })
  .strict()
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
      references.clients.forEach((client, i) => {
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

/**
 * Replaces `${NAME}` in every string with the environment variable; a missing variable is a
 * problem naming the path. `$${NAME}` escapes a literal `${NAME}`.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, problems: string[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
      if (match.startsWith('$$')) return match.slice(1);
      const found = env[name];
      if (found === undefined) {
        problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return '';
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).join('|')}`;
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

/** Drops keys whose value is undefined, so an absent override never erases a default. */
function definedOnly(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

/** Validates a parsed config document (already interpolated or not) into the resolved config. */
export function resolveConfig(document: unknown, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: string[] = [];
  const interpolated = interpolateEnv(document, env, problems);
  // A field whose variable is not set is reported once, for the variable, not again as empty.
  const unsetPaths = new Set(problems.map((problem) => problem.slice(0, problem.indexOf(': '))));
  const parsed = ConfigFileSchema.safeParse(interpolated);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = formatPath(issue.path);
      if (!unsetPaths.has(path)) problems.push(`${path}: ${describeIssue(issue)}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const file = parsed.data;

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
    secrets: [...connections.map((c) => c.apiKey), ...redisSecrets(file.redis)],
    demo: false,
  };
}

/** Reads and validates a config file (`.json`, `.yaml` or `.yml`). */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read the file (${error instanceof Error ? error.message : String(error)})`]);
  }
  let document: unknown;
  try {
    document = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML/JSON'} (${error instanceof Error ? error.message : String(error)})`]);
  }
  return resolveConfig(document, env);
}

export { PROVIDER_IDS };
