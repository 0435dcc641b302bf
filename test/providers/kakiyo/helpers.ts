/**
 * Shared bits of the Kakiyo tests: the connection, an HTTP client with fast retries, fixture mocks,
 * an in-memory HTTP client, the fixtures' analytics replies through the client's own validation,
 * and the documented example's normalized record.
 */
import type nock from 'nock';
import { createHttpClient, type GetJsonRequest, type HttpClient, type JsonResponse } from '../../../src/http/client';
import type { CampaignAnalytics } from '../../../src/schema/campaign';
import { kakiyoDailyRows } from '../../../src/providers/kakiyo/client';
import type { KakiyoCampaignSource } from '../../../src/providers/kakiyo/map';
import { KakiyoCampaignAnalyticsSchema } from '../../../src/providers/kakiyo/schema';
import { FieldIssues, RecordValidator } from '../../../src/providers/shared';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';
import { loadFixture, mockFixture, type Fixture } from '../../helpers/fixtures';

export const ORIGIN = 'https://api.kakiyo.com';
/** A canary key: no error, message or JSON may ever contain it. */
export const KEY = 'canary-kakiyo-key-1234567890';

export const CONNECTION: ProviderConnection = { id: 'acme-kakiyo', workspace: 'acme', apiKey: KEY };

/** Kakiyo authenticates with `Authorization: Bearer`; every other auth header must be absent. */
export const AUTH = {
  reqheaders: { authorization: `Bearer ${KEY}` },
  badheaders: ['x-api-key', 'x-workspace-id', 'x-as-workspace', 'cookie', 'api-key'],
};

export function http(options: { secrets?: string[]; maxAttempts?: number } = {}): HttpClient {
  return createHttpClient({
    provider: 'kakiyo',
    baseUrl: ORIGIN,
    retry: { baseDelayMs: 1, maxAttempts: options.maxAttempts ?? 3 },
    random: () => 0,
    secrets: options.secrets ?? [KEY],
  });
}

export function query(overrides: Partial<AnalyticsQuery> = {}): AnalyticsQuery {
  return { include: { steps: false, daily: false, raw: false }, ...overrides };
}

export function fixture(name: string): Fixture {
  return loadFixture('kakiyo', name);
}

/** One interceptor per fixture (or `times`), with the auth header checks. */
export function mock(name: string, options: { times?: number; request?: Partial<Fixture['request']> } = {}): nock.Scope {
  const loaded = fixture(name);
  const request = { ...loaded.request, ...options.request };
  return mockFixture(ORIGIN, { ...loaded, request }, { ...AUTH, ...(options.times ? { times: options.times } : {}) });
}

export function mockAll(...names: string[]): nock.Scope[] {
  return names.map((name) => mock(name));
}

/**
 * An HTTP client without a network: `reply(path, query)` gives each call's body (a thrown error is
 * the call's failure). Counts calls like the real one; `requests` keeps every call's path and query.
 */
export function memoryHttp(reply: (path: string, query: GetJsonRequest['query']) => unknown): HttpClient & { requests: GetJsonRequest[] } {
  const requests: GetJsonRequest[] = [];
  return {
    provider: 'kakiyo',
    requests,
    get calls() {
      return requests.length;
    },
    getJson(request: GetJsonRequest): Promise<JsonResponse> {
      requests.push(request);
      try {
        return Promise.resolve({ status: 200, headers: {}, data: reply(request.path, request.query) });
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}

/**
 * A fixture's analytics reply as the client hands it to the mapper: validated by the client's
 * schema, daily rows read by the client's `kakiyoDailyRows` for `query`. `validator` and `issues`
 * collect what the client would count.
 */
export function sourceOf(
  name: string,
  query: Pick<AnalyticsQuery, 'include' | 'startDate' | 'endDate'> = { include: { steps: false, daily: false, raw: false } },
  validator = new RecordValidator(),
  issues = new FieldIssues(),
): KakiyoCampaignSource {
  const body = fixture(name).body;
  const reply = KakiyoCampaignAnalyticsSchema.parse(body);
  const id = String(reply.campaign.id);
  return { id, reply, daily: kakiyoDailyRows(reply, `analytics.${id}`, query, validator, issues) };
}

/** The documented example, mapped: DESIGN.md section 3's Kakiyo column, value by value. */
export function documentedRecord(options: { daily?: boolean } = {}): CampaignAnalytics {
  return {
    key: 'acme-kakiyo:campaign_123',
    id: 'campaign_123',
    provider: 'kakiyo',
    connection: 'acme-kakiyo',
    workspace: 'acme',
    name: 'Q4 Enterprise Outreach',
    status: 'active',
    vendorStatus: 'active',
    channels: ['linkedin'],
    createdAt: '2024-01-15T10:30:00.000Z',
    metrics: {
      leads: 150,
      contacted: 65,
      sent: 420,
      emailsSent: null,
      linkedinMessagesSent: 420,
      linkedinInvitesSent: null,
      linkedinInvitesAccepted: null,
      opened: null,
      clicked: null,
      replied: 35,
      bounced: null,
      unsubscribed: null,
      completed: null,
      interested: 12,
      won: 8,
      opportunityValue: null,
    },
    rates: {
      openRate: null,
      clickRate: null,
      replyRate: 35 / 65,
      bounceRate: null,
      interestedRate: 12 / 65,
      inviteAcceptRate: null,
    },
    averageReplySeconds: null,
    steps: null,
    daily: options.daily
      ? [
          { date: '2024-01-19', sent: 30, opened: null, clicked: null, replied: 6, interested: 2 },
          { date: '2024-01-20', sent: 25, opened: null, clicked: null, replied: 4, interested: 1 },
        ]
      : null,
    leadStatus: { pending: 85, contacted: 45, responded: 35, qualified: 12, closed: 8 },
  };
}
