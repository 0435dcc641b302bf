/**
 * The load generator process: autocannon's programmatic API, one run per `run` command, so the
 * process that makes the load never shares an event loop with the server it measures.
 */
import autocannon from 'autocannon';
import { z } from 'zod';
import { serveCommands } from '../lib/proc';

export const LoadRunSchema = z.object({
  url: z.string(),
  connections: z.number().int().positive(),
  /** Seconds of load; ignored when `amount` is set. */
  durationSeconds: z.number().positive().optional(),
  /** Stop after this many requests in total. */
  amount: z.number().int().positive().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutSeconds: z.number().positive().default(10),
});
export type LoadRun = z.input<typeof LoadRunSchema>;

export interface LoadResult {
  /** 2xx answers per second over the whole run. */
  requestsPerSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  bytesPerSecond: number;
  statusCodes: Record<string, number>;
  /** The load generator's own CPU (user + system) per answer, in µs: when it is near the server's, the client is the bottleneck. */
  clientCpuMicrosPerRequest: number;
}

async function run(payload: unknown): Promise<LoadResult> {
  const options = LoadRunSchema.parse(payload);
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationSeconds ?? 5 }),
    headers: options.headers,
    timeout: options.timeoutSeconds,
    pipelining: 1,
  });
  const cpu = process.cpuUsage(cpuBefore);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    bytesPerSecond: result.throughput.average,
    statusCodes,
    clientCpuMicrosPerRequest: (cpu.user + cpu.system) / Math.max(1, result['2xx'] + result.non2xx),
  };
}

serveCommands({ run });
