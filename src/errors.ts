/**
 * Typed errors. Every error the gateway raises carries a stable snake_case `code`; the HTTP layer
 * turns codes into statuses in one place. No error object ever holds a vendor key, a client key
 * or request headers: messages are built from vendor bodies with the connection's secrets removed,
 * and the transport error that caused a failure is never kept as `cause`.
 */
import type { ProviderId } from './schema/campaign';

export const PROVIDER_ERROR_CODES = [
  'unauthorized',
  'forbidden',
  'payment_required',
  'not_found',
  'rate_limited',
  'upstream_unavailable',
  'upstream_timeout',
  'network',
  'upstream_schema',
  'upstream_too_large',
  'wrong_host',
  'bad_request',
  'circuit_open',
  'too_many_pages',
  'aborted',
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

export interface ProviderErrorInit {
  provider: ProviderId;
  code: ProviderErrorCode;
  message: string;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  /** Field path of the first schema failure (for `upstream_schema`). */
  path?: string | undefined;
}

/** A failure talking to one vendor. Safe to log and to show to a caller as it is. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError' as const;
  readonly provider: ProviderId;
  readonly code: ProviderErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly path: string | undefined;

  constructor(init: ProviderErrorInit) {
    super(init.message);
    this.provider = init.provider;
    this.code = init.code;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.path = init.path;
  }

  /** The fields a caller may see: `{code, message, retryAfterSeconds?}`. */
  toJSON(): { code: ProviderErrorCode; message: string; status?: number; retryAfterSeconds?: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(this.retryAfterMs / 1000) } : {}),
    };
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}

/**
 * Codes that say the vendor itself is fine but rejected this account or request, or that the
 * connection points at a host that is not the vendor's API (`wrong_host`: a configuration matter).
 */
const ACCOUNT_CODES: ReadonlySet<ProviderErrorCode> = new Set([
  'unauthorized',
  'forbidden',
  'payment_required',
  'not_found',
  'bad_request',
  'wrong_host',
]);

/** True for failures that say nothing about the vendor's health (a breaker must not count them). */
export function isAccountError(error: unknown): boolean {
  return isProviderError(error) && ACCOUNT_CODES.has(error.code);
}

/** Codes the gateway's own HTTP API answers with (problem+json `code`). */
export type GatewayErrorCode =
  | 'invalid_query'
  | 'unauthorized'
  | 'access_denied'
  | 'rate_limited'
  | 'all_sources_failed'
  | 'not_found'
  | 'too_expensive'
  | 'history_unavailable'
  | 'internal';

export interface ProblemFieldError {
  parameter: string;
  message: string;
}

/** An error the gateway answers a caller with, as RFC 9457 problem+json. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError' as const;
  constructor(
    readonly status: number,
    readonly code: GatewayErrorCode,
    message: string,
    readonly errors?: ProblemFieldError[],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** Secrets are looked for one by one up to this many; past it, through an index of their first characters. */
export const LINEAR_SECRETS = 16;
const PREFIX = 4;

/** The secrets (longer than 3 chars) by their first `PREFIX` characters, with their order in the list. */
interface SecretIndex {
  count: number;
  byPrefix: Map<string, number[]>;
}

const indexes = new WeakMap<readonly string[], SecretIndex>();

function secretIndex(secrets: readonly string[]): SecretIndex {
  const known = indexes.get(secrets);
  if (known && known.count === secrets.length) return known;
  const byPrefix = new Map<string, number[]>();
  secrets.forEach((secret, i) => {
    if (secret.length <= 3) return;
    const prefix = secret.slice(0, PREFIX);
    const list = byPrefix.get(prefix);
    if (list) list.push(i);
    else byPrefix.set(prefix, [i]);
  });
  const index = { count: secrets.length, byPrefix };
  indexes.set(secrets, index);
  return index;
}

/**
 * Removes every occurrence of each secret (longer than 3 chars) from a string, in the list's order.
 * A big agency configures hundreds of vendor keys and every log line and error message passes
 * here: past `LINEAR_SECRETS`, the text is scanned once against an index of the secrets' first
 * characters, and only the secrets found in it are cut out (the same result as trying each one).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  if (secrets.length <= LINEAR_SECRETS) return cutOut(text, secrets);
  if (text.length < PREFIX) return text;
  const { byPrefix } = secretIndex(secrets);
  let found: number[] | undefined;
  for (let at = 0; at + PREFIX <= text.length; at += 1) {
    const candidates = byPrefix.get(text.slice(at, at + PREFIX));
    if (candidates === undefined) continue;
    for (const i of candidates) {
      if (text.startsWith(secrets[i] as string, at)) (found ??= []).push(i);
    }
  }
  if (found === undefined) return text;
  return cutOut(
    text,
    [...new Set(found)].sort((a, b) => a - b).map((i) => secrets[i] as string),
  );
}

function cutOut(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 3 && out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
