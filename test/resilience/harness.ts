/**
 * Shared pieces of the resilience and security suites: raw loopback "vendors" for what nock cannot
 * do (a socket that never answers, drips, resets or cuts a body short), a recording proxy in front
 * of a simulator (to see every header the gateway sends), a refused port, raw request bytes (a body
 * on a GET, a request line Node's client would not send), a collector that scans every answer and log line for the
 * canary secrets at the end of a file, and the per-test stack that feeds it.
 */
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ALL_SECRETS, startStack, type Stack, type StackOptions } from '../helpers/stack';

export const ANALYTICS = '/v1/campaigns/analytics';

/** The parts of an analytics answer the suites look at. */
export interface AnalyticsBody {
  data: { key: string; provider: string; connection: string; workspace: string; name: string; status: string }[];
  sources: {
    workspace: string;
    connection: string;
    provider: string;
    status: 'ok' | 'stale' | 'error';
    cache: string;
    ageSeconds: number | null;
    error: { code: string; message: string; retryAfterSeconds?: number } | null;
  }[];
  meta: { complete: boolean };
}

export interface ProblemBody {
  status: number;
  code: string;
  errors?: { parameter: string; message: string }[];
}

export function analyticsBody(body: unknown): AnalyticsBody {
  if (body === null || typeof body !== 'object' || !('sources' in body)) throw new Error(`not an analytics body: ${JSON.stringify(body).slice(0, 300)}`);
  return body as AnalyticsBody;
}

export function problemBody(body: unknown): ProblemBody {
  if (body === null || typeof body !== 'object' || !('code' in body)) throw new Error(`not a problem body: ${JSON.stringify(body).slice(0, 300)}`);
  return body as ProblemBody;
}

export function sourceOf(body: unknown, connection: string): AnalyticsBody['sources'][number] {
  const source = analyticsBody(body).sources.find((s) => s.connection === connection);
  if (!source) throw new Error(`no source ${connection}`);
  return source;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw header lines as sent (names in their original case). */
  rawHeaders: string[];
}

export interface RawVendor {
  origin: string;
  requests: RecordedRequest[];
  /** Sockets the server saw close (the client hung up or the answer ended). */
  closedSockets(): number;
  stop(): Promise<void>;
}

/**
 * A `node:http` server on 127.0.0.1 that answers with `handle`; every request is recorded. `stop()`
 * ends every socket, including those a handler keeps open on purpose.
 */
export async function startRawVendor(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<RawVendor> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let closed = 0;
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      closed += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    closedSockets: () => closed,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RawSocketServer {
  origin: string;
  connections(): number;
  stop(): Promise<void>;
}

/** A bare TCP server on 127.0.0.1: `onData` gets the socket once the request bytes arrive. */
export async function startRawSocketServer(onData: (socket: Socket, data: Buffer) => void): Promise<RawSocketServer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (data) => onData(socket, data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    connections: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * An origin on 127.0.0.1 where nobody listens: a port below 1024 (only root may bind one, and no
 * test does) that refuses a connection now. A port that was free a moment ago is not enough: tests
 * run in parallel, and another one's server may be given it (the gateway then meets a 404).
 */
export async function refusedOrigin(): Promise<string> {
  for (let port = 1; port < 1024; port += 1) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return `http://127.0.0.1:${port}`;
  }
  throw new Error('every port below 1024 on 127.0.0.1 accepts connections');
}

/**
 * A forwarding proxy in front of a simulator that records each request's headers as the gateway
 * sent them, so tests can check that nothing of the caller's reaches a vendor. `target` may be a
 * function, for a simulator that starts after the proxy (the stack's). `intercept` may
 * answer a request itself (a fault in the middle of a walk) by returning true.
 */
export async function startRecordingProxy(
  target: string | (() => string),
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<RawVendor> {
  return startRawVendor((req, res) => {
    if (intercept?.(req, res) === true) return;
    // Resolved per request: the simulator behind it may start after the proxy.
    const targetUrl = new URL(typeof target === 'string' ? target : target());
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && name !== 'host') headers[name] = value;
    const upstream = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
}

/**
 * Sends raw bytes (a request line Node's client would refuse to build) and returns the status
 * line's code; resolves 0 when the server closed without answering.
 */
export function rawBytes(base: string, bytes: string): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : 0, text });
    });
  });
}

/**
 * Everything a file's tests saw (bodies, headers, log lines, /metrics): the file's last test scans
 * it for every canary secret.
 */
export class SecretCollector {
  private readonly texts: string[] = [];

  add(...texts: string[]): void {
    this.texts.push(...texts);
  }

  addAnswer(answer: { text: string; headers: Headers | IncomingHttpHeaders }): void {
    const headers = answer.headers instanceof Headers ? [...answer.headers.entries()] : Object.entries(answer.headers);
    this.texts.push(answer.text, JSON.stringify(headers));
  }

  get size(): number {
    return this.texts.length;
  }

  /** The secrets found, with where (never the text itself, which would print the secret). */
  leaks(secrets: readonly string[] = ALL_SECRETS): string[] {
    const found: string[] = [];
    this.texts.forEach((text, index) => {
      secrets.forEach((secret, s) => {
        if (text.includes(secret)) found.push(`secret #${s} in text #${index}`);
      });
    });
    return found;
  }
}

/** One answer of the stack under test, and how long it took. */
export type TimedAnswer = Awaited<ReturnType<Stack['get']>> & { ms: number };

/**
 * A file's gateway stack, one per test: every answer it gives goes to `seen`, and `close()` (in
 * `afterEach`) adds its /metrics and its log lines before closing it.
 */
export class WatchedStack {
  readonly seen = new SecretCollector();
  current: Stack | undefined;

  async start(options: StackOptions = {}): Promise<Stack> {
    this.current = await startStack(options);
    return this.current;
  }

  async get(path: string, headers?: Record<string, string>): Promise<TimedAnswer> {
    if (!this.current) throw new Error('no stack');
    const started = performance.now();
    const answer = await this.current.get(path, headers);
    this.seen.addAnswer(answer);
    return { ...answer, ms: performance.now() - started };
  }

  async close(): Promise<void> {
    const stack = this.current;
    this.current = undefined;
    if (!stack) return;
    this.seen.addAnswer(await stack.get('/metrics'));
    await stack.close();
    this.seen.add(...stack.logs);
  }
}
