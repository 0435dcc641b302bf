/**
 * The alert rules without a network: each kind's condition (threshold with `once`, per campaign,
 * connection and workspace; week-over-week change from a history answer; a source failing for
 * longer than N minutes; a spent credit budget), scoping, "unknown is not cleared", and the engine
 * in memory (no store): one firing and one clearing per condition, and it says it keeps them in memory.
 */
import { PassThrough } from 'node:stream';
import { AlertEngine, type ConnectionView } from '../../src/alerts';
import { comparedWeeks, evaluateRule, type AlertInputs } from '../../src/alerts/evaluate';
import { compileRule } from '../../src/alerts/rules';
import { ConfigError, resolveConfig, type AlertRule } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { emptyMetrics, type CampaignAnalytics } from '../../src/schema/campaign';
import { computeRates } from '../../src/schema/rates';
import type { HistoryResult } from '../../src/store';
import { campaignRecord } from '../helpers/records';

function campaign(connection: string, workspace: string, id: string, numbers: { contacted: number; bounced: number }): CampaignAnalytics {
  const metrics = { contacted: numbers.contacted, sent: numbers.contacted, bounced: numbers.bounced };
  return campaignRecord({ connection, workspace, provider: 'instantly', id, metrics, vendorStatus: '1' });
}

function view(id: string, workspace: string, records: CampaignAnalytics[] | undefined, more: Partial<ConnectionView> = {}): ConnectionView {
  return { id, workspace, provider: 'instantly', records, lastSuccessAt: 1, lastErrorAt: undefined, lastErrorCode: undefined, limitedBy: null, ...more };
}

const rule = (r: Partial<AlertRule> & Pick<AlertRule, 'id' | 'kind'>): AlertRule => ({ scope: {}, ...r });

describe('threshold', () => {
  const connections = [
    view('acme-a', 'acme', [campaign('acme-a', 'acme', '1', { contacted: 200, bounced: 10 }), campaign('acme-a', 'acme', '2', { contacted: 50, bounced: 10 })]),
    view('acme-b', 'acme', [campaign('acme-b', 'acme', '3', { contacted: 300, bounced: 3 })]),
    view('globex-a', 'globex', [campaign('globex-a', 'globex', '4', { contacted: 1000, bounced: 100 })]),
  ];
  const run = (r: AlertRule, list = connections) => evaluateRule(compileRule(r, ['w']), { connections: () => list }, list, 0, new Map());

  test('per campaign, once contacted >= 100: the small campaign does not count', async () => {
    const outcome = await run(rule({ id: 'b', kind: 'threshold', when: 'bounceRate > 0.03', once: 'contacted >= 100' }));
    expect(outcome.firing.map((f) => f.subject)).toEqual(['campaign:acme-a:1', 'campaign:globex-a:4']);
    expect(outcome.firing[0]?.value).toBeCloseTo(0.05);
  });

  test('per workspace: the rate is recomputed from the sums; scoped to one workspace', async () => {
    const outcome = await run(rule({ id: 'b', kind: 'threshold', when: 'bounceRate > 0.03', per: 'workspace', scope: { workspaces: ['acme'] } }));
    expect(outcome.firing.map((f) => [f.subject, f.value])).toEqual([['workspace:acme', 23 / 550]]);
    expect(outcome.covers({ workspace: 'globex' } as never)).toBe(false);
  });

  test('per connection, scoped to campaigns', async () => {
    const outcome = await run(rule({ id: 'b', kind: 'threshold', when: 'bounced >= 3', per: 'connection', scope: { campaigns: ['acme-b:3'] } }));
    expect(outcome.firing.map((f) => f.subject)).toEqual(['connection:acme-b']);
  });

  test('a connection without data is not looked at: its alerts are not cleared', async () => {
    const list = [view('acme-a', 'acme', undefined), view('acme-b', 'acme', [campaign('acme-b', 'acme', '3', { contacted: 300, bounced: 3 })])];
    const campaignRule = await run(rule({ id: 'b', kind: 'threshold', when: 'bounceRate > 0.5' }), list);
    expect(campaignRule.covers({ connection: 'acme-a' } as never)).toBe(false);
    expect(campaignRule.covers({ connection: 'acme-b' } as never)).toBe(true);
    const workspaceRule = await run(rule({ id: 'b', kind: 'threshold', when: 'bounceRate > 0.5', per: 'workspace' }), list);
    expect(workspaceRule.covers({ workspace: 'acme' } as never)).toBe(false);
  });
});

describe('weekly_change', () => {
  const now = Date.parse('2026-12-02T12:00:00Z'); // a Wednesday
  test('compares the last ended week with the one before it', () => {
    expect(comparedWeeks(now)).toEqual({ startDate: '2026-11-16', endDate: '2026-11-29' });
  });

  test('a drop past the threshold fires; a store error leaves everything as it is', async () => {
    const point = (period: string, replied: number, contacted: number) => ({
      period,
      end: period,
      source: 'snapshots' as const,
      sources: { replied: 'snapshots' as const, contacted: 'snapshots' as const },
      campaigns: 1,
      metrics: { replied, contacted },
      rates: computeRates({ ...emptyMetrics(), replied, contacted }),
    });
    const result: HistoryResult = {
      periods: [],
      warnings: [],
      demo: false,
      series: [
        { group: { workspace: 'acme' }, points: [point('2026-11-16', 40, 400), point('2026-11-23', 10, 400)] },
        { group: { workspace: 'globex' }, points: [point('2026-11-16', 40, 400), point('2026-11-23', 36, 400)] },
      ],
    };
    const asked: unknown[] = [];
    const inputs: AlertInputs = {
      connections: () => [],
      history: (query) => {
        asked.push(query);
        return Promise.resolve(result);
      },
    };
    const list = [view('acme-a', 'acme', []), view('globex-a', 'globex', [])];
    const compiled = compileRule(rule({ id: 'drop', kind: 'weekly_change', metric: 'replyRate', when: 'change < -0.3', per: 'workspace', once: 'contacted >= 100' }), ['w']);
    const outcome = await evaluateRule(compiled, inputs, list, now, new Map());
    expect(outcome.firing.map((f) => f.subject)).toEqual(['workspace:acme']);
    expect(outcome.firing[0]?.value).toBeCloseTo(-0.75);
    expect(asked).toEqual([expect.objectContaining({ interval: 'week', groupBy: 'workspace', startDate: '2026-11-16', endDate: '2026-11-29', workspaces: ['acme', 'globex'] })]);
    const down = await evaluateRule(compiled, { connections: () => [], history: () => Promise.reject(new Error('down')) }, list, now, new Map());
    expect(down.firing).toEqual([]);
    expect(down.covers({ workspace: 'acme' } as never)).toBe(false);
  });
});

describe('source_failing and budget_exhausted', () => {
  test('a source fires only after failing for longer than N minutes', async () => {
    const compiled = compileRule(rule({ id: 'f', kind: 'source_failing', minutes: 10 }), ['w']);
    const failing = [view('acme-a', 'acme', undefined, { lastSuccessAt: 0, lastErrorAt: 60_000, lastErrorCode: 'upstream_unavailable' })];
    const since = new Map([['acme-a', 60_000]]);
    expect((await evaluateRule(compiled, { connections: () => failing }, failing, 60_000 + 9 * 60_000, since)).firing).toEqual([]);
    const outcome = await evaluateRule(compiled, { connections: () => failing }, failing, 60_000 + 11 * 60_000, since);
    expect(outcome.firing.map((f) => [f.subject, f.since])).toEqual([['connection:acme-a', 60_000]]);
  });

  test('a spent credit budget fires; without a scheduler nothing is known', async () => {
    const compiled = compileRule(rule({ id: 'budget', kind: 'budget_exhausted', scope: { providers: ['instantly'] } }), ['w']);
    const list = [view('a', 'acme', [], { limitedBy: 'credit_budget' }), view('b', 'acme', [], { limitedBy: null }), view('c', 'acme', [], { limitedBy: undefined })];
    const outcome = await evaluateRule(compiled, { connections: () => list }, list, 0, new Map());
    expect(outcome.firing.map((f) => f.subject)).toEqual(['connection:a']);
    expect(outcome.covers({ connection: 'b' } as never)).toBe(true);
    expect(outcome.covers({ connection: 'c' } as never)).toBe(false);
  });
});

describe('the engine without a store', () => {
  test('one firing and one clearing per condition; repeated evaluations send nothing more; it says it keeps alerts in memory', async () => {
    let bounced = 10;
    const connections = (): ConnectionView[] => [view('acme-a', 'acme', [campaign('acme-a', 'acme', '1', { contacted: 100, bounced })])];
    const metrics = createMetrics({ defaultMetrics: false });
    const engine = new AlertEngine({
      // No webhook is reachable: the notifications stay in the outbox, which is what is counted.
      config: {
        webhooks: [{ id: 'w', format: 'slack', url: 'http://127.0.0.1:9/hook' }],
        rules: [rule({ id: 'b', kind: 'threshold', when: 'bounceRate > 0.05' })],
        delivery: { timeoutMs: 100, maxAttempts: 100, initialBackoffMs: 3_600_000, maxBackoffMs: 3_600_000 },
      },
      inputs: { connections },
      store: undefined,
      logger: createLogger({ stream: new PassThrough() }),
      metrics: { active: metrics.alertsActive, notifications: metrics.alertNotifications },
    });
    await engine.start();
    expect(engine.persistence().storage).toBe('memory');
    await engine.evaluate();
    await engine.evaluate();
    expect(engine.active(['acme']).map((a) => a.subject)).toEqual(['campaign:acme-a:1']);
    expect(engine.active(['globex'])).toEqual([]);
    expect(engine.pendingCount()).toBe(1);
    bounced = 1;
    await engine.evaluate();
    await engine.evaluate();
    expect(engine.active(['acme'])).toEqual([]);
    expect(engine.pendingCount()).toBe(2);
    expect(await metrics.registry.getSingleMetricAsString('gateway_alerts_active')).toContain('gateway_alerts_active{rule="b"} 0');
    await engine.stop();
  });
});

describe('config', () => {
  const base = {
    clients: [{ id: 'bi', keySha256: 'c'.repeat(64), workspaces: ['acme'] }],
    workspaces: [{ id: 'acme', connections: [{ id: 'acme-instantly', provider: 'instantly', apiKey: 'instantly-key-0123' }] }],
  };
  const problems = (alerts: unknown): string[] => {
    try {
      resolveConfig({ ...base, alerts }, { HOOK_SECRET: 'canary-hook-secret-0123456789' });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  test('a valid block resolves; the webhook secret (from ${ENV}) and URL are redacted secrets', () => {
    const config = resolveConfig(
      { ...base, alerts: { webhooks: [{ id: 'ops', url: 'https://hooks.example.com/x', secret: '${HOOK_SECRET}' }], rules: [{ id: 'b', kind: 'threshold', when: 'bounceRate > 0.03', once: 'contacted >= 100' }] } },
      { HOOK_SECRET: 'canary-hook-secret-0123456789' },
    );
    expect(config.alerts.rules[0]).toMatchObject({ id: 'b', when: 'bounceRate > 0.03' });
    expect(config.alerts.webhooks[0]).toMatchObject({ format: 'json', secret: 'canary-hook-secret-0123456789' });
    expect(config.secrets).toEqual(expect.arrayContaining(['canary-hook-secret-0123456789', 'https://hooks.example.com/x']));
    expect(resolveConfig(base).alerts).toEqual({ webhooks: [], rules: [], delivery: { timeoutMs: 5000, maxAttempts: 12, initialBackoffMs: 1000, maxBackoffMs: 600_000 } });
  });

  test('each mistake is one clear line, never repeating a secret', () => {
    const found = problems({
      webhooks: [
        { id: 'ops', url: 'https://hooks.example.com/x' },
        { id: 'ops', url: 'ftp://x', format: 'slack' },
      ],
      rules: [
        { id: 'a', kind: 'threshold', when: 'bounceRate >> 3' },
        { id: 'b', kind: 'threshold', when: 'bogus > 3' },
        { id: 'c', kind: 'weekly_change', when: 'change < -0.3' },
        { id: 'd', kind: 'source_failing' },
        { id: 'e', kind: 'budget_exhausted', webhooks: ['nope'], scope: { workspaces: ['initech'] } },
        { id: 'e', kind: 'threshold', when: 'replyRate < 0.01', minutes: 3 },
      ],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'alerts.webhooks[0].secret: missing: a json webhook is signed; expected a secret of 16+ characters (e.g. "${ALERT_WEBHOOK_SECRET}")',
        'alerts.webhooks[1].url: expected an http:// or https:// URL',
        'alerts.rules[0].when: expected a comparison such as "bounceRate > 0.03": a metric or rate name, one of > >= < <=, and a number',
        expect.stringMatching(/^alerts\.rules\[1\]\.when: unknown name on the left; expected one of: leads, contacted/),
        'alerts.rules[2].metric: missing: expected the metric or rate whose change is watched (required for kind weekly_change)',
        'alerts.rules[3].minutes: missing: expected a number of minutes from 0 to 10080 (7 days) (required for kind source_failing)',
        'alerts.rules[5].minutes: not used by kind threshold',
      ]),
    );
    // Cross-references are checked once the block itself is well-formed.
    expect(problems({ webhooks: [{ id: 'ops', url: 'https://h.example.com/', secret: '${HOOK_SECRET}' }, { id: 'ops', format: 'slack', url: 'https://h.example.com/' }], rules: [{ id: 'e', kind: 'budget_exhausted', webhooks: ['nope'], scope: { workspaces: ['initech'], campaigns: ['other:1'] } }, { id: 'e', kind: 'budget_exhausted' }] })).toEqual([
      'alerts.webhooks[1].id: duplicate webhook id "ops"',
      'alerts.rules[0].webhooks[0]: unknown webhook "nope"',
      'alerts.rules[0].scope.workspaces[0]: unknown workspace "initech"',
      'alerts.rules[0].scope.campaigns[0]: expected a campaign key <connection>:<vendor id> of a configured connection',
      'alerts.rules[1].id: duplicate rule id "e"',
    ]);
    expect(problems({ rules: [{ id: 'x', kind: 'budget_exhausted' }] })).toEqual(['alerts.webhooks: needs at least 1 entry: rules have nowhere to send notifications']);
    expect(found.join('\n')).not.toContain('canary-hook-secret');
  });
});
