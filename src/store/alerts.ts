/**
 * Alert state in the store (tables of migration 4): the active alerts, one row per rule and subject,
 * and the outbox of notifications not yet delivered, one row per notification and webhook. What an
 * alert or a notification holds is opaque JSON text here (src/alerts/ gives it meaning). A batch of
 * changes is one transaction: an alert becomes active together with its notifications, or not at
 * all, so a restart neither re-sends nor loses one.
 */
import type { Sql } from './sql';

export interface StoredAlert {
  rule: string;
  subject: string;
  workspace: string;
  /** The alert as JSON text. */
  alert: string;
  since: number;
}

export interface StoredNotification {
  id: string;
  /** Order of creation (per webhook, notifications are delivered in this order). */
  seq: number;
  webhook: string;
  event: string;
  /** The exact body sent (signed as it is). */
  body: string;
  attempts: number;
  nextAt: number;
  createdAt: number;
}

export type AlertStoreOp =
  | { op: 'activate'; alert: StoredAlert }
  | { op: 'clear'; rule: string; subject: string }
  | { op: 'enqueue'; notification: StoredNotification }
  | { op: 'delivered'; id: string }
  | { op: 'retry'; id: string; attempts: number; nextAt: number };

interface AlertRow {
  rule: string;
  subject: string;
  workspace: string;
  alert: string;
  since: Date | string;
  [key: string]: unknown;
}

interface OutboxRow {
  id: string;
  seq: string | number;
  webhook: string;
  event: string;
  body: string;
  attempts: number;
  next_at: Date | string;
  created_at: Date | string;
  [key: string]: unknown;
}

const ms = (value: Date | string): number => (value instanceof Date ? value.getTime() : Date.parse(value));

/** Everything stored: the active alerts and the pending notifications (in order). */
export async function loadAlertState(sql: Sql): Promise<{ alerts: StoredAlert[]; outbox: StoredNotification[] }> {
  const alerts = await sql.query<AlertRow>('select rule, subject, workspace, alert, since from alert_state order by since, rule, subject');
  const outbox = await sql.query<OutboxRow>('select id, seq, webhook, event, body, attempts, next_at, created_at from alert_outbox order by seq');
  return {
    alerts: alerts.map((row) => ({ rule: row.rule, subject: row.subject, workspace: row.workspace, alert: row.alert, since: ms(row.since) })),
    outbox: outbox.map((row) => ({
      id: row.id,
      seq: Number(row.seq),
      webhook: row.webhook,
      event: row.event,
      body: row.body,
      attempts: Number(row.attempts),
      nextAt: ms(row.next_at),
      createdAt: ms(row.created_at),
    })),
  };
}

/** Applies the changes in one transaction (all or none). Each change is idempotent, so a batch may be applied again. */
export async function applyAlertOps(sql: Sql, ops: readonly AlertStoreOp[]): Promise<void> {
  if (ops.length === 0) return;
  await sql.transaction(async (tx) => {
    for (const change of ops) {
      switch (change.op) {
        case 'activate': {
          const { rule, subject, workspace, alert, since } = change.alert;
          await tx.query(
            `insert into alert_state (rule, subject, workspace, alert, since) values ($1, $2, $3, $4, $5)
             on conflict (rule, subject) do update set workspace = excluded.workspace, alert = excluded.alert, since = excluded.since`,
            [rule, subject, workspace, alert, new Date(since).toISOString()],
          );
          break;
        }
        case 'clear':
          await tx.query('delete from alert_state where rule = $1 and subject = $2', [change.rule, change.subject]);
          break;
        case 'enqueue': {
          const n = change.notification;
          await tx.query(
            `insert into alert_outbox (id, seq, webhook, event, body, attempts, next_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)
             on conflict (id) do nothing`,
            [n.id, n.seq, n.webhook, n.event, n.body, n.attempts, new Date(n.nextAt).toISOString(), new Date(n.createdAt).toISOString()],
          );
          break;
        }
        case 'delivered':
          await tx.query('delete from alert_outbox where id = $1', [change.id]);
          break;
        case 'retry':
          await tx.query('update alert_outbox set attempts = $2, next_at = $3 where id = $1', [change.id, change.attempts, new Date(change.nextAt).toISOString()]);
          break;
      }
    }
  });
}
