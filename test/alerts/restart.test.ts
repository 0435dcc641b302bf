/**
 * Alerts end to end on loopback: two Instantly simulators (one per workspace), a gateway with the
 * scheduled sync and the embedded store, and a local webhook receiver that fails (500), times out,
 * then recovers. Exactly one notification per condition and webhook, and one per clearing, across
 * two gateway restarts on the same data directory; the JSON webhook's HMAC is verified by the
 * receiver; `GET /v1/alerts` shows a client only its workspaces' alerts; the webhook secret and URL
 * token never appear in logs, metrics or answers.
 */
import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { AlertsResponseSchema, NotificationSchema } from '../../src/alerts/schema';
import { resolveConfig, type GatewayConfig } from '../../src/config';
import { createService, type GatewayService } from '../../src/service';
import { startSimulator, type VendorSimulator } from '../../src/simulator';
import { startReceiver, type Receiver } from './receiver';

jest.setTimeout(120_000);

const AGENCY_KEY = 'canary-alerts-agency-key-5e1d';
const GLOBEX_KEY = 'canary-alerts-globex-key-8c2f';
const SECRET = 'canary-webhook-secret-7d3a9b1c4e';
const SLACK_TOKEN = 'canarySlackToken0042';
const KEYS = { acme: 'canaryInstantlyAlertsAcme01', globex: 'canaryInstantlyAlertsGlobex2' };

let dir: string;
let receiver: Receiver;
const sims: Partial<Record<'acme' | 'globex', VendorSimulator>> = {};
let config: GatewayConfig;
const logs: string[] = [];
let service: GatewayService | undefined;
let url = '';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) {
      const seen = JSON.stringify([...tally()]);
      const lines = logs.filter((line) => /alert (firing|resolved)|circuit breaker|scheduled/.test(line)).join('');
      throw new Error(`timed out waiting for ${what}; received ${seen}\n${lines}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function get(pathname: string, key: string): Promise<{ status: number; text: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpGet(`${url}${pathname}`, { headers: { 'X-API-Key': key }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // metrics
        }
        resolve({ status: res.statusCode ?? 0, text, body });
      });
    }).on('error', reject);
  });
}

async function start(): Promise<GatewayService> {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  service = createService({ ...config, log: { level: 'debug' } }, { logStream: stream, extraSecrets: [AGENCY_KEY, GLOBEX_KEY], history: true, sync: true });
  url = await service.listen(0, '127.0.0.1');
  return service;
}

async function stop(): Promise<void> {
  await service?.close(100);
  service = undefined;
}

/**
 * What the receiver took (200), per webhook path, event and subject: distinct notifications, by
 * their id. A repeat of one id (an answer that reached the sender after its timeout, so it tried
 * again) is the documented at-least-once delivery a receiver drops; a second id is a second
 * notification.
 */
function tally(): Map<string, number> {
  const ids = new Map<string, Set<string>>();
  for (const r of receiver.received) {
    let event: string;
    let subject: string;
    if (r.path === '/signed') {
      const body = NotificationSchema.parse(r.json);
      event = body.event;
      subject = `${body.alert.rule}|${body.alert.subject}`;
    } else {
      // `… [FIRING] <rule>: connection <id> (…` or `… workspace <id>: …`
      const match = /\[(FIRING|RESOLVED)\] ([\w.-]+): (connection|workspace) ([\w.-]+)/.exec(String(r.json.text));
      event = match?.[1] === 'FIRING' ? 'alert.firing' : 'alert.resolved';
      subject = `${match?.[2] ?? '?'}|${match?.[3] ?? '?'}:${match?.[4] ?? '?'}`;
    }
    const key = `${r.path} ${event} ${subject}`;
    const id = String(r.headers['x-outreach-notification-id'] ?? '');
    expect(id).not.toBe('');
    ids.set(key, (ids.get(key) ?? new Set<string>()).add(id));
  }
  return new Map([...ids].map(([key, seen]) => [key, seen.size]));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'og-alerts-'));
  receiver = await startReceiver({ '/signed': SECRET });
  for (const workspace of ['acme', 'globex'] as const) {
    sims[workspace] = await startSimulator('instantly', {
      rateLimit: { rules: [] },
      referenceDate: '2026-11-20',
      accounts: [{ apiKey: KEYS[workspace], seed: workspace === 'acme' ? 11 : 22, campaigns: 4, label: workspace }],
    });
  }
  config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0, deadlineMs: 3000 },
      clients: [
        { id: 'agency', keySha256: sha256(AGENCY_KEY), workspaces: ['acme', 'globex'] },
        { id: 'globex-only', keySha256: sha256(GLOBEX_KEY), workspaces: ['globex'] },
      ],
      workspaces: (['acme', 'globex'] as const).map((workspace) => ({
        id: workspace,
        connections: [{ id: `${workspace}-instantly`, provider: 'instantly', apiKey: KEYS[workspace], baseUrl: sims[workspace]?.url }],
      })),
      providers: { instantly: { maxAttempts: 1, timeoutMs: 5000, requestsPerSecond: 100, burst: 100, ttlSeconds: 1, breakerCooldownSeconds: 0.2 } },
      storage: { dir },
      sync: { intervalSeconds: { instantly: 1 }, maxBackoffSeconds: 1, jitter: 0 },
      alerts: {
        webhooks: [
          { id: 'chat', format: 'slack', url: `${receiver.url}/slack/${SLACK_TOKEN}` },
          { id: 'ops', format: 'json', url: `${receiver.url}/signed`, secret: '${ALERT_SECRET}' },
        ],
        rules: [
          // Scoped to acme: a slow globex walk on a loaded machine must not count here.
          { id: 'failing', kind: 'source_failing', minutes: 0, scope: { workspaces: ['acme'] } },
          { id: 'globex-contacted', kind: 'threshold', when: 'contacted > 0', per: 'workspace', scope: { workspaces: ['globex'] } },
        ],
        delivery: { timeoutMs: 300, initialBackoffMs: 50, maxBackoffMs: 200, maxAttempts: 100 },
      },
    },
    { ALERT_SECRET: SECRET },
  );
}, 60_000);

afterAll(async () => {
  await stop();
  await receiver.close();
  await Promise.all(Object.values(sims).map((sim) => sim.close()));
  rmSync(dir, { recursive: true, force: true });
});

test('a failing receiver, a timeout and two restarts: one notification per condition and one per clearing, signed, scoped, no secret shown', async () => {
  // 1. Acme's vendor is down; the receiver refuses everything. Both conditions begin.
  sims.acme?.setFaults({ down: true });
  receiver.plan([], 'fail');
  let running = await start();
  await until(() => running.alerts?.active(['acme', 'globex']).length === 2, 'two active alerts');
  expect(running.alerts?.persistence()).toEqual({ storage: 'store' });
  await until(() => receiver.attempts.fail >= 6, 'failed attempts at the receiver');
  expect(receiver.received).toHaveLength(0);

  // Scoping: each key sees its own workspaces' alerts, and the answer matches its schema.
  const agency = AlertsResponseSchema.parse((await get('/v1/alerts', AGENCY_KEY)).body);
  expect(agency.data.map((a) => `${a.rule} ${a.subject}`).sort()).toEqual(['failing connection:acme-instantly', 'globex-contacted workspace:globex']);
  const globex = AlertsResponseSchema.parse((await get('/v1/alerts', GLOBEX_KEY)).body);
  expect(globex.data.map((a) => a.subject)).toEqual(['workspace:globex']);
  expect((await get('/v1/alerts?workspace_id=acme', GLOBEX_KEY)).status).toBe(403);
  expect(AlertsResponseSchema.parse((await get('/v1/alerts?workspace_id=acme', AGENCY_KEY)).body).data.map((a) => a.subject)).toEqual(['connection:acme-instantly']);
  expect((await get('/v1/alerts', 'not-a-key')).status).toBe(401);
  const metricsText = (await get('/metrics', AGENCY_KEY)).text;
  expect(metricsText).toMatch(/gateway_alerts_active\{rule="failing"\} 1/);
  expect(metricsText).toMatch(/gateway_alerts_active\{rule="globex-contacted"\} 1/);
  expect(metricsText).toMatch(/gateway_alert_notifications_total\{event="alert.firing",outcome="failed"\} [1-9]/);

  // 2. Restart with the four notifications undelivered; the receiver then times out twice and recovers.
  await stop();
  receiver.plan([['hang', 2]], 'ok');
  running = await start();
  await until(() => receiver.received.length >= 4 && running.alerts?.pendingCount() === 0, 'the four firing notifications');
  expect(receiver.attempts.hang).toBe(2);

  // 3. Acme's vendor recovers: the failing condition clears (one notification per webhook).
  sims.acme?.setFaults({ down: false });
  await until(
    () => receiver.received.length >= 6 && running.alerts?.pendingCount() === 0 && running.alerts.active(['acme', 'globex']).length === 1,
    'the two clearing notifications',
  );
  expect(running.alerts?.active(['acme', 'globex']).map((a) => a.rule)).toEqual(['globex-contacted']);

  // 4. Another restart with the globex condition still holding: nothing is sent again.
  await stop();
  running = await start();
  await until(() => (running.scheduler?.status('globex-instantly')?.lastAt ?? null) !== null, 'a walk after the restart');
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await running.alerts?.evaluate();
  expect(running.alerts?.active(['acme', 'globex']).map((a) => a.rule)).toEqual(['globex-contacted']);

  expect(Object.fromEntries(tally())).toEqual({
    '/signed alert.firing failing|connection:acme-instantly': 1,
    '/signed alert.firing globex-contacted|workspace:globex': 1,
    '/signed alert.resolved failing|connection:acme-instantly': 1,
    [`/slack/${SLACK_TOKEN} alert.firing failing|connection:acme-instantly`]: 1,
    [`/slack/${SLACK_TOKEN} alert.firing globex-contacted|workspace:globex`]: 1,
    [`/slack/${SLACK_TOKEN} alert.resolved failing|connection:acme-instantly`]: 1,
  });
  // Every JSON notification is signed with the secret and carries its id; a Slack body is only `text`.
  for (const r of receiver.received) {
    if (r.path === '/signed') {
      expect(r.signatureValid).toBe(true);
      expect(r.headers['x-outreach-notification-id']).toBe(NotificationSchema.parse(r.json).id);
    } else {
      expect(Object.keys(r.json)).toEqual(['text']);
      expect(r.signatureValid).toBeUndefined();
    }
  }
  // Firing before clearing, per webhook.
  const signed = receiver.received.filter((r) => r.path === '/signed').map((r) => NotificationSchema.parse(r.json));
  const failing = signed.filter((n) => n.alert.rule === 'failing').map((n) => n.event);
  expect(failing).toEqual(['alert.firing', 'alert.resolved']);

  // The secret and the Slack URL's token never show.
  const shown = [logs.join(''), (await get('/metrics', AGENCY_KEY)).text, (await get('/v1/alerts', AGENCY_KEY)).text, (await get('/openapi.json', AGENCY_KEY)).text];
  for (const text of shown) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SLACK_TOKEN);
  }
  expect(logs.join('')).toContain('alert notification delivered');
});
