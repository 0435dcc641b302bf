/**
 * `npm run bench`: every scenario of DESIGN.md section 7, a table (scenario, measured, baseline,
 * ratio, target, pass) on stdout and `bench/results.json`. Exits 1 when a target is missed.
 *
 *   npm run bench                     all scenarios, full size (a few minutes)
 *   npm run bench -- --smoke          seconds, small sizes, no target asserted (CI keeps it from rotting)
 *   npm run bench -- --only 1,5       some scenarios (ids as in the table: 1 cache hit, 2 cold fan-out,
 *                                     3 coalescing, 4 rate-limited walk, 5 big tenant, 6 cache bound, 7 two instances,
 *                                     8 big agency, 9 history query)
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, Scenario } from './lib/context';
import { REPO_ROOT, RESULTS_FILE, linkWebAssets } from './lib/paths';
import { startWorker } from './lib/proc';
import { machine, renderTable, type Row } from './lib/report';
import { bigAgency } from './scenarios/big-agency';
import { bigTenant } from './scenarios/big-tenant';
import { cacheBound } from './scenarios/cache-bound';
import { cacheHit } from './scenarios/cache-hit';
import { coalescing } from './scenarios/coalescing';
import { coldFanout } from './scenarios/cold-fanout';
import { history } from './scenarios/history';
import { rateLimitedWalk } from './scenarios/rate-limited';
import { twoInstances } from './scenarios/two-instances';

const SCENARIOS: readonly { id: string; name: string; run: Scenario; available?: () => boolean }[] = [
  { id: '1', name: 'cache-hit throughput and steady RSS', run: cacheHit },
  { id: '2', name: 'cold fan-out latency', run: coldFanout },
  { id: '3', name: 'coalescing of 1,000 concurrent cold requests', run: coalescing },
  { id: '4', name: 'rate-limited walk', run: rateLimitedWalk },
  { id: '5', name: 'big tenant parse + validate + map', run: bigTenant },
  { id: '6', name: 'cache byte bound under distinct queries', run: cacheBound },
  { id: '7', name: 'two instances (bench/two-instances.ts)', run: twoInstances, available: () => existsSync(join(REPO_ROOT, 'bench', 'two-instances.ts')) },
  { id: '8', name: 'big agency: 200 workspaces x 4 vendors (bench/scenarios/big-agency.ts)', run: bigAgency },
  { id: '9', name: 'history query over 200 connections × 90 days (embedded store and PostgreSQL)', run: history },
];

function parseArgs(argv: readonly string[]): { smoke: boolean; only: Set<string> | undefined } {
  let smoke = false;
  let only: Set<string> | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--smoke') smoke = true;
    else if (arg === '--only') only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg.startsWith('--only=')) only = new Set(arg.slice('--only='.length).split(',').filter(Boolean));
    else throw new Error(`unknown argument ${arg} (use --smoke, --only 1,2)`);
  }
  return { smoke, only };
}

async function main(): Promise<number> {
  const { smoke, only } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const host = machine();
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  log(`Outreach Gateway benchmarks${smoke ? ' (smoke: small sizes, no targets asserted)' : ''}`);
  log(`machine: ${host.cores} cores (${host.cpu}), ${host.memoryGb} GB, Node ${host.node}, ${host.platform}`);

  linkWebAssets();
  const load = startWorker('load');
  const context: BenchContext = { smoke, load, log };
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const errors: { scenario: string; error: string }[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (only && !only.has(scenario.id)) continue;
      if (scenario.available && !scenario.available()) {
        log(`\n[${scenario.id}] ${scenario.name}: not present, skipped`);
        continue;
      }
      log(`\n[${scenario.id}] ${scenario.name}`);
      const t0 = Date.now();
      try {
        const outcome = await scenario.run(context);
        rows.push(...outcome.rows);
        details[scenario.id] = outcome.details ?? {};
        for (const row of outcome.rows) log(`  ${row.id} ${row.scenario}: ${row.measured} vs ${row.baseline}${row.pass === false ? '  (target missed)' : ''}`);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        errors.push({ scenario: scenario.id, error: message });
        log(`  FAILED: ${message}`);
      }
      log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await load.stop();
  }

  const seconds = (Date.now() - started) / 1000;
  log(`\n${renderTable(rows)}\n`);
  log(`${rows.length} rows in ${seconds.toFixed(0)} s on ${host.cores} cores, Node ${host.node}.`);
  const file = RESULTS_FILE;
  writeFileSync(file, `${JSON.stringify({ mode: smoke ? 'smoke' : 'full', startedAt: new Date(started).toISOString(), seconds, machine: host, rows, errors, details }, null, 2)}\n`);
  log(`results: ${file}`);

  const missed = rows.filter((row) => row.pass === false);
  if (errors.length > 0) log(`${errors.length} scenario(s) failed to run: ${errors.map((e) => e.scenario).join(', ')}`);
  if (smoke) return errors.length > 0 ? 1 : 0;
  if (missed.length > 0) log(`targets missed: ${missed.map((row) => row.id).join(', ')}`);
  return errors.length > 0 || missed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
