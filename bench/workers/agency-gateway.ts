/**
 * A server of the big-agency scenario, in its own process: the gateway (the real `createService`)
 * with its event-loop delay measured inside the process (`perf_hooks.monitorEventLoopDelay`), or
 * the raw `node:http` baseline sending a captured answer (read from a file: tens of MB do not go
 * over the IPC channel).
 */
import { readFileSync } from 'node:fs';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import { cpuMicros, serveCommands } from '../lib/proc';
import { WorkerServing } from '../lib/serving';

const RawPayloadSchema = z.object({ file: z.string(), headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])) });

/** The V8 heap's largest size while it was watched (`heapWatchStart` to `heapWatchStop`), sampled every 20 ms, and its collections. */
export interface HeapWatch {
  usedBytes: number;
  committedBytes: number;
  /** Collections by kind (`minor`: scavenges, `major`, `incremental` marking steps, `weak` callbacks): how many, and their pauses' total. */
  collections: Record<string, { count: number; ms: number }>;
}

const GC_KINDS: Readonly<Record<number, string>> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The histogram's timer interval. */
const RESOLUTION_MS = 10;

const serving = new WorkerServing();
let histogram: IntervalHistogram | undefined;
let heapWatch: { timer: NodeJS.Timeout; observer: PerformanceObserver; watch: HeapWatch } | undefined;

serveCommands({
  // The gateway's own outbound pools cap sockets per vendor origin (providers.*.maxSocketsPerOrigin).
  gateway: (payload) => serving.gateway(payload),

  raw(payload) {
    const { file, headers } = RawPayloadSchema.parse(payload);
    return serving.raw(readFileSync(file), headers);
  },

  heapWatchStart() {
    if (heapWatch) {
      clearInterval(heapWatch.timer);
      heapWatch.observer.disconnect();
    }
    const watch: HeapWatch = { usedBytes: 0, committedBytes: 0, collections: {} };
    const sample = (): void => {
      const heap = getHeapStatistics();
      watch.usedBytes = Math.max(watch.usedBytes, heap.used_heap_size);
      watch.committedBytes = Math.max(watch.committedBytes, heap.total_heap_size);
    };
    sample();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
        const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other';
        const total = (watch.collections[kind] ??= { count: 0, ms: 0 });
        total.count += 1;
        total.ms += entry.duration;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    heapWatch = { timer: setInterval(sample, 20), observer, watch };
  },

  async heapWatchStop(): Promise<HeapWatch> {
    if (!heapWatch) throw new Error('heapWatchStart first');
    const { timer, observer, watch } = heapWatch;
    clearInterval(timer);
    heapWatch = undefined;
    // The observer's entries arrive after the collections: one more turn for the last ones.
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    return watch;
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
