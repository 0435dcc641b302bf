/**
 * Wires one gateway instance: logger (with every configured secret redacted), metrics, providers,
 * gateway, the history store and the scheduled sync (when asked), alerts (evaluated after each
 * scheduled walk), Express app, and the Node HTTP server with timeouts set for a gateway (Node's default
 * `requestTimeout` is 300 s) and a drain on stop that answers every accepted request and closes
 * keep-alive connections politely (server/drain.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { createScaleOut, type ScaleOut } from './scaleout';
import type { GatewayConfig } from './config';
import { Gateway } from './gateway/gateway';
import { createLogger, type Logger } from './logger';
import { createMetrics, type GatewayMetrics } from './metrics';
import { createProviders } from './providers/registry';
import type { AnalyticsProvider } from './providers/types';
import type { ProviderId } from './schema/campaign';
import { createRequestListener } from './server/app';
import { ConnectionDrain } from './server/drain';
import { problemBody } from './server/problem';
import { SyncScheduler } from './scheduler';
import { HistoryStore } from './store';
import { AlertEngine } from './alerts';
import { gatewayInputs } from './alerts/inputs';
import { StoreCallTally } from './store/call-tally';

export interface ServiceOptions {
  logger?: Logger;
  /** Capture log lines (tests). */
  logStream?: Writable;
  /** Extra secret values to redact from logs (the demo client key). */
  extraSecrets?: readonly string[];
  providers?: Record<ProviderId, AnalyticsProvider>;
  now?: () => number;
  /**
   * Open the history store (`config.storage`) and record snapshots. `serve` and the demo do; a
   * one-shot `fetch` and most tests do not. Ignored when `storage.enabled` is false.
   */
  history?: boolean;
  /**
   * Run the scheduled sync (`config.sync`): connections refreshed before their cache entries go
   * stale. @default the `history` option (so `serve` and the demo do). Ignored when `sync.enabled` is false.
   */
  sync?: boolean;
}

export interface GatewayService {
  config: GatewayConfig;
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  server: Server;
  /** The Redis side of a scale-out deployment (`redis.url` set); connects in the background. */
  scaleOut: ScaleOut | undefined;
  /** The history store, when open (`history` option and `storage.enabled`); opens in the background. */
  store: HistoryStore | undefined;
  /** The scheduled sync, when running (`sync` option and `sync.enabled`); stopped by `close`. */
  scheduler: SyncScheduler | undefined;
  /** Alerts, when the config has rules: evaluated after each scheduled walk, kept in the store when it is up. */
  alerts: AlertEngine | undefined;
  /** Listens on `host:port` (port 0 = any free port); resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Drains (server/drain.ts): stops accepting, answers what was accepted with `Connection: close`,
   * closes idle connections, and after `graceMs` (default `server.deadlineMs` + 1 s) closes what is
   * left. `signal` names the cause in the `draining`/`stopped` log lines. Idempotent.
   */
  close(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

export function createService(config: GatewayConfig, options: ServiceOptions = {}): GatewayService {
  // Frozen: the logger keeps the redacted form of the strings it sees often (logger.ts).
  const secrets = Object.freeze([...config.secrets, ...(options.extraSecrets ?? [])]);
  const logger =
    options.logger ??
    createLogger({ level: config.log.level, secrets: () => secrets, ...(options.logStream ? { stream: options.logStream } : {}) });
  const metrics = createMetrics();
  const scaleOut = config.redis ? createScaleOut(config.redis, { logger, registry: metrics.registry }) : undefined;
  const store =
    options.history && config.storage.enabled
      ? new HistoryStore({ dir: config.storage.dir, url: config.storage.url, retentionDays: config.storage.retentionDays, logger, ...(options.now ? { now: options.now } : {}) })
      : undefined;
  const gateway = new Gateway(config, {
    ...(store ? { snapshots: (walk) => void store.record(walk), ranges: store } : {}),
    providers: options.providers ?? createProviders(),
    metrics,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(scaleOut ? { scaleOut, cacheKeySecret: scaleOut.keySecret } : {}),
  });
  const alerts =
    config.alerts.rules.length > 0
      ? new AlertEngine({
          config: config.alerts,
          inputs: gatewayInputs(gateway, store),
          store,
          logger,
          metrics: { active: metrics.alertsActive, notifications: metrics.alertNotifications },
          ...(options.now ? { now: options.now } : {}),
        })
      : undefined;
  const scheduler =
    (options.sync ?? options.history ?? false) && config.sync.enabled
      ? new SyncScheduler({
          gateway,
          config: config.sync,
          logger,
          registry: metrics.registry,
          ...(scaleOut ? { lease: scaleOut.syncLease, shareBucket: scaleOut.syncShareBucket } : {}),
          // Kakiyo's daily count: shared through Redis, kept in the store across restarts (scheduler/credit-budget.ts).
          callTallies: [
            ...(scaleOut ? [scaleOut.callTally] : []),
            ...(store ? [new StoreCallTally(() => store.database(), config.storage.url ? 'shared' : 'local')] : []),
          ],
          ...(options.now ? { now: options.now } : {}),
          ...(alerts ? { onWalkDone: alerts.onWalkDone } : {}),
        })
      : undefined;
  const readiness = async (): Promise<string | undefined> => {
    const problems = [scaleOut ? await scaleOut.readiness() : undefined, store && !store.up ? `history store unavailable (${store.lastError ?? 'unknown'})` : undefined];
    const found = problems.filter((problem): problem is string => problem !== undefined);
    return found.length > 0 ? found.join('; ') : undefined;
  };
  const listener = createRequestListener({ config, gateway, metrics, logger, store, alerts, readiness, ...(options.now ? { now: options.now } : {}) });
  scaleOut?.start();
  // Without a store the scheduler starts at once; with one, in `listen` once the store is open
  // (so its first walks are recorded). Starting twice is a no-op.
  if (!store) {
    void alerts?.start();
    scheduler?.start();
  }
  // Repeated cache hits are answered before Express (server/hot-path.ts, wired in server/app.ts).
  const server = createServer();
  const drain = new ConnectionDrain(server, logger);
  server.on('request', drain.listener(listener));
  server.requestTimeout = config.server.deadlineMs + 5_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  // Requests Node refuses before the app sees them (a 170 KB URL, a malformed request line) still
  // get a problem+json answer instead of Node's bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify(
      problemBody(status, 'invalid_query', tooLarge ? 'the request line or headers are too large (ids takes at most 100 campaign keys)' : 'the request could not be parsed', ''),
    );
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  return {
    config,
    gateway,
    metrics,
    logger,
    server,
    scaleOut,
    store,
    scheduler,
    alerts,
    async listen(port = config.server.port, host = config.server.host) {
      // The store opens before the first request: the embedded database's start-up holds the event
      // loop for a few seconds, which must not land on a caller's vendor calls. An unreachable
      // server does not stop the gateway (it starts degraded and the store keeps retrying). The
      // scheduler starts after it, so its first walks are recorded.
      await store?.start();
      // Alerts read their stored state (active alerts, undelivered notifications) before any walk.
      if (store) await alerts?.start();
      scheduler?.start();
      return new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          const bound = address !== null && typeof address === 'object' ? (address satisfies AddressInfo).port : port;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
        });
      });
    },
    async close(graceMs = config.server.deadlineMs + 1_000, signal?: NodeJS.Signals) {
      // No new scheduled walk; the ones in flight may have callers waiting on them until the drain ends.
      scheduler?.halt();
      if (server.listening || drain.started) await drain.drain(graceMs, signal);
      await scheduler?.stop();
      // The attempt in flight ends and the last alert change is written before the store closes.
      await alerts?.stop();
      await scaleOut?.close();
      await store?.close();
    },
  };
}
