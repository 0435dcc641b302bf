/**
 * Scenario 7 (when `bench/two-instances.ts` exists): the scale-out helper's two-instance rows (one
 * Redis, two gateway processes), run in a process of their own and reported as they come.
 */
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { startWorker } from '../lib/proc';
import type { Row } from '../lib/report';

export async function twoInstances(context: BenchContext): Promise<ScenarioOutcome> {
  const worker = startWorker('two-instances', { fromSource: true });
  try {
    const outcome = await worker.call<{ rows: Row[]; details: Record<string, unknown>; log: string[] }>('run', { smoke: context.smoke }, 240_000);
    for (const line of outcome.log) context.log(line);
    return { rows: outcome.rows, details: outcome.details };
  } finally {
    await worker.stop();
  }
}
