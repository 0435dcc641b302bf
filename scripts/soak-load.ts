/**
 * The soak's load generator, run as its own process (scripts/soak.ts spawns it) so that the
 * gateway's event loop is not also the load's. Open loop: one request every 1/rate seconds,
 * whatever the answers do, from a fixed mix of queries; at most `MAX_IN_FLIGHT` outstanding
 * (more are counted as dropped, never queued). At the end it prints one JSON line: counts by
 * status, latency percentiles, 5xx answers (and whether any source in them was healthy), transport
 * errors, and how many answers contained a secret.
 *
 * Input comes from the environment, not argv, so nothing secret shows in a process list:
 * SOAK_URL, SOAK_KEY, SOAK_SECRETS (JSON array), SOAK_RATE, SOAK_DURATION_MS, SOAK_TIMEOUT_MS.
 */
import { Agent, get } from 'node:http';
import { mulberry32 } from '../src/simulator/random';

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadSummary {
  requests: number;
  byStatus: Record<string, number>;
  latencyMs: Percentiles;
  /** The same for the refresh=true share of the mix alone (every one of them calls the vendors). */
  refreshLatencyMs: Percentiles;
  /** And for the rest (served from the cache, or stale while it revalidates). */
  cachedLatencyMs: Percentiles;
  fiveXx: number;
  /** 5xx answers in which at least one source was ok or stale (the gateway had something to say). */
  fiveXxWithHealthySource: number;
  /** Connection failures and answers that did not arrive within SOAK_TIMEOUT_MS. */
  transportErrors: number;
  dropped: number;
  secretsInAnswers: number;
  elapsedMs: number;
}

/** The query mix: [weight, path]. Every path is warmed up by the soak before the faults start. */
export const LOAD_MIX: readonly (readonly [number, string])[] = [
  [40, '/v1/campaigns/analytics'],
  [15, '/v1/campaigns/analytics?workspace_id=ALL'],
  [10, '/v1/campaigns/analytics?workspace_id=globex&providers=instantly,sendkit'],
  [5, '/v1/campaigns/analytics?start_date=2026-01-01&end_date=2026-01-31'],
  [5, '/v1/campaigns/analytics?start_date=2026-02-01&end_date=2026-02-28&status=active,paused'],
  [5, '/v1/campaigns/analytics?workspace_id=globex&include=steps,daily'],
  [5, '/v1/campaigns/analytics?status=active'],
  // Cache bypass: the vendors are called again (coalesced, rate limited, stale on failure).
  [10, '/v1/campaigns/analytics?refresh=true'],
  [5, '/v1/campaigns/analytics?workspace_id=ALL&refresh=true'],
];

const MAX_IN_FLIGHT = 256;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: Math.round(percentile(sorted, 50)),
    p90: Math.round(percentile(sorted, 90)),
    p99: Math.round(percentile(sorted, 99)),
    max: Math.round(sorted[sorted.length - 1] ?? 0),
  };
}

/** True when a 5xx body is the analytics envelope with at least one source ok or stale. */
function hasHealthySource(text: string): boolean {
  try {
    const body: unknown = JSON.parse(text);
    if (body === null || typeof body !== 'object' || !('sources' in body) || !Array.isArray(body.sources)) return false;
    return body.sources.some((source: unknown) => source !== null && typeof source === 'object' && 'status' in source && (source.status === 'ok' || source.status === 'stale'));
  } catch {
    return false;
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

export async function runLoad(): Promise<LoadSummary> {
  const base = required('SOAK_URL');
  const key = required('SOAK_KEY');
  const secretsValue: unknown = JSON.parse(required('SOAK_SECRETS'));
  const secrets = Array.isArray(secretsValue) ? secretsValue.filter((s): s is string => typeof s === 'string' && s.length > 3) : [];
  const rate = Number(required('SOAK_RATE'));
  const durationMs = Number(required('SOAK_DURATION_MS'));
  const timeoutMs = Number(required('SOAK_TIMEOUT_MS'));
  if (!(rate > 0) || !(durationMs > 0) || !(timeoutMs > 0)) throw new Error('SOAK_RATE, SOAK_DURATION_MS and SOAK_TIMEOUT_MS must be positive numbers');

  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const random = mulberry32(20261125);
  const totalWeight = LOAD_MIX.reduce((sum, [weight]) => sum + weight, 0);
  const pick = (): string => {
    let draw = random() * totalWeight;
    for (const [weight, path] of LOAD_MIX) {
      draw -= weight;
      if (draw < 0) return path;
    }
    return LOAD_MIX[0]?.[1] ?? '/v1/campaigns/analytics';
  };

  const summary: LoadSummary = {
    requests: 0,
    byStatus: {},
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
    refreshLatencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
    cachedLatencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
    fiveXx: 0,
    fiveXxWithHealthySource: 0,
    transportErrors: 0,
    dropped: 0,
    secretsInAnswers: 0,
    elapsedMs: 0,
  };
  const latencies: number[] = [];
  const refreshLatencies: number[] = [];
  const cachedLatencies: number[] = [];
  let inFlight = 0;
  const pending = new Set<Promise<void>>();

  const send = (path: string): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      let settled = false;
      const finish = (status: string, text: string): void => {
        if (settled) return;
        settled = true;
        const ms = performance.now() - started;
        latencies.push(ms);
        (path.includes('refresh=true') ? refreshLatencies : cachedLatencies).push(ms);
        summary.requests += 1;
        summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
        const code = Number(status);
        if (code >= 500) {
          summary.fiveXx += 1;
          if (hasHealthySource(text)) summary.fiveXxWithHealthySource += 1;
        }
        if (secrets.some((secret) => text.includes(secret))) summary.secretsInAnswers += 1;
        resolve();
      };
      const req = get(`${base}${path}`, { agent, headers: { 'X-API-Key': key } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish(String(res.statusCode ?? 0), Buffer.concat(chunks).toString('utf8') + JSON.stringify(res.headers)));
        res.on('error', () => {
          summary.transportErrors += 1;
          finish('transport_error', '');
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        summary.transportErrors += 1;
        finish('transport_error', '');
      });
    });

  const started = performance.now();
  const intervalMs = 1000 / rate;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - started;
      if (elapsed >= durationMs) return resolve();
      // Catch up on ticks the timer was late for, so the rate holds under load.
      const due = Math.floor(elapsed / intervalMs) + 1;
      while (sent < due) {
        sent += 1;
        if (inFlight >= MAX_IN_FLIGHT) {
          summary.dropped += 1;
          continue;
        }
        inFlight += 1;
        const request = send(pick()).finally(() => {
          inFlight -= 1;
          pending.delete(request);
        });
        pending.add(request);
      }
      setTimeout(tick, Math.max(1, intervalMs / 2));
    };
    tick();
  });
  await Promise.all([...pending]);
  agent.destroy();

  summary.latencyMs = percentiles(latencies);
  summary.refreshLatencyMs = percentiles(refreshLatencies);
  summary.cachedLatencyMs = percentiles(cachedLatencies);
  summary.elapsedMs = Math.round(performance.now() - started);
  return summary;
}

if (require.main === module) {
  runLoad().then(
    (summary) => process.stdout.write(`${JSON.stringify(summary)}\n`),
    (error: unknown) => {
      process.stderr.write(`soak-load: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
