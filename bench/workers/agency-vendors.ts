/**
 * The vendors of a big agency, in their own process (so their CPU is not charged to the gateway's
 * event loop): the four simulators, each with one account per workspace, their rate limits at the
 * documented values (the simulators' defaults: Instantly 100/s and 6,000/min, SendKit 10/s,
 * Kakiyo 60/min per endpoint, Seleqt 50/min), per account.
 */
import { z } from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { DEFAULT_RATE_LIMITS, startSimulator, type RateLimitSettings, type SimulatorStats, type VendorSimulator } from '../../src/simulator';
import { cpuMicros, serveCommands } from '../lib/proc';

const StartSchema = z.object({
  workspaces: z.number().int().positive(),
  /** Campaigns per account, per vendor. */
  campaigns: z.record(z.string(), z.number().int().nonnegative()),
  referenceDate: z.string(),
  latencyMs: z.number().nonnegative().default(0),
});
export type AgencyVendorsStart = z.input<typeof StartSchema>;

export interface AgencyAccount {
  apiKey: string;
  vendorWorkspaceId: string | undefined;
}

export interface AgencyVendors {
  vendors: Partial<Record<ProviderId, { url: string; accounts: AgencyAccount[]; rateLimit: RateLimitSettings }>>;
}

/** A vendor key in each vendor's own format, distinct per account (Kakiyo checks for 40 characters). */
export function agencyVendorKey(provider: ProviderId, index: number): string {
  const n = String(index).padStart(6, '0');
  switch (provider) {
    case 'instantly':
      return `agencyInstantlyKey0000000000${n}`;
    case 'sendkit':
      return `sk_agencySendkitKey0000000${n}`;
    case 'kakiyo':
      return `agencyKakiyoKey0000000000000000000${n}`;
    default:
      return `agency${n}.SeleqtSecret0000000${n}`;
  }
}

const sims: VendorSimulator[] = [];

serveCommands({
  async start(payload): Promise<AgencyVendors> {
    if (sims.length > 0) throw new Error('already started');
    const options = StartSchema.parse(payload);
    const vendors: AgencyVendors['vendors'] = {};
    for (const provider of PROVIDER_IDS) {
      const campaigns = options.campaigns[provider];
      if (campaigns === undefined) continue;
      const accounts = Array.from({ length: options.workspaces }, (_, i) => ({
        apiKey: agencyVendorKey(provider, i),
        seed: 1000 + i,
        campaigns,
        label: `Client ${i}`,
        vendorWorkspaceId: provider === 'seleqt' ? String(100 + i) : undefined,
      }));
      const sim = await startSimulator(provider, {
        referenceDate: options.referenceDate,
        rateLimit: DEFAULT_RATE_LIMITS[provider],
        faults: { latencyMs: options.latencyMs, jitterMs: 0 },
        accounts,
      });
      // Every account's data exists before the walk (as a vendor's does); the walk times serving it.
      sim.prepare();
      sims.push(sim);
      vendors[provider] = {
        url: sim.url,
        accounts: accounts.map((a) => ({ apiKey: a.apiKey, vendorWorkspaceId: a.vendorWorkspaceId })),
        rateLimit: sim.rateLimit(),
      };
    }
    return { vendors };
  },

  stats(): Partial<Record<ProviderId, SimulatorStats>> {
    return Object.fromEntries(sims.map((sim) => [sim.provider, sim.stats()]));
  },

  cpuMicros,

  reset(): void {
    for (const sim of sims) sim.resetStats();
  },

  async close(): Promise<void> {
    await Promise.all(sims.map((sim) => sim.close()));
  },
});
