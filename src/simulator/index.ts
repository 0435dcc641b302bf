/**
 * Local, faithful imitations of the four vendor APIs: same paths, auth, pagination quirks, error
 * bodies and rate limits, with deterministic seeded data and fault knobs. They serve the demo,
 * the integration tests and the benchmarks; a user can run them (`src/simulator/main.ts`).
 *
 * ```ts
 * const sim = await startSimulator('kakiyo', { accounts: [{ label: 'Acme', apiKey, seed: 1, campaigns: 25 }] });
 * // point the Kakiyo provider's baseUrl at sim.url
 * sim.setFaults({ errorRate: 0.2 });
 * await sim.close();
 * ```
 */
import { PROVIDER_IDS, type ProviderId } from '../schema/campaign';
import { asOfDay, epochDay, isoDay, parseDay, resolveAccounts, type DataEnv } from './data';
import { createInstantlyBehaviour, INSTANTLY_DEFAULT_RATE_LIMIT } from './instantly';
import { createKakiyoBehaviour, KAKIYO_DEFAULT_RATE_LIMIT } from './kakiyo';
import { createSeleqtBehaviour, SELEQT_DEFAULT_RATE_LIMIT } from './seleqt';
import { createSendkitBehaviour, SENDKIT_DEFAULT_RATE_LIMIT } from './sendkit';
import { serveVendor, type ServedVendor, type ServeOptions } from './server';
import type { RateLimitSettings, SimulatorOptions, VendorSimulator } from './types';

export type {
  AccountSpec,
  FaultConfig,
  KakiyoAnalyticsShape,
  InstantlyAnalyticsShape,
  KakiyoEnvelope,
  RateLimitRule,
  RateLimitSettings,
  RetryAfterMode,
  SendkitGeneration,
  SendkitPagination,
  SeleqtHostMode,
  SimulatorAccount,
  SimulatorOptions,
  SimulatorStats,
  VendorSimulator,
} from './types';
export { NO_FAULTS } from './faults';
export { perMinute, perSecond } from './rate-limit';
export { DEMO_ACCOUNTS, DEMO_WORKSPACES, demoSimulatorOptions, type DemoAccount, type DemoWorkspace } from './demo-accounts';

/** Each vendor's published limits (Instantly 100/s + 6,000/min; SendKit 10/s, unpublished; Kakiyo 60/min per endpoint; Seleqt 50/min). */
export const DEFAULT_RATE_LIMITS: Readonly<Record<ProviderId, RateLimitSettings>> = {
  instantly: INSTANTLY_DEFAULT_RATE_LIMIT,
  sendkit: SENDKIT_DEFAULT_RATE_LIMIT,
  kakiyo: KAKIYO_DEFAULT_RATE_LIMIT,
  seleqt: SELEQT_DEFAULT_RATE_LIMIT,
};

function referenceDay(date: string | undefined): number {
  if (date === undefined) return epochDay(Date.now());
  const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? parseDay(date) : undefined;
  if (day === undefined) throw new Error(`simulator referenceDate must be YYYY-MM-DD, got ${date}`);
  return day;
}

/** Starts one vendor simulator on loopback (port 0 = any free port). */
export async function startSimulator(provider: ProviderId, options: SimulatorOptions): Promise<VendorSimulator> {
  const env: DataEnv = { provider, referenceDay: referenceDay(options.referenceDate) };
  const simulator = await serveBehaviour(provider, options, env);
  return {
    ...simulator,
    setReferenceDate: (date: string) => {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? parseDay(date) : undefined;
      if (day === undefined) throw new RangeError(`setReferenceDate wants a YYYY-MM-DD date, got ${date}`);
      if (day > env.referenceDay) {
        throw new RangeError(`the ${provider} simulator's history ends on ${isoDay(env.referenceDay)} (its referenceDate); ${date} is after it`);
      }
      env.asOfDay = day;
    },
    referenceDate: () => isoDay(asOfDay(env)),
  };
}

async function serveBehaviour(provider: ProviderId, options: SimulatorOptions, env: DataEnv): Promise<ServedVendor> {
  const accounts = resolveAccounts(options.accounts, provider);
  const serve: ServeOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    rateLimit: options.rateLimit,
    faults: options.faults,
    faultSeed: options.faultSeed ?? 1,
  };
  switch (provider) {
    case 'instantly':
      return serveVendor(
        createInstantlyBehaviour(accounts, env, { analytics: options.instantlyAnalytics ?? 'documented', stepBase: options.instantlyStepBase ?? 1 }),
        serve,
      );
    case 'sendkit':
      return serveVendor(
        createSendkitBehaviour(accounts, env, {
          pagination: options.pagination ?? 'cursor',
          sparsePages: options.sparsePages ?? false,
          stepIndexBase: options.stepIndexBase ?? 0,
          generation: options.generation ?? 'current',
        }),
        serve,
      );
    case 'kakiyo':
      return serveVendor(createKakiyoBehaviour(accounts, env, options.envelope ?? 'campaigns', options.analyticsShape ?? 'full'), serve);
    case 'seleqt':
      return serveVendor(
        createSeleqtBehaviour(accounts, env, { host: options.seleqtHost ?? 'api', nullAnalytics: options.seleqtNullAnalytics ?? false }),
        serve,
      );
  }
}

/**
 * Starts the four simulators, one per provider. If one fails to start, the ones already running
 * are closed and the error is rethrown.
 */
export async function startSimulators(options: Readonly<Record<ProviderId, SimulatorOptions>>): Promise<Record<ProviderId, VendorSimulator>> {
  const settled = await Promise.allSettled(PROVIDER_IDS.map((provider) => startSimulator(provider, options[provider])));
  const started = new Map<ProviderId, VendorSimulator>();
  let failure: unknown;
  for (const result of settled) {
    if (result.status === 'fulfilled') started.set(result.value.provider, result.value);
    else failure ??= result.reason;
  }
  const instantly = started.get('instantly');
  const sendkit = started.get('sendkit');
  const kakiyo = started.get('kakiyo');
  const seleqt = started.get('seleqt');
  if (instantly === undefined || sendkit === undefined || kakiyo === undefined || seleqt === undefined) {
    await Promise.allSettled([...started.values()].map((sim) => sim.close()));
    if (failure instanceof Error) throw failure;
    // An error from another realm (a test VM) is not `instanceof Error`; keep its message.
    throw new Error(`simulators failed to start: ${String(failure)}`);
  }
  return { instantly, sendkit, kakiyo, seleqt };
}

/** Closes every simulator of a `startSimulators` result. */
export async function closeSimulators(simulators: Readonly<Record<ProviderId, VendorSimulator>>): Promise<void> {
  await Promise.all(PROVIDER_IDS.map((provider) => simulators[provider].close()));
}
