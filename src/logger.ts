/**
 * winston JSON logging with a redaction format that runs on every line: header-like keys
 * (`authorization`, `x-api-key`, `apiKey`, cookies, a signed link's `sig`, …) are blanked wherever they
 * nest, the value of a query parameter with such a name is blanked in any string (a URL in a
 * message: `…&sig=[REDACTED]`), and every configured secret value (vendor keys, the link secret,
 * the demo client key) is cut out of any string.
 */
import type { Writable } from 'node:stream';
import winston from 'winston';
import { redactSecrets } from './errors';

export type Logger = winston.Logger;

const SECRET_KEY = /^(authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|cookie|set-cookie|password|secret|token|access[-_]?token|client[-_]?key|sig|signature)$/i;
/** A `name=value` pair of a URL query inside a text (after `?`, `&`, `;`, whitespace or at the start). */
const QUERY_PAIR = /(^|[?&;\s])([^=&?#\s]+)=([^&#\s]*)/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const MAX_DEPTH = 6;

function secretName(name: string): boolean {
  try {
    return SECRET_KEY.test(decodeURIComponent(name));
  } catch {
    return SECRET_KEY.test(name);
  }
}

/** Blanks the value of every query parameter in `text` whose name is secret-like (`?sig=…`, `&api_key=…`). */
export function redactQuery(text: string): string {
  if (!text.includes('=')) return text;
  return text.replace(QUERY_PAIR, (pair: string, lead: string, name: string) => (secretName(name) ? `${lead}${name}=[REDACTED]` : pair));
}

export function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactQuery(redactSecrets(value, secrets).replace(BEARER, '$1 [REDACTED]'));
  if (value === null || typeof value !== 'object') return value;
  // Nothing below the depth limit is inspected, so nothing below it is shown: a header-like key or
  // a secret down there would otherwise reach the log unredacted (this also ends cyclic objects).
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactValue(value.message, secrets, depth + 1) };
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? '[REDACTED]' : redactValue(item, secrets, depth + 1);
  }
  return out;
}

/** The redaction format; `secrets` is read on every line so keys added later are covered too. */
export function redactFormat(secretsOf: () => readonly string[]): winston.Logform.Format {
  return winston.format((info) => {
    const secrets = secretsOf();
    for (const key of Object.keys(info)) {
      info[key] = SECRET_KEY.test(key) ? '[REDACTED]' : redactValue(info[key], secrets);
    }
    return info;
  })();
}

export interface LoggerOptions {
  level?: string;
  secrets?: () => readonly string[];
  /** Where lines go; stdout by default. Tests pass a stream to capture them. */
  stream?: Writable;
  silent?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? (() => []);
  // winston runs the formats before its transports drop a line below their level: a `debug` line
  // at level `info` would be redacted (every string against every configured secret: thousands for
  // a big agency) and then thrown away. Lines below the level end here, before any work.
  const enabled = winston.format((info) => (logger.isLevelEnabled(info.level) ? info : false))();
  const logger: Logger = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(enabled, winston.format.timestamp(), redactFormat(secrets), winston.format.json()),
    transports: [options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console()],
  });
  return logger;
}
