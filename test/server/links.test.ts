/**
 * Signed links without a server: what is signed (every parameter, its order, the route), what a
 * tool's re-encoding may change without breaking a link, the order of the checks (signature first),
 * expiry parsing, the `links` config block, and the logger's rule that blanks `sig` like a key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { runCli, type CliIo } from '../../src/cli';
import { ConfigError, resolveConfig, type ResolvedClient } from '../../src/config';
import { createLogger, redactQuery } from '../../src/logger';
import { LinkVerifier, MAX_LINK_DAYS, canonicalQuery, parseExpiry, queryObject, signLink, type QueryPair } from '../../src/server/links';

const SECRET = 'unit-link-secret-0123456789abcdef0123';
const NOW = Date.parse('2026-12-01T00:00:00Z');
const EXPIRES = NOW / 1000 + 86_400;
const ROUTE = '/v1/campaigns/analytics';
const CLIENT: ResolvedClient = { id: 'bi', keySha256: 'c'.repeat(64), workspaces: ['acme'], defaultWorkspace: 'acme', requestsPerMinute: 60 };
const QUERY: QueryPair[] = [['workspace_id', 'ALL'], ['providers', 'instantly,seleqt'], ['format', 'csv']];

function verifier(links: { secret: string; revoked?: string[] } = { secret: SECRET }, now = NOW): LinkVerifier {
  return new LinkVerifier({ revoked: [], ...links }, [CLIENT], () => now);
}

function sign(query: QueryPair[] = QUERY, extra: { linkId?: string; expires?: number; route?: string; secret?: string } = {}): string {
  return signLink(extra.secret ?? SECRET, { route: extra.route ?? ROUTE, clientId: 'bi', query, expires: extra.expires ?? EXPIRES, linkId: extra.linkId ?? 'link-0001' }).path;
}

describe('signing and verifying', () => {
  test('a signed link verifies and hands the endpoint its query without the link parameters', () => {
    const path = sign();
    expect(path).toBe(`${ROUTE}?workspace_id=ALL&providers=instantly,seleqt&format=csv&client=bi&expires=${EXPIRES}&link_id=link-0001&sig=${path.slice(-43)}`);
    const outcome = verifier().verify(ROUTE, path);
    expect(outcome).toEqual({ ok: true, client: CLIENT, linkId: 'link-0001', expires: EXPIRES, query: { workspace_id: 'ALL', providers: 'instantly,seleqt', format: 'csv' } });
  });

  test('another encoding of the same characters still verifies (%2C for a comma, %20 or + for a space)', () => {
    const path = sign([['workspace_id', 'ALL'], ['status', 'active,paused'], ['sort', '-name'], ['format', 'csv'], ['fields', 'a b']]);
    expect(path).toContain('fields=a%20b');
    for (const variant of [path.replace('active,paused', 'active%2Cpaused'), path.replace('a%20b', 'a+b'), path.replace('sort=-name', 'sort=%2Dname')]) {
      expect(variant).not.toBe(path);
      expect(verifier().verify(ROUTE, variant).ok).toBe(true);
    }
  });

  test('property: any added, removed, changed or swapped parameter, and any changed signature character, is refused', () => {
    const path = sign();
    const [base = '', query = ''] = path.split('?');
    const pairs = query.split('&');
    const signed = pairs.slice(0, -1);
    const sig = pairs.at(-1) ?? '';
    const text = fc.stringMatching(/^[A-Za-z0-9_,.-]{1,12}$/);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), at: fc.nat(signed.length), name: text, value: text }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat(signed.length - 1) }),
      fc.record({ kind: fc.constant('change' as const), at: fc.nat(signed.length - 1), value: text }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(signed.length - 2) }),
      fc.record({ kind: fc.constant('signature' as const), at: fc.nat(42), char: fc.constantFrom(...'ABCabc019-_') }),
    );
    fc.assert(
      fc.property(mutation, (m) => {
        const list = [...signed];
        let signature = sig;
        if (m.kind === 'add') list.splice(m.at, 0, `${m.name}=${m.value}`);
        else if (m.kind === 'remove') list.splice(m.at, 1);
        else if (m.kind === 'change') list[m.at] = `${(list[m.at] ?? '').split('=')[0] ?? ''}=${m.value}`;
        else if (m.kind === 'swap') [list[m.at], list[m.at + 1]] = [list[m.at + 1] ?? '', list[m.at] ?? ''];
        else signature = `sig=${sig.slice(4, 4 + m.at)}${m.char}${sig.slice(5 + m.at)}`;
        const changed = `${base}?${[...list, signature].join('&')}`;
        fc.pre(changed !== path);
        expect(verifier().verify(ROUTE, changed).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test('the route, the secret and the place of sig are signed; a link is checked before it is told it expired or was revoked', () => {
    const path = sign();
    expect(verifier().verify('/v1/campaigns/history', path.replace(ROUTE, '/v1/campaigns/history'))).toMatchObject({ ok: false, detail: expect.stringMatching(/signature does not match/) });
    expect(verifier({ secret: `${SECRET}-rotated` }).verify(ROUTE, path)).toMatchObject({ ok: false, detail: expect.stringMatching(/secret was rotated/) });
    const [base = '', query = ''] = path.split('?');
    const pairs = query.split('&');
    expect(verifier().verify(ROUTE, `${base}?${[pairs.at(-1), ...pairs.slice(0, -1)].join('&')}`)).toMatchObject({ ok: false, detail: expect.stringMatching(/ends with one sig=/) });
    expect(verifier().verify(ROUTE, `${path}&sig=${path.slice(-43)}`).ok).toBe(false);
    expect(verifier().verify('/v1/connections', path)).toMatchObject({ ok: false, detail: expect.stringMatching(/answer only/) });
    expect(new LinkVerifier(undefined, [CLIENT]).verify(ROUTE, path)).toMatchObject({ ok: false, detail: expect.stringMatching(/not enabled/) });

    // Expired or revoked: said only to a link whose signature holds.
    const late = verifier(undefined, EXPIRES * 1000);
    expect(late.verify(ROUTE, path)).toMatchObject({ ok: false, detail: expect.stringMatching(/expired at 2026-12-02T00:00:00.000Z/) });
    expect(late.verify(ROUTE, path.replace('ALL', 'acme'))).toMatchObject({ detail: expect.stringMatching(/signature does not match/) });
    expect(verifier({ secret: SECRET, revoked: ['link-0001'] }).verify(ROUTE, path)).toMatchObject({ ok: false, detail: expect.stringMatching(/link link-0001 has been revoked/) });
    expect(verifier({ secret: SECRET, revoked: ['link-0002'] }).verify(ROUTE, path).ok).toBe(true);

    // A client removed from the config after the link was made.
    expect(new LinkVerifier({ secret: SECRET, revoked: [] }, [], () => NOW).verify(ROUTE, path)).toMatchObject({ ok: false, detail: expect.stringMatching(/client is no longer configured/) });
    // The format is always signed: a link without one is not a link this gateway made.
    expect(verifier().verify(ROUTE, sign([['workspace_id', 'ALL']]))).toMatchObject({ ok: false, detail: expect.stringMatching(/client, expires, link_id and format/) });
  });

  test('signing refuses a query that holds a link parameter, a route links do not serve, or a bad id', () => {
    expect(() => sign([['client', 'other'], ['format', 'csv']])).toThrow(/must not hold "client"/);
    expect(() => sign(QUERY, { route: '/v1/connections' })).toThrow(/signed links are for/);
    expect(() => sign(QUERY, { linkId: 'a b' })).toThrow(/link id/);
  });

  test('queryObject gives a repeated parameter as a list (the endpoint then answers 400, as for a keyed request); canonicalQuery is the URL text', () => {
    expect(queryObject([['a', '1'], ['b', '2'], ['a', '3']])).toEqual({ a: ['1', '3'], b: '2' });
    expect(canonicalQuery([['ids', 'acme-instantly:1,acme-instantly:2'], ['q', 'a&b=c']])).toBe('ids=acme-instantly:1,acme-instantly:2&q=a%26b%3Dc');
  });
});

describe('--expires', () => {
  test('durations and dates into epoch seconds, within the maximum', () => {
    expect(parseExpiry('90d', NOW)).toBe(NOW / 1000 + 90 * 86_400);
    expect(parseExpiry('12h', NOW)).toBe(NOW / 1000 + 12 * 3600);
    expect(parseExpiry('30m', NOW)).toBe(NOW / 1000 + 1800);
    expect(parseExpiry('2w', NOW)).toBe(NOW / 1000 + 14 * 86_400);
    expect(parseExpiry('2027-03-31', NOW)).toBe(Date.parse('2027-03-31T00:00:00Z') / 1000);
    expect(parseExpiry('2027-03-31T12:00:00Z', NOW)).toBe(Date.parse('2027-03-31T12:00:00Z') / 1000);
    expect(parseExpiry(`${MAX_LINK_DAYS}d`, NOW)).toBe(NOW / 1000 + MAX_LINK_DAYS * 86_400);
    for (const bad of ['', '0d', '90', 'd', '1y', `${MAX_LINK_DAYS + 1}d`, '2026-11-30', 'tomorrow', '2027-13-45']) expect(parseExpiry(bad, NOW)).toBeUndefined();
  });
});

describe('the links config block', () => {
  const base = {
    clients: [{ id: 'bi', keySha256: 'c'.repeat(64), workspaces: ['acme'] }],
    workspaces: [{ id: 'acme', connections: [{ id: 'acme-instantly', provider: 'instantly', apiKey: 'instantly-key-0123' }] }],
  };
  const problems = (links: unknown, env: NodeJS.ProcessEnv = {}): string[] => {
    try {
      resolveConfig({ ...base, links }, env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  test('a secret from the environment, 32+ characters, is a redacted secret; revoked defaults to none', () => {
    const secret = 's'.repeat(40);
    const config = resolveConfig({ ...base, links: { secret: '${LINK_SECRET}', baseUrl: 'https://gateway.example.com/og' } }, { LINK_SECRET: secret });
    expect(config.links).toEqual({ secret, baseUrl: 'https://gateway.example.com/og', revoked: [] });
    expect(config.secrets).toContain(secret);
    expect(resolveConfig(base, {}).links).toBeUndefined();
  });

  test('a short or blank secret, a bad revoked id or base URL: one line each that never repeats the value', () => {
    const short = 'canary-short-secret';
    expect(problems({ secret: short })).toEqual(['links.secret: must be at least 32 characters (e.g. `openssl rand -hex 32`): a shorter secret makes links easier to forge']);
    expect(problems({ secret: '${LINK_SECRET}' }, { LINK_SECRET: '' })).toEqual([expect.stringMatching(/^links\.secret: must be at least 32 characters .*\(the value comes from \$\{LINK_SECRET\}, which is set but empty\)$/)]);
    expect(problems({ secret: '${LINK_SECRET}' })).toEqual(['links.secret: environment variable LINK_SECRET is not set']);
    expect(problems({ secret: `${'x'.repeat(40)}\n` })).toEqual([expect.stringMatching(/^links\.secret: must not contain spaces, tabs, line breaks/)]);
    expect(problems({})).toEqual([expect.stringMatching(/^links\.secret: missing: expected the link secret as text/)]);
    expect(problems({ secret: 'x'.repeat(32), revoked: ['ok-id-1', 'no'] })).toEqual([expect.stringMatching(/^links\.revoked\[1\]: expected a link id/)]);
    expect(problems({ secret: 'x'.repeat(32), baseUrl: 'https://gw.example/?q=1' })).toEqual([expect.stringMatching(/^links\.baseUrl: expected an http/)]);
    expect(problems({ secret: 'x'.repeat(32), secrets: 1 })).toEqual(['links: unknown key(s) "secrets"']);
    for (const line of problems({ secret: short })) expect(line).not.toContain(short);
  });
});

describe('the link command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'og-link-cli-'));
  const write = (name: string, links: unknown): string => {
    const path = join(dir, name);
    writeFileSync(
      path,
      JSON.stringify({
        server: { host: '0.0.0.0', port: 9090 },
        clients: [{ id: 'bi', keySha256: 'c'.repeat(64), workspaces: ['acme'] }],
        workspaces: [{ id: 'acme', connections: [{ id: 'acme-instantly', provider: 'instantly', apiKey: 'instantly-key-0123' }] }, { id: 'globex', connections: [] }],
        ...(links === undefined ? {} : { links }),
      }),
    );
    return path;
  };
  const withLinks = write('links.json', { secret: '${LINK_SECRET}' });
  const run = async (args: string[], file = withLinks): Promise<{ code: number; out: string[]; err: string[] }> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: { LINK_SECRET: SECRET } };
    return { code: await runCli(['link', '--config', file, ...args], io), out, err };
  };

  test('prints a URL the gateway verifies: csv by default, 90 days, the listen address unless a base URL is given', async () => {
    const { code, out, err } = await run(['--client', 'bi', '--query', 'workspace_id=acme&providers=instantly']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const url = new URL(out[0] ?? '');
    expect(url.origin).toBe('http://127.0.0.1:9090');
    expect(url.searchParams.get('format')).toBe('csv');
    const outcome = new LinkVerifier({ secret: SECRET, revoked: [] }, [CLIENT]).verify(url.pathname, `${url.pathname}${url.search}`);
    expect(outcome).toMatchObject({ ok: true, query: { workspace_id: 'acme', providers: 'instantly', format: 'csv' } });
    const expires = Number(url.searchParams.get('expires'));
    expect(Math.abs(expires - (Date.now() / 1000 + 90 * 86_400))).toBeLessThan(120);
    expect(err.join('\n')).toContain(`link ${url.searchParams.get('link_id') ?? ''} for client bi`);
    expect(err.join('\n')).not.toContain(SECRET);

    const behindProxy = await run(['--client', 'bi', '--base-url', 'https://gw.example.com/og/', '--endpoint', 'history', '--format', 'ndjson']);
    expect(behindProxy.out[0]).toMatch(/^https:\/\/gw\.example\.com\/og\/v1\/campaigns\/history\?format=ndjson&client=bi&/);
  });

  test('refuses what would not answer: no links block, an unknown client, a bad query, another workspace, a bad expiry or format', async () => {
    expect(await run(['--client', 'bi'], write('none.json', undefined))).toMatchObject({ code: 1, err: [expect.stringMatching(/links\.secret is not set/)] });
    expect(await run(['--client', 'nobody'])).toMatchObject({ code: 1, err: [expect.stringMatching(/no client "nobody"/)] });
    expect(await run([])).toMatchObject({ code: 2, err: [expect.stringMatching(/needs --client/)] });
    const bad = await run(['--client', 'bi', '--query', 'workspace_id=acme&limit=0&nope=1']);
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/nope: unknown parameter[\s\S]*limit:/);
    expect(await run(['--client', 'bi', '--query', 'workspace_id=globex'])).toMatchObject({ code: 1, err: [expect.stringMatching(/not linked to workspace "globex"; the link would answer 403/)] });
    expect(await run(['--client', 'bi', '--query', 'group_by=provider'])).toMatchObject({ code: 1 });
    expect(await run(['--client', 'bi', '--expires', '1y'])).toMatchObject({ code: 2, err: [expect.stringMatching(/--expires must be/)] });
    expect(await run(['--client', 'bi', '--query', 'format=json', '--format', 'csv'])).toMatchObject({ code: 2, err: [expect.stringMatching(/disagree/)] });
    expect(await run(['--client', 'bi', '--query', 'sig=x'])).toMatchObject({ code: 2, err: [expect.stringMatching(/must not hold "sig"/)] });
    expect(await run(['--client', 'bi', '--endpoint', 'connections'])).toMatchObject({ code: 2 });
    expect(await run(['--client', 'bi', '--base-url', 'ftp://x'])).toMatchObject({ code: 2 });
  });
});

describe('the logger blanks a signature like a key', () => {
  test('in a field named sig and in any URL or query text', () => {
    expect(redactQuery('/v1/campaigns/analytics?workspace_id=ALL&format=csv&client=bi&link_id=abc123&sig=SECRETSIG')).toBe(
      '/v1/campaigns/analytics?workspace_id=ALL&format=csv&client=bi&link_id=abc123&sig=[REDACTED]',
    );
    expect(redactQuery('GET /x?api_key=K1&%73ig=S2 then token=T3')).toBe('GET /x?api_key=[REDACTED]&%73ig=[REDACTED] then token=[REDACTED]');
    expect(redactQuery('ratio=1 a==b')).toBe('ratio=1 a==b');

    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = createLogger({ stream });
    logger.info('request', { url: '/v1/campaigns/history?format=csv&sig=CANARYSIGNATURE', query: { sig: 'CANARYSIGNATURE', format: 'csv' }, signature: 'CANARYSIGNATURE' });
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        expect(lines.join('')).toContain('format=csv&sig=[REDACTED]');
        expect(lines.join('')).not.toContain('CANARYSIGNATURE');
        resolve();
      });
    });
  });
});
