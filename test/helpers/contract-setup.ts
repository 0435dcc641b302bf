/**
 * Jest global setup: a fresh directory where each worker writes how many responses the contract
 * check (test/helpers/contract.ts) validated, read back by the global teardown.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTRACT_DIR_ENV } from './contract';

export default function setup(): void {
  process.env[CONTRACT_DIR_ENV] = mkdtempSync(path.join(os.tmpdir(), 'outreach-contract-'));
}
