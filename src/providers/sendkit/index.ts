import type { AnalyticsProvider } from '../types';
import { estimateSendkitCalls, fetchSendkitAnalytics } from './client';

/**
 * SendKit.ai: list the campaigns (cursor pages), then one analytics call per campaign (two with
 * `include=daily`); with requested ids the list is skipped.
 */
export function createSendkitProvider(): AnalyticsProvider {
  return {
    id: 'sendkit',
    estimateCalls: estimateSendkitCalls,
    fetchAnalytics: fetchSendkitAnalytics,
  };
}
