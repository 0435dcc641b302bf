/**
 * The request log line's `sources` field: every source by name for a small answer; for an
 * agency's hundreds, counts per status and cache plus each source that is not ok, by name.
 */
import { LOGGED_SOURCES, sourcesSummary } from '../../src/server/answer-writer';
import { sourceRecord } from '../helpers/records';

const source = sourceRecord;

describe('sourcesSummary', () => {
  it('names every source of a small answer', () => {
    expect(sourcesSummary([source('a-sendkit', 'ok', 'hit'), source('b-kakiyo', 'error', 'miss', 'unauthorized')])).toBe('a-sendkit:ok:hit b-kakiyo:error:miss:unauthorized');
  });

  it('counts the sources of a big answer and names only those not ok', () => {
    const many = Array.from({ length: 800 }, (_, i) => source(`c-${i}`, 'ok', i % 100 === 0 ? 'miss' : 'hit'));
    many[17] = source('c-17', 'stale', 'stale', 'rate_limited');
    many[400] = source('c-400', 'error', 'miss', 'upstream_timeout');
    const line = sourcesSummary(many);
    expect(line).toBe('800 sources: 7 ok:miss 791 ok:hit 1 stale:stale 1 error:miss not ok: c-17:stale:stale:rate_limited c-400:error:miss:upstream_timeout');
    expect(sourcesSummary(many.slice(0, LOGGED_SOURCES + 1))).toMatch(/^21 sources: 1 ok:miss 19 ok:hit 1 stale:stale not ok: c-17:/);
  });
});
