/**
 * The one interface every vendor implements. Providers know nothing of caching, tenants or
 * Express: given a connection and a query they fetch, parse and map. Caching, rate limiting and
 * breakers wrap them from outside (the HTTP client's `RequestGate` is the seam for outbound limits).
 */
import type { HttpClient } from '../http/client';
import type { CampaignAnalytics, ProviderId } from '../schema/campaign';

export interface ProviderConnection {
  /** Gateway connection id (`acme-instantly`); first half of every campaign `key`. */
  id: string;
  /** Gateway workspace id the connection belongs to. */
  workspace: string;
  apiKey: string;
  /** The vendor's workspace id where the vendor has one (SendKit platform keys, Seleqt, Instantly sub-workspaces). */
  vendorWorkspaceId?: string | undefined;
  /** Parallel per-campaign calls for vendors that need one call per campaign. @default 4 */
  concurrency?: number | undefined;
  /** Hard cap on list pages; a walk that reaches it fails with `too_many_pages`. @default 200 */
  maxPages?: number | undefined;
}

export interface IncludeOptions {
  steps: boolean;
  daily: boolean;
  raw: boolean;
}

export interface AnalyticsQuery {
  /** Vendor campaign ids to restrict to; undefined = every campaign. */
  campaignIds?: readonly string[] | undefined;
  /** `YYYY-MM-DD` (UTC), inclusive. */
  startDate?: string | undefined;
  endDate?: string | undefined;
  include: IncludeOptions;
  signal?: AbortSignal | undefined;
  /** Epoch ms: the whole walk must be over by then. */
  deadlineMs?: number | undefined;
}

export type WarningCode =
  | 'invalid_records'
  | 'invalid_fields'
  | 'skipped_rows'
  | 'date_range_unsupported'
  | 'campaign_not_found'
  | 'partial_detail'
  // Added by the gateway, never by a provider: a date range answered from the history store's
  // snapshots (gateway/range.ts), and a cumulative count that went down between them.
  | 'date_range_from_snapshots'
  | 'counter_reset';

export interface SourceWarning {
  code: WarningCode;
  message: string;
  /** How many records it concerns (for `invalid_records`). */
  count?: number;
  /** The first failing field path (for `invalid_records`, `invalid_fields`). */
  path?: string;
  /** For `invalid_fields`: each field path (within the vendor's record) and how many records had an unreadable value there. */
  fields?: Record<string, number>;
}

export interface ProviderResult {
  records: CampaignAnalytics[];
  warnings: SourceWarning[];
}

/**
 * What a vendor's own folder says about talking to it; config.ts adds the settings common to all
 * (timeouts, attempts, breaker) and lets a connection override any of them.
 */
export interface VendorDefaults {
  /** The vendor's documented origin. */
  baseUrl: string;
  /** Token-bucket refill rate per vendor account, under the vendor's published limit. */
  requestsPerSecond: number;
  /** Token-bucket capacity. */
  burst: number;
  /** Seconds a fetched result stays fresh. */
  ttlSeconds: number;
}

export interface AnalyticsProvider {
  readonly id: ProviderId;
  readonly defaults: VendorDefaults;
  /**
   * Whether `id` can be one of this vendor's campaign ids (syntax only). A caller's id that cannot
   * be is refused with a 400 before any vendor call, never sent to the vendor.
   */
  isCampaignId(id: string): boolean;
  /** Upstream calls one fetch needs at most for `campaigns` campaigns (for the fan-out cost cap). */
  estimateCalls(campaigns: number, query: Pick<AnalyticsQuery, 'include' | 'campaignIds'>): number;
  fetchAnalytics(connection: ProviderConnection, query: AnalyticsQuery, http: HttpClient): Promise<ProviderResult>;
  /**
   * The cheapest real calls that prove a key and host work and count the campaigns: the campaign
   * list walk (or the single analytics call where the vendor has nothing cheaper), never a
   * per-campaign call. Errors are thrown as `ProviderError`s, like `fetchAnalytics`.
   */
  probe(connection: ProviderConnection, http: HttpClient, signal?: AbortSignal): Promise<ProbeResult>;
}

export interface ProbeResult {
  /** Campaigns the account lists. */
  campaigns: number;
  /** Upstream calls the probe made (each costs a credit on Kakiyo). */
  calls: number;
  warnings: SourceWarning[];
}
