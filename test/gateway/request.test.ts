import { GatewayError, type ProblemFieldError } from '../../src/errors';
import { MAX_IDS, MAX_RANGE_DAYS, QUERY_PARAMETERS, parseAnalyticsQuery, parseDate, type AnalyticsRequest } from '../../src/gateway/request';
import { pathOf } from '../../src/http/client';

const DEFAULTS: AnalyticsRequest = {
  workspaceId: undefined,
  providers: undefined,
  ids: undefined,
  statuses: undefined,
  startDate: undefined,
  endDate: undefined,
  include: { steps: false, daily: false, raw: false },
  refresh: false,
  requireAll: false,
};

/** The 400 a query must fail with. */
function rejection(raw: Record<string, unknown>): GatewayError {
  try {
    parseAnalyticsQuery(raw);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

function fieldErrors(raw: Record<string, unknown>): ProblemFieldError[] {
  const error = rejection(raw);
  expect(error.status).toBe(400);
  expect(error.code).toBe('invalid_query');
  return error.errors ?? [];
}

function keys(count: number): string {
  return Array.from({ length: count }, (_, i) => `acme-instantly:campaign_${i}`).join(',');
}

/** A malformed id is named by its position (1-based), never echoed. */
const idsMessage = (position: number): string =>
  `id ${position} is not a campaign key <connection>:<vendor id> (letters, digits, "_" and "-"; at most 64 and 128 characters)`;

describe('parseAnalyticsQuery: valid queries', () => {
  it('gives the defaults for an empty query', () => {
    expect(parseAnalyticsQuery({})).toEqual(DEFAULTS);
  });

  it('parses every parameter at once', () => {
    expect(
      parseAnalyticsQuery({
        workspace_id: 'acme',
        providers: 'instantly,seleqt',
        ids: 'acme-instantly:3f2a9c1e-0b7d-4e55-9a1c-2b3c4d5e6f70,acme-seleqt:340',
        status: 'active,paused',
        start_date: '2026-01-01',
        end_date: '2026-01-31',
        include: 'steps,daily,raw',
        refresh: 'true',
        require: 'all',
      }),
    ).toEqual({
      workspaceId: 'acme',
      providers: ['instantly', 'seleqt'],
      ids: ['acme-instantly:3f2a9c1e-0b7d-4e55-9a1c-2b3c4d5e6f70', 'acme-seleqt:340'],
      statuses: ['active', 'paused'],
      startDate: '2026-01-01',
      endDate: '2026-01-31',
      include: { steps: true, daily: true, raw: true },
      refresh: true,
      requireAll: true,
    });
  });

  it.each(['ALL', 'acme', 'acme.eu-1', 'A_b', 'x'.repeat(64), 'all'])('accepts workspace_id=%p', (workspaceId) => {
    expect(parseAnalyticsQuery({ workspace_id: workspaceId }).workspaceId).toBe(workspaceId);
  });

  it('trims and de-duplicates comma lists, keeping first-seen order', () => {
    expect(parseAnalyticsQuery({ providers: ' seleqt , instantly,seleqt' }).providers).toEqual(['seleqt', 'instantly']);
    expect(parseAnalyticsQuery({ status: 'draft,draft,unknown' }).statuses).toEqual(['draft', 'unknown']);
    expect(parseAnalyticsQuery({ ids: 'a:1, b:2 ,a:1' }).ids).toEqual(['a:1', 'b:2']);
  });

  it('accepts every provider and every status', () => {
    expect(parseAnalyticsQuery({ providers: 'instantly,sendkit,kakiyo,seleqt' }).providers).toEqual(['instantly', 'sendkit', 'kakiyo', 'seleqt']);
    expect(parseAnalyticsQuery({ status: 'draft,active,paused,completed,archived,error,unknown' }).statuses).toEqual([
      'draft',
      'active',
      'paused',
      'completed',
      'archived',
      'error',
      'unknown',
    ]);
  });

  it.each<[string, AnalyticsRequest['include']]>([
    ['steps', { steps: true, daily: false, raw: false }],
    ['daily', { steps: false, daily: true, raw: false }],
    ['raw', { steps: false, daily: false, raw: true }],
    ['raw,steps,raw', { steps: true, daily: false, raw: true }],
    [' daily , steps ', { steps: true, daily: true, raw: false }],
  ])('parses include=%p', (include, expected) => {
    expect(parseAnalyticsQuery({ include }).include).toEqual(expected);
  });

  it('parses refresh and require', () => {
    expect(parseAnalyticsQuery({ refresh: 'true' }).refresh).toBe(true);
    expect(parseAnalyticsQuery({ refresh: 'false' }).refresh).toBe(false);
    expect(parseAnalyticsQuery({ require: 'all' }).requireAll).toBe(true);
  });

  it.each([
    'acme-instantly:3f2a9c1e-0b7d-4e55-9a1c-2b3c4d5e6f70',
    'acme-sendkit:64f0c2a9e1b2c3d4e5f60718',
    'acme-kakiyo:campaign_01HZX',
    'acme-seleqt:340',
    'conn.with.dots:abc',
    `${'c'.repeat(64)}:${'v'.repeat(128)}`,
  ])('accepts the campaign key %p', (id) => {
    expect(parseAnalyticsQuery({ ids: id }).ids).toEqual([id]);
  });

  it(`accepts ${MAX_IDS} ids`, () => {
    expect(MAX_IDS).toBe(100);
    expect(parseAnalyticsQuery({ ids: keys(100) }).ids).toHaveLength(100);
  });

  it('counts ids after removing duplicates', () => {
    expect(parseAnalyticsQuery({ ids: `${keys(100)},acme-instantly:campaign_0` }).ids).toHaveLength(100);
  });
});

describe('parseAnalyticsQuery: invalid parameters', () => {
  it('rejects unknown parameters, naming each (cut to 64 characters)', () => {
    const long = `x${'y'.repeat(100)}`;
    expect(fieldErrors({ api_key: 'secret', workspace: 'acme', [long]: '1' })).toEqual([
      { parameter: 'api_key', message: 'unknown parameter' },
      { parameter: 'workspace', message: 'unknown parameter' },
      { parameter: long.slice(0, 64), message: 'unknown parameter' },
    ]);
  });

  it('rejects a repeated parameter (the simple parser gives an array)', () => {
    expect(fieldErrors({ providers: ['instantly', 'seleqt'], refresh: ['true', 'true'] })).toEqual([
      { parameter: 'providers', message: 'repeated parameter (give it once; lists are comma-separated)' },
      { parameter: 'refresh', message: 'repeated parameter (give it once; lists are comma-separated)' },
    ]);
  });

  it.each(['', '../acme', 'acme/x', '-acme', 'x'.repeat(65), 'acme corp', 'acme\r\nX: 1'])('rejects workspace_id=%p', (workspaceId) => {
    expect(fieldErrors({ workspace_id: workspaceId })).toEqual([{ parameter: 'workspace_id', message: 'expected a workspace id or ALL' }]);
  });

  it.each(['mailchimp', 'Instantly', '', 'instantly,', 'instantly,,seleqt', ','])('rejects providers=%p', (providers) => {
    expect(fieldErrors({ providers })).toEqual([{ parameter: 'providers', message: 'expected comma list of instantly,sendkit,kakiyo,seleqt' }]);
  });

  it.each(['running', 'ACTIVE', '', 'active,'])('rejects status=%p', (status) => {
    expect(fieldErrors({ status })).toEqual([{ parameter: 'status', message: 'expected comma list of draft,active,paused,completed,archived,error,unknown' }]);
  });

  it.each(['stats', 'STEPS', '', 'steps,', 'steps;daily'])('rejects include=%p', (include) => {
    expect(fieldErrors({ include })).toEqual([{ parameter: 'include', message: 'expected comma list of steps,daily,raw' }]);
  });

  it.each(['1', 'yes', 'TRUE', '', ' true'])('rejects refresh=%p', (refresh) => {
    expect(fieldErrors({ refresh })).toEqual([{ parameter: 'refresh', message: 'expected true or false' }]);
  });

  it.each(['any', 'ALL', '', 'all,all'])('rejects require=%p', (require) => {
    expect(fieldErrors({ require })).toEqual([{ parameter: 'require', message: 'expected all' }]);
  });

  it(`rejects ${MAX_IDS + 1} ids`, () => {
    expect(fieldErrors({ ids: keys(101) })).toEqual([{ parameter: 'ids', message: 'at most 100 campaign keys' }]);
  });

  it.each(['', 'a:1,', ',a:1', 'a:1,,b:2'])('rejects ids=%p with an empty item', (ids) => {
    expect(fieldErrors({ ids })).toEqual([{ parameter: 'ids', message: 'expected a comma list of campaign keys' }]);
  });

  it.each([
    ['no connection part', 'campaign_1'],
    ['an empty vendor id', 'acme-seleqt:'],
    ['an empty connection', ':340'],
    ['a parent segment', 'acme-seleqt:../admin'],
    ['".." as the vendor id', 'acme-seleqt:..'],
    ['"." as the vendor id', 'acme-seleqt:.'],
    ['".." as the connection', '..:340'],
    ['an encoded slash', 'acme-seleqt:..%2Fadmin'],
    ['an encoded slash alone', 'acme-seleqt:%2F'],
    ['a slash', 'acme-seleqt:a/b'],
    ['CRLF', 'acme-seleqt:340\r\nHost: evil.example'],
    ['a host part', 'acme-seleqt:x@evil.example'],
    ['a URL', 'acme-seleqt:http://evil.example/steal'],
    ['a URL as the whole key', 'http://evil.example'],
    ['a query part', 'acme-seleqt:340?admin=1'],
    ['a fragment', 'acme-seleqt:340#x'],
    ['a space', 'acme-seleqt:3 40'],
    ['a backslash', 'acme-seleqt:a\\b'],
    ['a dot in the vendor id', 'acme-seleqt:a.b'],
    ['a NUL byte', 'acme-seleqt:340\u0000'],
    ['non-ASCII', 'acme-seleqt:caf\u00e9'],
    ['a vendor id over 128 characters', `acme-seleqt:${'v'.repeat(129)}`],
    ['a connection over 64 characters', `${'c'.repeat(65)}:340`],
  ])('rejects an id with %s', (_label, bad) => {
    expect(fieldErrors({ ids: `acme-instantly:ok_1,${bad}` })).toEqual([{ parameter: 'ids', message: idsMessage(2) }]);
    expect(JSON.stringify(fieldErrors({ ids: bad }))).not.toContain(bad);
  });

  it('reports several bad parameters together, each once, in a fixed order', () => {
    const error = rejection({
      bogus: '1',
      ids: 'a/b:1',
      workspace_id: '../x',
      status: 'nope',
      providers: 'x',
      include: 'y',
      start_date: 'yesterday',
      end_date: '2026-02-30',
      refresh: 'maybe',
      require: 'some',
      status_dup: ['a', 'b'],
    });
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_query');
    expect(error.errors).toEqual([
      { parameter: 'bogus', message: 'unknown parameter' },
      { parameter: 'status_dup', message: 'unknown parameter' },
      { parameter: 'workspace_id', message: 'expected a workspace id or ALL' },
      { parameter: 'providers', message: 'expected comma list of instantly,sendkit,kakiyo,seleqt' },
      { parameter: 'status', message: 'expected comma list of draft,active,paused,completed,archived,error,unknown' },
      { parameter: 'include', message: 'expected comma list of steps,daily,raw' },
      { parameter: 'ids', message: idsMessage(1) },
      { parameter: 'start_date', message: 'expected a date YYYY-MM-DD' },
      { parameter: 'end_date', message: 'expected a date YYYY-MM-DD' },
      { parameter: 'refresh', message: 'expected true or false' },
      { parameter: 'require', message: 'expected all' },
    ]);
    expect(error.message).toBe('invalid query: bogus, status_dup, workspace_id, providers, status, include, ids, start_date, end_date, refresh, require');
  });

  it('documents every parameter it accepts', () => {
    expect(Object.keys(QUERY_PARAMETERS)).toEqual([
      'workspace_id', 'providers', 'ids', 'status', 'start_date', 'end_date', 'include', 'refresh', 'require',
      'format', 'limit', 'cursor', 'sort', 'fields', 'group_by',
    ]);
  });
});

describe('parseAnalyticsQuery: date ranges', () => {
  it(`accepts a range of exactly ${MAX_RANGE_DAYS} days, both ends included`, () => {
    expect(MAX_RANGE_DAYS).toBe(366);
    expect(parseAnalyticsQuery({ start_date: '2025-01-01', end_date: '2026-01-01' })).toMatchObject({ startDate: '2025-01-01', endDate: '2026-01-01' });
    expect(parseAnalyticsQuery({ start_date: '2024-01-01', end_date: '2024-12-31' })).toMatchObject({ startDate: '2024-01-01', endDate: '2024-12-31' });
  });

  it('accepts a single day', () => {
    expect(parseAnalyticsQuery({ start_date: '2026-03-05', end_date: '2026-03-05' })).toMatchObject({ startDate: '2026-03-05', endDate: '2026-03-05' });
  });

  it('rejects 367 days and a 20-year range', () => {
    const message = [{ parameter: 'end_date', message: 'the range must be at most 366 days' }];
    expect(fieldErrors({ start_date: '2025-01-01', end_date: '2026-01-02' })).toEqual(message);
    expect(fieldErrors({ start_date: '2024-01-01', end_date: '2025-01-01' })).toEqual(message);
    expect(fieldErrors({ start_date: '2006-01-01', end_date: '2026-01-01' })).toEqual(message);
  });

  it('rejects a start after the end', () => {
    expect(fieldErrors({ start_date: '2026-02-02', end_date: '2026-02-01' })).toEqual([{ parameter: 'start_date', message: 'must not be after end_date' }]);
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', 'yesterday', '2026-2-3', '20260203', '2026-02-03T00:00:00Z', ' 2026-02-03', '', '+02026-02-03'])(
    'rejects the non-date %p',
    (text) => {
      expect(fieldErrors({ start_date: text, end_date: '2026-03-01' })).toEqual([{ parameter: 'start_date', message: 'expected a date YYYY-MM-DD' }]);
      expect(fieldErrors({ start_date: '2026-01-01', end_date: text })).toEqual([{ parameter: 'end_date', message: 'expected a date YYYY-MM-DD' }]);
    },
  );

  it('accepts 29 February in a leap year', () => {
    expect(parseAnalyticsQuery({ start_date: '2024-02-29', end_date: '2024-03-01' }).startDate).toBe('2024-02-29');
  });

  it('requires start_date and end_date together', () => {
    expect(fieldErrors({ start_date: '2026-01-01' })).toEqual([{ parameter: 'end_date', message: 'start_date and end_date go together' }]);
    expect(fieldErrors({ end_date: '2026-01-01' })).toEqual([{ parameter: 'start_date', message: 'start_date and end_date go together' }]);
    expect(fieldErrors({ start_date: 'soon' })).toEqual([
      { parameter: 'start_date', message: 'expected a date YYYY-MM-DD' },
      { parameter: 'end_date', message: 'start_date and end_date go together' },
    ]);
  });
});

describe('parseDate', () => {
  it('returns UTC midnight of a real calendar date', () => {
    expect(parseDate('2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(parseDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDate('2026-02-29')).toBeUndefined();
    expect(parseDate('9999-99-99')).toBeUndefined();
  });
});

describe('pathOf', () => {
  it.each(['.', '..', ''])('throws on the segment %p', (segment) => {
    expect(() => pathOf`/v1/campaigns/${segment}/analytics`).toThrow(Error);
    expect(() => pathOf`/v1/campaigns/ok/${segment}`).toThrow(Error);
  });

  it('encodes other values as one segment', () => {
    expect(pathOf`/v1/campaigns/${'../x'}/steps/${7}`).toBe('/v1/campaigns/..%2Fx/steps/7');
    expect(pathOf`/v1/campaigns/${'...'}`).toBe('/v1/campaigns/...');
  });
});
