/**
 * Runs the four vendor simulators with the demo accounts on fixed loopback ports:
 * `SIMULATOR_BASE_PORT` (default 4100) + 1..4 for Instantly, SendKit, Kakiyo and Seleqt.
 * Prints each origin and the demo keys; stops cleanly on SIGINT/SIGTERM.
 *
 *   node -r ts-node/register/transpile-only src/simulator/main.ts
 */
import { PROVIDER_IDS, type ProviderId } from '../schema/campaign';
import { DEMO_ACCOUNTS, demoSimulatorOptions } from './demo-accounts';
import { closeSimulators, startSimulators } from './index';
import type { SimulatorOptions } from './types';

export const DEFAULT_BASE_PORT = 4100;

/** The base port from the environment; the four simulators use base+1..base+4. */
export function basePortFrom(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_BASE_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65531) {
    throw new Error(`SIMULATOR_BASE_PORT must be an integer between 1 and 65531, got ${value}`);
  }
  return port;
}

/** Starts the demo simulators, prints their origins and keys; resolves with a stop function. */
export async function runSimulators(
  options: Readonly<Record<ProviderId, SimulatorOptions>>,
  write: (line: string) => void,
): Promise<() => Promise<void>> {
  const simulators = await startSimulators(options);
  write('Vendor simulators (demo data, loopback only):');
  for (const provider of PROVIDER_IDS) {
    write(`  ${provider.padEnd(9)} ${simulators[provider].url}`);
    for (const account of DEMO_ACCOUNTS[provider]) {
      const workspace = account.vendorWorkspaceId === undefined ? '' : `  vendor workspace ${account.vendorWorkspaceId}`;
      write(`    ${account.workspace.padEnd(7)} key ${account.apiKey}${workspace}  (${account.campaigns} campaigns)`);
    }
  }
  return () => closeSimulators(simulators);
}

async function main(): Promise<void> {
  const write = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const stop = await runSimulators(demoSimulatorOptions(basePortFrom(process.env.SIMULATOR_BASE_PORT)), write);
  write('Press Ctrl+C to stop.');
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    write(`${signal}: stopping the simulators`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`failed to stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`simulators failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
