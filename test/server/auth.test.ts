import { createHash } from 'node:crypto';
import type { ResolvedClient } from '../../src/config';
import { ClientDirectory, MAX_KEY_LENGTH, QUERY_KEY_NAMES, presentedKey, sha256 } from '../../src/server/auth';
import { InboundLimiter } from '../../src/server/inbound-limit';

const KEY_ONE = 'ogw_live_client_one_0f4e2c91b7';
const KEY_TWO = 'ogw_live_client_two_77aa13de05';
const LONG_KEY = 'k'.repeat(10 * 1024);
const LONGEST_KEY = 'm'.repeat(MAX_KEY_LENGTH);

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function client(id: string, key: string): ResolvedClient {
  return { id, keySha256: hex(key), workspaces: ['acme'], defaultWorkspace: 'acme', requestsPerMinute: 600 };
}

describe('presentedKey', () => {
  it.each<[string, Record<string, string | string[] | undefined>, string | undefined]>([
    ['X-API-Key', { 'x-api-key': KEY_ONE }, KEY_ONE],
    ['X-API-Key with surrounding spaces', { 'x-api-key': `  ${KEY_ONE} ` }, KEY_ONE],
    ['Bearer', { authorization: `Bearer ${KEY_ONE}` }, KEY_ONE],
    ['bearer in lower case, extra spaces', { authorization: `bearer   ${KEY_ONE}  ` }, KEY_ONE],
    ['X-API-Key before Authorization', { 'x-api-key': KEY_TWO, authorization: `Bearer ${KEY_ONE}` }, KEY_TWO],
    ['a blank X-API-Key falls back to Bearer', { 'x-api-key': '   ', authorization: `Bearer ${KEY_ONE}` }, KEY_ONE],
    ['neither header', {}, undefined],
    ['a blank X-API-Key alone', { 'x-api-key': '' }, undefined],
    ['a repeated X-API-Key (array)', { 'x-api-key': [KEY_ONE, KEY_TWO] }, undefined],
    ['Bearer without a token', { authorization: 'Bearer' }, undefined],
    ['Bearer with only spaces', { authorization: 'Bearer    ' }, undefined],
    ['Bearer with two tokens', { authorization: `Bearer ${KEY_ONE} ${KEY_TWO}` }, undefined],
    ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }, undefined],
    ['another scheme', { authorization: `Token ${KEY_ONE}` }, undefined],
    ['a bare token', { authorization: KEY_ONE }, undefined],
    ['Bearer glued to the token', { authorization: `Bearer${KEY_ONE}` }, undefined],
  ])('%s', (_label, headers, expected) => {
    expect(presentedKey(headers)).toBe(expected);
  });
});

describe('ClientDirectory.authenticate', () => {
  const directory = new ClientDirectory([client('one', KEY_ONE), client('two', KEY_TWO), client('longest', LONGEST_KEY), client('too-long', LONG_KEY)]);

  it('finds the client whose key hash matches', () => {
    expect(directory.authenticate(KEY_ONE)?.id).toBe('one');
    expect(directory.authenticate(KEY_TWO)?.id).toBe('two');
    expect(directory.authenticate(KEY_ONE)).toEqual(client('one', KEY_ONE));
  });

  it('refuses a wrong key, a near miss and an empty key', () => {
    expect(directory.authenticate('ogw_live_client_one_0f4e2c91b8')).toBeUndefined();
    expect(directory.authenticate(`${KEY_ONE} `)).toBeUndefined();
    expect(directory.authenticate(KEY_ONE.toUpperCase())).toBeUndefined();
    expect(directory.authenticate(hex(KEY_ONE))).toBeUndefined();
    expect(directory.authenticate('')).toBeUndefined();
  });

  it('refuses an undefined key', () => {
    expect(directory.authenticate(undefined)).toBeUndefined();
  });

  it(`accepts a key of ${MAX_KEY_LENGTH} characters and refuses a 10 KB key without hashing it, even one that is configured`, () => {
    expect(directory.authenticate(LONGEST_KEY)?.id).toBe('longest');
    expect(directory.authenticate(`${LONGEST_KEY}m`)).toBeUndefined();
    expect(directory.authenticate(LONG_KEY)).toBeUndefined();
  });

  it('finds nobody in an empty directory', () => {
    expect(new ClientDirectory([]).authenticate(KEY_ONE)).toBeUndefined();
  });

  it('accepts a hash configured in upper case the config lower-cases (hex decoding ignores case)', () => {
    expect(new ClientDirectory([{ ...client('upper', KEY_ONE), keySha256: hex(KEY_ONE).toUpperCase() }]).authenticate(KEY_ONE)?.id).toBe('upper');
  });
});

describe('sha256 and QUERY_KEY_NAMES', () => {
  it('hashes to the standard SHA-256 digest', () => {
    expect(sha256('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('lists the query names that look like a credential', () => {
    expect(QUERY_KEY_NAMES).toEqual(['api_key', 'apikey', 'apiKey', 'key', 'access_token', 'token', 'x-api-key']);
  });
});

describe('InboundLimiter', () => {
  function clock(): { now: () => number; advance: (ms: number) => void } {
    let t = 1_700_000_000_000;
    return {
      now: () => t,
      advance: (ms: number) => {
        t += ms;
      },
    };
  }

  it('allows requestsPerMinute at once, then refuses with Retry-After until a token refills', () => {
    const c = clock();
    const limiter = new InboundLimiter(c.now);
    const policy = 'per-key';
    expect([limiter.check('one', 3), limiter.check('one', 3), limiter.check('one', 3)]).toEqual([
      { policy, allowed: true, limit: 3, remaining: 2, retryAfterSeconds: 0, resetSeconds: 20 },
      { policy, allowed: true, limit: 3, remaining: 1, retryAfterSeconds: 0, resetSeconds: 40 },
      { policy, allowed: true, limit: 3, remaining: 0, retryAfterSeconds: 0, resetSeconds: 60 },
    ]);
    // 3 per minute refills one token every 20 s; the whole quota is back 60 s after the last request.
    expect(limiter.check('one', 3)).toEqual({ policy, allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 20, resetSeconds: 60 });
    c.advance(15_000);
    expect(limiter.check('one', 3)).toEqual({ policy, allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 5, resetSeconds: 45 });
    c.advance(4_500);
    expect(limiter.check('one', 3)).toEqual({ policy, allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 1, resetSeconds: 41 });
    // Refusals took nothing: the token is there exactly 20 s after the third request.
    c.advance(500);
    expect(limiter.check('one', 3)).toEqual({ policy, allowed: true, limit: 3, remaining: 0, retryAfterSeconds: 0, resetSeconds: 60 });
  });

  it('never answers Retry-After below one second', () => {
    const c = clock();
    const limiter = new InboundLimiter(c.now);
    for (let i = 0; i < 6000; i += 1) expect(limiter.check('fast', 6000).allowed).toBe(true);
    // 6000 per minute refills a token every 10 ms, yet Retry-After is whole seconds, at least 1.
    expect(limiter.check('fast', 6000)).toMatchObject({ allowed: false, limit: 6000, remaining: 0, retryAfterSeconds: 1, resetSeconds: 60 });
    c.advance(10);
    expect(limiter.check('fast', 6000).allowed).toBe(true);
  });

  it('keeps a separate bucket per client', () => {
    const c = clock();
    const limiter = new InboundLimiter(c.now);
    expect(limiter.check('one', 1).allowed).toBe(true);
    expect(limiter.check('one', 1).allowed).toBe(false);
    expect(limiter.check('two', 1)).toMatchObject({ allowed: true, limit: 1, remaining: 0, retryAfterSeconds: 0 });
    expect(limiter.check('two', 1).allowed).toBe(false);
    c.advance(60_000);
    expect(limiter.check('one', 1).allowed).toBe(true);
    expect(limiter.check('two', 1).allowed).toBe(true);
  });

  it('over a long run allows at most the limit plus the refill', () => {
    const c = clock();
    const limiter = new InboundLimiter(c.now);
    let allowed = 0;
    // One attempt every 100 ms for 5 minutes at 60 per minute: 60 at once, then one per second.
    for (let t = 0; t < 300_000; t += 100) {
      if (limiter.check('steady', 60).allowed) allowed += 1;
      c.advance(100);
    }
    expect(allowed).toBe(60 + 299);
  });

  it('uses Date.now by default', () => {
    const limiter = new InboundLimiter();
    expect(limiter.check('one', 1)).toMatchObject({ allowed: true, limit: 1, remaining: 0, retryAfterSeconds: 0 });
    expect(limiter.check('one', 1)).toMatchObject({ allowed: false, limit: 1, remaining: 0, retryAfterSeconds: 60 });
  });
});
