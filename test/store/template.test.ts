/**
 * The embedded store's first open in an empty directory copies a pristine cluster (made once per
 * PGlite version under the temporary directory) instead of running initdb; a damaged template is
 * not fatal: the directory is emptied and PGlite makes its own cluster, and the store works.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSql, pgliteTemplateDir } from '../../src/store/sql';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'og-template-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function roundTrip(dir: string): Promise<void> {
  const sql = await openSql({ dir });
  try {
    await sql.query('create table t (n int)');
    await sql.query('insert into t values ($1)', [7]);
    expect(await sql.query('select n from t')).toEqual([{ n: 7 }]);
  } finally {
    await sql.close();
  }
  // Reopened from its own files.
  const again = await openSql({ dir });
  try {
    expect(await again.query('select n from t')).toEqual([{ n: 7 }]);
  } finally {
    await again.close();
  }
}

test('an empty directory gets a copy of the pristine cluster, made when missing', async () => {
  const template = pgliteTemplateDir();
  rmSync(template, { recursive: true, force: true });
  await roundTrip(path.join(tmp, 'a'));
  expect(existsSync(path.join(template, 'PG_VERSION'))).toBe(true);
  // The copy is the store's own: the template has no trace of its table.
  const copy = await openSql({ dir: path.join(tmp, 'b') });
  try {
    expect(await copy.query("select count(*)::int as n from pg_tables where tablename = 't'")).toEqual([{ n: 0 }]);
  } finally {
    await copy.close();
  }
}, 120_000);

test('a damaged template is not fatal: the store makes its own cluster, and the next open makes a new template', async () => {
  const template = pgliteTemplateDir();
  expect(existsSync(template)).toBe(true);
  // A tmp cleaner took the catalog's files away.
  rmSync(path.join(template, 'global'), { recursive: true, force: true });
  writeFileSync(path.join(template, 'PG_VERSION'), 'not a version\n');
  await roundTrip(path.join(tmp, 'c'));
  await roundTrip(path.join(tmp, 'd'));
  expect(existsSync(path.join(template, 'global'))).toBe(true);
}, 120_000);
