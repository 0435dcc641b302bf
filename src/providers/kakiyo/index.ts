import type { AnalyticsProvider } from '../types';
import { estimateKakiyoCalls, fetchKakiyoAnalytics } from './client';

/**
 * Kakiyo: a list walk (skipped when campaign ids are given) then one analytics call per campaign.
 * Every call costs the customer a credit, so `estimateCalls` is what the fan-out cost cap reads.
 */
export function createKakiyoProvider(): AnalyticsProvider {
  return {
    id: 'kakiyo',
    estimateCalls: (campaigns, query) => estimateKakiyoCalls(campaigns, query),
    fetchAnalytics: fetchKakiyoAnalytics,
  };
}
