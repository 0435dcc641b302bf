/** Kakiyo's provider: defaults, campaign-id syntax and the wiring of the client's calls. */
import type { AnalyticsProvider, VendorDefaults } from '../types';
import { estimateKakiyoCalls, fetchKakiyoAnalytics, probeKakiyo } from './client';

/**
 * Kakiyo's origin and our outbound defaults: 20 + 0.5·60 = 50 calls in a minute stay under its
 * 60/min, and every call costs a credit, so results stay fresh for an hour.
 */
export const KAKIYO_DEFAULTS: VendorDefaults = { baseUrl: 'https://api.kakiyo.com', requestsPerSecond: 0.5, burst: 20, ttlSeconds: 3600 };

/**
 * Campaign ids are opaque strings (`campaign_123` in the docs, `campaign_<hex>` in the simulator,
 * digits when a numeric id is stringified): one path segment of safe characters.
 */
const KAKIYO_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Kakiyo: a list walk (skipped when campaign ids are given) then one analytics call per campaign.
 * Every call costs the customer a credit, so `estimateCalls` is what the fan-out cost cap reads,
 * and `probe` walks the list only (one credit per page of 20).
 */
export function createKakiyoProvider(): AnalyticsProvider {
  return {
    id: 'kakiyo',
    defaults: KAKIYO_DEFAULTS,
    isCampaignId: (id) => KAKIYO_ID.test(id),
    estimateCalls: (campaigns, query) => estimateKakiyoCalls(campaigns, query),
    fetchAnalytics: fetchKakiyoAnalytics,
    probe: probeKakiyo,
  };
}
