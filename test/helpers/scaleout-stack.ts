/**
 * A scale-out stack on loopback: one throwaway Redis, the four vendor simulators in this process,
 * and N gateway PROCESSES started the way an operator would (`src/main.ts --config FILE`, through
 * ts-node's transpile-only hook), all with the same config and `redis.keySecret`. Used by
 * test/scaleout/two-instances.test.ts and bench/two-instances.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { startSimulator, type VendorSimulator } from '../../src/simulator';
import { startRedis, type TestRedis } from './redis';

export const SCALEOUT_CLIENT_KEY = 'canary-scaleout-client-key-5e6f7a';
export const SCALEOUT_KEY_SECRET = 'canary-scaleout-key-secret-0123456789abcdef';

const VENDOR_KEYS: Record<ProviderId, string> = {
  instantly: 'canaryInstantlyScaleKey0001',
  sendkit: 'sk_canarySendkitScaleKey0001',
  kakiyo: 'canaryKakiyoScaleKey00000000000000000001',
  seleqt: 'canaryscal.SeleqtSecret0001',
};

export interface Reply {
  status: number;
  body: unknown;
  text: string;
}

export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  /** Every line the process wrote (JSON log lines on stdout, anything on stderr). */
  readonly lines: string[];
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  stop(): Promise<void>;
}

export interface ScaleoutStackOptions {
  instances?: number;
  campaigns?: number;
  /** Merged into `providers.<id>` of the gateways' config. */
  providerSettings?: Partial<Record<ProviderId, Record<string, unknown>>>;
  server?: Record<string, unknown>;
  /** Merged into `redis` of the config. */
  redis?: Record<string, unknown>;
  /** false: the same gateways without Redis (for comparisons). @default true */
  withRedis?: boolean;
}

export interface ScaleoutStack {
  redis: TestRedis | undefined;
  sims: Record<ProviderId, VendorSimulator>;
  instances: GatewayProcess[];
  upstreamCalls(): number;
  resetCounts(): void;
  close(): Promise<void>;
}

const ROOT = resolve(__dirname, '..', '..');
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

function request(url: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const req = httpGet(url, { headers, agent }, (res) => {
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
        resolveReply({ status: res.statusCode ?? 0, body, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function startGatewayProcess(configPath: string): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts', '--config', configPath], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line !== ''));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolveProcess, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway process did not start within 30 s:\n${lines.slice(-20).join('\n')}`));
    }, 30_000);
    const poll = setInterval(() => {
      for (const line of lines) {
        if (!line.includes('"listening"')) continue;
        const url = /"url":"(http:[^"]+)"/.exec(line)?.[1];
        if (url === undefined) continue;
        clearInterval(poll);
        clearTimeout(timer);
        resolveProcess({
          url,
          pid: child.pid ?? 0,
          lines,
          get: (path, headers = { 'X-API-Key': SCALEOUT_CLIENT_KEY }) => request(`${url}${path}`, headers),
          stop: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const force = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(force);
          },
        });
        return;
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`gateway process exited with ${code ?? 'a signal'} before listening:\n${lines.slice(-20).join('\n')}`));
    });
  });
}

/** The four simulators with one account each, vendor limits off (tests set them). */
export async function startScaleoutSims(campaigns = 6): Promise<Record<ProviderId, VendorSimulator>> {
  const sims = {} as Record<ProviderId, VendorSimulator>;
  for (const provider of PROVIDER_IDS) {
    sims[provider] = await startSimulator(provider, {
      rateLimit: { rules: [] },
      referenceDate: '2026-11-20',
      accounts: [{ apiKey: VENDOR_KEYS[provider], seed: 7, campaigns, label: 'Acme', vendorWorkspaceId: provider === 'seleqt' ? '340' : undefined }],
    });
  }
  return sims;
}

/** The config document every instance gets (one workspace, one connection per vendor). */
export function scaleoutDocument(
  sims: Record<ProviderId, VendorSimulator>,
  redisUrl: string | undefined,
  options: Pick<ScaleoutStackOptions, 'providerSettings' | 'server' | 'redis'> = {},
): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  for (const provider of PROVIDER_IDS) {
    providers[provider] = { maxAttempts: 2, timeoutMs: 3000, requestsPerSecond: 200, burst: 200, ...options.providerSettings?.[provider] };
  }
  return {
    server: { host: '127.0.0.1', port: 0, deadlineMs: 5000, ...options.server },
    clients: [{ id: 'agency', keySha256: createHash('sha256').update(SCALEOUT_CLIENT_KEY).digest('hex'), workspaces: ['acme'], requestsPerMinute: 100_000 }],
    workspaces: [
      {
        id: 'acme',
        connections: PROVIDER_IDS.map((provider) => ({
          id: `acme-${provider}`,
          provider,
          apiKey: VENDOR_KEYS[provider],
          baseUrl: sims[provider].url,
          ...(provider === 'seleqt' ? { vendorWorkspaceId: '340' } : {}),
        })),
      },
    ],
    providers,
    // Call counts here are the callers' alone: no scheduled sync. And no history: the instances are
    // about Redis, and an embedded store is one process's (several share a PostgreSQL server).
    sync: { enabled: false },
    storage: { enabled: false },
    ...(redisUrl !== undefined ? { redis: { url: redisUrl, keySecret: SCALEOUT_KEY_SECRET, ...options.redis } } : {}),
    log: { level: 'info' },
  };
}

export async function startScaleoutStack(options: ScaleoutStackOptions = {}): Promise<ScaleoutStack> {
  const withRedis = options.withRedis ?? true;
  const redis = withRedis ? await startRedis() : undefined;
  const sims = await startScaleoutSims(options.campaigns);
  const document = scaleoutDocument(sims, redis?.url, options);
  const dir = mkdtempSync(join(tmpdir(), 'og-scaleout-'));
  const configPath = join(dir, 'gateway.json');
  writeFileSync(configPath, JSON.stringify(document, null, 2), { mode: 0o600 });
  const instances: GatewayProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await Promise.all(PROVIDER_IDS.map((p) => sims[p].close()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await Promise.allSettled(Array.from({ length: options.instances ?? 2 }, () => startGatewayProcess(configPath)));
    for (const result of started) if (result.status === 'fulfilled') instances.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    redis,
    sims,
    instances,
    upstreamCalls: () => PROVIDER_IDS.reduce((sum, p) => sum + sims[p].stats().total, 0),
    resetCounts: () => PROVIDER_IDS.forEach((p) => sims[p].resetStats()),
    close,
  };
}
