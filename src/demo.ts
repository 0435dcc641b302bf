/**
 * The demo (`npm start` with no config, DESIGN.md section 4): the four vendor simulators on
 * loopback with the demo accounts, a config with two workspaces (acme, globex) and one connection
 * per vendor each, the gateway on 127.0.0.1:${PORT:-8080}, and a printed client key with
 * ready-to-paste requests. Every answer says `"demo": true` in `meta`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, type GatewayConfig } from './config';
import { backfillDemoHistory } from './demo-history';
import { PROVIDER_IDS } from './schema/campaign';
import { createService, type GatewayService } from './service';
import { DEMO_ACCOUNTS, DEMO_WORKSPACES, closeSimulators, demoSimulatorOptions, startSimulators, type VendorSimulator } from './simulator';
import type { ProviderId } from './schema/campaign';

export const DEMO_KEY_ENV = 'OUTREACH_GATEWAY_DEMO_KEY';

export interface DemoOptions {
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  /** Gateway port; default `PORT` or 8080 (0 = any free port). */
  port?: number;
  /** Days of history back-filled before the gateway listens (src/demo-history.ts; 0 = none). @default 60 */
  backfillDays?: number;
}

export interface RunningDemo {
  url: string;
  clientKey: string;
  config: GatewayConfig;
  service: GatewayService;
  simulators: Record<ProviderId, VendorSimulator>;
  close(): Promise<void>;
}

/** The demo's gateway config; its history store lives in `dataDir`. */
export function demoConfig(simulators: Readonly<Record<ProviderId, Pick<VendorSimulator, 'url'>>>, clientKey: string, port: number, dataDir: string): GatewayConfig {
  const config = resolveConfig({
    server: { host: '127.0.0.1', port, deadlineMs: 15_000 },
    storage: { dir: dataDir },
    clients: [
      {
        id: 'demo-agency',
        keySha256: createHash('sha256').update(clientKey).digest('hex'),
        workspaces: [...DEMO_WORKSPACES],
        defaultWorkspace: 'acme',
        requestsPerMinute: 600,
      },
    ],
    workspaces: DEMO_WORKSPACES.map((workspace) => ({
      id: workspace,
      name: workspace === 'acme' ? 'Acme Corp' : 'Globex',
      connections: PROVIDER_IDS.flatMap((provider) =>
        DEMO_ACCOUNTS[provider]
          .filter((account) => account.workspace === workspace)
          .map((account) => ({
            id: `${workspace}-${provider}`,
            provider,
            apiKey: account.apiKey,
            baseUrl: simulators[provider].url,
            ...(account.vendorWorkspaceId !== undefined ? { vendorWorkspaceId: account.vendorWorkspaceId } : {}),
          })),
      ),
    })),
  });
  return { ...config, demo: true };
}

function portFrom(env: NodeJS.ProcessEnv): number {
  const text = env.PORT;
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${text}`);
  return port;
}

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const env = options.env ?? process.env;
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const fromEnv = env[DEMO_KEY_ENV];
  const clientKey = fromEnv !== undefined && fromEnv !== '' ? fromEnv : `demo-${randomBytes(12).toString('hex')}`;
  // The demo's history is its own: in `demo/` under OUTREACH_GATEWAY_DATA when set (kept across
  // runs), else in a temporary directory removed when the demo stops (two demos never share one).
  const dataDir = env.OUTREACH_GATEWAY_DATA ? path.join(env.OUTREACH_GATEWAY_DATA, 'demo') : mkdtempSync(path.join(os.tmpdir(), 'outreach-gateway-demo-'));
  const removeTemporary = (): void => {
    if (!env.OUTREACH_GATEWAY_DATA) rmSync(dataDir, { recursive: true, force: true });
  };
  const simulators = await startSimulators(demoSimulatorOptions());
  try {
    const config = demoConfig(simulators, clientKey, options.port ?? portFrom(env), dataDir);
    const service = createService(config, { extraSecrets: [clientKey], history: true });
    const days = options.backfillDays ?? 60;
    if (service.store && days > 0) {
      // Before listening, so the trend view has its weeks from the first page load.
      out(`Opening the history store and back-filling ${days} days of demo history (a few seconds)…`);
      await service.store.start();
      const filled = await backfillDemoHistory({ store: service.store, config, days, today: simulators.instantly.referenceDate() });
      service.logger.info('demo history back-filled', { days, from: filled.from, to: filled.to, walks: filled.walks, records: filled.records, failures: filled.failures, ms: Math.round(filled.durationMs) });
    }
    const url = await service.listen();
    const analytics = `${url}/v1/campaigns/analytics`;
    [
      '',
      'Outreach Gateway demo: four vendor simulators on loopback, two workspaces (acme, globex).',
      `  gateway     ${url}`,
      `  dashboard   ${url}/   (open it in a browser and enter the client key)`,
      `  client key  ${clientKey}${fromEnv ? '' : `   (set ${DEMO_KEY_ENV} to choose it)`}`,
      '',
      'Try:',
      `  curl -s -H 'X-API-Key: ${clientKey}' '${analytics}'`,
      `  curl -s -H 'X-API-Key: ${clientKey}' '${analytics}?workspace_id=ALL'`,
      `  curl -s -H 'Authorization: Bearer ${clientKey}' '${analytics}?workspace_id=globex&providers=instantly,kakiyo&include=steps,daily'`,
      `  curl -s -H 'X-API-Key: ${clientKey}' '${url}/v1/connections'`,
      `  curl -s -H 'X-API-Key: ${clientKey}' '${url}/v1/campaigns/history?workspace_id=ALL&interval=week&group_by=provider'`,
      `  curl -s '${url}/openapi.json'    curl -s '${url}/metrics'`,
      '',
      'Stop with Ctrl-C.',
    ].forEach((line) => out(line));
    return {
      url,
      clientKey,
      config,
      service,
      simulators,
      async close() {
        await service.close();
        await closeSimulators(simulators);
        removeTemporary();
      },
    };
  } catch (error) {
    await closeSimulators(simulators);
    removeTemporary();
    throw error;
  }
}
