/**
 * The history store: opens the database (embedded PGlite by default, a PostgreSQL server with
 * `storage.url`), applies the migrations, records successful walks as snapshots, answers history
 * queries and applies retention. When the database cannot be reached the store says so (`up`
 * false, the reason in `lastError`) and the gateway keeps serving from vendors and cache; writes
 * that fail are dropped with a log line (the next walk writes that day's row again), and the store
 * retries opening in the background.
 */
import type { Logger } from '../logger';
import { queryHistory, type HistoryPath, type HistoryQuery, type HistoryResult } from './history';
import { migrate } from './migrations';
import { queryRange, type SnapshotRange, type SnapshotRangeQuery } from './range';
import { createRollupFunctions, rebuildConnections, staleConnections } from './rollup';
import { applyRetention, recordSnapshots, type WalkSnapshot } from './snapshots';
import { openSql, type Sql, type StoreLocation } from './sql';

export type { HistoryPath, HistoryQuery, HistoryResult } from './history';
export type { WalkSnapshot } from './snapshots';
export type { SnapshotRange, SnapshotRangeQuery } from './range';

export interface StoreOptions extends StoreLocation {
  retentionDays: number;
  logger: Logger;
  /** How long to wait between attempts to (re)open the database. @default 5000 */
  retryMs?: number;
  now?: () => number;
}

/** Connections whose rollups are rebuilt in one transaction when the store opens. */
const REBUILD_BATCH = 10;

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export class HistoryStore {
  private sql: Sql | undefined;
  private opening: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastRetentionDay = '';
  /** Why the database is not usable, when it is not. */
  lastError: string | undefined = 'not opened yet';
  readonly counters = { snapshotsWritten: 0, walksRecorded: 0, writeFailures: 0 };

  constructor(private readonly options: StoreOptions) {}

  get up(): boolean {
    return this.sql !== undefined && this.lastError === undefined;
  }

  get kind(): Sql['kind'] | undefined {
    return this.sql?.kind;
  }

  /** Opens and migrates; on failure keeps retrying in the background (the gateway serves meanwhile). */
  start(): Promise<void> {
    if (this.sql) return this.ping();
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    try {
      const sql = await openSql(this.options);
      try {
        const version = await migrate(sql);
        await createRollupFunctions(sql);
        // Rollups missing (data from before them) or of an older rule are rebuilt set-based, a batch of
        // connections per transaction: each statement's work (and the embedded database's memory) stays bounded.
        const stale = await staleConnections(sql);
        for (let i = 0; i < stale.length; i += REBUILD_BATCH) {
          const batch = stale.slice(i, i + REBUILD_BATCH);
          await sql.transaction((tx) => rebuildConnections(tx, batch));
        }
        this.options.logger.info('history store ready', { store: sql.kind, schemaVersion: version, rollupsRebuilt: stale.length });
      } catch (error) {
        await sql.close().catch(() => undefined);
        throw error;
      }
      this.sql = sql;
      this.lastError = undefined;
    } catch (error) {
      this.markDown(error);
    }
  }

  private markDown(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const wasUp = this.lastError === undefined;
    this.lastError = message;
    if (wasUp || this.sql === undefined) this.options.logger.warn('history store unavailable', { message });
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      if (this.sql) void this.ping();
      else void this.start();
    }, this.options.retryMs ?? 5000);
    this.retryTimer.unref();
  }

  private async ping(): Promise<void> {
    try {
      await this.sql?.query('select 1');
      if (this.lastError !== undefined) this.options.logger.info('history store reachable again', {});
      this.lastError = undefined;
    } catch (error) {
      this.markDown(error);
    }
  }

  private usable(): Sql {
    if (!this.sql || this.lastError !== undefined) throw new StoreUnavailableError(`the history store is unavailable: ${this.lastError ?? 'not open'}`);
    return this.sql;
  }

  /** Records one successful walk; never throws (a failure is logged and counted). */
  record(walk: WalkSnapshot): Promise<void> {
    return this.recordMany([walk]);
  }

  /** Records successful walks, in order, in one transaction (a back-fill's); never throws (a failure is logged and counted). */
  async recordMany(walks: readonly WalkSnapshot[]): Promise<void> {
    if (walks.length === 0) return;
    let sql: Sql;
    try {
      sql = this.usable();
    } catch {
      this.counters.writeFailures += 1;
      return;
    }
    try {
      const written = await recordSnapshots(sql, walks);
      this.counters.snapshotsWritten += written.snapshots;
      this.counters.walksRecorded += walks.length;
      await this.retention();
    } catch (error) {
      this.counters.writeFailures += 1;
      const connections = [...new Set(walks.map((walk) => walk.connection))].join(' ');
      this.options.logger.warn('snapshot not written', { connection: connections, message: error instanceof Error ? error.message : String(error) });
      // A refused statement is not an unreachable database: only a failed ping marks the store down.
      await this.ping();
    }
  }

  /** Retention runs at most once per UTC day. */
  private async retention(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const day = new Date(now).toISOString().slice(0, 10);
    if (day === this.lastRetentionDay || !this.sql) return;
    this.lastRetentionDay = day;
    const removed = await applyRetention(this.sql, this.options.retentionDays, now);
    if (removed > 0) this.options.logger.info('history retention applied', { removedRows: removed, retentionDays: this.options.retentionDays });
  }

  /** Answers a history query; throws StoreUnavailableError when the database is down. */
  history(query: HistoryQuery, path?: HistoryPath): Promise<HistoryResult> {
    return this.reading((sql) => queryHistory(sql, query, path));
  }

  /**
   * One connection's growth over a date range from its snapshots (range.ts), undefined when they do
   * not cover it; throws StoreUnavailableError when the database is down.
   */
  range(query: SnapshotRangeQuery): Promise<SnapshotRange | undefined> {
    return this.reading((sql) => queryRange(sql, query));
  }

  /** Runs a read; a failure that turns out to be an unreachable database is a StoreUnavailableError. */
  private async reading<T>(read: (sql: Sql) => Promise<T>): Promise<T> {
    const sql = this.usable();
    try {
      return await read(sql);
    } catch (error) {
      await this.ping();
      if (this.up) throw error;
      throw new StoreUnavailableError(`the history store is unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Direct access for tests, tools and the demo's back-fill. */
  database(): Sql {
    return this.usable();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.opening;
    await this.sql?.close();
    this.sql = undefined;
  }
}
