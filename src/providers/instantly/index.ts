/** The Instantly provider: its defaults, its campaign-id syntax, and the wiring of its client. */
import type { AnalyticsProvider, VendorDefaults } from '../types';
import { estimateInstantlyCalls, fetchInstantlyAnalytics, isInstantlyCampaignId, probeInstantly } from './client';

export { estimateInstantlyCalls };

/** Instantly's origin and our outbound defaults: 10/s is a tenth of its documented 100/s. */
export const INSTANTLY_DEFAULTS: VendorDefaults = { baseUrl: 'https://api.instantly.ai', requestsPerSecond: 10, burst: 20, ttlSeconds: 300 };

/** Instantly: one analytics call for every campaign, the campaign list beside it, per-campaign steps/daily on request. */
export function createInstantlyProvider(): AnalyticsProvider {
  return {
    id: 'instantly',
    defaults: INSTANTLY_DEFAULTS,
    isCampaignId: isInstantlyCampaignId,
    estimateCalls: estimateInstantlyCalls,
    fetchAnalytics: fetchInstantlyAnalytics,
    probe: probeInstantly,
  };
}
