/**
 * Small requests one after another, in a process of their own, for as long as they are asked for:
 * each a GET on a new connection, the URLs taken in turn, a short pause between two. The latency
 * measured here is the server's and the loopback's, not that of a client busy reading big answers
 * (the scenario's own process reads those, and its pauses for garbage collection would count).
 */
import { z } from 'zod';
import { serveCommands } from '../lib/proc';
import { timedGet } from '../lib/timed-get';

const ProbeSchema = z.object({
  urls: z.array(z.string()).min(1),
  headers: z.record(z.string(), z.string()).default({}),
  pauseMs: z.number().nonnegative().default(5),
});

export interface ProbeResult {
  /** Each request's time to its last byte, in the order made. */
  ms: number[];
  /** Requests that did not answer 200, as `status url` (or `error url`). */
  failed: string[];
}

let running: { stop: boolean; done: Promise<ProbeResult> } | undefined;

/** Requests until `state.stop`; a request that fails (status or connection) is counted, never thrown. */
async function probe(state: { stop: boolean }, urls: readonly string[], headers: Record<string, string>, pauseMs: number): Promise<ProbeResult> {
  const result: ProbeResult = { ms: [], failed: [] };
  for (let i = 0; !state.stop; i += 1) {
    const url = urls[i % urls.length] as string;
    try {
      const answer = await timedGet(url, headers);
      if (answer.status === 200) result.ms.push(answer.totalMs);
      else result.failed.push(`${answer.status} ${url}`);
    } catch (error) {
      result.failed.push(`${error instanceof Error ? error.message : String(error)} ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return result;
}

serveCommands({
  /** Starts the requests (answers at once; `stop` ends them and returns what they measured). */
  start(payload) {
    if (running) throw new Error('the prober is already running');
    const { urls, headers, pauseMs } = ProbeSchema.parse(payload);
    const state = { stop: false };
    running = Object.assign(state, { done: probe(state, urls, headers, pauseMs) });
  },

  async stop(): Promise<ProbeResult> {
    if (!running) throw new Error('the prober is not running');
    const state = running;
    state.stop = true;
    running = undefined;
    return state.done;
  },
});
