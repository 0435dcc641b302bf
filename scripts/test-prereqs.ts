/**
 * The programs the test suite drives besides Node, checked before anything else runs: present,
 * installed from Debian's packages when this runs as root with apt-get, or a one-line stop naming
 * the program and the command that installs it. No test is skipped for a missing program.
 *
 * `OUTREACH_GATEWAY_NO_INSTALL=1` turns the install off (the check and the one-line stop remain).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';

interface Requirement {
  /** The executable the tests start. */
  program: string;
  /** The Debian package that ships it. */
  pkg: string;
  /** Which tests need it, for the stop line. */
  usedBy: string;
  /** Also looked for in `<under>/<version>/bin` (Debian keeps PostgreSQL's server programs off PATH). */
  under?: string;
}

export const REQUIREMENTS: readonly Requirement[] = [
  { program: 'chromium', pkg: 'chromium', usedBy: 'the dashboard end-to-end test (test/e2e)' },
  { program: 'redis-server', pkg: 'redis-server', usedBy: 'the scale-out tests (test/scaleout)' },
  { program: 'promtool', pkg: 'prometheus', usedBy: 'the /metrics exposition check (test/server/limits.test.ts)' },
  { program: 'initdb', pkg: 'postgresql', usedBy: 'the history store on a PostgreSQL server (test/store/postgres.test.ts)', under: '/usr/lib/postgresql' },
];

/** Where a requirement's program is: on PATH, or under its `under` directory. */
function locate(requirement: Requirement): string | undefined {
  const onPath = findProgram(requirement.program);
  if (onPath !== undefined || requirement.under === undefined) return onPath;
  let versions: string[];
  try {
    versions = readdirSync(requirement.under);
  } catch {
    return undefined;
  }
  const dirs = versions.map((version) => path.join(requirement.under as string, version, 'bin')).join(path.delimiter);
  return findProgram(requirement.program, dirs);
}

/** The program's full path on PATH (or the absolute path given), or undefined. */
export function findProgram(program: string, searchPath = process.env.PATH ?? ''): string | undefined {
  const candidates = program.includes('/') ? [program] : searchPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, program));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; next directory
    }
  }
  return undefined;
}

function run(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

/** Missing programs after an install attempt where one is allowed; [] when all are there. */
export function ensure(requirements: readonly Requirement[], canInstall: boolean): Requirement[] {
  const missing = requirements.filter((requirement) => locate(requirement) === undefined);
  if (missing.length === 0 || !canInstall) return missing;
  const packages = [...new Set(missing.map((requirement) => requirement.pkg))];
  process.stderr.write(`test prerequisites: installing ${packages.join(', ')} (apt-get, as root)\n`);
  if (run('apt-get', ['update']) && run('apt-get', ['install', '-y', '--no-install-recommends', ...packages])) {
    return missing.filter((requirement) => locate(requirement) === undefined);
  }
  return missing.filter((requirement) => locate(requirement) === undefined);
}

function main(): void {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const canInstall = isRoot && process.env.OUTREACH_GATEWAY_NO_INSTALL !== '1' && findProgram('apt-get') !== undefined;
  const missing = ensure(REQUIREMENTS, canInstall);
  if (missing.length === 0) return;
  const first = missing[0] as Requirement;
  const packages = [...new Set(missing.map((requirement) => requirement.pkg))].join(' ');
  process.stderr.write(
    `npm test needs ${missing.map((requirement) => requirement.program).join(', ')} (${first.usedBy}${missing.length > 1 ? ', …' : ''}): install with \`apt-get install -y ${packages}\` as root\n`,
  );
  process.exit(1);
}

if (require.main === module) main();
