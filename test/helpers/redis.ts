/**
 * A throwaway Redis for tests: `redis-server` (Debian package; `.ci/run` installs it) on a free
 * loopback port, no persistence, killed and restarted on the same port on demand. Every test that
 * starts one stops it in afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/logger';
import { RedisConnection } from '../../src/scaleout/redis';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: the abrupt death the gateway must survive. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts bytes and never answers (hung, or swapping). */
  freeze(): void;
  thaw(): void;
  /** Runs one command over a raw socket (inline protocol) and returns the reply text. */
  command(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** RESP encoding of a command (safe for any argument, unlike the inline protocol). */
function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

export function rawCommand(port: number, args: readonly string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no reply to ${args[0] ?? ''}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.trimEnd());
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function waitUntilUp(port: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (is the port ${port} taken?)`);
    try {
      const reply = await rawCommand(port, ['PING'], 500);
      if (reply === '+PONG' || reply.startsWith('-NOAUTH')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`redis-server on ${port} did not come up within 10 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const auth = options.password === undefined ? [] : ['--requirepass', options.password];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...auth], {
      stdio: 'ignore',
    });
    await new Promise<void>((resolve, reject) => {
      started.once('spawn', () => resolve());
      started.once('error', (error) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${error.message}`)));
    });
    child = started;
    await waitUntilUp(port, started);
  };
  const kill = async (): Promise<void> => {
    if (!child) return;
    const running = child;
    child = undefined;
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited(running);
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    command: (...args) => rawCommand(port, args),
    stop: kill,
  };
}

/**
 * Gateway connections to a test Redis, each started; `connect(url)` with the test server's URL waits
 * until it is up, with any other URL (a closed port) returns at once. `closeAll()` in afterAll.
 */
export function redisConnections(): { connect(url: string, options?: { wait?: boolean }): Promise<RedisConnection>; closeAll(): Promise<void> } {
  const opened: RedisConnection[] = [];
  return {
    async connect(url, { wait = true } = {}) {
      const connection = new RedisConnection({ url, logger: createLogger({ stream: new PassThrough(), level: 'error' }), commandTimeoutMs: 500 });
      opened.push(connection);
      connection.start();
      const end = Date.now() + 5000;
      while (wait && !connection.up) {
        if (Date.now() > end) throw new Error('redis connection not up in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return connection;
    },
    closeAll: async () => {
      await Promise.all(opened.map((connection) => connection.close()));
    },
  };
}

/**
 * A test Redis for the enclosing describe (started in beforeAll, stopped with every connection in
 * afterAll): `connection()` to it (waits until up), `connection(url)` to another URL (a closed port:
 * returns at once), and `group()` a fresh `<prefix>:group-<n>` per call, so each test starts empty.
 */
export function useTestRedis(groupPrefix: string): { readonly redis: TestRedis; connection(url?: string): Promise<RedisConnection>; group(): string } {
  let redis: TestRedis | undefined;
  const connections = redisConnections();
  let groups = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await connections.closeAll();
    await redis?.stop();
  });
  const started = (): TestRedis => {
    if (!redis) throw new Error('the test Redis starts in beforeAll');
    return redis;
  };
  return {
    get redis() {
      return started();
    },
    connection: (url?: string) => connections.connect(url ?? started().url, { wait: url === undefined }),
    group: () => {
      groups += 1;
      return `${groupPrefix}:group-${groups}`;
    },
  };
}
