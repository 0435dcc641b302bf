/**
 * The one query layer of the store: plain SQL with `$1` parameters over either PostgreSQL compiled
 * to WASM (PGlite, in a data directory: the default, nothing to install) or a PostgreSQL server
 * (`pg`, for several instances sharing one database). Both speak the same SQL; nothing above this
 * module knows which one it has.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Row = Record<string, unknown>;

export interface SqlQueries {
  /** Runs one statement; resolves with its rows. */
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Sql extends SqlQueries {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreLocation {
  /** `postgres://…`: a PostgreSQL server. */
  url?: string | undefined;
  /** Otherwise PGlite in this directory (created when missing). */
  dir: string;
}

/** Whether a process with this id is running (signal 0 checks without sending anything). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_FILE = 'outreach-gateway.lock';
/** Written last into a pristine cluster: a template without it is not used. */
const TEMPLATE_MARK = 'outreach-gateway-template';

/**
 * The embedded database is one process's: a second gateway on the same directory would corrupt it.
 * A lock file holds the owner's pid; a lock whose process is gone is taken over. Returns the
 * release function.
 */
function lockDirectory(dir: string): () => void {
  const lockPath = path.join(dir, LOCK_FILE);
  const mine = String(process.pid);
  try {
    writeFileSync(lockPath, mine, { flag: 'wx' });
  } catch {
    const owner = Number(readFileSync(lockPath, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
      throw new Error(`the data directory ${dir} is in use by process ${owner}: one process per embedded store (several instances share a PostgreSQL server: storage.url)`);
    }
    writeFileSync(lockPath, mine);
  }
  return () => {
    try {
      if (readFileSync(lockPath, 'utf8').trim() === mine) unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
}

type PGliteModule = typeof import('@electric-sql/pglite');

/** The installed PGlite's version (its package.json is not exported, so it is read beside its entry point). */
function pgliteVersion(): string {
  const entry = require.resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

/** Where the pristine cluster of the installed PGlite version is kept. */
export function pgliteTemplateDir(): string {
  return path.join(os.tmpdir(), `outreach-gateway-pglite-${pgliteVersion()}`);
}

/**
 * A pristine, cleanly closed cluster of this PGlite version (os.tmpdir(), made once: PGlite's
 * initdb takes 4-5 s in WASM, a copy of its 40 MB a fifth of a second). Made under a temporary
 * name and renamed into place, so a reader never sees half of one. Undefined when it cannot be made.
 */
async function pristineCluster(PGlite: PGliteModule['PGlite']): Promise<string | undefined> {
  const template = pgliteTemplateDir();
  if (existsSync(path.join(template, TEMPLATE_MARK)) && existsSync(path.join(template, 'PG_VERSION'))) return template;
  const making = `${template}.${process.pid}.${Date.now()}`;
  try {
    const db = await PGlite.create(making);
    await db.close();
    writeFileSync(path.join(making, TEMPLATE_MARK), '');
    rmSync(template, { recursive: true, force: true });
    renameSync(making, template);
    return template;
  } catch {
    rmSync(making, { recursive: true, force: true });
    // Another process may have put one in place meanwhile.
    return existsSync(path.join(template, TEMPLATE_MARK)) ? template : undefined;
  }
}

/** Removes everything in the data directory except the lock file. */
function emptyDirectory(dir: string): void {
  for (const name of readdirSync(dir)) if (name !== LOCK_FILE) rmSync(path.join(dir, name), { recursive: true, force: true });
}

/**
 * PGlite in `dir`. A directory without a cluster gets a copy of the pristine one instead of
 * running initdb; should the copy not open (a template damaged by a tmp cleaner), the directory is
 * emptied and PGlite makes its cluster itself, as without a template.
 */
async function createPglite(PGlite: PGliteModule['PGlite'], dir: string): Promise<InstanceType<PGliteModule['PGlite']>> {
  if (existsSync(path.join(dir, 'PG_VERSION'))) return PGlite.create(dir);
  const template = await pristineCluster(PGlite);
  if (template === undefined) return PGlite.create(dir);
  try {
    cpSync(template, dir, { recursive: true, filter: (source) => path.basename(source) !== TEMPLATE_MARK });
    return await PGlite.create(dir);
  } catch {
    try {
      rmSync(template, { recursive: true, force: true });
    } catch {
      // Not ours to remove (another user's): each open that finds it damaged falls back the same way.
    }
    emptyDirectory(dir);
    return PGlite.create(dir);
  }
}

async function openPglite(dir: string): Promise<Sql> {
  mkdirSync(dir, { recursive: true });
  const release = lockDirectory(dir);
  // Loaded on demand: the WASM module is only read when the embedded store is used.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await createPglite(PGlite, dir).catch((error: unknown) => {
    release();
    throw error;
  });
  return {
    kind: 'pglite',
    async query<T extends Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await db.query<T>(text, [...params])).rows;
    },
    async transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) =>
        fn({
          async query<R extends Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
            return (await tx.query<R>(text, [...params])).rows;
          },
        }),
      );
    },
    async close(): Promise<void> {
      if (!db.closed) await db.close();
      release();
    },
  };
}

async function openPostgres(url: string): Promise<Sql> {
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  // An idle client that loses its server emits 'error' on the pool; the next query reports it.
  pool.on('error', () => undefined);
  return {
    kind: 'postgres',
    async query<T extends Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await pool.query<T>(text, [...params])).rows;
    },
    async transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          async query<R extends Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
            return (await client.query<R>(text, [...params])).rows;
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}

/** Opens the store's database: a server when `url` is set, else the embedded one in `dir`. */
export function openSql(location: StoreLocation): Promise<Sql> {
  return location.url ? openPostgres(location.url) : openPglite(location.dir);
}
