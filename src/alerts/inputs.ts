/**
 * What the evaluation reads from a running gateway: each connection's cached whole walk (the entry
 * a plain request and the scheduler fill; never a vendor call), its health, the scheduler's hold on
 * it (`syncStatus`, when a scheduler runs), and the history store's weekly growth.
 */
import { DEFAULT_QUERY } from '../gateway/connection';
import type { Gateway } from '../gateway/gateway';
import type { HistoryStore } from '../store';
import type { AlertInputs, ConnectionView } from './evaluate';

export function gatewayInputs(gateway: Gateway, store: HistoryStore | undefined): AlertInputs {
  return {
    connections(): ConnectionView[] {
      const out: ConnectionView[] = [];
      for (const runtime of gateway.runtimes.values()) {
        const { connection, health } = runtime;
        const entry = gateway.caches[connection.provider].get(runtime.cacheKey(DEFAULT_QUERY));
        const sync = gateway.syncStatus?.(connection.id);
        out.push({
          id: connection.id,
          workspace: connection.workspace,
          provider: connection.provider,
          records: entry?.records,
          lastSuccessAt: health.lastSuccessAt,
          lastErrorAt: health.lastErrorAt,
          lastErrorCode: health.lastErrorCode,
          limitedBy: sync === undefined ? undefined : sync.limitedBy,
        });
      }
      return out;
    },
    ...(store ? { history: (query) => store.history(query) } : {}),
  };
}
