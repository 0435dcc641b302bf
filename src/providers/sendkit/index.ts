/**
 * The SendKit.ai provider: its defaults (origin, outbound rate, cache TTL), its campaign-id syntax,
 * and the wiring of the call estimate, the analytics fetch and the probe from `client.ts`.
 */
import type { AnalyticsProvider, VendorDefaults } from '../types';
import { estimateSendkitCalls, fetchSendkitAnalytics, probeSendkit } from './client';

/** SendKit's origin and our outbound defaults: its limit is undocumented; 3/s with a burst of 5 makes at most 8 calls in any second (the simulator allows 10/s). */
export const SENDKIT_DEFAULTS: VendorDefaults = { baseUrl: 'https://api.sendkit.ai', requestsPerSecond: 3, burst: 5, ttlSeconds: 300 };

/** Campaign ids are Mongo ObjectIds: 24 hex digits (the list's `_id`, the simulator's ids). */
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * SendKit.ai: list the campaigns (cursor pages), then one analytics call per campaign (two with
 * `include=daily`); with requested ids the list is skipped. The probe walks the list only.
 */
export function createSendkitProvider(): AnalyticsProvider {
  return {
    id: 'sendkit',
    defaults: SENDKIT_DEFAULTS,
    isCampaignId: (id) => OBJECT_ID.test(id),
    estimateCalls: estimateSendkitCalls,
    fetchAnalytics: fetchSendkitAnalytics,
    probe: probeSendkit,
  };
}
