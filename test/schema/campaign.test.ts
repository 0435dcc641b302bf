import {
  CAMPAIGN_STATUSES,
  CampaignAnalyticsSchema,
  METRIC_NAMES,
  MetricsSchema,
  PROVIDER_IDS,
  RatesSchema,
  emptyMetrics,
  type CampaignAnalytics,
} from '../../src/schema/campaign';
import * as schemaIndex from '../../src/schema';

function fullRecord(): CampaignAnalytics {
  return {
    key: 'acme-instantly:3f2a',
    id: '3f2a',
    provider: 'instantly',
    connection: 'acme-instantly',
    workspace: 'acme',
    name: 'Q4 outbound',
    status: 'active',
    vendorStatus: '1',
    channels: ['email'],
    createdAt: '2025-10-01T08:00:00.000Z',
    metrics: { ...emptyMetrics(), leads: 100, contacted: 80, sent: 240, emailsSent: 240, opened: 40, replied: 8 },
    rates: { openRate: 0.5, clickRate: null, replyRate: 0.1, bounceRate: null, interestedRate: null, inviteAcceptRate: null },
    averageReplySeconds: 3600,
    steps: [{ step: 1, variant: 'A', sent: 80, opened: 40, clicked: null, replied: 8, bounced: 0 }],
    daily: [{ date: '2025-10-02', sent: 40, opened: 20, clicked: 0, replied: 4, interested: null }],
    leadStatus: { interested: 3, contacted: 77 },
    raw: { id: '3f2a', extra: [1, 2] },
  };
}

describe('CampaignAnalyticsSchema', () => {
  it('accepts a full record unchanged', () => {
    const record = fullRecord();
    expect(CampaignAnalyticsSchema.parse(record)).toEqual(record);
  });

  it('accepts a minimal record (nulls, no raw)', () => {
    const { raw: _raw, ...record } = fullRecord();
    const minimal = { ...record, createdAt: null, averageReplySeconds: null, steps: null, daily: null, leadStatus: null };
    expect(CampaignAnalyticsSchema.parse(minimal)).toEqual(minimal);
  });

  it.each<[string, (r: Record<string, unknown>) => void, string]>([
    ['an unknown status', (r) => (r.status = 'running'), 'status'],
    ['an unknown provider', (r) => (r.provider = 'lemlist'), 'provider'],
    ['an unknown channel', (r) => (r.channels = ['sms']), 'channels.0'],
    ['a numeric id', (r) => (r.id = 123), 'id'],
    ['a negative count', (r) => (r.metrics = { ...emptyMetrics(), sent: -1 }), 'metrics.sent'],
    ['a missing metric', (r) => (r.metrics = { leads: 1 }), 'metrics.contacted'],
    ['an extra metric (strict)', (r) => (r.metrics = { ...emptyMetrics(), clicks: 1 }), 'metrics'],
    ['a negative rate', (r) => (r.rates = { ...(r.rates as object), openRate: -0.1 }), 'rates.openRate'],
    ['a step numbered 0', (r) => (r.steps = [{ step: 0, variant: null, sent: 1, opened: 0, clicked: 0, replied: 0, bounced: 0 }]), 'steps.0.step'],
    ['a daily date that is not YYYY-MM-DD', (r) => (r.daily = [{ date: '2025-10-2', sent: 1, opened: 0, clicked: 0, replied: 0, interested: 0 }]), 'daily.0.date'],
    ['a negative averageReplySeconds', (r) => (r.averageReplySeconds = -5), 'averageReplySeconds'],
    ['a non-numeric leadStatus count', (r) => (r.leadStatus = { interested: 'three' }), 'leadStatus.interested'],
    ['an array raw', (r) => (r.raw = [1]), 'raw'],
  ])('rejects %s at its path', (_label, mutate, path) => {
    const record: Record<string, unknown> = { ...fullRecord() };
    mutate(record);
    const parsed = CampaignAnalyticsSchema.safeParse(record);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join('.')).toBe(path);
  });

  it('MetricsSchema and RatesSchema are strict objects over the named fields', () => {
    expect(Object.keys(MetricsSchema.shape)).toEqual([...METRIC_NAMES]);
    expect(RatesSchema.safeParse({ openRate: 0.1 }).success).toBe(false);
    expect(MetricsSchema.parse(emptyMetrics())).toEqual(emptyMetrics());
  });

  it('names the contract enums exactly', () => {
    expect(PROVIDER_IDS).toEqual(['instantly', 'sendkit', 'kakiyo', 'seleqt']);
    expect(CAMPAIGN_STATUSES).toEqual(['draft', 'active', 'paused', 'completed', 'archived', 'error', 'unknown']);
  });

  it('re-exports the model and the arithmetic from the index', () => {
    expect(schemaIndex.CampaignAnalyticsSchema).toBe(CampaignAnalyticsSchema);
    expect(typeof schemaIndex.computeTotals).toBe('function');
  });
});
