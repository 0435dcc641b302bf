import type { AnalyticsProvider, VendorDefaults } from '../types';
import { fetchSeleqtAnalytics } from './client';

/**
 * Seleqt's origin (the docs' curl examples; VENDORS.md 7: the vendor's n8n node says api.seleqt.ai,
 * and `probe` tells which answers JSON) and our outbound defaults: 15 + 0.5·60 = 45 ≤ 50/min.
 */
export const SELEQT_DEFAULTS: VendorDefaults = { baseUrl: 'https://app.seleqt.ai', requestsPerSecond: 0.5, burst: 15, ttlSeconds: 300 };

/** Seleqt: one call returns every campaign, whatever the query. */
export function createSeleqtProvider(): AnalyticsProvider {
  return {
    id: 'seleqt',
    defaults: SELEQT_DEFAULTS,
    isCampaignId: (id) => /^\d{1,18}$/.test(id),
    estimateCalls: () => 1,
    fetchAnalytics: fetchSeleqtAnalytics,
  };
}
