/** Shared pieces of the Seleqt provider tests: the connection, an HTTP client, fixture mocks and record builders. */
import nock from 'nock';
import { ProviderError } from '../../../src/errors';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../../src/http/client';
import type { AnalyticsQuery, IncludeOptions, ProviderConnection } from '../../../src/providers/types';
import { emptyMetrics, type CampaignAnalytics } from '../../../src/schema/campaign';
import { loadFixture, mockFixture } from '../../helpers/fixtures';

export const ORIGIN = 'https://app.seleqt.test';
/** The key echoed by fixtures/seleqt/error-401-echoes-key.json. */
export const CANARY = 'a1b2c3d4.CANARYs3cretValue0001';
const FORBIDDEN_HEADERS = ['authorization', 'x-workspace-id', 'x-as-workspace', 'cookie'];

export const connection: ProviderConnection = { id: 'acme-seleqt', workspace: 'acme', apiKey: CANARY, vendorWorkspaceId: '340' };
export const NO_INCLUDE: IncludeOptions = { steps: false, daily: false, raw: false };

export function query(overrides: Partial<AnalyticsQuery> = {}): AnalyticsQuery {
  return { include: NO_INCLUDE, ...overrides };
}

export function http(options: Partial<HttpClientOptions> = {}): HttpClient {
  return createHttpClient({ provider: 'seleqt', baseUrl: ORIGIN, secrets: [CANARY], random: () => 0, ...options });
}

/** Mocks a fixture on `origin` and insists on the exact Seleqt auth header and nothing else. */
export function mock(name: string, times = 1, origin = ORIGIN): nock.Scope {
  return mockFixture(origin, loadFixture('seleqt', name), { reqheaders: { 'x-api-key': CANARY }, badheaders: FORBIDDEN_HEADERS, times });
}

export async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

export const NULL_RATES = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };

/** A Seleqt record with the fields every Seleqt record shares (everything null unless given). */
export function seleqtRecord(fields: Partial<CampaignAnalytics> & Pick<CampaignAnalytics, 'id' | 'name'>): CampaignAnalytics {
  return {
    key: `acme-seleqt:${fields.id}`,
    provider: 'seleqt',
    connection: 'acme-seleqt',
    workspace: 'acme',
    status: 'unknown',
    vendorStatus: '',
    channels: ['email', 'linkedin'],
    createdAt: null,
    metrics: emptyMetrics(),
    rates: NULL_RATES,
    averageReplySeconds: null,
    steps: null,
    daily: null,
    leadStatus: null,
    ...fields,
  };
}
