/**
 * Evaluation of the rules against what the gateway knows now: the cached whole walk of each
 * connection (threshold), the history store's weekly growth (weekly_change), each connection's
 * health (source_failing) and the scheduler's hold on it (budget_exhausted). Each rule yields the
 * subjects whose condition holds, and which active alerts it has looked at (`covers`): an active
 * alert it covers whose condition no longer holds is cleared; one it could not look at (no data for
 * that connection yet, the store down) is left as it is. Unknown is never taken for cleared.
 */
import type { HistoryQuery, HistoryResult } from '../store';
import { periodStart } from '../store/history';
import type { CampaignAnalytics, ProviderId } from '../schema/campaign';
import { formatValue, holds, valueOf, valueOver, type CompiledRule } from './rules';
import type { Alert } from './schema';

/** One connection as the evaluation sees it. */
export interface ConnectionView {
  id: string;
  workspace: string;
  provider: ProviderId;
  /** The cached whole walk (every campaign, as of its fetch); undefined before the first one. */
  records: readonly CampaignAnalytics[] | undefined;
  lastSuccessAt: number | undefined;
  lastErrorAt: number | undefined;
  lastErrorCode: string | undefined;
  /** The scheduler's hold (`credit_budget`, `breaker`, null); undefined when no scheduler runs. */
  limitedBy: string | null | undefined;
}

export interface AlertInputs {
  connections(): ConnectionView[];
  /** Undefined when there is no history store. */
  history?: ((query: HistoryQuery) => Promise<HistoryResult>) | undefined;
}

/** A subject whose condition holds, as the alert it becomes. */
export type Firing = Omit<Alert, 'since'> & { since: number | undefined };

export interface RuleOutcome {
  firing: Firing[];
  /** True for an active alert of this rule the evaluation looked at. */
  covers(alert: Alert): boolean;
}

const DAY_MS = 86_400_000;
const NOTHING: RuleOutcome = { firing: [], covers: () => false };

function campaignSubject(record: CampaignAnalytics): Pick<Alert, 'subject' | 'subjectType' | 'workspace' | 'provider' | 'connection' | 'campaign' | 'name'> {
  return { subject: `campaign:${record.key}`, subjectType: 'campaign', workspace: record.workspace, provider: record.provider, connection: record.connection, campaign: record.key, name: record.name };
}

function describe(subject: Pick<Alert, 'subjectType' | 'workspace' | 'provider' | 'connection' | 'campaign' | 'name'>): string {
  if (subject.subjectType === 'campaign') return `campaign "${subject.name ?? subject.campaign ?? '?'}" (${subject.campaign ?? '?'}, ${subject.workspace} / ${subject.provider ?? '?'})`;
  if (subject.subjectType === 'connection') return `connection ${subject.connection ?? '?'} (${subject.workspace} / ${subject.provider ?? '?'})`;
  return `workspace ${subject.workspace}`;
}

function conditionText(compiled: CompiledRule): string {
  const when = compiled.rule.kind === 'weekly_change' ? `${compiled.rule.metric ?? '?'} week-over-week ${compiled.when?.text ?? ''}` : (compiled.when?.text ?? '');
  return compiled.once ? `${when} (once ${compiled.once.text})` : when;
}

function threshold(compiled: CompiledRule, connections: readonly ConnectionView[]): RuleOutcome {
  const { when, once, rule } = compiled;
  if (!when) return NOTHING;
  const per = rule.per ?? 'campaign';
  const inScope = connections.filter((c) => compiled.inWorkspace(c.workspace) && compiled.inProvider(c.provider));
  const withData = new Set(inScope.filter((c) => c.records !== undefined).map((c) => c.id));
  const firing: Firing[] = [];
  const condition = conditionText(compiled);
  const check = (records: readonly CampaignAnalytics[], subject: Pick<Alert, 'subject' | 'subjectType' | 'workspace' | 'provider' | 'connection' | 'campaign' | 'name'>): void => {
    if (records.length === 0) return;
    const { value, metrics } = valueOver(when.name, records);
    if (once && !holds(once, valueOf(once.name, metrics, null))) return;
    if (!holds(when, value)) return;
    const message = `${rule.id}: ${describe(subject)}: ${when.name} ${formatValue(when.name, value)}, ${condition}`;
    firing.push({ rule: rule.id, kind: rule.kind, ...subject, condition, value, since: undefined, message });
  };
  const scoped = (c: ConnectionView): CampaignAnalytics[] => (c.records ?? []).filter((r) => compiled.inCampaigns(r.key));
  if (per === 'campaign') {
    for (const c of inScope) for (const record of scoped(c)) check([record], campaignSubject(record));
    return { firing, covers: (alert) => alert.connection !== null && withData.has(alert.connection) };
  }
  if (per === 'connection') {
    for (const c of inScope) {
      if (c.records === undefined) continue;
      check(scoped(c), { subject: `connection:${c.id}`, subjectType: 'connection', workspace: c.workspace, provider: c.provider, connection: c.id, campaign: null, name: null });
    }
    return { firing, covers: (alert) => alert.connection !== null && withData.has(alert.connection) };
  }
  // Per workspace: only when every connection of it in scope has data (a partial sum could flip it).
  const complete = new Set<string>();
  const byWorkspace = new Map<string, ConnectionView[]>();
  for (const c of inScope) byWorkspace.set(c.workspace, [...(byWorkspace.get(c.workspace) ?? []), c]);
  for (const [workspace, list] of byWorkspace) {
    if (list.some((c) => c.records === undefined)) continue;
    complete.add(workspace);
    check(list.flatMap(scoped), { subject: `workspace:${workspace}`, subjectType: 'workspace', workspace, provider: null, connection: null, campaign: null, name: null });
  }
  return { firing, covers: (alert) => complete.has(alert.workspace) };
}

/** The last week that has ended (Monday to Sunday, UTC) against the one before it. */
export function comparedWeeks(now: number): { startDate: string; endDate: string } {
  const today = new Date(now).toISOString().slice(0, 10);
  const current = Date.parse(`${periodStart(today, 'week')}T00:00:00Z`);
  const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return { startDate: iso(current - 14 * DAY_MS), endDate: iso(current - DAY_MS) };
}

async function weeklyChange(compiled: CompiledRule, inputs: AlertInputs, connections: readonly ConnectionView[], now: number): Promise<RuleOutcome> {
  const { when, once, rule } = compiled;
  const metric = rule.metric;
  if (!when || !metric || !inputs.history) return NOTHING;
  const per = rule.per === 'workspace' ? 'workspace' : 'campaign';
  const workspaces = [...new Set(connections.map((c) => c.workspace))].filter((w) => compiled.inWorkspace(w));
  if (workspaces.length === 0) return NOTHING;
  const { startDate, endDate } = comparedWeeks(now);
  let result: HistoryResult;
  try {
    result = await inputs.history({
      workspaces,
      providers: rule.scope.providers,
      ids: rule.scope.campaigns,
      startDate,
      endDate,
      interval: 'week',
      groupBy: per,
    });
  } catch {
    return NOTHING; // the store is down: nothing is known, nothing changes
  }
  const firing: Firing[] = [];
  const condition = conditionText(compiled);
  for (const series of result.series) {
    const [before, after] = series.points;
    if (!before || !after || !before.metrics || !after.metrics) continue;
    if (once && !holds(once, valueOf(once.name, before.metrics, null))) continue;
    const a = valueOf(metric, before.metrics, before.rates);
    const b = valueOf(metric, after.metrics, after.rates);
    if (a === null || b === null || a === 0) continue;
    const change = (b - a) / a;
    if (!holds(when, change)) continue;
    const { group } = series;
    const subject =
      per === 'campaign'
        ? { subject: `campaign:${group.campaign ?? ''}`, subjectType: 'campaign' as const, workspace: group.workspace ?? '', provider: group.provider ?? null, connection: (group.campaign ?? '').split(':')[0] ?? null, campaign: group.campaign ?? null, name: group.name ?? null }
        : { subject: `workspace:${group.workspace ?? ''}`, subjectType: 'workspace' as const, workspace: group.workspace ?? '', provider: null, connection: null, campaign: null, name: null };
    const message = `${rule.id}: ${describe(subject)}: ${metric} ${formatValue(metric, a)} in the week of ${before.period} → ${formatValue(metric, b)} in the week of ${after.period} (${formatValue('change', change)}), ${condition}`;
    firing.push({ rule: rule.id, kind: rule.kind, ...subject, condition, value: change, since: undefined, message });
  }
  // The history answered: every alert of this rule in these workspaces was looked at.
  const asked = new Set(workspaces);
  return { firing, covers: (alert) => asked.has(alert.workspace) };
}

function connectionSubject(c: ConnectionView): Pick<Alert, 'subject' | 'subjectType' | 'workspace' | 'provider' | 'connection' | 'campaign' | 'name'> {
  return { subject: `connection:${c.id}`, subjectType: 'connection', workspace: c.workspace, provider: c.provider, connection: c.id, campaign: null, name: null };
}

/**
 * A connection fails from its first failed walk after a success. `failingSince` remembers that
 * instant per connection (seeded from an active alert's `since` after a restart).
 */
function sourceFailing(compiled: CompiledRule, connections: readonly ConnectionView[], now: number, failingSince: Map<string, number>): RuleOutcome {
  const minutes = compiled.rule.minutes ?? 0;
  const firing: Firing[] = [];
  const looked = new Set<string>();
  for (const c of connections) {
    if (!compiled.inWorkspace(c.workspace) || !compiled.inProvider(c.provider)) continue;
    if (c.lastErrorAt === undefined && c.lastSuccessAt === undefined) continue;
    looked.add(c.id);
    const failing = c.lastErrorAt !== undefined && (c.lastSuccessAt === undefined || c.lastErrorAt > c.lastSuccessAt);
    if (!failing) continue;
    const since = failingSince.get(c.id) ?? c.lastErrorAt ?? now;
    if (now - since < minutes * 60_000) continue;
    const subject = connectionSubject(c);
    const condition = `failing for longer than ${minutes} minutes`;
    const message = `${compiled.rule.id}: ${describe(subject)} has been failing since ${new Date(since).toISOString()} (${c.lastErrorCode ?? 'error'}), ${condition}`;
    firing.push({ rule: compiled.rule.id, kind: compiled.rule.kind, ...subject, condition, value: Math.floor((now - since) / 60_000), since, message });
  }
  return { firing, covers: (alert) => alert.connection !== null && looked.has(alert.connection) };
}

function budgetExhausted(compiled: CompiledRule, connections: readonly ConnectionView[]): RuleOutcome {
  const firing: Firing[] = [];
  const looked = new Set<string>();
  for (const c of connections) {
    if (!compiled.inWorkspace(c.workspace) || !compiled.inProvider(c.provider) || c.limitedBy === undefined) continue;
    looked.add(c.id);
    if (c.limitedBy !== 'credit_budget') continue;
    const subject = connectionSubject(c);
    const condition = "the vendor's daily credit budget is spent";
    const message = `${compiled.rule.id}: ${describe(subject)}: scheduled refreshes are held until the next UTC day (${condition})`;
    firing.push({ rule: compiled.rule.id, kind: compiled.rule.kind, ...subject, condition, value: null, since: undefined, message });
  }
  return { firing, covers: (alert) => alert.connection !== null && looked.has(alert.connection) };
}

/** Evaluates one rule. `failingSince` is the source_failing memory (updated here). */
export async function evaluateRule(compiled: CompiledRule, inputs: AlertInputs, connections: readonly ConnectionView[], now: number, failingSince: Map<string, number>): Promise<RuleOutcome> {
  switch (compiled.rule.kind) {
    case 'threshold':
      return threshold(compiled, connections);
    case 'weekly_change':
      return weeklyChange(compiled, inputs, connections, now);
    case 'source_failing':
      return sourceFailing(compiled, connections, now, failingSince);
    default:
      return budgetExhausted(compiled, connections);
  }
}

/** Keeps `failingSince` up to date: the first failure after a success, forgotten on the next success. */
export function trackFailures(connections: readonly ConnectionView[], failingSince: Map<string, number>): void {
  for (const c of connections) {
    const failing = c.lastErrorAt !== undefined && (c.lastSuccessAt === undefined || c.lastErrorAt > c.lastSuccessAt);
    if (!failing) failingSince.delete(c.id);
    else if (!failingSince.has(c.id) && c.lastErrorAt !== undefined) failingSince.set(c.id, c.lastErrorAt);
  }
}
