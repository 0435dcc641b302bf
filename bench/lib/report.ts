/** Rows of the results table, small statistics, and the machine description. */
import { cpus, totalmem } from 'node:os';

export interface Row {
  /** Stable id (`1a`, `2`, …) for results.json and the README. */
  id: string;
  scenario: string;
  measured: string;
  baseline: string;
  /** measured / baseline, in the direction the target is stated; null when the row has no ratio. */
  ratio: number | null;
  target: string;
  /** null: reported, no target. */
  pass: boolean | null;
  details?: Record<string, unknown>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const fmt = {
  rps: (n: number): string => `${Math.round(n).toLocaleString('en-US')} req/s`,
  ms: (n: number): string => (n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`),
  mb: (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
  ratio: (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(2)),
};

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The table as aligned text (also valid Markdown). */
export function renderTable(rows: readonly Row[]): string {
  const header = ['#', 'scenario', 'measured', 'baseline', 'ratio', 'target', 'pass'];
  const cells = rows.map((row) => [
    row.id,
    row.scenario,
    row.measured,
    row.baseline,
    fmt.ratio(row.ratio),
    row.target,
    row.pass === null ? '—' : row.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: readonly string[]): string => `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n');
}
