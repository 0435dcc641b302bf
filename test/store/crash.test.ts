/**
 * SIGKILL during a snapshot write: a child process writes 1,500-campaign walks to the embedded
 * store, one day after another, and is killed mid-stream. Reopened, the store holds every day the
 * child reported committed, each whole (1,500 rows), and no partial day.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { HistoryStore } from '../../src/store';

const dir = mkdtempSync(path.join(os.tmpdir(), 'og-crash-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('a walk being written when the process is killed is either whole or absent; committed walks survive', async () => {
  const child = spawn(process.execPath, ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '-r', 'ts-node/register/transpile-only', path.join(__dirname, 'crash-writer.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const committed: number[] = [];
  let output = '';
  const killedAfterThree = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const match of output.matchAll(/committed (\d+)\n/g)) if (!committed.includes(Number(match[1]))) committed.push(Number(match[1]));
      // Killed while the fourth walk is being written (it starts right after the third commits).
      if (committed.length >= 3 && child.exitCode === null && !child.killed) {
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 40);
      }
    });
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code ?? signal ?? '?'}`))));
  });
  await killedAfterThree;
  await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

  const store = new HistoryStore({ dir, retentionDays: 3650, logger: createLogger({ silent: true }) });
  await store.start();
  try {
    expect(store.up).toBe(true);
    const days = await store.database().query<{ day: string; n: number }>("select to_char(day, 'YYYY-MM-DD') as day, count(*)::int as n from campaign_snapshots group by day order by day");
    // Every day reported committed is there, whole; a day the kill interrupted is whole or absent.
    expect(days.length).toBeGreaterThanOrEqual(committed.length);
    for (const row of days) expect({ day: row.day, rows: row.n }).toEqual({ day: row.day, rows: 1500 });
  } finally {
    await store.close();
  }
}, 120_000);

test('a second process on the same data directory is refused with a clear reason (the store runs degraded), and a dead owner\'s lock is taken over', async () => {
  const shared = mkdtempSync(path.join(os.tmpdir(), 'og-lock-'));
  const child = spawn(process.execPath, ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '-r', 'ts-node/register/transpile-only', path.join(__dirname, 'crash-writer.ts'), shared], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited: ${code ?? '?'}`)));
    });
    const second = new HistoryStore({ dir: shared, retentionDays: 3650, logger: createLogger({ silent: true }), retryMs: 60_000 });
    await second.start();
    expect(second.up).toBe(false);
    expect(second.lastError).toMatch(/in use by process \d+: one process per embedded store/);
    await second.close();
  } finally {
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  }
  const after = new HistoryStore({ dir: shared, retentionDays: 3650, logger: createLogger({ silent: true }) });
  await after.start();
  expect(after.up).toBe(true);
  await after.close();
  rmSync(shared, { recursive: true, force: true });
}, 120_000);
