/**
 * An integration stack on real loopback sockets: the four vendor simulators, a gateway configured
 * against them, and helpers to call it. Every test that uses it closes it in afterEach/afterAll.
 */
import { get as httpGet } from 'node:http';
import { PassThrough } from 'node:stream';
import { createHash } from 'node:crypto';
import { resolveConfig, type GatewayConfig } from '../../src/config';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { createService, type GatewayService } from '../../src/service';
import { startSimulator } from '../../src/simulator';
import { checkContract } from './contract';
import type { SimulatorOptions, VendorSimulator } from '../../src/simulator';

export const CLIENT_KEY = 'canary-client-key-9f8e7d6c5b4a';
export const OTHER_CLIENT_KEY = 'canary-other-client-key-1a2b3c';

/** Vendor keys in each vendor's format, with a canary marker so leaks are easy to find. */
export const VENDOR_KEYS: Record<'acme' | 'globex', Record<ProviderId, string>> = {
  acme: {
    instantly: 'canaryInstantlyAcmeKey0001',
    sendkit: 'sk_canarySendkitAcmeKey0001',
    kakiyo: 'canaryKakiyoAcmeKey000000000000000000001',
    seleqt: 'canaryacme.SeleqtSecret0001',
  },
  globex: {
    instantly: 'canaryInstantlyGlobexKey002',
    sendkit: 'sk_canarySendkitGlobexKey002',
    kakiyo: 'canaryKakiyoGlobexKey0000000000000000002',
    seleqt: 'canaryglob.SeleqtSecret0002',
  },
};

export const ALL_SECRETS = [CLIENT_KEY, OTHER_CLIENT_KEY, ...Object.values(VENDOR_KEYS.acme), ...Object.values(VENDOR_KEYS.globex)];

export interface StackOptions {
  campaigns?: number;
  simulator?: Partial<Record<ProviderId, Omit<SimulatorOptions, 'accounts'>>>;
  /** Merged into `providers.<id>` of the config. */
  providerSettings?: Partial<Record<ProviderId, Record<string, unknown>>>;
  server?: Record<string, unknown>;
  requestsPerMinute?: number;
  /** Merged into one connection's config, by connection id (`globex-instantly: {baseUrl}`). */
  connections?: Record<string, Record<string, unknown>>;
  /** The gateway's clock (`createService(config, {now})`). */
  now?: () => number;
  /** Open the history store in this directory (PGlite) and record snapshots. */
  storageDir?: string;
  /** Run the scheduled sync with this `sync` config section (without it, no scheduler runs). */
  sync?: Record<string, unknown>;
  /** The `links` config section (signed links). */
  links?: Record<string, unknown>;
  /** The `cache` config section (`maxBytes`). */
  cache?: Record<string, unknown>;
}

export interface Stack {
  sims: Record<ProviderId, VendorSimulator>;
  service: GatewayService;
  url: string;
  config: GatewayConfig;
  logs: string[];
  /** Total calls all simulators served. */
  upstreamCalls(): number;
  resetCounts(): void;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: unknown; text: string }>;
  close(): Promise<void>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const campaigns = options.campaigns ?? 6;
  const sims = {} as Record<ProviderId, VendorSimulator>;
  for (const provider of PROVIDER_IDS) {
    sims[provider] = await startSimulator(provider, {
      // The vendors' own limits are exercised by the tests that set them; by default they are off
      // so that call counts are exact.
      rateLimit: { rules: [] },
      ...options.simulator?.[provider],
      referenceDate: '2026-11-20',
      accounts: [
        { apiKey: VENDOR_KEYS.acme[provider], seed: 11, campaigns, label: 'Acme', vendorWorkspaceId: provider === 'seleqt' ? '340' : undefined },
        { apiKey: VENDOR_KEYS.globex[provider], seed: 22, campaigns, label: 'Globex', vendorWorkspaceId: provider === 'seleqt' ? '341' : undefined },
      ],
    });
  }
  const connection = (workspace: 'acme' | 'globex', provider: ProviderId): Record<string, unknown> => ({
    id: `${workspace}-${provider}`,
    provider,
    apiKey: VENDOR_KEYS[workspace][provider],
    baseUrl: sims[provider].url,
    ...(provider === 'seleqt' ? { vendorWorkspaceId: workspace === 'acme' ? '340' : '341' } : {}),
    ...options.connections?.[`${workspace}-${provider}`],
  });
  const providers: Record<string, unknown> = {};
  for (const provider of PROVIDER_IDS) {
    providers[provider] = { maxAttempts: 2, timeoutMs: 2000, requestsPerSecond: 200, burst: 200, ...options.providerSettings?.[provider] };
  }
  const config = resolveConfig({
    server: { host: '127.0.0.1', port: 0, deadlineMs: 3000, ...options.server },
    clients: [
      { id: 'agency', keySha256: sha256(CLIENT_KEY), workspaces: ['acme', 'globex'], defaultWorkspace: 'acme', requestsPerMinute: options.requestsPerMinute ?? 10_000 },
      { id: 'globex-only', keySha256: sha256(OTHER_CLIENT_KEY), workspaces: ['globex'], requestsPerMinute: 10_000 },
    ],
    workspaces: [
      { id: 'acme', name: 'Acme', connections: PROVIDER_IDS.map((p) => connection('acme', p)) },
      { id: 'globex', name: 'Globex', connections: PROVIDER_IDS.map((p) => connection('globex', p)) },
    ],
    providers,
    ...(options.storageDir ? { storage: { dir: options.storageDir } } : {}),
    ...(options.sync ? { sync: options.sync } : {}),
    ...(options.links ? { links: options.links } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
  });
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const service = createService({ ...config, log: { level: 'debug' } }, {
    logStream,
    extraSecrets: [CLIENT_KEY, OTHER_CLIENT_KEY],
    ...(options.now ? { now: options.now } : {}),
    history: options.storageDir !== undefined,
    sync: options.sync !== undefined,
  });
  const url = await service.listen(0, '127.0.0.1');
  return {
    sims,
    service,
    url,
    config,
    logs,
    upstreamCalls: () => PROVIDER_IDS.reduce((sum, p) => sum + sims[p].stats().total, 0),
    resetCounts: () => PROVIDER_IDS.forEach((p) => sims[p].resetStats()),
    // node:http rather than fetch: fetch adds `Cache-Control: no-cache` to conditional requests.
    get(path, headers = { 'X-API-Key': CLIENT_KEY }) {
      return new Promise((resolve, reject) => {
        const req = httpGet(`${url}${path}`, { headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON (metrics)
            }
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === 'string') responseHeaders.set(name, value);
              else if (Array.isArray(value)) responseHeaders.set(name, value.join(', '));
            }
            const status = res.statusCode ?? 0;
            try {
              checkContract({ method: 'GET', url: path, status, headers: res.headers, body: text });
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            resolve({ status, headers: responseHeaders, body, text });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    },
    async close() {
      await service.close(100);
      await Promise.all(PROVIDER_IDS.map((p) => sims[p].close()));
    },
  };
}
