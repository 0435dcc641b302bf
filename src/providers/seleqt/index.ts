import type { AnalyticsProvider } from '../types';
import { fetchSeleqtAnalytics } from './client';

/** Seleqt: one call returns every campaign, whatever the query. */
export function createSeleqtProvider(): AnalyticsProvider {
  return {
    id: 'seleqt',
    estimateCalls: () => 1,
    fetchAnalytics: fetchSeleqtAnalytics,
  };
}
