import type { AnalyticsProvider, AnalyticsQuery, VendorDefaults } from '../types';
import { INSTANTLY_LIST_PAGE_SIZE, fetchInstantlyAnalytics } from './client';

/**
 * Upper bound of upstream calls (retries not counted) one fetch makes for `campaigns` campaigns:
 * the analytics call; without `campaignIds`, the list pages (full pages plus the possibly empty
 * last one); and one steps and/or one daily call per campaign. With `campaignIds` the list is
 * skipped and at most one record per distinct id comes back, so the ids bound the fan-out.
 */
export function estimateInstantlyCalls(campaigns: number, query: Pick<AnalyticsQuery, 'include' | 'campaignIds'>): number {
  const perCampaign = (query.include.steps ? 1 : 0) + (query.include.daily ? 1 : 0);
  if (query.campaignIds) {
    const ids = new Set(query.campaignIds).size;
    return ids === 0 ? 0 : 1 + ids * perCampaign;
  }
  const count = Math.max(0, Math.ceil(campaigns));
  const listPages = Math.ceil(count / INSTANTLY_LIST_PAGE_SIZE) + 1;
  return 1 + listPages + count * perCampaign;
}

/** Instantly's origin and our outbound defaults: 10/s is a tenth of its documented 100/s. */
export const INSTANTLY_DEFAULTS: VendorDefaults = { baseUrl: 'https://api.instantly.ai', requestsPerSecond: 10, burst: 20, ttlSeconds: 300 };

/** Campaign ids are UUIDs (`format: uuid` in the v2 spec); anything else makes the vendor answer 400 for the whole call. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Instantly: one analytics call for every campaign, the campaign list beside it, per-campaign steps/daily on request. */
export function createInstantlyProvider(): AnalyticsProvider {
  return {
    id: 'instantly',
    defaults: INSTANTLY_DEFAULTS,
    isCampaignId: (id) => UUID.test(id),
    estimateCalls: estimateInstantlyCalls,
    fetchAnalytics: fetchInstantlyAnalytics,
  };
}
