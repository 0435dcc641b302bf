/**
 * Small normalized records for tests that need an answer's parts without a vendor behind them: a
 * campaign (its rates computed from its metrics) and a source.
 */
import { emptyMetrics, type CampaignAnalytics, type DailyStats, type Metrics, type ProviderId } from '../../src/schema/campaign';
import type { Source } from '../../src/schema/envelope';
import { computeRates } from '../../src/schema/rates';

export interface CampaignSpec {
  connection: string;
  workspace: string;
  provider: ProviderId;
  id: string;
  metrics: Partial<Metrics>;
  daily?: DailyStats[] | null;
  /** The vendor's own status text. @default 'active' */
  vendorStatus?: string;
}

/** An active email campaign `Campaign <id>` of a connection, its metrics as given and the rest null. */
export function campaignRecord(spec: CampaignSpec): CampaignAnalytics {
  const metrics = { ...emptyMetrics(), ...spec.metrics };
  return {
    key: `${spec.connection}:${spec.id}`,
    id: spec.id,
    provider: spec.provider,
    connection: spec.connection,
    workspace: spec.workspace,
    name: `Campaign ${spec.id}`,
    status: 'active',
    vendorStatus: spec.vendorStatus ?? 'active',
    channels: ['email'],
    createdAt: null,
    metrics,
    rates: computeRates(metrics),
    averageReplySeconds: null,
    steps: null,
    daily: spec.daily ?? null,
    leadStatus: null,
  };
}

/** A SendKit source of workspace acme, with an error of this code when given. */
export function sourceRecord(connection: string, status: Source['status'], cache: Source['cache'], code?: string): Source {
  return {
    workspace: 'acme',
    connection,
    provider: 'sendkit',
    status,
    cache,
    fetchedAt: null,
    ageSeconds: null,
    durationMs: 1,
    campaigns: 0,
    warnings: [],
    error: code === undefined ? null : { code, message: 'x' },
  };
}
