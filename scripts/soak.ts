/**
 * `npm run soak -- --minutes N [--rate R]`: the gateway under steady load while its vendors misbehave.
 *
 * - The demo's four vendor simulators (the demo accounts, the vendors' own rate limits) with faults
 *   switched on after warm-up: 20 % of calls answer 5xx, 5 % never answer, a 429 burst every
 *   tenth of the run (a different vendor each time), and one vendor (SendKit) down for a minute
 *   (a fifth of the run when that is shorter), starting at 40 % of the run.
 * - The gateway in this process, configured as the demo (two workspaces, eight connections) with a
 *   5 s deadline and 2 s attempts; its JSON log lines are scanned for secrets as they are written.
 * - Steady open-loop load from a second process on loopback (scripts/soak-load.ts, spawned here).
 *
 * The report: requests, status counts, gateway 5xx (at every moment at least three of the four
 * vendors are up, so every 5xx counts as "5xx while a source was healthy"), p50/p99 latency against
 * the deadline, RSS after warm-up and at the end, unhandled rejections, and secrets found in logs,
 * answers and /metrics. Exit code 1 when any bound is broken.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import type { GatewayConfig, ResolvedConnection } from '../src/config';
import { demoConfig } from '../src/demo';
import { PROVIDER_IDS, type ProviderId } from '../src/schema/campaign';
import { createService } from '../src/service';
import { DEMO_ACCOUNTS, closeSimulators, demoSimulatorOptions, startSimulators } from '../src/simulator';
import { LOAD_MIX, type LoadSummary } from './soak-load';

const DEADLINE_MS = 5000;
const ATTEMPT_TIMEOUT_MS = 2000;
/** Allowed RSS growth from the end of warm-up to the end of the run. */
const MAX_RSS_GROWTH_BYTES = 96 * 1024 * 1024;
/** p99 may pass the deadline by this much (the answer still has to be written). */
const P99_SLACK_MS = 500;
const DOWN_VENDOR: ProviderId = 'sendkit';

interface Options {
  minutes: number;
  rate: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { minutes: 10, rate: 20 };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = Number(argv[i + 1]);
    if (arg === '--minutes' || arg === '--rate') {
      if (!(value > 0)) throw new Error(`${arg} needs a positive number`);
      if (arg === '--minutes') options.minutes = value;
      else options.rate = value;
      i += 1;
    } else {
      throw new Error(`unknown argument ${String(arg)} (usage: soak.ts --minutes N [--rate R])`);
    }
  }
  return options;
}

/** The demo config with soak timings and no inbound limit (the load is the point). */
function soakConfig(base: GatewayConfig): GatewayConfig {
  const patch = (connection: ResolvedConnection): ResolvedConnection => ({ ...connection, settings: { ...connection.settings, timeoutMs: ATTEMPT_TIMEOUT_MS } });
  const workspaces = base.workspaces.map((workspace) => ({ ...workspace, connections: workspace.connections.map(patch) }));
  return {
    ...base,
    server: { ...base.server, deadlineMs: DEADLINE_MS },
    clients: base.clients.map((client) => ({ ...client, requestsPerMinute: 1_000_000 })),
    workspaces,
    connections: workspaces.flatMap((workspace) => workspace.connections),
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function collectGarbage(): void {
  // Exposed by `node --expose-gc` (the npm script): RSS is then compared after a full collection.
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

async function fetchText(url: string, key: string | undefined): Promise<{ status: number; text: string }> {
  const res = await fetch(url, key === undefined ? {} : { headers: { 'X-API-Key': key } });
  return { status: res.status, text: await res.text() };
}

function runLoadProcess(env: Record<string, string>): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'soak-load.ts')], {
      env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') return reject(new Error(`the load process exited with ${String(code)}`));
      resolve(JSON.parse(line) as LoadSummary);
    });
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const durationMs = Math.round(options.minutes * 60_000);
  let unhandledRejections = 0;
  let uncaughtExceptions = 0;
  process.on('unhandledRejection', () => (unhandledRejections += 1));
  process.on('uncaughtException', () => (uncaughtExceptions += 1));

  const simulators = await startSimulators(demoSimulatorOptions());
  const clientKey = `soak-${randomBytes(12).toString('hex')}`;
  const secrets = [clientKey, ...PROVIDER_IDS.flatMap((provider) => DEMO_ACCOUNTS[provider].map((account) => account.apiKey))];
  let logLines = 0;
  let errorLines = 0;
  let secretsInLogs = 0;
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    logLines += 1;
    if (text.includes('"level":"error"')) errorLines += 1;
    if (secrets.some((secret) => text.includes(secret))) secretsInLogs += 1;
  });
  // No history store: the soak measures the serving path (createService opens one only with `history`).
  const service = createService(soakConfig(demoConfig(simulators, clientKey, 0, tmpdir())), { logStream, extraSecrets: [clientKey] });
  const url = await service.listen(0, '127.0.0.1');
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`soak: ${options.minutes} min at ${options.rate} req/s against ${url} (deadline ${DEADLINE_MS} ms)`);

  // Warm-up: every query of the mix once, healthy vendors, so the cache has what stale-if-error
  // serves (a refresh=true query shares its entry with the same query without it).
  const warmStarted = performance.now();
  for (const [, path] of LOAD_MIX) {
    if (path.includes('refresh=true')) continue;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const res = await fetchText(`${url}${path}`, clientKey);
      if (res.status === 200 && res.text.includes('"complete":true')) break;
    }
  }
  out(`soak: warm-up took ${((performance.now() - warmStarted) / 1000).toFixed(1)} s`);
  collectGarbage();
  const rssStart = process.memoryUsage().rss;
  let rssMax = rssStart;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 2000);

  // Faults on.
  for (const provider of PROVIDER_IDS) simulators[provider].setFaults({ errorRate: 0.2, timeoutRate: 0.05 });
  const timers: NodeJS.Timeout[] = [];
  const burstEveryMs = Math.max(5000, Math.round(durationMs / 10));
  let burstVendor = 0;
  timers.push(
    setInterval(() => {
      const provider = PROVIDER_IDS[burstVendor % PROVIDER_IDS.length] ?? 'instantly';
      burstVendor += 1;
      simulators[provider].setFaults({ rateLimitBurst: 10 });
    }, burstEveryMs),
  );
  const downMs = Math.min(60_000, Math.round(durationMs / 5));
  const downAt = Math.round(durationMs * 0.4);
  timers.push(setTimeout(() => simulators[DOWN_VENDOR].setFaults({ down: true }), downAt));
  timers.push(setTimeout(() => simulators[DOWN_VENDOR].setFaults({ down: false }), downAt + downMs));

  const load = await runLoadProcess({
    SOAK_URL: url,
    SOAK_KEY: clientKey,
    SOAK_SECRETS: JSON.stringify(secrets),
    SOAK_RATE: String(options.rate),
    SOAK_DURATION_MS: String(durationMs),
    SOAK_TIMEOUT_MS: String(DEADLINE_MS + 10_000),
  });
  for (const timer of timers) clearTimeout(timer);
  clearInterval(sampler);
  for (const provider of PROVIDER_IDS) simulators[provider].setFaults({ errorRate: 0, timeoutRate: 0, down: false, rateLimitBurst: 0 });

  const metrics = await fetchText(`${url}/metrics`, undefined);
  const secretsInMetrics = secrets.filter((secret) => metrics.text.includes(secret)).length;
  const vendorCalls = PROVIDER_IDS.map((provider) => `${provider} ${simulators[provider].stats().total}`).join(', ');
  collectGarbage();
  const rssEnd = process.memoryUsage().rss;
  rssMax = Math.max(rssMax, rssEnd);
  await service.close(1000);
  await closeSimulators(simulators);

  const statuses = Object.entries(load.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  const bounds: [string, boolean][] = [
    [`gateway 5xx while a source was healthy: ${load.fiveXx} (with an ok/stale source in the body: ${load.fiveXxWithHealthySource}) (bound 0)`, load.fiveXx === 0],
    [`p99 latency ${load.latencyMs.p99} ms vs deadline ${DEADLINE_MS} ms (bound ≤ ${DEADLINE_MS + P99_SLACK_MS} ms)`, load.latencyMs.p99 <= DEADLINE_MS + P99_SLACK_MS],
    [`RSS after warm-up ${mb(rssStart)}, at the end ${mb(rssEnd)}, peak ${mb(rssMax)} (bound: growth ≤ ${mb(MAX_RSS_GROWTH_BYTES)})`, rssEnd - rssStart <= MAX_RSS_GROWTH_BYTES],
    [`unhandled rejections: ${unhandledRejections}, uncaught exceptions: ${uncaughtExceptions} (bound 0)`, unhandledRejections === 0 && uncaughtExceptions === 0],
    [`secrets found: ${secretsInLogs} in ${logLines} log lines, ${load.secretsInAnswers} in answers, ${secretsInMetrics} in /metrics (bound 0)`, secretsInLogs + load.secretsInAnswers + secretsInMetrics === 0],
    [`transport errors on the load side: ${load.transportErrors}, dropped (over ${256} in flight): ${load.dropped} (bound 0)`, load.transportErrors === 0 && load.dropped === 0],
  ];
  const report = [
    '',
    `Soak report: ${options.minutes} min, ${options.rate} req/s open loop from a second process, deadline ${DEADLINE_MS} ms`,
    `  faults: 20 % 5xx and 5 % no answer at every vendor; a 429 burst (10 calls) every ${Math.round(burstEveryMs / 1000)} s; ${DOWN_VENDOR} down for ${Math.round(downMs / 1000)} s from ${Math.round(downAt / 1000)} s`,
    `  requests: ${load.requests} sent over ${(durationMs / 1000).toFixed(0)} s (${(load.requests / (durationMs / 1000)).toFixed(1)}/s), all answered by ${(load.elapsedMs / 1000).toFixed(1)} s; statuses: ${statuses}`,
    `  latency: p50 ${load.latencyMs.p50} ms, p90 ${load.latencyMs.p90} ms, p99 ${load.latencyMs.p99} ms, max ${load.latencyMs.max} ms`,
    `    refresh=true share: p50 ${load.refreshLatencyMs.p50} ms, p99 ${load.refreshLatencyMs.p99} ms; the rest: p50 ${load.cachedLatencyMs.p50} ms, p99 ${load.cachedLatencyMs.p99} ms, max ${load.cachedLatencyMs.max} ms`,
    `  vendor calls (simulators): ${vendorCalls}; gateway error-level log lines: ${errorLines}`,
    ...bounds.map(([text, ok]) => `  ${ok ? 'ok  ' : 'FAIL'} ${text}`),
    '',
    bounds.every(([, ok]) => ok) ? 'soak: every bound held' : 'soak: BOUND BROKEN',
  ];
  for (const line of report) out(line);
  return bounds.every(([, ok]) => ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
