/**
 * The upstream side of a benchmark: vendor simulators in the orchestrating process (so their call
 * counters can be read directly), and the gateway config document that points a gateway process at
 * them. One workspace, one connection per simulated vendor, one client key.
 */
import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { startSimulator, type FaultConfig, type RateLimitSettings, type VendorSimulator } from '../../src/simulator';

export const BENCH_CLIENT_KEY = 'bench-client-key-5d41402abc4b2a76b9719d911017c592';

/** Vendor keys in each vendor's own format (Kakiyo checks for 40 characters). */
export const BENCH_VENDOR_KEYS: Record<ProviderId, string> = {
  instantly: 'benchInstantlyKey00000000000000000001',
  sendkit: 'sk_benchSendkitKey000000000000001',
  kakiyo: 'benchKakiyoKey00000000000000000000000001',
  seleqt: 'bench001.SeleqtSecret00000000000001',
};

export interface VendorSpec {
  campaigns: number;
  faults?: Partial<FaultConfig>;
  rateLimit?: Partial<RateLimitSettings>;
}

export type TenantSpec = Partial<Record<ProviderId, VendorSpec>>;

export interface Upstream {
  sims: Partial<Record<ProviderId, VendorSimulator>>;
  /** Calls every simulator served since the last reset. */
  calls(): number;
  byProvider(): Partial<Record<ProviderId, number>>;
  resetCounts(): void;
  close(): Promise<void>;
}

const SEED = 7;
/** A fixed "today", so every run generates the same bytes. */
export const REFERENCE_DATE = '2026-11-20';

export async function startUpstream(spec: TenantSpec): Promise<Upstream> {
  const sims: Partial<Record<ProviderId, VendorSimulator>> = {};
  try {
    for (const provider of PROVIDER_IDS) {
      const vendor = spec[provider];
      if (vendor === undefined) continue;
      sims[provider] = await startSimulator(provider, {
        referenceDate: REFERENCE_DATE,
        // The vendors' own limits are off unless a scenario sets one, so call counts are exact.
        rateLimit: { rules: [], ...vendor.rateLimit },
        faults: { latencyMs: 0, jitterMs: 0, ...vendor.faults },
        accounts: [
          {
            apiKey: BENCH_VENDOR_KEYS[provider],
            seed: SEED,
            campaigns: vendor.campaigns,
            label: 'Bench',
            vendorWorkspaceId: provider === 'seleqt' ? '901' : undefined,
          },
        ],
      });
    }
  } catch (error) {
    await Promise.all(Object.values(sims).map((sim) => sim.close()));
    throw error;
  }
  const all = (): VendorSimulator[] => Object.values(sims);
  return {
    sims,
    calls: () => all().reduce((sum, sim) => sum + sim.stats().total, 0),
    byProvider: () => Object.fromEntries(all().map((sim) => [sim.provider, sim.stats().total])),
    resetCounts: () => all().forEach((sim) => sim.resetStats()),
    close: async () => {
      await Promise.all(all().map((sim) => sim.close()));
    },
  };
}

export interface GatewayDocumentOptions {
  /** Merged into `providers.<id>` (rate, burst, concurrency, …). */
  providerSettings?: Partial<Record<ProviderId, Record<string, unknown>>>;
  server?: Record<string, unknown>;
  cacheMaxBytes?: number;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

/** A config document (what a config file holds) for a gateway in front of `upstream`. */
export function gatewayDocument(upstream: Upstream, options: GatewayDocumentOptions = {}): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  const connections = Object.values(upstream.sims).map((sim) => {
    providers[sim.provider] = {
      // Outbound limits out of the way unless the scenario is about them: its own settings win.
      requestsPerSecond: 1000,
      burst: 1000,
      ...options.providerSettings?.[sim.provider],
    };
    return {
      id: `bench-${sim.provider}`,
      provider: sim.provider,
      apiKey: BENCH_VENDOR_KEYS[sim.provider],
      baseUrl: sim.url,
      ...(sim.provider === 'seleqt' ? { vendorWorkspaceId: '901' } : {}),
    };
  });
  return {
    server: { host: '127.0.0.1', port: 0, deadlineMs: 30_000, maxUpstreamCalls: 100_000, ...options.server },
    clients: [
      {
        id: 'bench',
        keySha256: createHash('sha256').update(BENCH_CLIENT_KEY).digest('hex'),
        workspaces: ['bench'],
        requestsPerMinute: 100_000_000,
      },
    ],
    workspaces: [{ id: 'bench', name: 'Bench', connections }],
    providers,
    ...(options.cacheMaxBytes !== undefined ? { cache: { maxBytes: options.cacheMaxBytes } } : {}),
    log: { level: options.logLevel ?? 'info' },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  ms: number;
}

/** One GET with the bench client key (node:http, no agent reuse). */
export function get(url: string, headers: Record<string, string> = { 'X-API-Key': BENCH_CLIENT_KEY }): Promise<HttpAnswer> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** A counter's value summed over the label sets that match `labels`, from Prometheus text. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (!wanted) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
