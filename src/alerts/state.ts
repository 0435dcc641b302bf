/**
 * The alert ledger: the active alerts and the outbox of notifications not yet delivered, in memory
 * and, when the history store is up, in its tables (src/store/alerts.ts), each batch of changes in
 * one transaction. While the store is off or unreachable the ledger keeps working in memory, says
 * so (`persistence()`), and keeps the changes it could not write; once the store answers again they
 * are written in order, after what the store already held (so an alert that was active before a
 * restart while the store was down is known again, and cleared with a notification when its
 * condition no longer holds).
 */
import type { Logger } from '../logger';
import type { HistoryStore } from '../store';
import { applyAlertOps, loadAlertState, type AlertStoreOp, type StoredAlert, type StoredNotification } from '../store/alerts';
import type { Alert } from './schema';

export interface Persistence {
  storage: 'store' | 'memory';
  note?: string;
}

const key = (rule: string, subject: string): string => `${rule}\u0000${subject}`;

export class AlertLedger {
  private readonly alerts = new Map<string, StoredAlert & { parsed: Alert }>();
  private readonly outbox = new Map<string, StoredNotification>();
  /** Changes applied in memory but not yet in the store. */
  private backlog: AlertStoreOp[] = [];
  /** Whether the store's rows have been read into memory. */
  private loaded = false;
  private lastSeq = 0;
  private reason: string | undefined;
  /** Store writes one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: HistoryStore | undefined,
    private readonly logger: Logger,
  ) {
    this.reason = store ? 'the history store is not open yet' : 'no history store (storage.enabled is false, or this command keeps no history)';
  }

  persistence(): Persistence {
    return this.reason === undefined ? { storage: 'store' } : { storage: 'memory', note: this.reason };
  }

  /** A sequence number that orders notifications across restarts. */
  nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }

  active(): Alert[] {
    return [...this.alerts.values()].map((entry) => entry.parsed);
  }

  get(rule: string, subject: string): Alert | undefined {
    return this.alerts.get(key(rule, subject))?.parsed;
  }

  /** Pending notifications, oldest first. */
  pending(): StoredNotification[] {
    return [...this.outbox.values()].sort((a, b) => a.seq - b.seq);
  }

  has(notificationId: string): boolean {
    return this.outbox.has(notificationId);
  }

  private applyInMemory(op: AlertStoreOp): void {
    switch (op.op) {
      case 'activate':
        this.alerts.set(key(op.alert.rule, op.alert.subject), { ...op.alert, parsed: JSON.parse(op.alert.alert) as Alert });
        break;
      case 'clear':
        this.alerts.delete(key(op.rule, op.subject));
        break;
      case 'enqueue':
        this.outbox.set(op.notification.id, op.notification);
        this.lastSeq = Math.max(this.lastSeq, op.notification.seq);
        break;
      case 'delivered':
        this.outbox.delete(op.id);
        break;
      case 'retry': {
        const entry = this.outbox.get(op.id);
        if (entry) this.outbox.set(op.id, { ...entry, attempts: op.attempts, nextAt: op.nextAt });
        break;
      }
    }
  }

  /** Applies the changes (at once in memory), then writes them to the store in one transaction when it is up. */
  commit(ops: readonly AlertStoreOp[]): Promise<void> {
    for (const op of ops) this.applyInMemory(op);
    this.backlog.push(...ops);
    return this.sync();
  }

  /** Writes what is not yet in the store (reading the store first, once); never throws. */
  sync(): Promise<void> {
    this.chain = this.chain.then(() => this.write());
    return this.chain;
  }

  private async write(): Promise<void> {
    const store = this.store;
    if (!store) return;
    if (!store.up) {
      this.degrade(`the history store is unavailable (${store.lastError ?? 'unknown'})`);
      return;
    }
    if (this.loaded && this.backlog.length === 0) {
      this.recover();
      return;
    }
    try {
      const sql = store.database();
      if (!this.loaded) {
        const stored = await loadAlertState(sql);
        // What the store held, with what happened here meanwhile applied on top.
        const mine = { alerts: [...this.alerts.values()], outbox: [...this.outbox.values()] };
        this.alerts.clear();
        this.outbox.clear();
        for (const alert of stored.alerts) this.applyInMemory({ op: 'activate', alert });
        for (const notification of stored.outbox) this.applyInMemory({ op: 'enqueue', notification });
        for (const op of this.backlog) this.applyInMemory(op);
        this.loaded = true;
        if (mine.alerts.length + mine.outbox.length > 0) this.logger.info('alert state merged with the store', { stored: stored.alerts.length, pending: stored.outbox.length });
      }
      const count = this.backlog.length;
      await applyAlertOps(sql, this.backlog.slice(0, count));
      this.backlog = this.backlog.slice(count);
      this.recover();
    } catch (error) {
      this.degrade(`alert state not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private degrade(reason: string): void {
    if (this.reason === undefined) this.logger.warn('alerts kept in memory only', { reason });
    this.reason = reason;
  }

  private recover(): void {
    if (this.reason !== undefined && this.loaded) this.logger.info('alert state stored', { active: this.alerts.size, pending: this.outbox.size });
    if (this.loaded) this.reason = undefined;
  }

  /** Resolves when the writes asked for so far have ended. */
  settled(): Promise<void> {
    return this.chain;
  }
}
