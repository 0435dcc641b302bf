/**
 * Honest limit headers and labels: `RateLimit`'s `t` is the seconds until the quota is whole again
 * and counts down (pipeline and fast path alike); 401, 403 and 429 answers keep their route in the
 * metrics and the log line; requests without a valid key have a budget per client address that
 * never touches a valid key's; `/metrics` passes `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { HotAnswers } from '../../src/server/hot-path';
import { InboundLimiter, UNAUTHENTICATED_PER_MINUTE, addressKey } from '../../src/server/inbound-limit';
import { CLIENT_KEY, OTHER_CLIENT_KEY, startStack, type Stack } from '../helpers/stack';

const ANALYTICS = '/v1/campaigns/analytics';

function clock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** `r` and `t` of a `RateLimit` field. */
function field(value: string | null): { policy: string; r: number; t: number } {
  const match = /^"([a-z-]+)";r=(\d+);t=(\d+)$/.exec(value ?? '');
  if (!match) throw new Error(`not a RateLimit field: ${String(value)}`);
  return { policy: match[1] ?? '', r: Number(match[2]), t: Number(match[3]) };
}

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('RateLimit t: seconds until the quota is whole again', () => {
  type Op = { advanceMs: number } | 'request';
  const ops = fc.array(fc.oneof(fc.constant<Op>('request'), fc.record({ advanceMs: fc.integer({ min: 0, max: 90_000 }) })), { maxLength: 40 });

  /** The limiter after `ops`, its clock, and the last decision (a request is made at the end). */
  function replay(perMinute: number, sequence: readonly Op[]): { limiter: InboundLimiter; advance: (ms: number) => void; t: number; r: number } {
    const c = clock();
    const limiter = new InboundLimiter(c.now);
    for (const op of sequence) {
      if (op === 'request') limiter.check('client', perMinute);
      else c.advance(op.advanceMs);
    }
    const last = limiter.check('client', perMinute);
    return { limiter, advance: c.advance, t: last.resetSeconds, r: last.remaining };
  }

  test('property: t seconds after an answer (nothing sent meanwhile) the quota is whole; a second earlier it is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 600 }), ops, (perMinute, sequence) => {
        const { t } = replay(perMinute, sequence);
        expect(t).toBeGreaterThanOrEqual(1); // every answer took a token or found none: never 0
        expect(t).toBeLessThanOrEqual(60);
        const atReset = replay(perMinute, sequence);
        atReset.advance(t * 1000);
        expect(atReset.limiter.check('client', perMinute).remaining).toBe(perMinute - 1);
        const before = replay(perMinute, sequence);
        before.advance((t - 1) * 1000);
        expect(before.limiter.check('client', perMinute).remaining).toBeLessThanOrEqual(perMinute - 2);
      }),
      { numRuns: 300 },
    );
  });

  test('addresses: IPv4 (mapped too) as they are, IPv6 by /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::9')).toBe(addressKey('2001:0db8:0001:0002:ffff::1'));
    expect(addressKey('2001:db8:1:3::9')).not.toBe(addressKey('2001:db8:1:2::9'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('limits over HTTP', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack.close();
  });

  test('t counts down to the reset, on pipeline and fast-path answers alike, and on the 429', async () => {
    const c = clock();
    stack = await startStack({ now: c.now, requestsPerMinute: 6 }); // one request back every 10 s
    const served = jest.spyOn(HotAnswers.prototype, 'tryServe');
    try {
      const seen: { r: number; t: number; fast: boolean; status: number }[] = [];
      const send = async (): Promise<{ status: number; headers: Headers }> => {
        const answer = await stack.get(ANALYTICS);
        const { policy, r, t } = field(answer.headers.get('ratelimit'));
        expect(policy).toBe('per-key');
        expect(answer.headers.get('ratelimit-policy')).toBe('"per-key";q=6;w=60');
        seen.push({ r, t, fast: served.mock.results.at(-1)?.value === true, status: answer.status });
        return answer;
      };
      for (let i = 0; i < 6; i += 1) await send();
      expect(seen.map(({ r, t, status }) => ({ r, t, status }))).toEqual([10, 20, 30, 40, 50, 60].map((t, i) => ({ r: 5 - i, t, status: 200 })));
      expect(seen[0]?.fast).toBe(false);
      expect(seen.slice(1).every((s) => s.fast)).toBe(true);

      const limited = await send();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('10');
      expect(seen.at(-1)).toMatchObject({ r: 0, t: 60 });

      c.advance(30_000); // three requests back; the reset is 30 s nearer, this request adds 10 s
      await send();
      expect(seen.at(-1)).toMatchObject({ r: 2, t: 40, status: 200 });
      c.advance(40_000); // at the announced reset the quota is whole again
      await send();
      expect(seen.at(-1)).toMatchObject({ r: 5, t: 10, status: 200 });
    } finally {
      served.mockRestore();
    }
  });

  test('401, 403 and 429 keep their route in the metrics and the log line', async () => {
    stack = await startStack({ requestsPerMinute: 2 });
    expect((await stack.get(ANALYTICS, {})).status).toBe(401);
    expect((await stack.get('/v1/connections', { 'X-API-Key': 'wrong-key' })).status).toBe(401);
    expect((await stack.get(`${ANALYTICS}?api_key=x`, {})).status).toBe(401);
    expect((await stack.get(`${ANALYTICS}?workspace_id=acme`, { 'X-API-Key': OTHER_CLIENT_KEY })).status).toBe(403);
    for (let i = 0; i < 2; i += 1) await stack.get('/v1/connections');
    expect((await stack.get('/v1/connections')).status).toBe(429);
    expect((await stack.get(ANALYTICS)).status).toBe(429);

    const metrics = (await stack.get('/metrics')).text;
    const requests = (route: string, status: number): number => metricValue(metrics, 'gateway_http_requests_total', `route="${route}",status="${status}"`);
    expect(requests(ANALYTICS, 401)).toBe(2);
    expect(requests('/v1/connections', 401)).toBe(1);
    expect(requests(ANALYTICS, 403)).toBe(1);
    expect(requests('/v1/connections', 429)).toBe(1);
    expect(requests(ANALYTICS, 429)).toBe(1);
    expect(metrics).not.toMatch(/route="unmatched"/);

    const lines = stack.logs
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message: string; status?: number; route?: string });
    const refused = lines.filter((line) => line.message === 'request' && [401, 403, 429].includes(line.status ?? 0));
    expect(refused).toHaveLength(6);
    expect(refused.every((line) => line.route === ANALYTICS || line.route === '/v1/connections')).toBe(true);
  });

  test('a bad-key flood gets 429 after the per-address budget; a good key from the same address is unaffected', async () => {
    stack = await startStack({ requestsPerMinute: 1000, now: clock().now }); // a still clock: budgets move only by requests
    const statuses: number[] = [];
    let last: Headers | undefined;
    for (let i = 0; i < UNAUTHENTICATED_PER_MINUTE + 5; i += 1) {
      // Wrong keys, no key, keys in the URL: one budget for the address.
      const headers: Record<string, string> = i % 3 === 0 ? {} : { 'X-API-Key': `guess-${i}` };
      const answer = await stack.get(i % 5 === 0 ? `${ANALYTICS}?token=guess` : ANALYTICS, headers);
      statuses.push(answer.status);
      last = answer.headers;
      if (i === 0) {
        expect(answer.headers.get('ratelimit-policy')).toBe(`"per-address";q=${UNAUTHENTICATED_PER_MINUTE};w=60`);
        expect(field(answer.headers.get('ratelimit'))).toEqual({ policy: 'per-address', r: UNAUTHENTICATED_PER_MINUTE - 1, t: 1 });
      }
      // Interleaved: the good key's own budget only ever moves by its own requests.
      if (i % 10 === 0) {
        const good = await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY });
        expect(good.status).toBe(200);
        expect(field(good.headers.get('ratelimit'))).toMatchObject({ policy: 'per-key', r: 1000 - (i / 10 + 1) });
      }
    }
    expect(statuses.slice(0, UNAUTHENTICATED_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(UNAUTHENTICATED_PER_MINUTE)).toEqual(Array(5).fill(429));
    expect(Number(last?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(field(last?.get('ratelimit') ?? null)).toMatchObject({ policy: 'per-address', r: 0 });
    expect((await stack.get(ANALYTICS, { 'X-API-Key': CLIENT_KEY })).status).toBe(200);
    expect((await stack.get('/v1/connections', { 'X-API-Key': OTHER_CLIENT_KEY })).status).toBe(200);

    const metrics = (await stack.get('/metrics')).text;
    expect(metricValue(metrics, 'gateway_inbound_rejected_total', 'reason="unauthenticated_rate_limited"')).toBe(5);
    expect(metricValue(metrics, 'gateway_inbound_rejected_total', 'reason="unauthorized"') + metricValue(metrics, 'gateway_inbound_rejected_total', 'reason="key_in_query"')).toBe(
      UNAUTHENTICATED_PER_MINUTE,
    );
    expect(metricValue(metrics, 'gateway_http_requests_total', `route="${ANALYTICS}",status="429"`)).toBe(5);
  });

  test('/metrics passes promtool check metrics', async () => {
    stack = await startStack({ requestsPerMinute: 1 });
    await stack.get(ANALYTICS);
    await stack.get(ANALYTICS); // 429
    await stack.get(ANALYTICS, {}); // 401
    await stack.get('/nowhere');
    const metrics = await stack.get('/metrics');
    expect(metrics.status).toBe(200);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
    if (check.error) throw new Error(`promtool did not run (npm test's prerequisites install it: apt-get install prometheus): ${check.error.message}`);
    expect({ status: check.status, problems: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
  });
});
