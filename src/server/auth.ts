/**
 * Client keys: `X-API-Key: <key>` or `Authorization: Bearer <key>`; stored as SHA-256 and compared in
 * constant time against every configured hash (no early exit, so timing says nothing about which
 * hash was close). A key in the query string is refused.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedClient } from '../config';

export const MAX_KEY_LENGTH = 512;
/** Query parameter names that look like a credential. */
export const QUERY_KEY_NAMES = ['api_key', 'apikey', 'apiKey', 'key', 'access_token', 'token', 'x-api-key'];

export function sha256(text: string): Buffer {
  // One-shot hashing (Node ≥ 20.12): no Hash object per request on the hot path.
  return hash('sha256', text, 'buffer');
}

/** The presented key, or undefined when none (or an unusable one) was sent. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

export class ClientDirectory {
  private readonly entries: { client: ResolvedClient; hash: Buffer }[];

  constructor(clients: readonly ResolvedClient[]) {
    this.entries = clients.map((client) => ({ client, hash: Buffer.from(client.keySha256, 'hex') }));
  }

  authenticate(key: string | undefined): ResolvedClient | undefined {
    if (key === undefined || key.length > MAX_KEY_LENGTH) return undefined;
    const presented = sha256(key);
    let found: ResolvedClient | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry.client;
    }
    return found;
  }
}
