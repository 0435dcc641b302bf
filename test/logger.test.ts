import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import fc from 'fast-check';
import winston from 'winston';
import { BATCH_MS, createLogger, lineFormat, lineTemplate, logLine, redactValue, type Logger } from '../src/logger';

const MESSAGE = Symbol.for('message');

const VENDOR_KEY = 'inst_live_CANARY_7d1e9b3f0a2c';
const OTHER_KEY = 'slq_live_CANARY_44ab09e1';

/** A logger writing into memory, and a function returning the parsed lines so far. */
function capture(secrets: () => readonly string[] = () => [VENDOR_KEY], level = 'debug'): { logger: Logger; lines: () => Promise<Record<string, unknown>[]>; raw: () => Promise<string> } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const raw = async (): Promise<string> => {
    await new Promise((resolve) => setImmediate(resolve));
    return Buffer.concat(chunks).toString('utf8');
  };
  const lines = async (): Promise<Record<string, unknown>[]> =>
    (await raw())
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger: createLogger({ stream, secrets, level }), lines, raw };
}

/** Logs `first <key>`, adds the key to the (mutable) list, logs `<second> <key>`: only the second line has it cut. */
async function expectKeyPushedLaterCut(secrets: string[], second: string): Promise<void> {
  const { logger, lines } = capture(() => secrets);
  logger.info(`first ${OTHER_KEY}`);
  secrets.push(OTHER_KEY);
  logger.info(`${second} ${OTHER_KEY}`);
  expect((await lines()).map((line) => line.message)).toEqual([`first ${OTHER_KEY}`, `${second} [REDACTED]`]);
}

describe('createLogger', () => {
  it('writes one JSON line per call with level, message, timestamp and fields', async () => {
    const { logger, lines } = capture();
    logger.info('request done', { requestId: 'r-1', status: 200, ms: 12 });
    const [line] = await lines();
    expect(line).toEqual({ level: 'info', message: 'request done', requestId: 'r-1', status: 200, ms: 12, timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) });
  });

  it('respects the level', async () => {
    const { logger, lines } = capture(undefined, 'warn');
    logger.info('hidden');
    logger.debug('hidden too');
    logger.warn('shown');
    expect((await lines()).map((l) => l.message)).toEqual(['shown']);
  });

  it('does no redaction work for a line below the level, and follows a level changed later', async () => {
    let reads = 0;
    const { logger, lines } = capture(() => {
      reads += 1;
      return [VENDOR_KEY];
    }, 'info');
    logger.debug('hidden', { key: VENDOR_KEY });
    expect(reads).toBe(0);
    logger.level = 'debug';
    logger.debug(`shown ${VENDOR_KEY}`);
    expect(reads).toBe(1);
    expect((await lines()).map((l) => l.message)).toEqual(['shown [REDACTED]']);
  });

  it('writes each line in call order, a child\'s lines too, with their fields and redaction', async () => {
    const { logger, lines } = capture();
    const child = logger.child({ component: 'redis' });
    logger.info('first');
    child.warn('second', { url: `redis://:${VENDOR_KEY}@host` });
    logger.error('third');
    expect(await lines()).toEqual([
      expect.objectContaining({ level: 'info', message: 'first' }),
      expect.objectContaining({ level: 'warn', message: 'second', component: 'redis', url: 'redis://:[REDACTED]@host' }),
      expect.objectContaining({ level: 'error', message: 'third' }),
    ]);
  });

  it('writes nothing when silent, and has no secrets by default', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    createLogger({ stream, silent: true }).error('nothing');
    const plain = createLogger({ stream });
    plain.info('token Bearer abc123', { note: VENDOR_KEY });
    await new Promise((resolve) => setImmediate(resolve));
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line.message).toBe('token Bearer [REDACTED]');
    expect(line.note).toBe(VENDOR_KEY);
    expect(line.level).toBe('info');
  });

  it('blanks header-like keys wherever they nest', async () => {
    const { logger, lines } = capture();
    logger.info('upstream call', {
      authorization: 'top-level',
      apiKey: 'top-level-key',
      request: {
        headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-API-Key': 'plain-key-1', Cookie: 'sid=1', 'Set-Cookie': ['sid=2; HttpOnly'], accept: 'application/json' },
        nested: { deeper: { api_key: 'k2', 'api-key': 'k3', list: [{ 'x-api-key': 'k4', ok: 'kept' }], password: 'p', token: 't', access_token: 'a', clientKey: 'c' } },
      },
    });
    const [line] = await lines();
    expect(line).toMatchObject({
      authorization: '[REDACTED]',
      apiKey: '[REDACTED]',
      request: {
        headers: { Authorization: '[REDACTED]', 'X-API-Key': '[REDACTED]', Cookie: '[REDACTED]', 'Set-Cookie': '[REDACTED]', accept: 'application/json' },
        nested: {
          deeper: {
            api_key: '[REDACTED]',
            'api-key': '[REDACTED]',
            list: [{ 'x-api-key': '[REDACTED]', ok: 'kept' }],
            password: '[REDACTED]',
            token: '[REDACTED]',
            access_token: '[REDACTED]',
            clientKey: '[REDACTED]',
          },
        },
      },
    });
  });

  it('blanks a header-like key even far below the top', async () => {
    const { logger, raw } = capture();
    let deep: Record<string, unknown> = { authorization: 'Token deep-secret-value', 'x-api-key': 'deep-api-key-value' };
    for (let i = 0; i < 12; i += 1) deep = { [`level${i}`]: deep };
    logger.info('deep', { deep });
    const text = await raw();
    expect(text).not.toContain('deep-secret-value');
    expect(text).not.toContain('deep-api-key-value');
  });

  it('blanks keys down to the depth limit and shows nothing below it', async () => {
    const { logger, lines } = capture();
    const inner = { authorization: 'Token inner-secret', ok: 'kept' };
    logger.info('depth', { a: { b: { c: { d: { e: inner } } } }, z: { y: { x: { w: { v: { u: { t: { s: 'too deep' } } } } } } } });
    const [line] = await lines();
    expect(line?.a).toEqual({ b: { c: { d: { e: { authorization: '[REDACTED]', ok: 'kept' } } } } });
    expect(line?.z).toEqual({ y: { x: { w: { v: { u: { t: '[Truncated]' } } } } } });
  });

  it('cuts configured secret values out of the message and nested strings', async () => {
    const { logger, lines, raw } = capture(() => [VENDOR_KEY, OTHER_KEY]);
    logger.warn(`vendor said: invalid key ${VENDOR_KEY}`, {
      detail: `echo ${OTHER_KEY} and ${VENDOR_KEY}`,
      sources: [{ connection: 'acme-instantly', error: { message: `rejected ${VENDOR_KEY}${VENDOR_KEY}` } }],
      count: 3,
      flag: true,
      nothing: null,
    });
    const [line] = await lines();
    expect(line).toMatchObject({
      message: 'vendor said: invalid key [REDACTED]',
      detail: 'echo [REDACTED] and [REDACTED]',
      sources: [{ connection: 'acme-instantly', error: { message: 'rejected [REDACTED][REDACTED]' } }],
      count: 3,
      flag: true,
      nothing: null,
    });
    const text = await raw();
    expect(text).not.toContain(VENDOR_KEY);
    expect(text).not.toContain(OTHER_KEY);
  });

  it('reads the secrets on every line, so keys added later are cut too', async () => {
    await expectKeyPushedLaterCut([], 'second');
  });

  it('redacts Bearer and Basic credentials in any string', async () => {
    const { logger, lines } = capture(() => []);
    logger.info('sent Authorization: Bearer eyJhbGciOi.J9-x_y~z+/= to the vendor', { raw: 'basic dXNlcjpwYXNz', list: ['bearer abc', 'not a Bearer'] });
    const [line] = await lines();
    expect(line).toMatchObject({
      message: 'sent Authorization: Bearer [REDACTED] to the vendor',
      raw: 'basic [REDACTED]',
      list: ['bearer [REDACTED]', 'not a Bearer'],
    });
  });

  it('reduces Error objects to name and message (no stack, no request config)', async () => {
    const { logger, lines, raw } = capture();
    const error = Object.assign(new TypeError(`request failed for ${VENDOR_KEY}`), {
      config: { headers: { 'X-API-Key': VENDOR_KEY } },
      request: { _header: `GET / HTTP/1.1\r\nx-api-key: ${VENDOR_KEY}\r\n` },
    });
    logger.error('upstream failed', { error, nested: { cause: new RangeError('out of range') } });
    const [line] = await lines();
    expect(line?.error).toEqual({ name: 'TypeError', message: 'request failed for [REDACTED]' });
    expect(line?.nested).toEqual({ cause: { name: 'RangeError', message: 'out of range' } });
    const text = await raw();
    expect(text).not.toContain(VENDOR_KEY);
    expect(text).not.toContain('at Object.');
  });

  it('never writes a secret when an Error is passed as the message or as the whole meta', async () => {
    const { logger, lines, raw } = capture();
    logger.error(new Error(`boom ${VENDOR_KEY}`));
    logger.error('failed', new Error(`boom ${VENDOR_KEY}`));
    const [first, second] = await lines();
    expect(first?.level).toBe('error');
    expect(second?.message).toBe('failed boom [REDACTED]');
    expect(await raw()).not.toContain(VENDOR_KEY);
  });
});

describe('createLogger batching', () => {
  /** A stream that records each write separately. */
  function writes(): { stream: Writable; seen: string[] } {
    const seen: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        seen.push(chunk.toString('utf8'));
        done();
      },
    });
    return { stream, seen };
  }

  it('writes the lines of up to BATCH_MS together, in order, across turns of the event loop', async () => {
    const { stream, seen } = writes();
    const logger = createLogger({ stream, batch: true, secrets: () => [VENDOR_KEY] });
    logger.info('one');
    await new Promise((resolve) => setImmediate(resolve));
    logger.info(`two ${VENDOR_KEY}`);
    await new Promise((resolve) => setImmediate(resolve));
    logger.warn('three');
    // Two turns later the first line still waits: a hit per turn would otherwise cost a write each.
    expect(seen).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, BATCH_MS + 20));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['one', 'two [REDACTED]', 'three']);
  });

  it('writes at once when a batch grows past 64 KB, and a given stream gets each line at once unless asked', async () => {
    const { stream, seen } = writes();
    const logger = createLogger({ stream, batch: true });
    const long = 'x'.repeat(1024);
    for (let i = 0; i < 70; i += 1) logger.info(long);
    // About 1.1 KB a line: the 60th passes 64 KB and goes out with the 59 before it; 10 wait for BATCH_MS.
    expect(seen).toHaveLength(1);
    expect(seen[0]?.length).toBeGreaterThanOrEqual(64 * 1024);
    expect(seen[0]?.length).toBeLessThan(64 * 1024 + 1200);
    await new Promise((resolve) => setTimeout(resolve, BATCH_MS + 20));
    expect(seen).toHaveLength(2);
    expect(seen.join('').split('\n').filter(Boolean)).toHaveLength(70);

    const plain = writes();
    createLogger({ stream: plain.stream }).info('now');
    expect(plain.seen).toHaveLength(1);
  });

  it('writes what is held when the process exits (stdout, the default)', () => {
    const script = `const { createLogger } = require(${JSON.stringify(join(__dirname, '..', 'src', 'logger'))}); createLogger().info('last words'); process.exit(0);`;
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: join(__dirname, '..'), encoding: 'utf8' });
    expect((JSON.parse(out.trim()) as { message: string }).message).toBe('last words');
  });
});

describe('line templates (a line made once but for a few fields)', () => {
  const STAMP = /"timestamp":"[^"]+"/;
  const fixed = { client: `acme ${VENDOR_KEY}`, path: `/v1?api_key=${OTHER_KEY}&x=1`, status: 200, nested: { apiKey: 'k', ok: true }, sources: 'a:ok:hit b:ok:hit' };

  it('writes the bytes the full line has (time aside), each per-line value redacted as the format would', async () => {
    const secrets = Object.freeze([VENDOR_KEY]);
    const { logger, raw } = capture(() => secrets, 'info');
    const template = lineTemplate(logger, 'info', 'request', fixed, ['requestId', 'ms']);
    expect(template).toBeDefined();
    const cases = [
      { requestId: 'r-1', ms: 0.3 },
      { requestId: `r-${VENDOR_KEY}`, ms: 12 },
      { requestId: 'Bearer abc.def', ms: Number.NaN },
      { requestId: 'q?sig=abc&b=2 "quoted" \\ \u2028', ms: 1e21 },
    ];
    for (const values of cases) {
      logLine(logger, template!, values);
      logger.info('request', { ...fixed, ...values });
    }
    const lines = (await raw()).split('\n').filter(Boolean).map((line) => line.replace(STAMP, '"timestamp":"T"'));
    expect(lines).toHaveLength(cases.length * 2);
    for (let i = 0; i < cases.length; i += 1) expect(lines[2 * i]).toBe(lines[2 * i + 1]);
    expect(lines.join('\n')).not.toContain(VENDOR_KEY);
    expect(lines.join('\n')).not.toContain(OTHER_KEY);
    // The template's own time, as the format stamps it.
    expect(STAMP.test((await raw()).split('\n')[0] ?? '')).toBe(true);
  });

  it('makes the line in full once the secrets change, a value is missing, or the logger is not createLogger\'s; nothing when the level drops it', async () => {
    let secrets: readonly string[] = Object.freeze([VENDOR_KEY]);
    const { logger, lines } = capture(() => secrets, 'info');
    const template = lineTemplate(logger, 'info', 'request', { client: `acme ${OTHER_KEY}` }, ['requestId']);
    logLine(logger, template!, { requestId: 'one' });
    secrets = Object.freeze([VENDOR_KEY, OTHER_KEY]);
    logLine(logger, template!, { requestId: 'two' });
    logLine(logger, template!, {});
    logger.level = 'warn';
    logLine(logger, template!, { requestId: 'dropped' });
    expect((await lines()).map((line) => [line.client, line.requestId])).toEqual([
      [`acme ${OTHER_KEY}`, 'one'],
      ['acme [REDACTED]', 'two'],
      ['acme [REDACTED]', undefined],
    ]);
    expect(lineTemplate(logger, 'info', 'request', {}, ['requestId'])).toBeUndefined();
    expect(lineTemplate(winston.createLogger(), 'info', 'request', {}, ['requestId'])).toBeUndefined();
  });

  it('leaves no template for a per-line field whose name is secret-like (the format blanks it)', () => {
    const { logger } = capture(() => [], 'info');
    expect(lineTemplate(logger, 'info', 'request', {}, ['apiKey'])).toBeUndefined();
    expect(lineTemplate(logger, 'info', 'request', {}, ['requestId'])).toBeDefined();
  });
});

describe('redaction of many secrets', () => {
  /** More secrets than are looked for one by one, so the logger keeps what it has redacted. */
  const many = (extra: string): readonly string[] => Object.freeze([...Array.from({ length: 40 }, (_, i) => `vendor-key-${String(i).padStart(4, '0')}-CANARY`), extra]);

  it('cuts every secret from a string seen before, and starts afresh with a new list', async () => {
    let secrets = many(VENDOR_KEY);
    const { logger, lines } = capture(() => secrets);
    const text = `GET /v1?x=${OTHER_KEY}&y=vendor-key-0007-CANARY ${VENDOR_KEY}`;
    logger.info(text);
    logger.info(text);
    secrets = many(OTHER_KEY);
    logger.info(text);
    expect((await lines()).map((line) => line.message)).toEqual([
      `GET /v1?x=${OTHER_KEY}&y=[REDACTED] [REDACTED]`,
      `GET /v1?x=${OTHER_KEY}&y=[REDACTED] [REDACTED]`,
      `GET /v1?x=[REDACTED]&y=[REDACTED] ${VENDOR_KEY}`,
    ]);
  });

  it('checks a list that can still change on every line (a key pushed later is cut)', async () => {
    // The same text twice: a memoized answer would repeat the first line's.
    await expectKeyPushedLaterCut([...many(VENDOR_KEY)], 'first');
  });

  it('keeps answering right after its memo turns over (thousands of distinct strings)', async () => {
    const secrets = many(VENDOR_KEY);
    const { logger, lines } = capture(() => secrets);
    for (let i = 0; i < 2500; i += 1) logger.info(`line ${i} ${i % 500 === 0 ? VENDOR_KEY : ''}`);
    const found = await lines();
    expect(found).toHaveLength(2500);
    expect(found.filter((line) => String(line.message).includes('[REDACTED]'))).toHaveLength(5);
    expect(JSON.stringify(found)).not.toContain(VENDOR_KEY);
  });
});

describe('redactValue', () => {
  it('returns non-string primitives as they are', () => {
    expect(redactValue(42, [VENDOR_KEY])).toBe(42);
    expect(redactValue(false, [VENDOR_KEY])).toBe(false);
    expect(redactValue(null, [VENDOR_KEY])).toBeNull();
    expect(redactValue(undefined, [VENDOR_KEY])).toBeUndefined();
  });

  it('ignores secrets of three characters or fewer (they would shred ordinary text)', () => {
    expect(redactValue('a key abc in text', ['abc'])).toBe('a key abc in text');
  });

  it('does not loop on a cyclic object', () => {
    const cyclic: Record<string, unknown> = { name: 'loop', token: 'x' };
    cyclic.self = cyclic;
    expect(redactValue(cyclic, [])).toEqual({
      name: 'loop',
      token: '[REDACTED]',
      self: { name: 'loop', token: '[REDACTED]', self: { name: 'loop', token: '[REDACTED]', self: { name: 'loop', token: '[REDACTED]', self: { name: 'loop', token: '[REDACTED]', self: { name: 'loop', token: '[REDACTED]', self: '[Truncated]' } } } } },
    });
  });
});

describe('lineFormat', () => {
  const enabled = (): boolean => true;
  const stamp = '2026-12-06T12:00:00.000Z';

  /** Whether any object key in `value` is an array index ("0", "17"): JavaScript enumerates those first, in numeric order. */
  const hasIndexKey = (value: unknown): boolean =>
    value !== null && typeof value === 'object' && Object.entries(value).some(([key, item]) => (!Array.isArray(value) && /^(0|[1-9]\d*)$/.test(key)) || hasIndexKey(item));

  it("writes what winston's json format writes for the redacted line: sorted keys at every depth (property)", () => {
    const json = winston.format.json();
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), fc.string(), (meta, message) => {
        const info = { ...meta, level: 'info', message, timestamp: stamp } as winston.Logform.TransformableInfo;
        const line = lineFormat(() => [VENDOR_KEY], enabled).transform(info) as winston.Logform.TransformableInfo;
        // The same info, its fields already redacted, through winston's own json format.
        const theirs = json.transform({ ...line }, json.options) as winston.Logform.TransformableInfo;
        const ours = line[MESSAGE] as string;
        expect(JSON.parse(ours)).toEqual(JSON.parse(theirs[MESSAGE] as string));
        // Byte for byte, except that index-like keys come first (in numeric order).
        if (!hasIndexKey(meta)) expect(ours).toBe(theirs[MESSAGE]);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a bigint as its decimal string, keeps a field named __proto__, and drops a line below the level', () => {
    const info = { level: 'info', message: 'm', timestamp: stamp, count: 12345678901234567890n, nested: JSON.parse('{"__proto__":{"apiKey":"k"},"b":1}') as unknown } as winston.Logform.TransformableInfo;
    const line = lineFormat(() => [], enabled).transform(info) as winston.Logform.TransformableInfo;
    expect(line[MESSAGE]).toBe(`{"count":"12345678901234567890","level":"info","message":"m","nested":{"__proto__":{"apiKey":"[REDACTED]"},"b":1},"timestamp":"${stamp}"}`);
    expect(lineFormat(() => [], () => false).transform({ level: 'debug', message: 'm' })).toBe(false);
  });
});
