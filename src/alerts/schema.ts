/** An active alert as `GET /v1/alerts` answers it and the webhooks' JSON body carries it (zod, for `/openapi.json` and the tests). */
import { z } from 'zod';
import { ALERT_RULE_KINDS, ALERT_SUBJECTS } from '../config';
import { ProviderIdSchema } from '../schema/campaign';

export const AlertSchema = z.object({
  rule: z.string().describe('The rule id from the config'),
  kind: z.enum(ALERT_RULE_KINDS),
  subject: z.string().describe('What the alert is about: `campaign:<key>`, `connection:<id>` or `workspace:<id>`'),
  subjectType: z.enum(ALERT_SUBJECTS),
  workspace: z.string(),
  provider: ProviderIdSchema.nullable(),
  connection: z.string().nullable(),
  campaign: z.string().nullable().describe('The campaign key `<connection>:<vendor id>`, for a campaign alert'),
  name: z.string().nullable().describe("The campaign's name, for a campaign alert"),
  condition: z.string().describe('The condition that holds, e.g. `bounceRate > 0.03 (once contacted >= 100)`'),
  value: z.number().nullable().describe('The value that met the condition when the alert began (a rate as a fraction; a weekly change as a relative change)'),
  since: z.iso.datetime().describe('When the alert began (for source_failing: when the source started failing)'),
  message: z.string(),
});
export type Alert = z.infer<typeof AlertSchema>;

export const AlertsResponseSchema = z.object({
  data: z.array(AlertSchema),
  meta: z.object({
    requestId: z.string(),
    generatedAt: z.iso.datetime(),
    workspaces: z.array(z.string()),
    storage: z.enum(['store', 'memory']).describe('store: active alerts and undelivered notifications survive a restart; memory: the store is off or unreachable, they are kept in memory only'),
    storageNote: z.string().optional().describe('Why alerts are kept in memory, when they are'),
  }),
});
export type AlertsResponse = z.infer<typeof AlertsResponseSchema>;

export const NotificationEvents = ['alert.firing', 'alert.resolved'] as const;
export type NotificationEvent = (typeof NotificationEvents)[number];

/** The JSON webhook body (signed as sent: `X-Outreach-Signature: sha256=<hex HMAC-SHA256 of the body>`). */
export const NotificationSchema = z.object({
  id: z.string().describe('Unique per notification and webhook; the same on every retry (X-Outreach-Notification-Id)'),
  event: z.enum(NotificationEvents),
  createdAt: z.iso.datetime(),
  alert: AlertSchema.extend({ resolvedAt: z.iso.datetime().nullable() }),
  text: z.string().describe('The same line a Slack-format webhook gets'),
});
export type Notification = z.infer<typeof NotificationSchema>;
