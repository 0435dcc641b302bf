/**
 * A server of the big-agency scenario, in its own process: the gateway (the real `createService`)
 * with its event-loop delay measured inside the process (`perf_hooks.monitorEventLoopDelay`), or
 * the raw `node:http` baseline sending a captured answer (read from a file: tens of MB do not go
 * over the IPC channel).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { z } from 'zod';
import { resolveConfig } from '../../src/config';
import { createService, type GatewayService } from '../../src/service';
import { serveCommands } from '../lib/proc';

const GatewayPayloadSchema = z.object({ document: z.unknown(), extraSecrets: z.array(z.string()).default([]) });
const RawPayloadSchema = z.object({ file: z.string(), headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])) });

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The histogram's timer interval. */
const RESOLUTION_MS = 10;

let service: GatewayService | undefined;
let server: Server | undefined;
let histogram: IntervalHistogram | undefined;

function listen(target: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    target.once('error', reject);
    target.listen(0, '127.0.0.1', () => {
      const address = target.address();
      if (address === null || typeof address === 'string') return reject(new Error('no TCP address'));
      resolve(`http://127.0.0.1:${(address satisfies AddressInfo).port}`);
    });
  });
}

serveCommands({
  async gateway(payload) {
    if (service || server) throw new Error('this worker already serves something');
    // The gateway's own outbound pools cap sockets per vendor origin (providers.*.maxSocketsPerOrigin).
    const { document, extraSecrets } = GatewayPayloadSchema.parse(payload);
    service = createService(resolveConfig(document), { extraSecrets });
    return { url: await service.listen(0, '127.0.0.1') };
  },

  async raw(payload) {
    if (service || server) throw new Error('this worker already serves something');
    const { file, headers } = RawPayloadSchema.parse(payload);
    const body = readFileSync(file);
    const all = { ...headers, 'content-length': String(body.length) };
    server = createServer((_req, res) => {
      res.writeHead(200, all);
      res.end(body);
    });
    return { url: await listen(server) };
  },

  /** Starts (or restarts) the event-loop delay histogram. */
  loopDelayStart() {
    histogram?.disable();
    histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
  },

  loopDelayStop(): LoopDelay {
    if (!histogram) throw new Error('loopDelayStart first');
    histogram.disable();
    // A sample is the time between two ticks of the timer: the delay is what exceeds its interval.
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    return { p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) };
  },

  stats() {
    const memory = process.memoryUsage();
    return { rssBytes: memory.rss, heapTotalBytes: memory.heapTotal, heapUsedBytes: memory.heapUsed, externalBytes: memory.external, arrayBuffersBytes: memory.arrayBuffers };
  },

  gc() {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
  },

  async close() {
    if (service) await service.close(500);
    if (server) {
      const closing = server;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    }
  },
});
