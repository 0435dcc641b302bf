/**
 * Every number in the config has a range (`CONFIG_BOUNDS`): each end is accepted, one step past
 * either end is refused naming the path and the range, and the README's config tables print the
 * same range for every setting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_BOUNDS, ConfigError, boundText, resolveConfig, type BoundedSetting } from '../../src/config';

const HASH = 'c'.repeat(64);

function document(): Record<string, unknown> & { clients: Record<string, unknown>[]; workspaces: { id: string; connections: Record<string, unknown>[] }[] } {
  return {
    clients: [{ id: 'bi', keySha256: HASH, workspaces: ['acme'] }],
    workspaces: [{ id: 'acme', connections: [{ id: 'acme-instantly', provider: 'instantly', apiKey: 'instantly-key-0123' }] }],
  };
}

const PROVIDER_SETTINGS = new Set<string>(['timeoutMs', 'maxAttempts', 'requestsPerSecond', 'burst', 'concurrency', 'maxSocketsPerOrigin', 'ttlSeconds', 'staleSeconds', 'maxPages', 'maxResponseBytes', 'breakerThreshold', 'breakerCooldownSeconds']);

/** Puts `value` where `setting` lives; returns the path a problem with it names. */
function place(setting: BoundedSetting, value: number, where: 'connection' | 'providers'): { doc: Record<string, unknown>; path: string } {
  const doc = document();
  if (PROVIDER_SETTINGS.has(setting)) {
    if (where === 'providers') {
      doc.providers = { instantly: { [setting]: value } };
      return { doc, path: `providers.instantly.${setting}` };
    }
    Object.assign(doc.workspaces[0]?.connections[0] ?? {}, { [setting]: value });
    return { doc, path: `workspaces[0].connections[0].${setting}` };
  }
  // A vendor window is one entry of a provider's `windows` list, the other number valid.
  if (setting === 'windows.requests' || setting === 'windows.seconds') {
    const window = { requests: 10, seconds: 1, [setting.split('.')[1] ?? '']: value };
    if (where === 'providers') {
      doc.providers = { instantly: { windows: [window] } };
      return { doc, path: `providers.instantly.windows[0].${setting.split('.')[1] ?? ''}` };
    }
    Object.assign(doc.workspaces[0]?.connections[0] ?? {}, { windows: [window] });
    return { doc, path: `workspaces[0].connections[0].windows[0].${setting.split('.')[1] ?? ''}` };
  }
  if (setting === 'requestsPerMinute') {
    Object.assign(doc.clients[0] ?? {}, { requestsPerMinute: value });
    return { doc, path: 'clients[0].requestsPerMinute' };
  }
  // Per-provider maps (`sync.intervalSeconds`) hold the setting under a provider id.
  const parts = setting === 'sync.intervalSeconds' ? [...setting.split('.'), 'instantly'] : setting.split('.');
  const [section = '', ...keys] = parts;
  let leaf: Record<string, unknown> = section === 'redis' ? { url: 'redis://127.0.0.1:6379', keySecret: 'k'.repeat(32) } : {};
  doc[section] = leaf;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) leaf[key] = value;
    else leaf = leaf[key] = {};
  });
  return { doc, path: parts.join('.') };
}

function problemsOf(doc: unknown): string[] {
  try {
    resolveConfig(doc, {});
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const SETTINGS = Object.keys(CONFIG_BOUNDS) as BoundedSetting[];

describe('config bounds', () => {
  test.each(SETTINGS)('%s: both ends pass, one step past either end is refused with the range', (setting) => {
    const bound = CONFIG_BOUNDS[setting];
    const step = bound.integer ? 1 : bound.min > 0 ? bound.min / 2 : 0.01;
    for (const where of ['connection', 'providers'] as const) {
      expect(problemsOf(place(setting, bound.min, where).doc)).toEqual([]);
      expect(problemsOf(place(setting, bound.max, where).doc)).toEqual([]);
      for (const bad of [bound.max + step, bound.min - step, bound.max * 1e6, ...(bound.integer ? [bound.min + 0.5] : [])]) {
        const { doc, path } = place(setting, bad, where);
        const problems = problemsOf(doc);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: expected a (whole )?number.* from ${bound.min} to ${bound.max}`));
      }
      expect(problemsOf(place(setting, Number.NaN, where).doc)).toHaveLength(1);
    }
  });

  test('ttlSeconds: 99999999999 is refused in words', () => {
    expect(problemsOf(place('ttlSeconds', 99_999_999_999, 'connection').doc)).toEqual([
      'workspaces[0].connections[0].ttlSeconds: expected a whole number of seconds from 0 to 604800 (7 days)',
    ]);
  });

  test("the README's config tables print every range", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const rows = section.split('\n').filter((line) => line.startsWith('| '));
    for (const setting of SETTINGS) {
      const name = setting.split('.').at(-1) ?? setting;
      const row = rows.find((line) => line.includes(`\`${setting}\``) || line.includes(`\`${name}\``));
      expect({ setting, row: row?.includes(boundText(CONFIG_BOUNDS[setting])) ? 'has the range' : row }).toEqual({ setting, row: 'has the range' });
    }
  });
});
