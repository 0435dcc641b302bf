/**
 * Where things are, whether the bench runs from its TypeScript sources (ts-node) or from the
 * compiled copy `npm run bench` makes under `node_modules/.cache/outreach-gateway-bench/`.
 */
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes('"name": "outreach-gateway"')) return dir;
    if (dirname(dir) === dir) throw new Error(`bench: no outreach-gateway package.json above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
/** The directory that holds `src/` and `bench/` as they run (the repository, or the compiled copy). */
export const RUN_ROOT = resolve(__dirname, '..', '..');
export const RESULTS_FILE = join(REPO_ROOT, 'bench', 'results.json');

/**
 * The gateway serves its dashboard from `<root>/web` next to `src/` (as `dist/` does); the
 * compiled copy gets a link to the repository's `web/` so the real app starts unchanged.
 */
export function linkWebAssets(): void {
  const target = join(RUN_ROOT, 'web');
  const source = join(REPO_ROOT, 'web');
  if (RUN_ROOT === REPO_ROOT || existsSync(target) || !existsSync(source)) return;
  symlinkSync(source, target, 'dir');
}
