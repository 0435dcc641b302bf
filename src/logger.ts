/**
 * winston JSON logging with a redaction step that runs on every line: header-like keys
 * (`authorization`, `x-api-key`, `apiKey`, cookies, a signed link's `sig`, …) are blanked wherever they
 * nest, the value of a query parameter with such a name is blanked in any string (a URL in a
 * message: `…&sig=[REDACTED]`), and every configured secret value (vendor keys, the link secret,
 * the demo client key) is cut out of any string. A line is JSON with its keys sorted at every
 * depth (what winston's `json` format writes), made by one format that also drops lines below the
 * level and stamps the time, and written to the output stream (stdout: up to 50 ms of lines in one
 * write, see `LineBatch`).
 */
import type { Writable } from 'node:stream';
import winston from 'winston';
import { LINEAR_SECRETS, redactSecrets } from './errors';
import { fillHoles, HoleMarks, type HoledText } from './json-holes';

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
  const memo = value.length > MEMO_MAX_CHARS ? undefined : redactionMemo(secrets);
  if (!memo) return redactFresh(value, secrets);
  const known = memo.current.get(value);
  if (known !== undefined) return known;
  const out = memo.previous.get(value) ?? redactFresh(value, secrets);
  if (memo.current.size >= MEMO_ENTRIES) {
    memo.previous = memo.current;
    memo.current = new Map();
  }
  memo.current.set(value, out);
  return out;
}

function redactFresh(value: string, secrets: readonly string[]): string {
  const cut = redactSecrets(value, secrets);
  return redactQuery(BEARER_START.test(cut) ? cut.replace(BEARER, '$1 [REDACTED]') : cut);
}

/**
 * Redacted forms of the short strings lines repeat (a client id, a route, a URL, a cache hit's
 * sources summary), for one list of secrets: checked against every secret once, not on every line
 * (the request line of a 200-client agency is checked against 800 vendor keys). Two generations
 * of `MEMO_ENTRIES`: when the current one is full it becomes the previous one, so strings seen on
 * every line stay while one-off values (request ids) age out. Only a long list (more than
 * `LINEAR_SECRETS`) is worth it, and only a frozen one is memoized (it cannot change under the
 * memo; the service's is): a new list starts afresh, and a list that can still change is checked
 * in full on every line.
 */
const MEMO_ENTRIES = 1000;
const MEMO_MAX_CHARS = 512;
let memoFor: { secrets: readonly string[]; current: Map<string, string>; previous: Map<string, string> } | undefined;
function redactionMemo(secrets: readonly string[]): { current: Map<string, string>; previous: Map<string, string> } | undefined {
  // A few secrets are checked faster than a map is kept (errors.ts cuts them out one by one).
  if (secrets.length <= LINEAR_SECRETS || !Object.isFrozen(secrets)) return undefined;
  if (memoFor?.secrets !== secrets) memoFor = { secrets, current: new Map(), previous: new Map() };
  return memoFor;
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
  /**
   * Lines of up to `BATCH_MS` written together (one write, see `LineBatch`). On by
   * default for stdout; off by default for a given stream, which then has each line as it is logged.
   */
  batch?: boolean;
}

/** A batch is written at once past this many characters, without waiting for its time. */
const BATCH_CHARS = 64 * 1024;
/** The longest a line waits to be written (stdout), in ms. */
export const BATCH_MS = 50;

/**
 * Lines held for at most `BATCH_MS` (or until they pass `BATCH_CHARS`), then written with one
 * call: a write to stdout costs about as much as making the line (6.6 of ~19 µs of the cache-hit
 * request line's, measured at 4,400 hits per second, where each hit had a turn of the event loop
 * and so a write of its own when batches ended with the turn). Lines keep their order. Whatever is
 * held when the process exits (a normal exit, a signal's shutdown, an uncaught exception) is written
 * then (synchronously, as stdout is for files and pipes); a process killed outright (SIGKILL) loses
 * at most the last `BATCH_MS` of lines.
 */
class LineBatch {
  private static readonly open = new Set<LineBatch>();
  private static exitHooked = false;
  private lines: string[] = [];
  private chars = 0;
  private scheduled: NodeJS.Timeout | undefined;

  constructor(private readonly stream: Writable) {
    if (!LineBatch.exitHooked) {
      LineBatch.exitHooked = true;
      process.once('exit', () => {
        for (const batch of LineBatch.open) batch.flush();
      });
    }
  }

  add(line: string): void {
    // The first line of a batch registers it for the exit flush (flush takes it off again).
    if (this.lines.push(line) === 1) LineBatch.open.add(this);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.flush();
    else this.scheduled ??= setTimeout(() => this.flush(), BATCH_MS).unref();
  }

  flush(): void {
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = undefined;
    LineBatch.open.delete(this);
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.stream.write(text);
  }
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
  // winston's; each line it would hand its transport goes to the stream instead, what those
  // transports write (`stdout`, synchronous for files and pipes on Linux, as console's): with the
  // lines of the next `BATCH_MS` for stdout (`LineBatch`), at once for a given stream.
  const batch = (options.batch ?? options.stream === undefined) ? new LineBatch(stream) : undefined;
  const emit = (text: string): void => {
    if (batch) batch.add(text);
    else stream.write(text);
  };
  logger.write = (info: unknown): boolean => {
    if (logger.silent) return true;
    const line = format.transform(info as winston.Logform.TransformableInfo, format.options);
    if (!line) return true;
    emit(`${String((line as Record<symbol, unknown>)[MESSAGE])}\n`);
    return true;
  };
  const lines: LineInternals = { secrets, format, emit };
  Object.defineProperty(logger, LINES, { value: lines });
  return logger;
}

/** What `lineTemplate` and `logLine` use of a logger made by `createLogger`. */
interface LineInternals {
  secrets: () => readonly string[];
  format: winston.Logform.Format;
  emit: (text: string) => void;
}
const LINES = Symbol('outreach-gateway.lines');

function internalsOf(logger: Logger): LineInternals | undefined {
  return (logger as unknown as Record<symbol, LineInternals | undefined>)[LINES];
}

/**
 * A line logged many times with the same fields but a few (the cache-hit request line: the same
 * client, path, route and sources on every hit, a new request id and duration): made once by the
 * logger's own format (redaction, sorted keys, JSON) with a hole for each field made per line and
 * for the time (json-holes.ts), so a line costs those fields' redaction and JSON, not the whole
 * line's (`logLine`). Valid for the list of secrets it was made against: once the list changes,
 * `logLine` makes the line in full.
 */
export interface LineTemplate extends HoledText<string> {
  level: string;
  message: string;
  fixed: Readonly<Record<string, unknown>>;
  secrets: readonly string[];
}

/**
 * The template of a line with `fixed` fields and `perLine` ones (given to `logLine`), or undefined
 * when the logger is not one `createLogger` made or its level drops the line.
 */
export function lineTemplate(logger: Logger, level: string, message: string, fixed: Record<string, unknown>, perLine: readonly string[]): LineTemplate | undefined {
  const internals = internalsOf(logger);
  if (!internals || !logger.isLevelEnabled(level)) return undefined;
  const secrets = internals.secrets();
  const marks = new HoleMarks<string>();
  const info: Record<string | symbol, unknown> = { ...fixed, level, message };
  for (const field of [...perLine, 'timestamp']) info[field] = marks.mark(field);
  const made = internals.format.transform(info as winston.Logform.TransformableInfo, internals.format.options);
  if (!made) return undefined;
  const line = marks.cut(String((made as Record<symbol, unknown>)[MESSAGE]));
  // A hole the format changed (a secret-like field name is blanked) leaves no template: the line is then made in full.
  if (line.holes.length !== marks.count) return undefined;
  return { level, message, fixed, secrets, ...line };
}

/**
 * Logs `template`'s line with `values` for its holes (each a string, number or boolean, redacted
 * and written as the format would). The line is made in full by `logger.log` instead when the
 * logger's secrets have changed since the template was made, a hole has no value, or the logger
 * is not one `createLogger` made; it is not made at all when the logger is silent or its level drops it.
 */
export function logLine(logger: Logger, template: LineTemplate, values: Readonly<Record<string, string | number | boolean>>): void {
  if (logger.silent || !logger.isLevelEnabled(template.level)) return;
  const internals = internalsOf(logger);
  const secrets = internals?.secrets();
  if (!internals || !secrets || secrets !== template.secrets || template.holes.some((field) => field !== 'timestamp' && values[field] === undefined)) {
    logger.log(template.level, template.message, { ...template.fixed, ...values });
    return;
  }
  const line = fillHoles(template, (field) => {
    const value = field === 'timestamp' ? new Date().toISOString() : values[field];
    return JSON.stringify(typeof value === 'string' ? redactString(value, secrets) : value);
  });
  internals.emit(`${line}\n`);
}
