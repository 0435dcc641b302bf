/**
 * The V8 heap in use after full collections, for tests that bound what work leaves behind: the
 * difference before and after a batch of work, per item, is what each item kept (a collector run
 * through `--expose-gc`, set here; the pending turn first, so nothing in flight is counted).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export async function heapAfterCollection(): Promise<number> {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}
