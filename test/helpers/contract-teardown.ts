/**
 * Jest global teardown: prints how many responses were validated against /openapi.json, per status
 * and media type. With OUTREACH_CONTRACT_REQUIRE (a comma-separated list of statuses, set by
 * `npm test` for the whole suite), the run fails when one of those statuses was never validated:
 * the check would otherwise go blind without anyone noticing.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT_DIR_ENV } from './contract';

export default function teardown(): void {
  const dir = process.env[CONTRACT_DIR_ENV];
  if (dir === undefined) return;
  const totals: Record<string, number> = {};
  for (const file of readdirSync(dir)) {
    const counts = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, number>;
    for (const [key, count] of Object.entries(counts)) totals[key] = (totals[key] ?? 0) + count;
  }
  rmSync(dir, { recursive: true, force: true });
  const total = Object.values(totals).reduce((a, b) => a + b, 0);
  const byStatus: Record<string, number> = {};
  for (const [key, count] of Object.entries(totals)) byStatus[key.split(' ')[0] ?? key] = (byStatus[key.split(' ')[0] ?? key] ?? 0) + count;
  const detail = Object.entries(totals)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => `${key.replace(' -', '')}: ${count}`)
    .join(', ');
  process.stdout.write(`\nresponse contract: ${total} responses validated against /openapi.json (${detail})\n`);
  const required = (process.env.OUTREACH_CONTRACT_REQUIRE ?? '').split(',').filter((s) => s !== '');
  const missing = required.filter((status) => (byStatus[status] ?? 0) === 0);
  if (missing.length > 0) throw new Error(`response contract: no ${missing.join(', ')} response was validated; the contract check is not reaching them`);
}
