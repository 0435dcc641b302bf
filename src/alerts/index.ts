/**
 * Alerts: after each scheduled walk (service.ts wires the scheduler's `onWalkDone` here) every rule
 * is evaluated (evaluate.ts); a condition that begins becomes an active alert and one notification
 * per webhook, a condition that clears removes it and queues one more, both in one ledger commit
 * (state.ts: one store transaction), so a restart neither re-sends nor loses a notification. The
 * outbox is delivered per webhook in order (delivery.ts), retried with doubling waits up to
 * `alerts.delivery.maxAttempts`; a notification is removed only once a webhook took it (2xx).
 * Evaluations never overlap: walks that end during one are answered by one more evaluation.
 */
import { randomUUID } from 'node:crypto';
import type { Counter, Gauge } from 'prom-client';
import type { AlertsConfig, AlertWebhook } from '../config';
import type { Logger } from '../logger';
import type { HistoryStore } from '../store';
import type { AlertStoreOp, StoredNotification } from '../store/alerts';
import { backoffMs, deliver, notificationBody } from './delivery';
import { evaluateRule, trackFailures, type AlertInputs } from './evaluate';
import { compileRule, type CompiledRule } from './rules';
import type { Alert, NotificationEvent } from './schema';
import { AlertLedger, type Persistence } from './state';

export type { AlertInputs, ConnectionView } from './evaluate';
export type { Alert } from './schema';

export interface AlertMetrics {
  /** Active alerts per rule. */
  active: Gauge<'rule'>;
  /** Notifications by event and outcome (queued, delivered, failed attempt, given_up). */
  notifications: Counter<'event' | 'outcome'>;
}

export interface AlertEngineOptions {
  config: AlertsConfig;
  inputs: AlertInputs;
  store: HistoryStore | undefined;
  logger: Logger;
  metrics: AlertMetrics;
  /** The evaluation's clock (alert times); delivery waits use the real one. */
  now?: () => number;
}

export class AlertEngine {
  private readonly rules: CompiledRule[];
  private readonly webhooks: Map<string, AlertWebhook>;
  private readonly ledger: AlertLedger;
  private readonly now: () => number;
  private readonly failingSince = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  private evaluating: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: AlertEngineOptions) {
    this.now = options.now ?? Date.now;
    this.webhooks = new Map(options.config.webhooks.map((webhook) => [webhook.id, webhook]));
    this.rules = options.config.rules.map((rule) => compileRule(rule, [...this.webhooks.keys()]));
    this.ledger = new AlertLedger(options.store, options.logger);
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  /** Reads the stored state (when the store is up) and delivers what is pending. */
  async start(): Promise<void> {
    await this.ledger.sync();
    this.updateGauges();
    this.pump();
  }

  /** The scheduler's walk-done hook. */
  readonly onWalkDone = (): void => {
    void this.evaluate();
  };

  /** Evaluates every rule now (a call during an evaluation runs one more after it). */
  evaluate(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.evaluating) {
      this.again = true;
      return this.evaluating;
    }
    this.evaluating = (async () => {
      try {
        do {
          this.again = false;
          await this.evaluateOnce();
        } while (this.again && !this.stopped);
      } catch (error) {
        this.options.logger.warn('alert evaluation failed', { message: error instanceof Error ? error.message : String(error) });
      } finally {
        this.evaluating = undefined;
      }
    })();
    return this.evaluating;
  }

  private async evaluateOnce(): Promise<void> {
    const now = this.now();
    const connections = this.options.inputs.connections();
    // After a restart, a failing source's alert keeps the instant it began failing.
    for (const alert of this.ledger.active()) {
      if (alert.kind === 'source_failing' && alert.connection !== null && !this.failingSince.has(alert.connection)) this.failingSince.set(alert.connection, Date.parse(alert.since));
    }
    trackFailures(connections, this.failingSince);
    const ops: AlertStoreOp[] = [];
    for (const compiled of this.rules) {
      const outcome = await evaluateRule(compiled, this.options.inputs, connections, now, this.failingSince);
      const holding = new Set<string>();
      for (const firing of outcome.firing) {
        holding.add(firing.subject);
        if (this.ledger.get(firing.rule, firing.subject)) continue;
        const alert: Alert = { ...firing, since: new Date(firing.since ?? now).toISOString() };
        ops.push({ op: 'activate', alert: { rule: alert.rule, subject: alert.subject, workspace: alert.workspace, alert: JSON.stringify(alert), since: Date.parse(alert.since) } });
        ops.push(...this.notifications(compiled, 'alert.firing', alert, now));
      }
      for (const alert of this.ledger.active()) {
        if (alert.rule !== compiled.rule.id || holding.has(alert.subject) || !outcome.covers(alert)) continue;
        ops.push({ op: 'clear', rule: alert.rule, subject: alert.subject });
        ops.push(...this.notifications(compiled, 'alert.resolved', alert, now));
      }
    }
    // A rule taken out of the config: its alerts end without a notification.
    const ruleIds = new Set(this.rules.map((compiled) => compiled.rule.id));
    for (const alert of this.ledger.active()) {
      if (ruleIds.has(alert.rule)) continue;
      ops.push({ op: 'clear', rule: alert.rule, subject: alert.subject });
      this.options.logger.info('alert dropped: its rule is no longer configured', { rule: alert.rule, subject: alert.subject });
    }
    await this.ledger.commit(ops);
    this.updateGauges();
    this.pump();
  }

  private notifications(compiled: CompiledRule, event: NotificationEvent, alert: Alert, now: number): AlertStoreOp[] {
    const ops: AlertStoreOp[] = [];
    for (const webhookId of compiled.webhooks) {
      const webhook = this.webhooks.get(webhookId);
      if (!webhook) continue;
      const id = randomUUID();
      const notification: StoredNotification = { id, seq: this.ledger.nextSeq(), webhook: webhookId, event, body: notificationBody(webhook, id, event, alert, now), attempts: 0, nextAt: Date.now(), createdAt: now };
      ops.push({ op: 'enqueue', notification });
      this.options.metrics.notifications.inc({ event, outcome: 'queued' });
    }
    this.options.logger.info(event === 'alert.firing' ? 'alert firing' : 'alert resolved', { rule: alert.rule, subject: alert.subject, workspace: alert.workspace, notifications: ops.length });
    return ops;
  }

  private updateGauges(): void {
    const counts = new Map(this.rules.map((compiled) => [compiled.rule.id, 0]));
    for (const alert of this.ledger.active()) if (counts.has(alert.rule)) counts.set(alert.rule, (counts.get(alert.rule) ?? 0) + 1);
    for (const [rule, count] of counts) this.options.metrics.active.set({ rule }, count);
  }

  /** Sends the oldest pending notification of each webhook that is due and not already being sent; arms the timer for the next. */
  private pump(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const heads = new Map<string, StoredNotification>();
    for (const notification of this.ledger.pending()) if (!heads.has(notification.webhook)) heads.set(notification.webhook, notification);
    let earliest = Number.POSITIVE_INFINITY;
    for (const [webhookId, notification] of heads) {
      if (this.inflight.has(webhookId)) continue;
      if (notification.nextAt <= now) {
        const sending = this.send(notification).finally(() => {
          this.inflight.delete(webhookId);
          this.pump();
        });
        this.inflight.set(webhookId, sending);
      } else earliest = Math.min(earliest, notification.nextAt);
    }
    if (earliest !== Number.POSITIVE_INFINITY) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, earliest - now));
      this.timer.unref();
    }
  }

  private async send(notification: StoredNotification): Promise<void> {
    const { delivery } = this.options.config;
    const { logger, metrics } = this.options;
    const event = notification.event;
    const webhook = this.webhooks.get(notification.webhook);
    if (!webhook) {
      logger.warn('alert notification dropped: its webhook is no longer configured', { webhook: notification.webhook, notification: notification.id });
      await this.ledger.commit([{ op: 'delivered', id: notification.id }]);
      return;
    }
    const result = await deliver(webhook, notification.id, event, notification.body, delivery.timeoutMs);
    if (result.ok) {
      metrics.notifications.inc({ event, outcome: 'delivered' });
      logger.info('alert notification delivered', { webhook: webhook.id, notification: notification.id, event, attempts: notification.attempts + 1 });
      await this.ledger.commit([{ op: 'delivered', id: notification.id }]);
      return;
    }
    const attempts = notification.attempts + 1;
    if (attempts >= delivery.maxAttempts) {
      metrics.notifications.inc({ event, outcome: 'given_up' });
      logger.error('alert notification given up', { webhook: webhook.id, notification: notification.id, event, attempts, reason: result.reason });
      await this.ledger.commit([{ op: 'delivered', id: notification.id }]);
      return;
    }
    metrics.notifications.inc({ event, outcome: 'failed' });
    const waitMs = backoffMs(attempts, delivery.initialBackoffMs, delivery.maxBackoffMs);
    logger.warn('alert notification not delivered; retrying', { webhook: webhook.id, notification: notification.id, event, attempts, reason: result.reason, retryInMs: waitMs });
    await this.ledger.commit([{ op: 'retry', id: notification.id, attempts, nextAt: Date.now() + waitMs }]);
  }

  /** The active alerts of these workspaces, oldest first. */
  active(workspaces: readonly string[]): Alert[] {
    const visible = new Set(workspaces);
    return this.ledger
      .active()
      .filter((alert) => visible.has(alert.workspace))
      .sort((a, b) => a.since.localeCompare(b.since) || a.rule.localeCompare(b.rule) || a.subject.localeCompare(b.subject));
  }

  persistence(): Persistence {
    return this.ledger.persistence();
  }

  /** Notifications not yet delivered (tests, operations). */
  pendingCount(): number {
    return this.ledger.pending().length;
  }

  /** No new evaluation or attempt; waits for the one in flight (bounded by its timeout) and the last store write. */
  async stop(): Promise<void> {
    await this.evaluating;
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.inflight.values()]);
    await this.ledger.settled();
  }
}
