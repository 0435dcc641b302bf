/**
 * SendKit's documented examples, and the simulator held to them: fixtures built from the docs'
 * example replies (current and older generation) map to exact records through the real fetch
 * path, and the simulator's replies in both generations validate against the same zod schemas
 * the client uses, carry the documented keys, and map without a warning.
 */
import nock from 'nock';
import { createHttpClient, type HttpClient } from '../../../src/http/client';
import { fetchSendkitAnalytics } from '../../../src/providers/sendkit/client';
import {
  SendkitAnalyticsEnvelopeSchema,
  SendkitAnalyticsSchema,
  SendkitDailyEnvelopeSchema,
  SendkitDailyRowSchema,
  SendkitListEnvelopeSchema,
  SendkitListItemSchema,
  SendkitStepRowSchema,
} from '../../../src/providers/sendkit/schema';
import type { AnalyticsQuery, ProviderConnection } from '../../../src/providers/types';
import { startSimulator, type SendkitGeneration, type VendorSimulator } from '../../../src/simulator';
import { loadFixture, mockFixture } from '../../helpers/fixtures';
import { get, REFERENCE_DATE, type Json } from '../../simulator/helpers';
import { DOCUMENTED_ID, documentedOlderRecord, documentedRecord } from './helpers';

const ORIGIN = 'https://api.sendkit.ai';
const KEY = 'sk_documented_example_key';
const CONNECTION: ProviderConnection = { id: 'acme-sendkit', workspace: 'acme', apiKey: KEY, concurrency: 1 };
const ALL: AnalyticsQuery['include'] = { steps: true, daily: true, raw: false };

function client(baseUrl = ORIGIN): HttpClient {
  return createHttpClient({ provider: 'sendkit', baseUrl, retry: { baseDelayMs: 1, maxAttempts: 1 } });
}

function mock(name: string): void {
  mockFixture(ORIGIN, loadFixture('sendkit', name), { reqheaders: { 'x-api-key': KEY } });
}

/** The `data` object of an analytics fixture, as documented. */
function documentedData(name: string): Record<string, unknown> {
  return (loadFixture('sendkit', name).body as { data: Record<string, unknown> }).data;
}

function keysOf(value: unknown): string[] {
  return Object.keys(value as Record<string, unknown>).sort();
}

afterEach(() => nock.cleanAll());

describe('the documented examples, mapped exactly', () => {
  it('current generation: list item + analytics + daily → exactly this record, no warnings', async () => {
    mock('list-documented');
    mock('analytics-documented');
    mock('daily-documented');
    const http = client();
    const result = await fetchSendkitAnalytics(CONNECTION, { include: ALL }, http);
    expect(result).toEqual({ warnings: [], records: [documentedRecord()] });
    expect(http.calls).toBe(3);
  });

  it('current generation, requested id (no list): the analytics example alone gives no lead counts and no rates', async () => {
    mock('analytics-documented');
    mock('daily-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, { campaignIds: [DOCUMENTED_ID], include: ALL }, client());
    const expected = documentedRecord();
    expected.createdAt = null;
    expected.metrics = { ...expected.metrics, leads: null, contacted: null };
    expected.rates = { openRate: null, clickRate: null, replyRate: null, bounceRate: null, interestedRate: null, inviteAcceptRate: null };
    expect(result).toEqual({ warnings: [], records: [expected] });
  });

  it('older generation: list item + analytics + daily → exactly this record, no warnings', async () => {
    mock('list-documented-older');
    mock('analytics-documented-older');
    mock('daily-documented');
    const result = await fetchSendkitAnalytics(CONNECTION, { include: ALL }, client());
    expect(result).toEqual({ warnings: [], records: [documentedOlderRecord()] });
  });

  it('the documented error body {error, message, code}: its message reaches the caller', async () => {
    mock('error-404');
    const result = await fetchSendkitAnalytics(CONNECTION, { campaignIds: ['665a1b2c3d4e5f6a7b8c9dff'], include: ALL }, client());
    expect(result.warnings).toEqual([{ code: 'campaign_not_found', message: 'SendKit has no campaign with id 665a1b2c3d4e5f6a7b8c9dff', count: 1 }]);
    mock('error-403-key-type');
    await expect(fetchSendkitAnalytics(CONNECTION, { include: ALL }, client())).rejects.toMatchObject({
      code: 'forbidden',
      message: 'HTTP 403: Forbidden: This endpoint requires a platform API key (sk_user_)',
    });
  });
});

describe.each<[SendkitGeneration, string, string]>([
  ['current', 'list-documented', 'analytics-documented'],
  ['older', 'list-documented-older', 'analytics-documented-older'],
])('the simulator, %s generation, against the documented shapes', (generation, listFixture, analyticsFixture) => {
  const SIM_KEY = `sk_documented_${generation}_0123456789`;
  const headers = { 'x-api-key': SIM_KEY };
  let sim: VendorSimulator;
  let list: Json;
  let firstId: string;

  beforeAll(async () => {
    nock.enableNetConnect('127.0.0.1');
    sim = await startSimulator('sendkit', {
      referenceDate: REFERENCE_DATE,
      accounts: [{ label: 'Documented', apiKey: SIM_KEY, seed: 31, campaigns: 12 }],
      rateLimit: { rules: [] },
      generation,
      stepIndexBase: generation === 'current' ? 0 : 1,
    });
    list = (await get(sim, '/v1/campaigns?limit=100', headers)).json();
    firstId = String(list.data.find((item: Json) => item.stats.sent > 0)?._id);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('list replies validate against the client schemas, and item stats carry the documented keys', () => {
    const envelope = SendkitListEnvelopeSchema.parse(list);
    expect(envelope.data.length).toBe(12);
    const documentedItem = (loadFixture('sendkit', listFixture).body as { data: Json[] }).data[0];
    for (const item of envelope.data) {
      expect(SendkitListItemSchema.safeParse(item).success).toBe(true);
      expect(keysOf((item as Json).stats)).toEqual(expect.arrayContaining(keysOf(documentedItem.stats)));
      expect(keysOf(item)).toEqual(expect.arrayContaining(['_id', 'name', 'status', 'stats', 'sequence', 'sendingSchedule', 'createdAt']));
    }
    if (generation === 'older') for (const item of envelope.data) expect(keysOf((item as Json).stats)).not.toContain('totalLeads');
  });

  it('analytics replies validate against the client schemas and hold exactly the documented fields', async () => {
    const body = (await get(sim, `/v1/analytics/campaigns/${firstId}`, headers)).json();
    const data = SendkitAnalyticsEnvelopeSchema.parse(body).data;
    expect(SendkitAnalyticsSchema.safeParse(data).success).toBe(true);
    const documented = documentedData(analyticsFixture);
    expect(keysOf(data)).toEqual(keysOf(documented));
    expect(keysOf(data.campaign)).toEqual(keysOf(documented.campaign));
    expect(keysOf(data.stats)).toEqual(keysOf(documented.stats));
    expect(keysOf(data.statusBreakdown)).toEqual(keysOf(documented.statusBreakdown));
    const rows = data.stepStats as Json[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(SendkitStepRowSchema.safeParse(row).success).toBe(true);
      expect(keysOf(row)).toEqual(keysOf((documented.stepStats as Json[])[0]));
    }
  });

  it('daily replies validate against the client schemas and hold the documented row fields', async () => {
    const body = (await get(sim, `/v1/analytics/daily/campaigns/${firstId}?from=2026-01-01&to=${REFERENCE_DATE}`, headers)).json();
    const rows = SendkitDailyEnvelopeSchema.parse(body).data;
    expect(rows.length).toBeGreaterThan(0);
    const documentedRow = (loadFixture('sendkit', 'daily-documented').body as { data: Json[] }).data[0];
    for (const row of rows) {
      expect(SendkitDailyRowSchema.safeParse(row).success).toBe(true);
      expect(keysOf(row)).toEqual(keysOf(documentedRow));
    }
  });

  it('errors are the documented {error, message, code}', async () => {
    const reply = await get(sim, '/v1/analytics/campaigns/665a1b2c3d4e5f6a7b8c9dff', headers);
    expect(reply.status).toBe(404);
    const documented = loadFixture('sendkit', 'error-404').body;
    expect(keysOf(reply.json())).toEqual(keysOf(documented));
    expect(reply.json()).toMatchObject({ error: 'Not Found', code: 404 });
  });

  it('the provider maps every simulated campaign without a warning; lead counts as the generation reports them', async () => {
    const result = await fetchSendkitAnalytics({ ...CONNECTION, apiKey: SIM_KEY }, { include: { steps: true, daily: false, raw: false } }, client(sim.url));
    expect(result.warnings).toEqual([]);
    expect(result.records).toHaveLength(12);
    for (const record of result.records) {
      expect(record.metrics.leads).not.toBeNull();
      expect(record.metrics.sent).not.toBeNull();
      expect(record.metrics.contacted === null).toBe(generation === 'older');
      expect(record.metrics.interested === null).toBe(generation === 'older');
      expect(record.metrics.unsubscribed === null).toBe(generation === 'older');
    }
  });
});
