/**
 * Stopping without dropping anyone: the drain of the HTTP server, and the signals that start it.
 *
 * The drain (`ConnectionDrain.drain`, used by `service.close()`):
 * - stops accepting connections at once;
 * - every answer from then on, the ones in flight included when their headers are not sent yet,
 *   carries `Connection: close`, and Node closes the connection after it: a keep-alive client
 *   learns from the answer itself that it must not send another request on that connection;
 * - a connection with no request in flight is closed once it has been idle for `idleGraceMs`
 *   (HTTP/1.1 cannot tell an idle client "no more"; closing an idle connection the instant the
 *   drain starts would race a request already on its way, which the client then sees as a reset,
 *   ECONNRESET: Node's own `server.close()` does exactly that, so it is not used as is);
 * - a request that was accepted is answered: nothing is cut before the deadline (`deadlineMs`,
 *   `server.deadlineMs` + 1 s by default, service.ts); at the deadline the connections still open
 *   are closed, their requests cut, and the count says so;
 * - logs one JSON line `draining` (signal, connections, in flight, deadline) and one `stopped`
 *   (duration, answers sent and requests cut during the drain, connections closed idle and at the
 *   deadline).
 *
 * Signals (`stopOnSignals`, used by the CLI's `serve` and `demo`): the first SIGTERM or SIGINT
 * starts the drain and exits 0 when it is done (1 if stopping failed); a second one during the drain
 * exits at once with 128 + the signal number (143 for SIGTERM, 130 for SIGINT), logged as
 * `stopping at once`.
 */
import type { RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Logger } from '../logger';

/** How long a connection with nothing in flight may stay open during a drain. */
export const IDLE_GRACE_MS = 500;

interface Connection {
  /** Requests received and not yet answered (or abandoned). */
  active: number;
  /** When `active` last went to 0 (epoch ms). */
  idleSince: number;
  timer?: NodeJS.Timeout;
}

export interface DrainResult {
  signal?: string;
  durationMs: number;
  /** Open connections and requests in flight when the drain started. */
  connectionsAtStart: number;
  inFlightAtStart: number;
  /** Answers completed during the drain. */
  answered: number;
  /** Requests that ended without a complete answer during the drain (the caller left, or the deadline). */
  cut: number;
  /** Connections closed after `idleGraceMs` with nothing in flight. */
  closedIdle: number;
  /** Connections still open at the deadline, closed with whatever was in flight on them. */
  closedAtDeadline: number;
}

interface Draining {
  result: DrainResult;
  done: Promise<DrainResult>;
}

export class ConnectionDrain {
  private readonly connections = new Map<Socket, Connection>();
  private readonly inFlight = new Set<ServerResponse>();
  private draining: Draining | undefined;

  constructor(
    private readonly server: Server,
    private readonly logger: Logger,
    private readonly idleGraceMs = IDLE_GRACE_MS,
  ) {
    server.on('connection', (socket: Socket) => {
      const connection: Connection = { active: 0, idleSince: Date.now() };
      this.connections.set(socket, connection);
      socket.once('close', () => {
        clearTimeout(connection.timer);
        this.connections.delete(socket);
      });
      if (this.draining) this.closeWhenIdle(socket, connection);
    });
  }

  /** True once a drain has started. */
  get started(): boolean {
    return this.draining !== undefined;
  }

  /** The server's request listener: `inner`, with the bookkeeping the drain needs. */
  listener(inner: RequestListener): RequestListener {
    return (req, res) => {
      const socket = req.socket;
      const connection = this.connections.get(socket);
      if (connection) {
        connection.active += 1;
        clearTimeout(connection.timer);
      }
      this.inFlight.add(res);
      if (this.draining) res.setHeader('Connection', 'close');
      res.once('close', () => {
        if (this.inFlight.delete(res)) this.count(res);
        if (!connection) return;
        connection.active -= 1;
        if (connection.active === 0) {
          connection.idleSince = Date.now();
          if (this.draining) this.closeWhenIdle(socket, connection);
        }
      });
      inner(req, res);
    };
  }

  /** Counts an answer that has ended during the drain: complete, or cut. */
  private count(res: ServerResponse): void {
    if (!this.draining) return;
    if (res.writableFinished) this.draining.result.answered += 1;
    else this.draining.result.cut += 1;
  }

  private closeWhenIdle(socket: Socket, connection: Connection): void {
    if (connection.active > 0) return;
    clearTimeout(connection.timer);
    const wait = Math.max(0, connection.idleSince + this.idleGraceMs - Date.now());
    connection.timer = setTimeout(() => {
      if (connection.active > 0 || socket.destroyed) return;
      if (this.draining) this.draining.result.closedIdle += 1;
      socket.destroy();
    }, wait);
    connection.timer.unref();
  }

  /** Drains (once; later calls get the same result). Resolves when the last connection has closed. */
  drain(deadlineMs: number, signal?: string): Promise<DrainResult> {
    if (this.draining) return this.draining.done;
    const started = Date.now();
    const result: DrainResult = {
      ...(signal !== undefined ? { signal } : {}),
      durationMs: 0,
      connectionsAtStart: this.connections.size,
      inFlightAtStart: this.inFlight.size,
      answered: 0,
      cut: 0,
      closedIdle: 0,
      closedAtDeadline: 0,
    };
    const listening = this.server.listening;
    const done = new Promise<DrainResult>((resolve) => {
      const finish = (): void => {
        clearTimeout(deadline);
        // Answers whose connection closed before their own 'close' event was seen.
        for (const res of this.inFlight) this.count(res);
        this.inFlight.clear();
        result.durationMs = Date.now() - started;
        this.logger.info('stopped', result);
        resolve(result);
      };
      const deadline = setTimeout(() => {
        for (const socket of this.connections.keys()) {
          result.closedAtDeadline += 1;
          socket.destroy();
        }
      }, deadlineMs);
      deadline.unref();
      if (listening) this.stopAccepting(finish);
      else if (this.connections.size === 0) queueMicrotask(finish);
      else this.whenNoConnections(finish);
    });
    this.draining = { result, done };
    this.logger.info('draining', {
      ...(signal !== undefined ? { signal } : {}),
      connections: result.connectionsAtStart,
      inFlight: result.inFlightAtStart,
      deadlineMs,
      idleGraceMs: this.idleGraceMs,
    });
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    for (const [socket, connection] of this.connections) this.closeWhenIdle(socket, connection);
    return done;
  }

  /**
   * Closes the listening socket; `done` runs once every connection has closed. Node's
   * `server.close()` also destroys every idle connection on the spot (Node ≥ 19), the race the
   * drain exists to avoid, so that step is switched off for this one call: the drain closes idle
   * connections itself, after their grace.
   */
  private stopAccepting(done: () => void): void {
    Object.defineProperty(this.server, 'closeIdleConnections', { value: () => undefined, configurable: true, writable: true });
    try {
      this.server.close(() => done());
    } finally {
      Reflect.deleteProperty(this.server, 'closeIdleConnections');
    }
  }

  private whenNoConnections(done: () => void): void {
    const check = (): void => {
      if (this.connections.size === 0) done();
      else setTimeout(check, 10).unref();
    };
    check();
  }
}

/** Exits once the log lines already written have left the process. */
function exitAfterLogs(code: number, exit: (code: number) => void): void {
  setImmediate(() => process.stdout.write('', () => exit(code)));
}

/**
 * The first SIGTERM or SIGINT runs `stop` (the drain) and exits 0 when it is done, 1 if it failed;
 * a second one exits at once with 128 + the signal number. Returns a function that removes the
 * handlers.
 */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<unknown>, logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      const exitCode = 128 + constants.signals[signal];
      logger.warn('stopping at once', { signal, exitCode });
      exitAfterLogs(exitCode, exit);
      return;
    }
    stopping = true;
    stop(signal).then(
      () => exitAfterLogs(0, exit),
      (error: unknown) => {
        logger.error('stop failed', { signal, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
        exitAfterLogs(1, exit);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
