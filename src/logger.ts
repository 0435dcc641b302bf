/**
 * winston JSON logging with a redaction step that runs on every line: header-like keys
 * (`authorization`, `x-api-key`, `apiKey`, cookies, a signed link's `sig`, …) are blanked wherever they
 * nest, the value of a query parameter with such a name is blanked in any string (a URL in a
 * message: `…&sig=[REDACTED]`), and every configured secret value (vendor keys, the link secret,
 * the demo client key) is cut out of any string. A line is JSON with its keys sorted at every
 * depth (what winston's `json` format writes), made by one format that also drops lines below the
 * level and stamps the time, and written straight to the output stream (see `createLogger`).
 */
import type { Writable } from 'node:stream';
import winston from 'winston';
import { redactSecrets } from './errors';

export type Logger = winston.Logger;

const SECRET_KEY = /^(authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|cookie|set-cookie|password|secret|token|access[-_]?token|client[-_]?key|sig|signature)$/i;
/** A `name=value` pair of a URL query inside a text (after `?`, `&`, `;`, whitespace or at the start). */
const QUERY_PAIR = /(^|[?&;\s])([^=&?#\s]+)=([^&#\s]*)/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** A cheap first look: only a string with one of the words can hold a credential of that form. */
const BEARER_START = /bearer|basic/i;
const MAX_DEPTH = 6;
/** Where winston's transports read a formatted line (triple-beam's `MESSAGE`). */
const MESSAGE = Symbol.for('message');

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

/**
 * `value` with every secret cut out of its strings and every header-like key blanked, as plain
 * JSON-ready data: objects rebuilt with their keys sorted (so a line's JSON is the same whatever
 * order its fields were given in), a bigint as its decimal string.
 */
export function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  // Nothing below the depth limit is inspected, so nothing below it is shown: a header-like key or
  // a secret down there would otherwise reach the log unredacted (this also ends cyclic objects).
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1));
  if (value instanceof Error) return { message: redactValue(value.message, secrets, depth + 1), name: value.name };
  // No prototype: a field named `__proto__` stays a field.
  const out = Object.create(null) as Record<string, unknown>;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object).sort()) {
    out[key] = secretKey(key) ? '[REDACTED]' : redactValue(object[key], secrets, depth + 1);
  }
  return out;
}

function redactString(value: string, secrets: readonly string[]): string {
  const cut = redactSecrets(value, secrets);
  return redactQuery(BEARER_START.test(cut) ? cut.replace(BEARER, '$1 [REDACTED]') : cut);
}

/** Whether a field's name is header-like; the answers for the names a log sees are kept (a handful). */
const keyVerdicts = new Map<string, boolean>();
function secretKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SECRET_KEY.test(key);
    if (keyVerdicts.size < 1000) keyVerdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * The one format of a line: lines below the level end here, before any work; the rest get their
 * timestamp, are redacted (`secrets` read on every line, so keys added later are covered too) and
 * written as JSON with sorted keys into the line's message.
 */
export function lineFormat(secretsOf: () => readonly string[], enabled: (level: string) => boolean): winston.Logform.Format {
  return winston.format((info) => {
    if (!enabled(info.level)) return false;
    if (!info.timestamp) info.timestamp = new Date().toISOString();
    const secrets = secretsOf();
    const line = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(info).sort()) {
      const value = secretKey(key) ? '[REDACTED]' : redactValue(info[key], secrets);
      info[key] = value;
      line[key] = value;
    }
    (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify(line);
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
  const stream = options.stream ?? process.stdout;
  // winston runs the formats before its transports drop a line below their level: a `debug` line
  // at level `info` would be redacted (every string against every configured secret: thousands for
  // a big agency) and then thrown away. Lines below the level end in the format, before any work.
  const format = lineFormat(secrets, (level) => logger.isLevelEnabled(level));
  const logger: Logger = winston.createLogger({ level: options.level ?? 'info', silent: options.silent ?? false, format });
  // winston's logger is a Transform stream piped into each transport, and its Console and Stream
  // transports schedule a `logged` event per line: about 8 µs of stream bookkeeping on every line
  // (the request line of every cache hit). The logger's API, levels, children and format stay
  // winston's; each line it would hand its transport is written to the stream at once instead,
  // what those transports write (`stdout`, synchronous for files and pipes on Linux, as console's).
  logger.write = (info: unknown): boolean => {
    if (logger.silent) return true;
    const line = format.transform(info as winston.Logform.TransformableInfo, format.options);
    if (line) stream.write(`${String((line as Record<symbol, unknown>)[MESSAGE])}\n`);
    return true;
  };
  return logger;
}
