/**
 * Seleqt as documented: the docs' example reply (fixtures/seleqt/dashboard-documented.json, from
 * https://docs.seleqt.ai/api-reference/dashboard-campaign-analytics) mapped with exact values, and
 * the simulator's replies checked against the same zod schemas and the same field sets as that
 * example, so the simulator cannot drift from the docs.
 */
import { SELEQT_DASHBOARD_PATH, fetchSeleqtAnalytics } from '../../../src/providers/seleqt/client';
import { SeleqtAnalyticsSchema, SeleqtCampaignSchema, SeleqtDashboardEnvelopeSchema } from '../../../src/providers/seleqt/schema';
import { isJsonObject } from '../../../src/providers/shared';
import { startSimulator, type VendorSimulator } from '../../../src/simulator';
import { loadFixture } from '../../helpers/fixtures';
import { connection, http, mock, query } from './helpers';

const KEY = 'd0c5d0c5.documentedSecretForTests';

/** The documented example's one campaign record. */
function documentedRecord(): Record<string, unknown> {
  const body = SeleqtDashboardEnvelopeSchema.parse(loadFixture('seleqt', 'dashboard-documented').body);
  const record = body.campaigns[0];
  if (!isJsonObject(record)) throw new Error('the documented fixture has no campaign record');
  return record;
}

describe('the documented example reply', () => {
  it('is mapped with exact values, the whole record', async () => {
    const scope = mock('dashboard-documented');
    const result = await fetchSeleqtAnalytics(connection, query(), http());
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({
      warnings: [],
      records: [
        {
          key: 'acme-seleqt:123',
          id: '123',
          provider: 'seleqt',
          connection: 'acme-seleqt',
          workspace: 'acme',
          name: 'My Campaign',
          status: 'active',
          vendorStatus: 'ACTIVE',
          channels: ['email', 'linkedin'],
          createdAt: null,
          metrics: {
            leads: 150,
            contacted: 70,
            sent: 100,
            emailsSent: 45,
            linkedinMessagesSent: 25,
            linkedinInvitesSent: 30,
            linkedinInvitesAccepted: 12,
            opened: null,
            clicked: null,
            replied: 8,
            bounced: null,
            unsubscribed: null,
            completed: null,
            interested: 3,
            won: null,
            opportunityValue: null,
          },
          rates: {
            openRate: null,
            clickRate: null,
            replyRate: 8 / 70,
            bounceRate: null,
            interestedRate: 3 / 70,
            inviteAcceptRate: 0.4,
          },
          averageReplySeconds: 172_800,
          steps: null,
          daily: null,
          leadStatus: null,
        },
      ],
    });
  });

  it('declares in the analytics schema exactly the analytics fields the docs show', () => {
    const analytics = documentedRecord().analytics;
    expect(isJsonObject(analytics) ? Object.keys(analytics).sort() : analytics).toEqual(Object.keys(SeleqtAnalyticsSchema.shape).sort());
  });
});

describe('the simulator replies as the docs do', () => {
  const sims: VendorSimulator[] = [];
  async function dashboard(nullAnalytics: boolean): Promise<{ sim: VendorSimulator; body: unknown }> {
    const sim = await startSimulator('seleqt', {
      accounts: [{ apiKey: KEY, seed: 5, campaigns: 120, vendorWorkspaceId: '340' }],
      seleqtNullAnalytics: nullAnalytics,
      rateLimit: { rules: [] },
    });
    sims.push(sim);
    const response = await fetch(`${sim.url}${SELEQT_DASHBOARD_PATH}?workspace_id=340`, { headers: { 'x-api-key': KEY } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return { sim, body: await response.json() };
  }

  afterAll(async () => {
    await Promise.all(sims.map((sim) => sim.close()));
  });

  it.each([false, true])('validates against the client’s schemas with the documented fields only (null analytics mode: %p)', async (nullAnalytics) => {
    const { body } = await dashboard(nullAnalytics);
    const documented = documentedRecord();
    const documentedAnalytics = Object.keys(documented.analytics as Record<string, unknown>);
    const envelope = SeleqtDashboardEnvelopeSchema.parse(body);
    expect(Object.keys(body as object)).toEqual(['campaigns']);
    expect(envelope.campaigns).toHaveLength(120);
    let nulls = 0;
    for (const item of envelope.campaigns) {
      const campaign = SeleqtCampaignSchema.parse(item);
      expect(Object.keys(campaign)).toEqual(Object.keys(documented));
      expect([typeof campaign.id, typeof campaign.name, typeof campaign.status, typeof campaign.workspace_id]).toEqual(['number', 'string', 'string', 'number']);
      expect(['ACTIVE', 'DRAFT']).toContain(campaign.status);
      if (campaign.analytics === null) {
        nulls += 1;
        expect(campaign.status).toBe('DRAFT');
        continue;
      }
      const analytics = SeleqtAnalyticsSchema.parse(campaign.analytics);
      expect(Object.keys(analytics)).toEqual(documentedAnalytics);
      for (const field of documentedAnalytics.filter((name) => name !== 'average_reply_time')) {
        expect({ field, integer: Number.isInteger(analytics[field]) && (analytics[field] as number) >= 0 }).toEqual({ field, integer: true });
      }
      expect(analytics.average_reply_time === null || typeof analytics.average_reply_time === 'string').toBe(true);
    }
    expect(nulls > 0).toBe(nullAnalytics);
  });

  it.each([false, true])('maps through the client without a single warning (null analytics mode: %p)', async (nullAnalytics) => {
    const { sim } = await dashboard(nullAnalytics);
    const result = await fetchSeleqtAnalytics({ ...connection, apiKey: KEY }, query(), http({ baseUrl: sim.url, secrets: [KEY] }));
    expect(result.warnings).toEqual([]);
    expect(result.records).toHaveLength(120);
    const drafts = result.records.filter((r) => r.status === 'draft');
    expect(drafts.length).toBeGreaterThan(0);
    expect(result.records.every((r) => r.status === 'active' || r.status === 'draft')).toBe(true);
    expect(result.records.every((r) => r.createdAt === null)).toBe(true);
    // A draft that never ran: zeros in the default mode, nothing reported (null) with analytics null.
    expect(drafts.every((r) => r.metrics.sent === (nullAnalytics ? null : 0))).toBe(true);
  });
});
