/**
 * Runs the scale-out helper's `bench/two-instances.ts` (issue 7) in its own process, from the
 * TypeScript sources (it starts gateway processes from `src/main.ts`), and hands its rows back.
 * The module is loaded by path, so the bench still builds and runs where it does not exist.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../lib/paths';
import { serveCommands } from '../lib/proc';

const RowSchema = z.object({
  id: z.string(),
  scenario: z.string(),
  measured: z.string(),
  baseline: z.string(),
  ratio: z.number().nullable(),
  target: z.string(),
  pass: z.boolean().nullable(),
});
const OutcomeSchema = z.object({ rows: z.array(RowSchema), details: z.record(z.string(), z.unknown()) });

serveCommands({
  async run(payload) {
    const { smoke } = z.object({ smoke: z.boolean() }).parse(payload);
    const specifier = join(REPO_ROOT, 'bench', 'two-instances');
    const loaded: unknown = await import(specifier);
    if (typeof loaded !== 'object' || loaded === null || !('runTwoInstances' in loaded) || typeof loaded.runTwoInstances !== 'function') {
      throw new Error('bench/two-instances.ts does not export runTwoInstances()');
    }
    const lines: string[] = [];
    const log = (line: string): void => {
      lines.push(line);
    };
    const outcome = OutcomeSchema.parse(await loaded.runTwoInstances({ smoke, log }));
    return { ...outcome, log: lines };
  },
});
