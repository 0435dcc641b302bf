/**
 * A server of the big-agency scenario, in its own process: the gateway (the real `createService`)
 * with its event-loop delay measured inside the process (`perf_hooks.monitorEventLoopDelay`), or
 * the raw `node:http` baseline sending a captured answer (read from a file: tens of MB do not go
 * over the IPC channel).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import { cpuMicros, serveCommands } from '../lib/proc';
import { WorkerServing } from '../lib/serving';

const RawPayloadSchema = z.object({ file: z.string(), headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])) });

/** The V8 heap's largest size while it was watched (`heapPeakStart` to `heapPeakStop`), sampled every 20 ms. */
export interface HeapPeak {
  usedBytes: number;
  committedBytes: number;
}

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The histogram's timer interval. */
const RESOLUTION_MS = 10;

const serving = new WorkerServing();
let histogram: IntervalHistogram | undefined;
let heapWatch: { timer: NodeJS.Timeout; peak: HeapPeak } | undefined;

serveCommands({
  // The gateway's own outbound pools cap sockets per vendor origin (providers.*.maxSocketsPerOrigin).
  gateway: (payload) => serving.gateway(payload),

  raw(payload) {
    const { file, headers } = RawPayloadSchema.parse(payload);
    return serving.raw(readFileSync(file), headers);
  },

  heapPeakStart() {
    if (heapWatch) clearInterval(heapWatch.timer);
    const peak: HeapPeak = { usedBytes: 0, committedBytes: 0 };
    const sample = (): void => {
      const heap = getHeapStatistics();
      peak.usedBytes = Math.max(peak.usedBytes, heap.used_heap_size);
      peak.committedBytes = Math.max(peak.committedBytes, heap.total_heap_size);
    };
    sample();
    heapWatch = { timer: setInterval(sample, 20), peak };
  },

  heapPeakStop(): HeapPeak {
    if (!heapWatch) throw new Error('heapPeakStart first');
    clearInterval(heapWatch.timer);
    const { peak } = heapWatch;
    heapWatch = undefined;
    return peak;
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
    // Per V8 space, committed and used (MB): which space holds what the heap has committed.
    const spaces = getHeapSpaceStatistics()
      .filter((space) => space.space_size > 1024 * 1024)
      .map((space) => `${space.space_name.replace(/_space$/, '')} ${(space.space_used_size / 1048576).toFixed(0)}/${(space.space_size / 1048576).toFixed(0)}`)
      .join(', ');
    return { cpuMicros: cpuMicros(), rssBytes: memory.rss, heapTotalBytes: memory.heapTotal, heapUsedBytes: memory.heapUsed, externalBytes: memory.external, arrayBuffersBytes: memory.arrayBuffers, spaces };
  },

  gc() {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
  },

  close: () => serving.close(),
});
