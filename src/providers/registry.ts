/** Every provider, in one typed map: adding a vendor to `PROVIDER_IDS` without a factory fails to compile. */
import type { ProviderId } from '../schema/campaign';
import { createInstantlyProvider } from './instantly';
import { createKakiyoProvider } from './kakiyo';
import { createSeleqtProvider } from './seleqt';
import { createSendkitProvider } from './sendkit';
import type { AnalyticsProvider } from './types';

export type ProviderFactory = () => AnalyticsProvider;

export const PROVIDER_FACTORIES = {
  instantly: createInstantlyProvider,
  sendkit: createSendkitProvider,
  kakiyo: createKakiyoProvider,
  seleqt: createSeleqtProvider,
} as const satisfies Record<ProviderId, ProviderFactory>;

export function createProviders(): Record<ProviderId, AnalyticsProvider> {
  return {
    instantly: PROVIDER_FACTORIES.instantly(),
    sendkit: PROVIDER_FACTORIES.sendkit(),
    kakiyo: PROVIDER_FACTORIES.kakiyo(),
    seleqt: PROVIDER_FACTORIES.seleqt(),
  };
}
