/**
 * `outreach-gateway probe`: the first thing to run with real keys. For each configured connection
 * it makes the provider's cheapest real calls (the campaign list; Seleqt's one dashboard call) and
 * says whether the key was accepted (and why not), whether the host answers JSON (for Seleqt, which
 * of its two hosts does), how many campaigns the account lists, the warnings, the rate-limit
 * headers the vendor sent and the time taken. Kakiyo charges a credit per call: it is probed only
 * with `spendCredits`, otherwise the report says what the probe would cost.
 *
 * Keys never reach the output: every line is passed through the config's secret redaction.
 */
import type { GatewayConfig, ResolvedConnection } from './config';
import { isProviderError, redactSecrets } from './errors';
import { createHttpClient } from './http/client';
import { PROVIDER_FACTORIES } from './providers/registry';
import { providerConnectionOf } from './gateway/connection';
import type { ProbeResult } from './providers/types';
import { AccountLimiter } from './ratelimit/limiter';

/** Seleqt's two contested hosts (VENDORS.md 7): when one serves HTML or a redirect, the other is tried. */
export const SELEQT_HOSTS: readonly string[] = ['https://api.seleqt.ai', 'https://app.seleqt.ai'];

export type ProbeOutcome = 'ok' | 'failed' | 'skipped';

export interface ConnectionProbe {
  connection: string;
  provider: string;
  baseUrl: string;
  outcome: ProbeOutcome;
  /** One line: what worked, or the error code and the vendor's reason. */
  summary: string;
  campaigns?: number;
  calls: number;
  ms: number;
  warnings: string[];
  /** Rate-limit headers seen on the vendor's answers (`x-ratelimit-remaining=99`), last value of each. */
  rateLimitHeaders: Record<string, string>;
  /** Set when another host than the configured one answered JSON (Seleqt). */
  workingBaseUrl?: string;
}

export interface ProbeOptions {
  /** Probe only this connection id. */
  connectionId?: string | undefined;
  /** Kakiyo: spend the credits the list walk costs. */
  spendCredits: boolean;
  /** The other host to try for Seleqt (tests point this at a second simulator). */
  alternateHosts?: (connection: ResolvedConnection) => readonly string[];
  now?: () => number;
}

function defaultAlternates(connection: ResolvedConnection): readonly string[] {
  if (connection.provider !== 'seleqt') return [];
  const configured = connection.settings.baseUrl.replace(/\/+$/, '');
  return SELEQT_HOSTS.includes(configured) ? SELEQT_HOSTS.filter((host) => host !== configured) : [];
}

interface Attempt {
  result?: ProbeResult;
  error?: unknown;
  calls: number;
  headers: Record<string, string>;
}

async function attempt(connection: ResolvedConnection, baseUrl: string): Promise<Attempt> {
  const provider = PROVIDER_FACTORIES[connection.provider]();
  const { settings } = connection;
  const headers: Record<string, string> = {};
  let calls = 0;
  const http = createHttpClient({
    provider: connection.provider,
    baseUrl,
    timeoutMs: settings.timeoutMs,
    maxResponseBytes: settings.maxResponseBytes,
    // One retry for a blip; a probe should answer in seconds, not walk the retry ladder.
    retry: { maxAttempts: Math.min(2, settings.maxAttempts) },
    secrets: [connection.apiKey],
    gate: new AccountLimiter({
      provider: connection.provider,
      requestsPerSecond: settings.requestsPerSecond,
      burst: settings.burst,
      concurrency: settings.concurrency,
    }),
    observer: (event) => {
      calls += 1;
      Object.assign(headers, event.rateLimitHeaders);
    },
  });
  try {
    return { result: await provider.probe(providerConnectionOf(connection), http), calls, headers };
  } catch (error) {
    return { error, calls, headers };
  }
}

function describeError(error: unknown): { code: string; text: string } {
  if (isProviderError(error)) {
    const status = error.status === undefined ? '' : ` (HTTP ${error.status})`;
    return { code: error.code, text: `${error.code}${status}: ${error.message}` };
  }
  return { code: 'error', text: error instanceof Error ? error.message : String(error) };
}

/** What probing a Kakiyo connection would cost, said instead of doing it. */
function kakiyoCost(connection: ResolvedConnection): ConnectionProbe {
  return {
    connection: connection.id,
    provider: connection.provider,
    baseUrl: connection.settings.baseUrl,
    outcome: 'skipped',
    summary: 'not called: Kakiyo charges a credit per call; the probe walks the campaign list, 1 call per 20 campaigns (at least 1). Run again with --yes-spend-credits',
    calls: 0,
    ms: 0,
    warnings: [],
    rateLimitHeaders: {},
  };
}

export async function probeConnection(connection: ResolvedConnection, options: ProbeOptions): Promise<ConnectionProbe> {
  if (connection.provider === 'kakiyo' && !options.spendCredits) return kakiyoCost(connection);
  const now = options.now ?? Date.now;
  const started = now();
  const base = { connection: connection.id, provider: connection.provider, baseUrl: connection.settings.baseUrl };
  const first = await attempt(connection, connection.settings.baseUrl);
  let calls = first.calls;
  if (first.result) {
    const { result } = first;
    return {
      ...base,
      outcome: 'ok',
      summary: `key accepted, JSON answers; ${result.campaigns} campaign(s) in ${result.calls} call(s)`,
      campaigns: result.campaigns,
      calls,
      ms: Math.round(now() - started),
      warnings: result.warnings.map((warning) => `${warning.code}: ${warning.message}`),
      rateLimitHeaders: first.headers,
    };
  }
  const failure = describeError(first.error);
  const probe: ConnectionProbe = { ...base, outcome: 'failed', summary: failure.text, calls, ms: 0, warnings: [], rateLimitHeaders: first.headers };
  if (failure.code === 'wrong_host') {
    for (const host of (options.alternateHosts ?? defaultAlternates)(connection)) {
      const other = await attempt(connection, host);
      calls += other.calls;
      if (other.result) {
        probe.workingBaseUrl = host;
        probe.campaigns = other.result.campaigns;
        probe.summary = `${failure.text}; ${host} answers JSON with this key (${other.result.campaigns} campaign(s)): set baseUrl to ${host}`;
        break;
      }
      probe.summary = `${failure.text}; ${host} did not work either: ${describeError(other.error).text}`;
    }
  }
  probe.calls = calls;
  probe.ms = Math.round(now() - started);
  return probe;
}

/** Probes every connection (or the one asked for), one after another. */
export async function probeAll(config: GatewayConfig, options: ProbeOptions): Promise<ConnectionProbe[]> {
  const connections = options.connectionId === undefined ? config.connections : config.connections.filter((c) => c.id === options.connectionId);
  const results: ConnectionProbe[] = [];
  for (const connection of connections) results.push(await probeConnection(connection, options));
  return results;
}

/** The report as text lines, keys removed. */
export function formatProbes(probes: readonly ConnectionProbe[], secrets: readonly string[]): string[] {
  const lines: string[] = [];
  for (const probe of probes) {
    lines.push(`${probe.connection} (${probe.provider}, ${probe.baseUrl})`);
    lines.push(`  ${probe.outcome}: ${probe.summary}`);
    if (probe.outcome !== 'skipped') lines.push(`  calls ${probe.calls}, ${probe.ms} ms`);
    const headers = Object.entries(probe.rateLimitHeaders);
    if (headers.length > 0) lines.push(`  rate-limit headers: ${headers.map(([name, value]) => `${name}=${value}`).join(', ')}`);
    for (const warning of probe.warnings) lines.push(`  warning ${warning}`);
  }
  const failed = probes.filter((probe) => probe.outcome === 'failed').length;
  const skipped = probes.filter((probe) => probe.outcome === 'skipped').length;
  lines.push(`${probes.length - failed - skipped} ok, ${failed} failed, ${skipped} skipped`);
  return lines.map((line) => redactSecrets(line, secrets));
}
