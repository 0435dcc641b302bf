/**
 * The alert ledger over the embedded store (migration 4): changes are written in one transaction;
 * while the store is unreachable the ledger works in memory and says so, and once the store answers
 * again what changed meanwhile is written; a new ledger (a restart) reads back exactly that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { AlertLedger } from '../../src/alerts/state';
import { createLogger } from '../../src/logger';
import type { HistoryStore } from '../../src/store';
import type { AlertStoreOp } from '../../src/store/alerts';
import { migrate } from '../../src/store/migrations';
import { openSql, type Sql } from '../../src/store/sql';

jest.setTimeout(60_000);

let dir: string;
let sql: Sql;
/** A store whose reachability the test decides. */
const store = { up: true, lastError: undefined as string | undefined, database: (): Sql => sql };
const logger = createLogger({ stream: new PassThrough() });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-alert-ledger-'));
  sql = await openSql({ dir });
  await migrate(sql);
});

afterAll(async () => {
  await sql.close();
  rmSync(dir, { recursive: true, force: true });
});

function activate(rule: string, subject: string): AlertStoreOp {
  const alert = { rule, subject, workspace: 'acme', since: new Date(0).toISOString() };
  return { op: 'activate', alert: { rule, subject, workspace: 'acme', alert: JSON.stringify(alert), since: 0 } };
}

function enqueue(ledger: AlertLedger, id: string): AlertStoreOp {
  return { op: 'enqueue', notification: { id, seq: ledger.nextSeq(), webhook: 'w', event: 'alert.firing', body: `{"id":"${id}"}`, attempts: 0, nextAt: 0, createdAt: 0 } };
}

test('written when up, kept in memory while down, written on recovery, read back after a restart', async () => {
  const first = new AlertLedger(store as unknown as HistoryStore, logger);
  await first.sync();
  expect(first.persistence()).toEqual({ storage: 'store' });
  await first.commit([activate('r', 'campaign:a'), enqueue(first, 'n1'), enqueue(first, 'n2')]);
  await first.commit([{ op: 'delivered', id: 'n1' }, { op: 'retry', id: 'n2', attempts: 3, nextAt: 5000 }]);
  const rows = await sql.query<{ id: string; attempts: number }>('select id, attempts from alert_outbox');
  expect(rows).toEqual([{ id: 'n2', attempts: 3 }]);

  // The store goes away: changes stay in memory, and the ledger says so.
  store.up = false;
  store.lastError = 'connection refused';
  await first.commit([{ op: 'clear', rule: 'r', subject: 'campaign:a' }, activate('r', 'campaign:b'), enqueue(first, 'n3')]);
  expect(first.persistence()).toEqual({ storage: 'memory', note: 'the history store is unavailable (connection refused)' });
  expect((await sql.query('select subject from alert_state')).map((r) => r.subject)).toEqual(['campaign:a']);

  // Back: the changes are written in order.
  store.up = true;
  store.lastError = undefined;
  await first.sync();
  expect(first.persistence()).toEqual({ storage: 'store' });
  expect((await sql.query('select subject from alert_state')).map((r) => r.subject)).toEqual(['campaign:b']);

  // A restart reads the same state: nothing lost, nothing twice.
  const second = new AlertLedger(store as unknown as HistoryStore, logger);
  await second.sync();
  expect(second.active().map((a) => a.subject)).toEqual(['campaign:b']);
  expect(second.pending().map((n) => [n.id, n.attempts, n.nextAt])).toEqual([
    ['n2', 3, 5000],
    ['n3', 0, 0],
  ]);
  expect(second.nextSeq()).toBeGreaterThan(Math.max(...second.pending().map((n) => n.seq)));
});

test('a ledger that started while the store was down merges what the store held', async () => {
  store.up = false;
  const late = new AlertLedger(store as unknown as HistoryStore, logger);
  await late.sync();
  expect(late.persistence().storage).toBe('memory');
  await late.commit([activate('r', 'campaign:c'), { op: 'delivered', id: 'n2' }]);
  store.up = true;
  await late.sync();
  expect(late.active().map((a) => a.subject).sort()).toEqual(['campaign:b', 'campaign:c']);
  expect(late.pending().map((n) => n.id)).toEqual(['n3']);
  expect((await sql.query('select id from alert_outbox')).map((r) => r.id)).toEqual(['n3']);
});
