/**
 * The one query layer of the store: plain SQL with `$1` parameters over either PostgreSQL compiled
 * to WASM (PGlite, in a data directory: the default, nothing to install) or a PostgreSQL server
 * (`pg`, for several instances sharing one database). Both speak the same SQL; nothing above this
 * module knows which one it has.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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

/**
 * The embedded database is one process's: a second gateway on the same directory would corrupt it.
 * A lock file holds the owner's pid; a lock whose process is gone is taken over. Returns the
 * release function.
 */
function lockDirectory(dir: string): () => void {
  const lockPath = path.join(dir, 'outreach-gateway.lock');
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

async function openPglite(dir: string): Promise<Sql> {
  mkdirSync(dir, { recursive: true });
  const release = lockDirectory(dir);
  // Loaded on demand: the WASM module is only read when the embedded store is used.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dir).catch((error: unknown) => {
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
