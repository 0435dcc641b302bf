/** The factory and the call estimate the fan-out cost cap reads (every Kakiyo call costs a credit). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKakiyoProvider } from '../../../src/providers/kakiyo';
import { FIXTURES_DIR } from '../../helpers/fixtures';

const include = { steps: false, daily: false, raw: false };

describe('createKakiyoProvider', () => {
  const provider = createKakiyoProvider();

  it('is the kakiyo provider (both spellings name one factory)', () => {
    expect(provider.id).toBe('kakiyo');
  });

  it.each([
    [0, 1],
    [1, 2],
    [99, 100],
    [100, 102],
    [101, 103],
    [250, 253],
  ])('estimates %i campaigns without ids as list pages + one call each = %i', (campaigns, calls) => {
    expect(provider.estimateCalls(campaigns, { include })).toBe(calls);
  });

  it('estimates one call per distinct id when ids are given, whatever include asks', () => {
    expect(provider.estimateCalls(500, { include, campaignIds: ['a', 'b', 'a'] })).toBe(2);
    expect(provider.estimateCalls(500, { include: { steps: true, daily: true, raw: true }, campaignIds: ['a'] })).toBe(1);
    expect(provider.estimateCalls(500, { include, campaignIds: [] })).toBe(0);
    expect(provider.estimateCalls(10, { include: { steps: true, daily: true, raw: true } })).toBe(11);
  });
});

describe('fixtures/kakiyo', () => {
  it('every fixture is used by a Kakiyo test', () => {
    const names = readdirSync(join(FIXTURES_DIR, 'kakiyo')).map((file) => file.replace(/\.json$/, ''));
    const tests = readdirSync(__dirname)
      .filter((file) => file.endsWith('.test.ts') && file !== 'index.test.ts')
      .map((file) => readFileSync(join(__dirname, file), 'utf8'))
      .join('\n');
    expect(names.length).toBe(41);
    expect(names.filter((name) => !tests.includes(`'${name}'`))).toEqual([]);
  });
});
