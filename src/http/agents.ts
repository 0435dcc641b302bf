/**
 * The outbound socket pools: one keep-alive `http.Agent` / `https.Agent` per protocol and socket
 * cap, shared by every connection of the process.
 *
 * An agent caps sockets per origin (Node's `maxSockets` counts per host and port), so 800
 * connections to one vendor share at most `maxSocketsPerOrigin` sockets instead of opening
 * `connections × concurrency` at once (past a server's accept queue, connects are dropped and
 * retried by the kernel seconds later). A call past the cap waits in the agent's queue for a free
 * socket; idle sockets are kept for reuse (no TCP/TLS handshake per call) and closed after
 * `IDLE_SOCKET_MS`.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Sockets per vendor origin when the provider settings say nothing. */
export const DEFAULT_MAX_SOCKETS_PER_ORIGIN = 64;
/** An idle pooled socket is closed after this long (below common server keep-alive timeouts). */
const IDLE_SOCKET_MS = 4_000;

export interface OutboundAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

const pools = new Map<number, OutboundAgents>();

/** The shared agents for a socket cap per origin (created on first use, reused after). */
export function outboundAgents(maxSocketsPerOrigin: number = DEFAULT_MAX_SOCKETS_PER_ORIGIN): OutboundAgents {
  if (!Number.isInteger(maxSocketsPerOrigin) || maxSocketsPerOrigin < 1) throw new Error('maxSocketsPerOrigin must be a positive integer');
  let agents = pools.get(maxSocketsPerOrigin);
  if (!agents) {
    const options = { keepAlive: true, maxSockets: maxSocketsPerOrigin, maxFreeSockets: maxSocketsPerOrigin, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
    agents = { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
    pools.set(maxSocketsPerOrigin, agents);
  }
  return agents;
}

/** Closes every pooled socket (idle and busy) and forgets the agents: for a process shutting down. */
export function destroyOutboundAgents(): void {
  for (const agents of pools.values()) {
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
  }
  pools.clear();
}
