/**
 * The outbound socket pools: many clients of one origin share at most `maxSocketsPerOrigin`
 * sockets (the rest wait in the pool's queue and all succeed), sockets are reused (keep-alive),
 * and pools are shared per cap. A call counts as sent (for the vendor's windows) when it is written
 * to its socket, not when it starts waiting for one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { createHttpClient, type RequestGate, type UpstreamEvent } from '../../src/http/client';
import { DEFAULT_MAX_SOCKETS_PER_ORIGIN, destroyOutboundAgents, outboundAgents } from '../../src/http/agents';

interface Served {
  url: string;
  server: Server;
  peakOpen: () => number;
  connections: () => number;
  requests: () => number;
}

/** A loopback server answering `{}` after a short hold, counting the sockets open at once. */
async function serve(holdMs: number): Promise<Served> {
  let open = 0;
  let peak = 0;
  let connections = 0;
  let requests = 0;
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }, holdMs);
  });
  server.on('connection', (socket) => {
    connections += 1;
    open += 1;
    peak = Math.max(peak, open);
    socket.on('close', () => {
      open -= 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, peakOpen: () => peak, connections: () => connections, requests: () => requests };
}

async function stop(served: Served): Promise<void> {
  await new Promise<void>((resolve) => {
    served.server.close(() => resolve());
    served.server.closeAllConnections();
  });
}

// nock's interception opens its own socket per request, ignoring the agent: these tests talk to a
// loopback server through Node's own http, so nock is off for this file (no test here leaves loopback).
beforeAll(() => {
  nock.restore();
});

afterEach(() => {
  destroyOutboundAgents();
});

describe('outbound socket pools', () => {
  it('caps the sockets of many clients to one origin and reuses them', async () => {
    const served = await serve(20);
    try {
      const clients = Array.from({ length: 20 }, (_, i) =>
        createHttpClient({ provider: 'sendkit', baseUrl: served.url, maxSocketsPerOrigin: 3, secrets: [`key-${i}`] }),
      );
      const answers = await Promise.all(clients.flatMap((client) => [0, 1, 2].map(() => client.getJson({ path: '/v1/x', headers: {} }))));
      expect(answers).toHaveLength(60);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(served.requests()).toBe(60);
      expect(served.peakOpen()).toBeLessThanOrEqual(3);
      // Keep-alive: 60 calls over at most 3 sockets.
      expect(served.connections()).toBeLessThanOrEqual(3);
    } finally {
      await stop(served);
    }
  });

  it('tells the gate a call was sent when it is written, after its wait for a socket', async () => {
    const served = await serve(100);
    try {
      const sentAt: Record<string, number> = {};
      const gate = (name: string): RequestGate => ({
        acquire: () =>
          Promise.resolve({
            sent: () => {
              sentAt[name] = Date.now();
            },
            answered: () => undefined,
            release: () => undefined,
          }),
        pause: () => undefined,
      });
      // One socket, held 100 ms by the server: the second call is written once the first is answered.
      const first = createHttpClient({ provider: 'sendkit', baseUrl: served.url, maxSocketsPerOrigin: 1, gate: gate('first') });
      const second = createHttpClient({ provider: 'sendkit', baseUrl: served.url, maxSocketsPerOrigin: 1, gate: gate('second') });
      await Promise.all([first.getJson({ path: '/v1/a', headers: {} }), second.getJson({ path: '/v1/b', headers: {} })]);
      expect((sentAt.second ?? 0) - (sentAt.first ?? Infinity)).toBeGreaterThanOrEqual(90);
    } finally {
      await stop(served);
    }
  });

  it("tells the observer each attempt's wait for its socket", async () => {
    const served = await serve(100);
    try {
      const events: UpstreamEvent[] = [];
      const make = (): ReturnType<typeof createHttpClient> =>
        createHttpClient({ provider: 'sendkit', baseUrl: served.url, maxSocketsPerOrigin: 1, observer: (event) => events.push(event) });
      // One socket, held 100 ms by the server: the second call waits for it.
      await Promise.all([make().getJson({ path: '/v1/a', headers: {} }), make().getJson({ path: '/v1/b', headers: {} })]);
      const wait = (path: string): number => events.find((event) => event.path === path)?.socketWaitMs ?? Number.NaN;
      // Both were sent at once; the second is written only after the first is answered (100 ms
      // later at least), whatever else delays both.
      expect(wait('/v1/a')).toBeGreaterThanOrEqual(0);
      expect(wait('/v1/b') - wait('/v1/a')).toBeGreaterThanOrEqual(90);
    } finally {
      await stop(served);
    }
  });

  it('shares one pool per cap, with the documented default', () => {
    expect(outboundAgents()).toBe(outboundAgents(DEFAULT_MAX_SOCKETS_PER_ORIGIN));
    expect(outboundAgents(DEFAULT_MAX_SOCKETS_PER_ORIGIN).httpAgent.maxSockets).toBe(64);
    expect(outboundAgents(5)).not.toBe(outboundAgents(6));
    expect(outboundAgents(5).httpsAgent.maxSockets).toBe(5);
    expect(() => outboundAgents(0)).toThrow('positive integer');
  });
});
