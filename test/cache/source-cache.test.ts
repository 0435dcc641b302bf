import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { CacheKeyer, SourceCache, measureSerialized, measureSource, normalizeUpstreamQuery, type UpstreamQueryKey } from '../../src/cache/source-cache';
import type { SourceWarning } from '../../src/providers/types';
import type { ProviderId } from '../../src/schema/campaign';
import { emptyMetrics, type CampaignAnalytics } from '../../src/schema/campaign';
import { computeRates } from '../../src/schema/rates';

const QUERY: UpstreamQueryKey = { campaignIds: undefined, startDate: undefined, endDate: undefined, steps: false, daily: false, raw: false };

const ACME = { id: 'acme-instantly', apiKey: 'inst_live_ACME_5f0c9e2d7b11', vendorWorkspaceId: undefined };

function record(id: string, name = `Campaign ${id}`): CampaignAnalytics {
  const metrics = { ...emptyMetrics(), leads: 100, contacted: 80, opened: 40 };
  return {
    key: `acme-instantly:${id}`,
    id,
    provider: 'instantly',
    connection: 'acme-instantly',
    workspace: 'acme',
    name,
    status: 'active',
    vendorStatus: '1',
    channels: ['email'],
    createdAt: '2026-01-01T00:00:00.000Z',
    metrics,
    rates: computeRates(metrics),
    averageReplySeconds: null,
    steps: null,
    daily: null,
    leadStatus: null,
  };
}

describe('normalizeUpstreamQuery', () => {
  it('sorts and de-duplicates ids and writes every part in a fixed order', () => {
    expect(normalizeUpstreamQuery({ ...QUERY, campaignIds: ['c', 'a', 'b', 'a'], startDate: '2026-01-01', endDate: '2026-01-31', steps: true, daily: true, raw: true })).toBe(
      'a,b,c|2026-01-01|2026-01-31|s|d|r',
    );
    expect(normalizeUpstreamQuery(QUERY)).toBe('*|||||');
    expect(normalizeUpstreamQuery({ ...QUERY, daily: true })).toBe('*||||d|');
  });

  it('gives the same string for the same ids in any order, and different strings for different queries', () => {
    const a = normalizeUpstreamQuery({ ...QUERY, campaignIds: ['x', 'y'] });
    expect(normalizeUpstreamQuery({ ...QUERY, campaignIds: ['y', 'x', 'y'] })).toBe(a);
    const variants = [
      a,
      normalizeUpstreamQuery(QUERY),
      normalizeUpstreamQuery({ ...QUERY, campaignIds: ['x'] }),
      normalizeUpstreamQuery({ ...QUERY, campaignIds: ['x', 'y'], steps: true }),
      normalizeUpstreamQuery({ ...QUERY, campaignIds: ['x', 'y'], raw: true }),
      normalizeUpstreamQuery({ ...QUERY, campaignIds: ['x', 'y'], startDate: '2026-01-01', endDate: '2026-01-02' }),
      normalizeUpstreamQuery({ ...QUERY, campaignIds: ['x', 'y'], startDate: '2026-01-02', endDate: '2026-01-01' }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
  });
});

describe('CacheKeyer', () => {
  it('builds <connection>|<credential tag>|<query> without the key', () => {
    const keyer = new CacheKeyer('process-secret');
    const key = keyer.key(ACME, { ...QUERY, campaignIds: ['b', 'a'] });
    expect(key).toMatch(/^acme-instantly\|[A-Za-z0-9_-]{22}\|a,b\|\|\|\|\|$/);
    expect(key).not.toContain(ACME.apiKey);
    expect(key).not.toContain(Buffer.from(ACME.apiKey).toString('base64url'));
    expect(key).not.toContain(Buffer.from(ACME.apiKey).toString('hex'));
  });

  it('is stable for the same secret and credential, across instances', () => {
    const tag = new CacheKeyer('process-secret').credentialTag(ACME);
    expect(new CacheKeyer('process-secret').credentialTag(ACME)).toBe(tag);
    expect(new CacheKeyer('process-secret').key(ACME, QUERY)).toBe(new CacheKeyer('process-secret').key(ACME, QUERY));
  });

  it('changes with the vendor key, the vendor workspace and the keyer secret', () => {
    const keyer = new CacheKeyer('process-secret');
    const base = keyer.key(ACME, QUERY);
    expect(keyer.key({ ...ACME, apiKey: 'inst_live_ACME_rotated_0001' }, QUERY)).not.toBe(base);
    expect(keyer.key({ ...ACME, vendorWorkspaceId: 'ws-2' }, QUERY)).not.toBe(base);
    expect(new CacheKeyer('another-secret').key(ACME, QUERY)).not.toBe(base);
    expect(keyer.key({ ...ACME, id: 'globex-instantly' }, QUERY)).not.toBe(base);
  });

  it('separates the key from the vendor workspace, so moving characters between them changes the tag', () => {
    const keyer = new CacheKeyer('process-secret');
    expect(keyer.credentialTag({ apiKey: 'abc', vendorWorkspaceId: 'd' })).not.toBe(keyer.credentialTag({ apiKey: 'ab', vendorWorkspaceId: 'cd' }));
  });

  it('uses a random secret when none is given (tags differ between keyers)', () => {
    const first = new CacheKeyer();
    const second = new CacheKeyer();
    expect(first.credentialTag(ACME)).toBe(first.credentialTag(ACME));
    expect(first.credentialTag(ACME)).not.toBe(second.credentialTag(ACME));
    expect(new CacheKeyer('').credentialTag(ACME)).not.toBe(new CacheKeyer('').credentialTag(ACME));
  });
});

describe('SourceCache', () => {
  it('stores and returns an entry sized by its serialized records', () => {
    const cache = new SourceCache('instantly', { maxBytes: 1_000_000, maxAgeMs: 60_000 });
    const records = [record('c1'), record('c2')];
    const entry = cache.set('k1', { records, warnings: [{ code: 'date_range_unsupported', message: 'lifetime totals' }], fetchedAt: 1_700_000_000_000 });
    const warnings = [{ code: 'date_range_unsupported' as const, message: 'lifetime totals' }];
    expect(entry.bytes).toBe(Buffer.byteLength(JSON.stringify([records, warnings])) + 64);
    expect(entry.digest).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(cache.get('k1')).toEqual({ records, warnings, fetchedAt: 1_700_000_000_000, bytes: entry.bytes, digest: entry.digest });
    expect(cache.get('k2')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.calculatedBytes).toBe(entry.bytes);
    expect(cache.provider).toBe('instantly');
  });

  it('counts multi-byte characters as bytes', () => {
    const cache = new SourceCache('sendkit', { maxBytes: 1_000_000, maxAgeMs: 60_000 });
    const ascii = cache.set('a', { records: [record('c1', 'aaaa')], warnings: [], fetchedAt: 0 });
    const wide = cache.set('b', { records: [record('c1', '\u00e9\u00e9\u00e9\u00e9')], warnings: [], fetchedAt: 0 });
    expect(wide.bytes - ascii.bytes).toBe(4);
  });

  it('keeps calculatedBytes within maxBytes under a stream of distinct entries, evicting the least recently used', () => {
    const evicted: ProviderId[] = [];
    const maxBytes = 20_000;
    const cache = new SourceCache('kakiyo', { maxBytes, maxAgeMs: 60_000, onEvict: (provider) => evicted.push(provider) });
    let stored = 0;
    for (let i = 0; i < 300; i += 1) {
      const records = Array.from({ length: 1 + (i % 4) }, (_, j) => record(`c${i}-${j}`));
      cache.set(`key-${i}`, { records, warnings: [], fetchedAt: i });
      stored += 1;
      expect(cache.calculatedBytes).toBeLessThanOrEqual(maxBytes);
      // Keep key-0 in use: it survives as the most recently read entry.
      expect(cache.get('key-0')?.fetchedAt).toBe(0);
    }
    expect(cache.size).toBeLessThan(stored);
    expect(cache.size).toBeGreaterThan(1);
    expect(evicted.length).toBe(stored - cache.size);
    expect(new Set(evicted)).toEqual(new Set(['kakiyo']));
    expect(cache.get('key-1')).toBeUndefined();
    expect(cache.get('key-299')?.fetchedAt).toBe(299);
  });

  it('does not call onEvict when an entry is replaced', () => {
    const evicted: ProviderId[] = [];
    const cache = new SourceCache('seleqt', { maxBytes: 1_000_000, maxAgeMs: 60_000, onEvict: (provider) => evicted.push(provider) });
    cache.set('k', { records: [record('c1')], warnings: [], fetchedAt: 1 });
    cache.set('k', { records: [record('c1')], warnings: [], fetchedAt: 2 });
    expect(cache.get('k')?.fetchedAt).toBe(2);
    expect(cache.size).toBe(1);
    expect(evicted).toEqual([]);
  });

  it('does not store an entry larger than the whole bound', () => {
    const cache = new SourceCache('seleqt', { maxBytes: 500, maxAgeMs: 60_000 });
    const entry = cache.set('big', { records: Array.from({ length: 5 }, (_, i) => record(`c${i}`)), warnings: [], fetchedAt: 1 });
    expect(entry.bytes).toBeGreaterThan(500);
    expect(cache.get('big')).toBeUndefined();
    expect(cache.calculatedBytes).toBe(0);
  });

  it('sizes an entry with no records at the fixed overhead', () => {
    const cache = new SourceCache('seleqt', { maxBytes: 1000, maxAgeMs: 60_000 });
    expect(cache.set('empty', { records: [], warnings: [], fetchedAt: 1 }).bytes).toBe('[[],[]]'.length + 64);
    expect(cache.calculatedBytes).toBe(71);
  });

  it('drops an entry after maxAgeMs', async () => {
    const cache = new SourceCache('instantly', { maxBytes: 1_000_000, maxAgeMs: 40 });
    cache.set('k', { records: [record('c1')], warnings: [], fetchedAt: 1 });
    expect(cache.get('k')?.fetchedAt).toBe(1);
    await sleep(80);
    expect(cache.get('k')).toBeUndefined();
  });
});

describe('measureSource', () => {
  it('gives the size and SHA-1 of JSON.stringify([records, warnings]), byte for byte (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 6 }), fc.array(fc.record({ code: fc.string(), message: fc.string() }), { maxLength: 3 }), (records, warnings) => {
        const json = JSON.stringify([records, warnings]);
        const measured = measureSource(records as unknown as CampaignAnalytics[], warnings as unknown as SourceWarning[]);
        expect(measured).toEqual({ bytes: Buffer.byteLength(json), digest: createHash('sha1').update(json).digest('base64url') });
      }),
      { numRuns: 300 },
    );
  });
});

describe('measureSerialized', () => {
  it('measures records already serialized (each JSON and a comma) as measureSource measures them (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 6 }), fc.array(fc.record({ code: fc.string(), message: fc.string() }), { maxLength: 3 }), (records, warnings) => {
        const recordsJson = Buffer.from(records.map((r) => `${JSON.stringify(r)},`).join(''), 'utf8');
        const typed = [records as unknown as CampaignAnalytics[], warnings as unknown as SourceWarning[]] as const;
        expect(measureSerialized(recordsJson, typed[1])).toEqual(measureSource(...typed));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the cache the same entry size and digest as serializing the records', () => {
    const cache = new SourceCache('instantly', { maxBytes: 1_000_000, maxAgeMs: 60_000 });
    const records = [record('c1', 'caf\u00e9'), record('c2')];
    const warnings = [{ code: 'date_range_unsupported' as const, message: 'lifetime totals' }];
    const plain = cache.set('a', { records, warnings, fetchedAt: 1 });
    const given = cache.set('b', { records, warnings, fetchedAt: 1 }, Buffer.from(records.map((r) => `${JSON.stringify(r)},`).join('')));
    expect({ bytes: given.bytes, digest: given.digest }).toEqual({ bytes: plain.bytes, digest: plain.digest });
  });
});

describe('SourceCache digests', () => {
  it('gives the same digest for the same content and another for different content', () => {
    const cache = new SourceCache('seleqt', { maxBytes: 100_000, maxAgeMs: 60_000 });
    const a = cache.set('a', { records: [], warnings: [], fetchedAt: 1 });
    const b = cache.set('b', { records: [], warnings: [], fetchedAt: 999 });
    const c = cache.set('c', { records: [], warnings: [{ code: 'date_range_unsupported', message: 'x' }], fetchedAt: 1 });
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });
});
