/**
 * Notifications to webhooks: the body of each format (built once, when the notification is queued,
 * so every retry sends the same bytes under the same signature), the signature header, one POST
 * with a timeout, and the backoff between attempts. A 2xx is delivered; anything else (another
 * status, a redirect, a timeout, a refused connection) is a failed attempt. Nothing here logs or
 * returns the webhook's URL or secret.
 */
import { createHmac } from 'node:crypto';
import type { AlertWebhook } from '../config';
import { abortAfter } from '../deadline';
import type { Alert, Notification, NotificationEvent } from './schema';

export const SIGNATURE_HEADER = 'X-Outreach-Signature';
export const NOTIFICATION_ID_HEADER = 'X-Outreach-Notification-Id';
export const EVENT_HEADER = 'X-Outreach-Event';

/** The one line a person reads (Slack's `text`, and `text` in the JSON body). */
export function notificationText(event: NotificationEvent, alert: Alert, resolvedAt: number | undefined): string {
  if (event === 'alert.firing') return `:rotating_light: [FIRING] ${alert.message}`;
  return `:white_check_mark: [RESOLVED] ${alert.message} (active since ${alert.since}, cleared ${new Date(resolvedAt ?? Date.now()).toISOString()})`;
}

/** The body a webhook of this format gets. */
export function notificationBody(webhook: Pick<AlertWebhook, 'format'>, id: string, event: NotificationEvent, alert: Alert, createdAt: number): string {
  const resolvedAt = event === 'alert.resolved' ? createdAt : undefined;
  const text = notificationText(event, alert, resolvedAt);
  if (webhook.format === 'slack') return JSON.stringify({ text });
  const body: Notification = {
    id,
    event,
    createdAt: new Date(createdAt).toISOString(),
    alert: { ...alert, resolvedAt: resolvedAt === undefined ? null : new Date(resolvedAt).toISOString() },
    text,
  };
  return JSON.stringify(body);
}

/** `sha256=<hex HMAC-SHA256 of the body under the secret>`. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The wait after the `attempts`-th failed attempt: doubling from `initialMs`, at most `maxMs`. */
export function backoffMs(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempts - 1), 40));
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; reason: string };

/** One attempt: POST the body; ok on a 2xx within `timeoutMs`. */
export async function deliver(webhook: AlertWebhook, id: string, event: string, body: string, timeoutMs: number): Promise<DeliveryResult> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'outreach-gateway-alerts',
    [NOTIFICATION_ID_HEADER]: id,
    [EVENT_HEADER]: event,
  };
  if (webhook.secret !== undefined) headers[SIGNATURE_HEADER] = signature(webhook.secret, body);
  // An answer already in the socket when the time runs out still counts (`afterPendingIo`): taken
  // for a timeout, the notification would go again, a repeat the receiver has to drop.
  const countdown = abortAfter(timeoutMs, { afterPendingIo: true });
  try {
    const response = await fetch(webhook.url, { method: 'POST', headers, body, redirect: 'manual', signal: countdown.signal });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, reason: `HTTP ${response.status}` };
  } catch {
    // Never the error's message: undici's can repeat the URL.
    return { ok: false, reason: countdown.timedOut() ? `no answer within ${timeoutMs} ms` : 'connection failed' };
  } finally {
    countdown.clear();
  }
}
