/**
 * Prometheus metrics (prom-client), one registry per gateway instance. Labels are bounded sets
 * (route, status, provider, outcome, an alert rule id from the config): never a tenant, a key or a campaign id. The exposition passes
 * `promtool check metrics`: prom-client's default Node.js gauges that end in `_total` (active
 * handles, requests and resources) are dropped; the same gauges without the suffix, by type, stay.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  httpDuration: Histogram<'route'>;
  upstreamCalls: Counter<'provider' | 'outcome'>;
  upstreamDuration: Histogram<'provider'>;
  /** Time an upstream call, holding its permit, waited to be written to a socket (the origin's pool). */
  upstreamSocketWait: Histogram<'provider'>;
  cacheEvents: Counter<'provider' | 'event'>;
  rateLimitWait: Histogram<'provider'>;
  breakersOpen: Gauge<'provider'>;
  sourceOutcomes: Counter<'provider' | 'status'>;
  inboundRejected: Counter<'reason'>;
  /** Active alerts per rule (a rule id from the config). */
  alertsActive: Gauge<'rule'>;
  /** Alert notifications by event (alert.firing, alert.resolved) and outcome (queued, delivered, failed, given_up). */
  alertNotifications: Counter<'event' | 'outcome'>;
  /**
   * A count kept as a plain number and added to `counter` (with `labels`) whenever the metrics are
   * read (the counter's `collect`): for a path that adds the same series on every request (a
   * replayed cache hit's sources per provider), where prom-client would hash the labels on each
   * `inc`. One cell per counter and labels, shared by every caller.
   */
  tally(counter: TalliedCounter, labels: Record<string, string>): TallyCell;
}

/** The counters a `tally` can add to. */
export type TalliedCounter = 'cacheEvents' | 'sourceOutcomes';

/** A count not yet added to its counter. */
export interface TallyCell {
  count: number;
}

const DEFAULT_PREFIX = 'gateway_process_';
/** Default gauges whose name says counter (`_total`); each is the sum of the by-type gauge kept beside it. */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: DEFAULT_PREFIX });
    for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(`${DEFAULT_PREFIX}${name}`);
  }
  const registers = [registry];
  /** Each tallied counter's cells by their labels. */
  const tallies: Record<TalliedCounter, Map<string, { labels: Record<string, string>; cell: TallyCell }>> = { cacheEvents: new Map(), sourceOutcomes: new Map() };
  /** A counter that `tally` cells add to: prom-client calls its `collect` before each read, which adds the cells' counts. */
  const tallied = <L extends string>(counter: TalliedCounter, options: { name: string; help: string; labelNames: L[] }): Counter<L> => {
    const made: Counter<L> = new Counter<L>({
      ...options,
      registers,
      collect: () => {
        for (const { labels, cell } of tallies[counter].values()) {
          if (cell.count === 0) continue;
          made.inc(labels as Partial<Record<L, string>>, cell.count);
          cell.count = 0;
        }
      },
    });
    return made;
  };
  return {
    registry,
    httpRequests: new Counter({ name: 'gateway_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames: ['route', 'status'], registers }),
    httpDuration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamCalls: new Counter({ name: 'gateway_upstream_calls_total', help: 'Upstream vendor calls (attempts) by provider and outcome', labelNames: ['provider', 'outcome'], registers }),
    upstreamDuration: new Histogram({
      name: 'gateway_upstream_call_duration_seconds',
      help: 'Upstream vendor call duration by provider',
      labelNames: ['provider'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamSocketWait: new Histogram({
      name: 'gateway_upstream_socket_wait_seconds',
      help: 'Time upstream calls waited, holding their rate-limit permit, to be written to a socket of the vendor origin pool (maxSocketsPerOrigin)',
      labelNames: ['provider'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    cacheEvents: tallied('cacheEvents', { name: 'gateway_cache_events_total', help: 'Cache events (hit, miss, stale, bypass, coalesced, evict) by provider', labelNames: ['provider', 'event'] }),
    rateLimitWait: new Histogram({
      name: 'gateway_ratelimit_wait_seconds',
      help: 'Time upstream calls waited for an outbound rate-limit token',
      labelNames: ['provider'],
      buckets: [0, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    breakersOpen: new Gauge({ name: 'gateway_breakers_open', help: 'Connections whose circuit breaker is open or half-open, by provider', labelNames: ['provider'], registers }),
    sourceOutcomes: tallied('sourceOutcomes', { name: 'gateway_source_outcomes_total', help: 'Per-connection outcomes in answers (ok, stale, error) by provider', labelNames: ['provider', 'status'] }),
    inboundRejected: new Counter({ name: 'gateway_inbound_rejected_total', help: 'Requests refused before any vendor call, by reason', labelNames: ['reason'], registers }),
    alertsActive: new Gauge({ name: 'gateway_alerts_active', help: 'Active alerts per rule', labelNames: ['rule'], registers }),
    alertNotifications: new Counter({
      name: 'gateway_alert_notifications_total',
      help: 'Alert notifications by event and outcome (queued, delivered, failed attempt, given_up)',
      labelNames: ['event', 'outcome'],
      registers,
    }),
    tally(counter, labels) {
      const key = Object.keys(labels)
        .sort()
        .map((name) => `${name}=${labels[name] ?? ''}`)
        .join('\n');
      let entry = tallies[counter].get(key);
      if (!entry) {
        entry = { labels: { ...labels }, cell: { count: 0 } };
        tallies[counter].set(key, entry);
      }
      return entry.cell;
    },
  };
}
