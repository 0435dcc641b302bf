/** The `redis` section of the config: a shared key secret is required, and its secrets are redacted. */
import { ConfigError, resolveConfig } from '../../src/config';

const HASH = 'a'.repeat(64);

function document(redis: unknown): Record<string, unknown> {
  return {
    clients: [{ id: 'bi', keySha256: HASH, workspaces: ['acme'] }],
    workspaces: [{ id: 'acme', connections: [{ id: 'acme-seleqt', provider: 'seleqt', apiKey: 'canary-vendor-key', vendorWorkspaceId: '340' }] }],
    redis,
  };
}

function problems(doc: unknown): string[] {
  try {
    resolveConfig(doc, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('redis config', () => {
  it('refuses redis.url without a keySecret, saying every instance needs the same one', () => {
    expect(problems(document({ url: 'redis://127.0.0.1:6379' }))).toEqual([
      'redis.keySecret: required with redis.url: the same secret (32+ characters) on every instance',
    ]);
  });

  it('refuses a short keySecret and unknown keys', () => {
    expect(problems(document({ url: 'redis://127.0.0.1:6379', keySecret: 'short', lockTtl: 5 }))).toEqual([
      'redis.keySecret: must be at least 32 characters (e.g. `openssl rand -hex 32`)',
      'redis: unknown key(s) "lockTtl"',
    ]);
  });

  it('fills defaults, reads the secret from the environment, and redacts it and the URL password', () => {
    const secret = 'x'.repeat(40);
    const config = resolveConfig(document({ url: 'rediss://:p%40ss-canary@cache.internal:6380/2', keySecret: '${GATEWAY_KEY_SECRET}', commandTimeoutMs: 80 }), {
      GATEWAY_KEY_SECRET: secret,
    });
    expect(config.redis).toEqual({
      url: 'rediss://:p%40ss-canary@cache.internal:6380/2',
      keySecret: secret,
      connectTimeoutMs: 1000,
      commandTimeoutMs: 80,
      maxValueBytes: 8 * 1024 * 1024,
      lockTtlMs: 5000,
    });
    expect(config.secrets).toEqual(['canary-vendor-key', secret, 'p@ss-canary']);
  });

  it('without redis there is nothing extra to redact', () => {
    const config = resolveConfig(document(undefined), {});
    expect(config.redis).toBeUndefined();
    expect(config.secrets).toEqual(['canary-vendor-key']);
  });
});
