/** Public types of the vendor simulators (re-exported from `./index`). */
import type { ProviderId } from '../schema/campaign';

/** One vendor account a simulator serves. Two accounts never see each other's campaigns. */
export interface AccountSpec {
  /** The vendor key this account authenticates with, in the vendor's own format. */
  apiKey: string;
  /** Seeds the account's data: the same seed (and reference date) gives the same bytes. */
  seed: number;
  /** How many campaigns the account has (generated lazily on first use, memoized). */
  campaigns: number;
  /**
   * The vendor's workspace id: required by SendKit platform keys (`sk_user_…`, sent as
   * `X-Workspace-Id`) and the `workspace_id` Seleqt answers for. Derived from the seed when left out
   * (SendKit, Seleqt). Instantly: the id another account's key names in `x-as-workspace` to act on
   * this account (see `subWorkspaces`); not derived, so only an explicit id can be named.
   */
  vendorWorkspaceId?: string | undefined;
  /**
   * Instantly only: makes this account's key an admin-workspace key. The `vendorWorkspaceId`s of
   * OTHER accounts of the same simulator this key may act on by sending `x-as-workspace: <id>`; such a
   * request is served from that account (its campaigns, its rate-limit window, its `byKey` label).
   * Each id must be exactly one other account's `vendorWorkspaceId` (checked at start-up). @default []
   */
  subWorkspaces?: readonly string[] | undefined;
  /**
   * A key-independent name that appears in every campaign name ("Acme Q3 Outbound #12") and in
   * `stats().byKey`, so tests can tell tenants apart without the key. @default `account-<n>`
   */
  label?: string | undefined;
}

/** An account as the simulator serves it (defaults filled in). */
export interface SimulatorAccount {
  readonly label: string;
  readonly apiKey: string;
  readonly seed: number;
  readonly campaigns: number;
  readonly vendorWorkspaceId: string | undefined;
  /** Instantly admin keys only (absent otherwise): the sub-workspace ids the key may act on. */
  readonly subWorkspaces?: readonly string[];
}

/** One sliding-window rule: at most `limit` requests in any `windowMs`. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

/** How a 429 says when to come back: `Retry-After: <seconds>`, an HTTP date, or not at all. */
export type RetryAfterMode = 'seconds' | 'date' | 'none';

export interface RateLimitSettings {
  /** Every rule must pass; `[]` = unlimited. */
  rules: readonly RateLimitRule[];
  /** Count per account and route (Kakiyo: "60 requests per minute per endpoint"), else per account. */
  perEndpoint: boolean;
  retryAfter: RetryAfterMode;
}

export interface FaultConfig {
  /** Added before every answer. @default 0 */
  latencyMs: number;
  /** Up to this much more, drawn from the seeded PRNG. @default 0 */
  jitterMs: number;
  /** Fraction answered 500 with the vendor's error body. @default 0 */
  errorRate: number;
  /** Fraction never answered: the socket stays open until the client gives up. @default 0 */
  timeoutRate: number;
  /** Fraction answered 200 with a truncated JSON body or an HTML page. @default 0 */
  malformedRate: number;
  /** Every call answers 503. @default false */
  down: boolean;
  /** Answer 429 to the next N calls (counts down). @default 0 */
  rateLimitBurst: number;
}

/** SendKit list paging generation: current cursor paging, or the older `page=` paging. */
export type SendkitPagination = 'cursor' | 'page';
/**
 * SendKit reply generation: `current` docs (list items' `stats` carry `totalLeads`/`contacted`;
 * analytics `stats` does not, `totalPositiveReplied` is top-level) or the `older` docs (analytics
 * `stats` carries `totalLeads`; no contacted or positive count anywhere).
 */
export type SendkitGeneration = 'current' | 'older';
/**
 * What a Seleqt host is: the JSON API; the SPA frontend, which answers every path with its HTML
 * shell and 200 whatever the key; or a host that answers every path with a 302 to the API host.
 */
export type SeleqtHostMode = 'api' | 'spa' | 'redirect';
/** Kakiyo list envelope (undocumented, so all plausible shapes are served; see simulator/kakiyo.ts). */
export type KakiyoEnvelope = 'campaigns' | 'array' | 'data' | 'data-campaigns';
/** Kakiyo analytics reply: the docs' full example, or their minimal one (`campaign{id,name}`, `metrics{totalProspects,conversionRate}`). */
export type KakiyoAnalyticsShape = 'full' | 'minimal';
/**
 * Instantly analytics records: `documented` (the spec's fields; about one campaign in sixteen
 * leaves out the optional ones) or `live` (as recorded live replies: no `*_unique`, `*_by_step` or
 * `*_automatic*` field on any record).
 */
export type InstantlyAnalyticsShape = 'documented' | 'live';

export interface SimulatorOptions {
  accounts: readonly AccountSpec[];
  /** @default '127.0.0.1' */
  host?: string | undefined;
  /** @default 0 (any free port) */
  port?: number | undefined;
  /**
   * "Today" for the generated data (`YYYY-MM-DD`, UTC): the generated history ends on it (no
   * activity after it) and SendKit's daily default range is the 30 days up to it. Fix it for
   * byte-identical replies across days. `setReferenceDate` moves "today" back within that history.
   * @default today's UTC date when the simulator starts
   */
  referenceDate?: string | undefined;
  /** Overrides of the vendor's own limits (see `DEFAULT_RATE_LIMITS`). */
  rateLimit?: Partial<RateLimitSettings> | undefined;
  faults?: Partial<FaultConfig> | undefined;
  /** Seeds the fault draws (timeouts, errors, malformed bodies, jitter). @default 1 */
  faultSeed?: number | undefined;
  /** SendKit only. @default 'cursor' */
  pagination?: SendkitPagination | undefined;
  /** SendKit only: some list pages come back `data: []` while more are available. @default false */
  sparsePages?: boolean | undefined;
  /** SendKit only: `stepStats[]._id` of the first step (old docs 1, current docs 0). @default 0 */
  stepIndexBase?: 0 | 1 | undefined;
  /** SendKit only: which documented generation of list items and analytics replies is served. @default 'current' */
  generation?: SendkitGeneration | undefined;
  /** Kakiyo only: the `GET /v1/campaigns` envelope. @default 'campaigns' */
  envelope?: KakiyoEnvelope | undefined;
  /** Seleqt only: what this host serves. @default 'api' */
  seleqtHost?: SeleqtHostMode | undefined;
  /** Seleqt only: campaigns that never sent answer `analytics: null` (a new campaign). @default false */
  seleqtNullAnalytics?: boolean | undefined;
  /** Kakiyo only: the `GET /v1/analytics/campaigns/:id` reply. @default 'full' */
  analyticsShape?: KakiyoAnalyticsShape | undefined;
  /** Instantly only: the analytics records' generation. @default 'documented' */
  instantlyAnalytics?: InstantlyAnalyticsShape | undefined;
  /**
   * Instantly only: the `step` the steps analytics give a sequence's first step (contested: the
   * spec's example and recorded live replies read as 1, some client code says 0). @default 1
   */
  instantlyStepBase?: 0 | 1 | undefined;
}

export interface SimulatorStats {
  total: number;
  /** `"GET /v1/analytics/campaigns/:id"`; unmatched paths count under `"GET *"`. */
  byRoute: Record<string, number>;
  /** `"200"`, `"429"`, … and `"timeout"` for calls never answered. */
  byStatus: Record<string, number>;
  /** Authenticated calls per account label (never the key). */
  byKey: Record<string, number>;
  /**
   * When each account's first and last authenticated call arrived (epoch ms, as the vendor's clock
   * sees them), per account label: how a walk was paced at the vendor.
   */
  spanByKey: Record<string, { firstMs: number; lastMs: number }>;
}

export interface VendorSimulator {
  readonly provider: ProviderId;
  /** Origin to use as the provider's `baseUrl`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly accounts: readonly SimulatorAccount[];
  stats(): SimulatorStats;
  resetStats(): void;
  /**
   * Builds every account's data as of the day answered now, which otherwise happens on each
   * account's first request (a vendor's data exists before anyone asks). Replies are the same
   * bytes either way; only the first requests' cost moves here.
   */
  prepare(): void;
  /** Merges into the current faults; takes effect for the next request. */
  setFaults(faults: Partial<FaultConfig>): void;
  /** The faults now in force. */
  faults(): FaultConfig;
  /** Merges into the current limits and forgets every window counted so far. */
  setRateLimit(settings: Partial<RateLimitSettings>): void;
  rateLimit(): RateLimitSettings;
  /**
   * Answers as of the end of day `date` (`YYYY-MM-DD`, UTC, on or before the `referenceDate` it
   * started with) from the next request on: every list, analytics and daily reply is what it would
   * have said that day. Campaigns created later are absent, cumulative counts are the counts
   * through that day (never lower for a later day), daily rows and "last 7 days" end on it, and a
   * campaign that paused or completed later shows the vendor's running status. The same seeds and
   * day always give the same bytes; the start's `referenceDate` gives back today's replies.
   * Throws a RangeError for anything else.
   */
  setReferenceDate(date: string): void;
  /** The day the simulator answers as of (`YYYY-MM-DD`). */
  referenceDate(): string;
  /** Stops listening and ends every open socket (including the ones a timeout fault holds). */
  close(): Promise<void>;
}
