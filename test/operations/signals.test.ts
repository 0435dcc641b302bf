/**
 * Signals reach the gateway: SIGTERM to the `npm start` PID (what a container platform or systemd
 * sends to the process it started) drains the gateway and stops it, leaving no process behind,
 * while 20 keep-alive clients at full speed see no reset; the JSON `draining` and `stopped` lines
 * are logged; a second signal during the drain exits at once with 143.
 *
 * `npm start` builds with tsc first (about a minute on a busy machine), so that test has a long
 * timeout; it builds this checkout's dist/ as `npm start` always does.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type { ClientsSummary } from './keepalive-clients';

const ROOT = path.resolve(__dirname, '../..');
const CLIENTS = path.join(__dirname, 'keepalive-clients.ts');
const KEY = 'demo-signals-test-key-5d4c3b2a';

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(command: string, args: readonly string[]): Running {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', [`OUTREACH_GATEWAY_DEMO_KEY`]: KEY };
  delete env.OUTREACH_GATEWAY_CONFIG;
  const child = spawn(command, args, { cwd: ROOT, env });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, exited };
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs: number, running?: Running): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (running && running.child.exitCode !== null) throw new Error(`exited before ${what}:\n${running.stdout().slice(-2000)}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}${running ? `:\n${running.stdout().slice(-2000)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const gatewayUrl = (out: string): string | undefined => /gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];

function jsonLines(out: string, message: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message);
}

/** Every process below `pid` (from /proc), with its command line. */
function descendants(pid: number): { pid: number; command: string }[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: { pid: number; command: string }[] = [];
  const walk = (parent: number): void => {
    for (const child of parents.get(parent) ?? []) {
      let command = '';
      try {
        command = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {
        // gone meanwhile
      }
      out.push({ pid: child, command });
      walk(child);
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // a zombie has exited
  } catch {
    return false;
  }
}

function refused(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('signals', () => {
  const started: Running[] = [];
  afterEach(() => {
    // Whatever a failed test left running: only the processes this test started, by id.
    for (const running of started.splice(0)) {
      for (const { pid } of descendants(running.child.pid ?? -1).reverse()) if (alive(pid)) process.kill(pid, 'SIGKILL');
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
    }
  });

  test('SIGTERM to the npm start PID drains and stops the gateway: no process left, no reset for 20 keep-alive clients, JSON drain lines', async () => {
    const npm = start('npm', ['start']);
    started.push(npm);
    const url = await until('the demo to listen', () => gatewayUrl(npm.stdout()), 280_000, npm);
    const tree = descendants(npm.child.pid ?? -1);
    const gateway = tree.filter((process) => /^\S*node dist\/main\.js/.test(process.command));
    expect(gateway).toHaveLength(1);

    const clients = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLIENTS, url, '20', KEY, '/v1/campaigns/analytics?providers=instantly', '/v1/connections', '/healthz'], { cwd: ROOT });
    let out = '';
    clients.stdout.setEncoding('utf8');
    clients.stdout.on('data', (chunk: string) => (out += chunk));
    const clientsDone = new Promise<void>((resolve) => clients.on('exit', () => resolve()));
    try {
      await until('the clients', () => (out.includes('READY\n') ? true : undefined), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(npm.child.pid ?? -1, 'SIGTERM');
      expect(await npm.exited).toEqual({ code: 0, signal: null });
      await clientsDone;
    } finally {
      if (clients.exitCode === null) clients.kill('SIGKILL');
    }

    for (const { pid } of tree) expect(alive(pid)).toBe(false);
    expect(await refused(url)).toBe(true);

    const summary = JSON.parse(out.split('\n').find((line) => line.startsWith('{')) ?? '{}') as ClientsSummary;
    expect(summary.errors).toEqual({});
    expect(summary.refused).toBe(20);
    expect(summary.keepAliveAfterClose).toBe(0);
    expect(summary.answers).toBeGreaterThan(20);

    const draining = jsonLines(npm.stdout(), 'draining');
    const stopped = jsonLines(npm.stdout(), 'stopped');
    expect(draining).toEqual([expect.objectContaining({ level: 'info', signal: 'SIGTERM', connections: expect.any(Number), inFlight: expect.any(Number), deadlineMs: 16_000 })]);
    expect(stopped).toEqual([expect.objectContaining({ level: 'info', signal: 'SIGTERM', cut: 0, closedAtDeadline: 0, durationMs: expect.any(Number), answered: expect.any(Number) })]);
  }, 360_000);

  test('a second SIGTERM during the drain exits at once with 143, logged', async () => {
    const gateway = start(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts']);
    started.push(gateway);
    const url = await until('the demo to listen', () => gatewayUrl(gateway.stdout()), 120_000, gateway);
    // An idle keep-alive connection holds the drain open for its grace.
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));

    // The drain then lasts the connection's idle grace (500 ms from its answer); the second
    // signal comes well within it.
    gateway.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 143, signal: null });
    socket.destroy();
    expect(jsonLines(gateway.stdout(), 'draining')).toEqual([expect.objectContaining({ signal: 'SIGTERM', connections: 1 })]);
    expect(jsonLines(gateway.stdout(), 'stopping at once')).toEqual([expect.objectContaining({ level: 'warn', signal: 'SIGTERM', exitCode: 143 })]);
    expect(jsonLines(gateway.stdout(), 'stopped')).toEqual([]);
  }, 180_000);
});
