/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` (installed by npm test's
 * prerequisites) initialised in a temporary directory and started on a free loopback port, with
 * trust auth for one user. PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * system user (runuser). Stopped (and its directory removed) by the test that started it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './redis';

/** The directory of Debian's PostgreSQL server programs (the newest version installed). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], 'bin');
}

export interface TestPostgres {
  url: string;
  port: number;
  /** Stops the server (fast shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function command(program: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, [...args]];
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'og-postgres-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const [initdb, initArgs] = command(path.join(bin, 'initdb'), ['-D', data, '-U', 'gateway', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `postgres://gateway@127.0.0.1:${port}/postgres`;

  const start = async (): Promise<void> => {
    const [postgres, args] = command(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off']);
    // Its own process group, so a stop reaches the server behind runuser too.
    const started = spawn(postgres, args, { stdio: 'ignore', detached: true });
    child = started;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`postgres exited with ${started.exitCode}`);
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres on ${port} did not come up within 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    // SIGINT is PostgreSQL's fast shutdown; sent to the group (runuser and the server).
    if (running.pid !== undefined) process.kill(-running.pid, 'SIGINT');
    await exited;
    // The server removes its pid file last: then the port and the data directory are free.
    const deadline = Date.now() + 20_000;
    while (existsSync(path.join(data, 'postmaster.pid')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  await start();
  return {
    url,
    port,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
