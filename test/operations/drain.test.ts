/**
 * The drain (src/server/drain.ts), in process: what each connection sees when the gateway stops
 * (an answer in flight is completed with `Connection: close`, an idle keep-alive connection is closed
 * after its grace, a request sent on it within the grace is answered, nothing is accepted any more,
 * the deadline cuts what is left and says so), and 20 keep-alive clients at full speed against the
 * whole gateway (fast path included) across a drain: no reset, every request that reached the
 * gateway answered, no keep-alive answer after a `Connection: close` one.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/logger';
import { ConnectionDrain, type DrainResult } from '../../src/server/drain';
import { CLIENT_KEY, startStack, type Stack } from '../helpers/stack';
import type { ClientsSummary } from './keepalive-clients';

const ROOT = path.resolve(__dirname, '../..');
const CLIENTS = path.join(__dirname, 'keepalive-clients.ts');

/** JSON log lines with the given message. */
function logged(lines: readonly string[], message: string): Record<string, unknown>[] {
  return lines
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message);
}

/** A raw HTTP/1.1 connection: send requests, read answers (head and body) one by one, see it close. */
class RawConnection {
  private buffer = '';
  private waiting: (() => void) | undefined;
  closed = false;
  closedAt = 0;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
  }

  /** The next whole answer (Content-Length bodies), or undefined when the connection closes first. */
  async answer(): Promise<{ head: string; body: string } | undefined> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffer.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { head, body };
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  async whenClosed(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }
}

const connectionHeader = (head: string): string | undefined => /^connection: (.*)$/im.exec(head)?.[1]?.trim().toLowerCase();

describe('the drain of one server', () => {
  const IDLE_GRACE = 300;
  let server: Server;
  let drain: ConnectionDrain;
  let port: number;
  let lines: string[];
  let release: () => void;

  beforeEach(async () => {
    lines = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const slow = new Promise<void>((resolve) => (release = resolve));
    server = createServer();
    drain = new ConnectionDrain(server, createLogger({ stream }), IDLE_GRACE);
    server.on(
      'request',
      drain.listener((req, res) => {
        const answer = (): void => {
          res.setHeader('Content-Length', 2);
          res.end('ok');
        };
        if (req.url === '/slow') void slow.then(answer);
        else if (req.url !== '/never') answer();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });

  afterEach(() => {
    release();
    server.closeAllConnections();
    if (server.listening) server.close();
  });

  test('answers in flight get Connection: close, idle connections close after their grace, a request within the grace is answered, nothing new is accepted', async () => {
    const idle = await RawConnection.open(port);
    idle.send('/fast');
    expect(connectionHeader((await idle.answer())?.head ?? '')).toBe('keep-alive');
    // Its grace counts from its last answer (drain.ts: idleSince), not from the drain's start.
    const idleFrom = Date.now();
    const reused = await RawConnection.open(port);
    reused.send('/fast');
    expect(connectionHeader((await reused.answer())?.head ?? '')).toBe('keep-alive');
    const busy = await RawConnection.open(port);
    busy.send('/slow');
    await new Promise((resolve) => setTimeout(resolve, 50)); // the request is in flight

    const started = Date.now();
    const stopped = drain.drain(5_000, 'SIGTERM');
    expect(logged(lines, 'draining')).toEqual([expect.objectContaining({ signal: 'SIGTERM', connections: 3, inFlight: 1, deadlineMs: 5_000, idleGraceMs: IDLE_GRACE })]);
    // Not accepting any more.
    await expect(RawConnection.open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    // A request on an idle keep-alive connection within the grace is answered, and told to close.
    reused.send('/fast');
    const late = await reused.answer();
    expect(late?.body).toBe('ok');
    expect(connectionHeader(late?.head ?? '')).toBe('close');
    await reused.whenClosed();

    // The answer in flight completes, with Connection: close, and its connection closes after it.
    release();
    const slow = await busy.answer();
    expect(slow?.body).toBe('ok');
    expect(connectionHeader(slow?.head ?? '')).toBe('close');
    await busy.whenClosed();

    // The idle connection is closed once idle for the grace, without a request.
    await idle.whenClosed();
    expect(idle.closedAt - idleFrom).toBeGreaterThanOrEqual(IDLE_GRACE - 100);
    expect(idle.closedAt).toBeGreaterThanOrEqual(started);

    const result: DrainResult = await stopped;
    expect(result).toMatchObject({ signal: 'SIGTERM', connectionsAtStart: 3, inFlightAtStart: 1, answered: 2, cut: 0, closedIdle: 1, closedAtDeadline: 0 });
    expect(logged(lines, 'stopped')).toEqual([expect.objectContaining({ ...result, durationMs: expect.any(Number) })]);
    expect(await drain.drain(5_000)).toBe(result); // once
  });

  test('at the deadline what is left is closed, and the stopped line counts the cut requests', async () => {
    const stuck = await RawConnection.open(port);
    stuck.send('/never');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const result = await drain.drain(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(await stuck.answer()).toBeUndefined();
    expect(result).toMatchObject({ connectionsAtStart: 1, inFlightAtStart: 1, answered: 0, cut: 1, closedAtDeadline: 1 });
  });
});

describe('20 keep-alive clients at full speed across a drain of the gateway', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });

  test('no reset, every request that reached the gateway answered, Connection: close from the drain on', async () => {
    // Warm: the analytics answer is then served by the fast path (hot-path.ts).
    expect((await stack.get('/v1/campaigns/analytics')).status).toBe(200);
    const clients = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLIENTS, stack.url, '20', CLIENT_KEY, '/v1/campaigns/analytics', '/v1/connections', '/healthz'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    clients.stdout.setEncoding('utf8');
    const ready = new Promise<void>((resolve) => {
      clients.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('READY\n')) resolve();
      });
    });
    const exited = new Promise<void>((resolve) => clients.on('exit', () => resolve()));
    try {
      await ready;
      await new Promise((resolve) => setTimeout(resolve, 300)); // at full speed for a while
      await stack.service.close(10_000, 'SIGTERM');
      await exited;
    } finally {
      if (clients.exitCode === null) clients.kill('SIGKILL');
    }
    const summary = JSON.parse(out.split('\n').find((line) => line.startsWith('{')) ?? '{}') as ClientsSummary;
    expect(summary.errors).toEqual({});
    expect(summary.refused).toBe(20); // each client ends on a refused connection: nothing was reset
    expect(summary.keepAliveAfterClose).toBe(0);
    expect(summary.clientsTold).toBeGreaterThan(0);
    expect(Object.keys(summary.statuses)).toEqual(['200']);
    const [stopped] = logged(stack.logs, 'stopped');
    expect(stopped).toMatchObject({ signal: 'SIGTERM', cut: 0, closedAtDeadline: 0 });
    expect(logged(stack.logs, 'draining')).toHaveLength(1);
  }, 60_000);
});
