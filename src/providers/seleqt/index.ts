/** The Seleqt provider: its defaults, its campaign-id syntax and its wiring. */
import type { AnalyticsProvider, VendorDefaults } from '../types';
import { estimateSeleqtCalls, fetchSeleqtAnalytics, probeSeleqt } from './client';

/**
 * Seleqt's origin (the docs' curl examples; VENDORS.md 7: the vendor's n8n node says api.seleqt.ai,
 * a wrong host fails as `wrong_host` naming the other, and `probe` tells which answers JSON) and our
 * outbound defaults: 15 + 0.5·60 = 45 ≤ 50/min.
 */
export const SELEQT_DEFAULTS: VendorDefaults = { baseUrl: 'https://app.seleqt.ai', requestsPerSecond: 0.5, burst: 15, ttlSeconds: 300 };

/** Seleqt campaign ids are integers (`123`); the dashboard sends them as JSON numbers. */
const CAMPAIGN_ID = /^\d{1,18}$/;

/** Seleqt: one call returns every campaign, whatever the query. */
export function createSeleqtProvider(): AnalyticsProvider {
  return {
    id: 'seleqt',
    defaults: SELEQT_DEFAULTS,
    isCampaignId: (id) => CAMPAIGN_ID.test(id),
    estimateCalls: estimateSeleqtCalls,
    fetchAnalytics: fetchSeleqtAnalytics,
    probe: probeSeleqt,
  };
}
