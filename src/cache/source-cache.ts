/**
 * The per-provider result cache: one `lru-cache` per provider, bounded in bytes (each entry is sized
 * by its serialized records). An entry is one connection's complete result for one upstream query;
 * errors and partial walks are never stored. Freshness is decided by the caller from `fetchedAt`
 * (fresh for `ttlSeconds`, then stale for `staleSeconds`), so the same entry serves fresh,
 * stale-while-revalidate and stale-if-error.
 *
 * Keys never hold a secret: `<connection>|<HMAC(credential + vendor workspace)>|<normalized query>`.
 * The HMAC means a connection whose key is rotated never reads the old key's data.
 *
 * `SourceCache` is the local tier; with Redis configured, `RedisSourceTier` (redis-tier.ts) is
 * consulted on a local miss and its entries are copied here with `put`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ResolvedConnection } from '../config';
import type { CampaignAnalytics, ProviderId } from '../schema/campaign';
import type { SourceWarning } from '../providers/types';

export interface CachedSource {
  records: CampaignAnalytics[];
  warnings: SourceWarning[];
  /** Epoch ms when the vendor answered. */
  fetchedAt: number;
  /** Serialized size, for the byte bound. */
  bytes: number;
  /** Content digest of the records and warnings: the same vendor data gives the same digest (ETags). */
  digest: string;
}

export interface UpstreamQueryKey {
  campaignIds: readonly string[] | undefined;
  startDate: string | undefined;
  endDate: string | undefined;
  steps: boolean;
  daily: boolean;
  raw: boolean;
}

export function normalizeUpstreamQuery(query: UpstreamQueryKey): string {
  const ids = query.campaignIds ? [...new Set(query.campaignIds)].sort().join(',') : '*';
  return [ids, query.startDate ?? '', query.endDate ?? '', query.steps ? 's' : '', query.daily ? 'd' : '', query.raw ? 'r' : ''].join('|');
}

export class CacheKeyer {
  private readonly secret: Buffer;
  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  /** Tags already computed, per connection object: every cache lookup needs one (the hot path). */
  private readonly tags = new WeakMap<object, { apiKey: string; vendorWorkspaceId: string | undefined; tag: string }>();

  /** A keyed hash of the credential and vendor workspace: stable per process, never reversible. */
  credentialTag(connection: Pick<ResolvedConnection, 'apiKey' | 'vendorWorkspaceId'>): string {
    const known = this.tags.get(connection);
    if (known && known.apiKey === connection.apiKey && known.vendorWorkspaceId === connection.vendorWorkspaceId) return known.tag;
    const tag = createHmac('sha256', this.secret)
      .update(connection.apiKey)
      .update('\u0000')
      .update(connection.vendorWorkspaceId ?? '')
      .digest('base64url')
      .slice(0, 22);
    this.tags.set(connection, { apiKey: connection.apiKey, vendorWorkspaceId: connection.vendorWorkspaceId, tag });
    return tag;
  }

  key(connection: Pick<ResolvedConnection, 'id' | 'apiKey' | 'vendorWorkspaceId'>, query: UpstreamQueryKey): string {
    return `${connection.id}|${this.credentialTag(connection)}|${normalizeUpstreamQuery(query)}`;
  }
}

export interface SourceCacheOptions {
  maxBytes: number;
  /** Longest an entry can be useful (ttl + stale of the longest-lived connection), in ms. */
  maxAgeMs: number;
  onEvict?: (provider: ProviderId) => void;
}

/**
 * The UTF-8 size and SHA-1 (base64url) of `JSON.stringify([records, warnings])`, the same bytes,
 * made a record at a time: a source of a hundred campaigns would otherwise be one string of over
 * 128 KB, which V8 allocates in its large-object space (old generation) on every fetch.
 */
export function measureSource(records: readonly CampaignAnalytics[], warnings: readonly SourceWarning[]): { bytes: number; digest: string } {
  const hash = createHash('sha1');
  let bytes = 0;
  const put = (text: string): void => {
    hash.update(text);
    bytes += Buffer.byteLength(text);
  };
  put('[[');
  for (let i = 0; i < records.length; i += 1) {
    if (i > 0) put(',');
    put(JSON.stringify(records[i]));
  }
  put('],');
  put(JSON.stringify(warnings));
  put(']');
  return { bytes, digest: hash.digest('base64url') };
}

/**
 * `measureSource` of records already serialized: `recordsJson` holds each record's JSON followed
 * by a comma, in the records' order (a source view's bytes, gateway/answer-pieces.ts), so the
 * records are not serialized a second time. The same bytes are measured and hashed.
 */
export function measureSerialized(recordsJson: Uint8Array, warnings: readonly SourceWarning[]): { bytes: number; digest: string } {
  const records = recordsJson.subarray(0, Math.max(0, recordsJson.length - 1));
  const rest = `],${JSON.stringify(warnings)}]`;
  const hash = createHash('sha1').update('[[').update(records).update(rest);
  return { bytes: 2 + records.length + Buffer.byteLength(rest), digest: hash.digest('base64url') };
}

export class SourceCache {
  private readonly lru: LRUCache<string, CachedSource>;

  constructor(
    readonly provider: ProviderId,
    options: SourceCacheOptions,
  ) {
    this.lru = new LRUCache<string, CachedSource>({
      maxSize: options.maxBytes,
      sizeCalculation: (value) => Math.max(1, value.bytes),
      ttl: options.maxAgeMs,
      ttlAutopurge: false,
      allowStale: false,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') options.onEvict?.(provider);
      },
    });
  }

  get(key: string): CachedSource | undefined {
    return this.lru.get(key);
  }

  /**
   * Stores a fetched source. `recordsJson`, when the caller has serialized the records already
   * (see `measureSerialized`), is measured instead of serializing them again; the digest is then
   * that of the records in its order.
   */
  set(key: string, value: Omit<CachedSource, 'bytes' | 'digest'>, recordsJson?: Uint8Array): CachedSource {
    const { bytes, digest } = recordsJson ? measureSerialized(recordsJson, value.warnings) : measureSource(value.records, value.warnings);
    const entry: CachedSource = { ...value, bytes: bytes + 64, digest };
    this.lru.set(key, entry);
    return entry;
  }

  /**
   * Stores an entry as it is (from the shared tier): its `fetchedAt` and `digest` are kept, so an
   * entry another instance fetched ages from the vendor's answer and gives the same ETag here.
   */
  put(key: string, entry: CachedSource): CachedSource {
    this.lru.set(key, entry);
    return entry;
  }

  get size(): number {
    return this.lru.size;
  }

  get calculatedBytes(): number {
    return this.lru.calculatedSize;
  }

  /** The byte bound `calculatedBytes` stays under. */
  get maxBytes(): number {
    return this.lru.maxSize;
  }
}
