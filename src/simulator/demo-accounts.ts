/**
 * The demo's vendor accounts: two workspaces ("acme" and "globex") with one account at each vendor,
 * keys in each vendor's own format. These are fixed, public demo values that only the local
 * simulators accept; the demo start-up (`npm start` without config) and `src/simulator/main.ts`
 * both use them.
 */
import type { ProviderId } from '../schema/campaign';
import type { AccountSpec, SimulatorOptions } from './types';

export const DEMO_WORKSPACES = ['acme', 'globex'] as const;
export type DemoWorkspace = (typeof DEMO_WORKSPACES)[number];

export interface DemoAccount extends AccountSpec {
  /** The gateway workspace the account belongs to in the demo config. */
  readonly workspace: DemoWorkspace;
  readonly label: string;
}

export const DEMO_ACCOUNTS: Readonly<Record<ProviderId, readonly DemoAccount[]>> = {
  // Instantly v2 keys are base64 text; sent as `Authorization: Bearer`.
  instantly: [
    { workspace: 'acme', label: 'Acme', seed: 101, campaigns: 24, apiKey: 'NWExYzBlM2QtN2IyZi00YzhlLTlhNjEtMGQzZTVmN2E5YjExOkFjbWVEZW1vSW5zdGFudGx5' },
    { workspace: 'globex', label: 'Globex', seed: 202, campaigns: 9, apiKey: 'OWUyZDRjNmItMWEzZi00ZTVkLThjN2ItMmY0YTZjOGUwZDIyOkdsb2JleERlbW9JbnN0YW50bHk=' },
  ],
  // Acme uses a workspace key (`sk_…`); Globex a platform key (`sk_user_…`) that needs X-Workspace-Id.
  sendkit: [
    {
      workspace: 'acme',
      label: 'Acme',
      seed: 103,
      campaigns: 15,
      apiKey: 'sk_demo_acme_7f3c9a1e5b2d4f60a8c1e3b5d7f9a2c4',
      vendorWorkspaceId: '65f0a1b2c3d4e5f6a7b8c9a1',
    },
    {
      workspace: 'globex',
      label: 'Globex',
      seed: 204,
      campaigns: 6,
      apiKey: 'sk_user_demo_globex_2b4d6f8a0c1e3a5b7d9f1c3e5a7b9d0f',
      vendorWorkspaceId: '65f0a1b2c3d4e5f6a7b8c9d0',
    },
  ],
  // Kakiyo keys are 40 characters. Kept small: every real Kakiyo call costs a credit.
  kakiyo: [
    { workspace: 'acme', label: 'Acme', seed: 105, campaigns: 8, apiKey: 'kdemoacme3f8a1c5e7b9d2f4a6c8e0b1d2a4c6e8' },
    { workspace: 'globex', label: 'Globex', seed: 206, campaigns: 5, apiKey: 'kdemoglobex6b2d4f8a0c1e3a5b7d9f1c3e5a7b9' },
  ],
  // Seleqt keys are `<prefix>.<secret>`; the workspace ids are Seleqt's numeric ones.
  seleqt: [
    {
      workspace: 'acme',
      label: 'Acme',
      seed: 107,
      campaigns: 10,
      apiKey: 'a1c3e5d7.acmeDemoSecret9f8e7d6c5b4a3928',
      vendorWorkspaceId: '340',
    },
    {
      workspace: 'globex',
      label: 'Globex',
      seed: 208,
      campaigns: 4,
      apiKey: 'b2d4f6a8.globexDemoSecret1a2b3c4d5e6f70',
      vendorWorkspaceId: '512',
    },
  ],
};

/** Simulator options for the demo accounts; `basePort` puts them on basePort+1..+4, else any free port. */
export function demoSimulatorOptions(basePort?: number): Record<ProviderId, SimulatorOptions> {
  const port = (offset: number): number => (basePort === undefined ? 0 : basePort + offset);
  return {
    instantly: { accounts: DEMO_ACCOUNTS.instantly, port: port(1) },
    sendkit: { accounts: DEMO_ACCOUNTS.sendkit, port: port(2) },
    kakiyo: { accounts: DEMO_ACCOUNTS.kakiyo, port: port(3) },
    seleqt: { accounts: DEMO_ACCOUNTS.seleqt, port: port(4) },
  };
}
