/**
 * Property tests of the rule "null means not reported": generated dashboard replies (every count a
 * vendor number, a numeric string, nothing, or garbage; analytics sometimes null or absent) go
 * through the real fetch path (nock + HTTP client + client + mapper), and every normalized metric
 * must be the vendor's number, or null because the vendor sent nothing, or null with its field
 * path in the `invalid_fields` warning.
 */
import fc from 'fast-check';
import nock from 'nock';
import { SELEQT_DASHBOARD_PATH, fetchSeleqtAnalytics } from '../../../src/providers/seleqt/client';
import type { SourceWarning } from '../../../src/providers/types';
import type { Metrics } from '../../../src/schema/campaign';
import { ABSENT, expectCount, expectedCount, invalidFields, put, vendorCount } from '../../helpers/vendor-values';
import { ORIGIN, connection, http, query } from './helpers';

/** Normalized metric ← Seleqt analytics field, for every metric read straight from one field. */
const DIRECT: readonly (readonly [keyof Metrics, string])[] = [
  ['leads', 'amount_of_prospects'],
  ['contacted', 'amount_of_prospects_contacted'],
  ['emailsSent', 'amount_of_emails_sent'],
  ['linkedinMessagesSent', 'amount_of_linkedin_messages_sent'],
  ['linkedinInvitesSent', 'amount_of_invites_sent'],
  ['linkedinInvitesAccepted', 'amount_of_invites_accepted'],
  ['replied', 'amount_of_replies'],
  ['interested', 'amount_of_interested'],
];
/** The fields `sent` adds up. */
const SENT_PARTS = ['amount_of_emails_sent', 'amount_of_linkedin_messages_sent', 'amount_of_invites_sent'] as const;
/** Metrics Seleqt never reports. */
const NEVER: readonly (keyof Metrics)[] = ['opened', 'clicked', 'bounced', 'unsubscribed', 'completed', 'won', 'opportunityValue'];

interface Generated {
  analytics: unknown;
  counts: Record<string, unknown>;
}

/** An analytics object with every count field drawn from `vendorCount` (ABSENT = left out), or null, or absent. */
const analytics: fc.Arbitrary<Generated> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(...DIRECT.map(() => vendorCount)).map((values): Generated => {
      const counts: Record<string, unknown> = {};
      const body: Record<string, unknown> = {};
      DIRECT.forEach(([, field], i) => {
        counts[field] = values[i];
        put(body, field, values[i]);
      });
      return { analytics: body, counts };
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<Generated>({ analytics: null, counts: {} }, { analytics: ABSENT, counts: {} }) },
);

const campaigns = fc.uniqueArray(fc.record({ id: fc.nat({ max: 1_000_000 }), name: fc.string(), status: fc.constantFrom('ACTIVE', 'DRAFT'), data: analytics }), {
  minLength: 1,
  maxLength: 5,
  selector: (c) => c.id,
});

function garbageCount(value: unknown): number {
  return expectedCount(value).garbage ? 1 : 0;
}

afterEach(() => {
  nock.cleanAll();
});

describe('Seleqt: every metric is the vendor number, or null because absent, or null and named', () => {
  it('holds for generated dashboard replies through the real fetch path', async () => {
    await fc.assert(
      fc.asyncProperty(campaigns, async (generated) => {
        const body = {
          campaigns: generated.map((c) => {
            const record: Record<string, unknown> = { id: c.id, name: c.name, status: c.status, workspace_id: 340 };
            put(record, 'analytics', c.data.analytics);
            return record;
          }),
        };
        nock(ORIGIN).get(SELEQT_DASHBOARD_PATH).query({ workspace_id: '340' }).reply(200, body);
        const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
        expect(records.map((r) => r.id)).toEqual(generated.map((c) => String(c.id)));

        const expectedFields: Record<string, number> = {};
        generated.forEach((c, i) => {
          const metrics = records[i]?.metrics;
          if (metrics === undefined) throw new Error('record missing');
          const counts = c.data.counts;
          for (const [metric, field] of DIRECT) {
            expectCount(metrics[metric], field in counts ? counts[field] : ABSENT, `analytics.${field}`, warnings);
            const bad = garbageCount(counts[field]);
            if (bad > 0) expectedFields[`analytics.${field}`] = (expectedFields[`analytics.${field}`] ?? 0) + bad;
          }
          // `sent`: null when a part is unreadable (that part named above), else the sum of the parts reported.
          const parts = SENT_PARTS.map((field) => expectedCount(field in counts ? counts[field] : ABSENT));
          const reported = parts.filter((p) => p.value !== null).map((p) => p.value ?? 0);
          const sent = parts.some((p) => p.garbage) || reported.length === 0 ? null : reported.reduce((a, b) => a + b, 0);
          expect({ id: c.id, sent: metrics.sent }).toEqual({ id: c.id, sent });
          for (const metric of NEVER) expect({ metric, value: metrics[metric] }).toEqual({ metric, value: null });
        });
        // Exactly the garbage is named, each path with its count: nothing more, nothing less.
        expect(invalidFields(warnings)).toEqual(expectedFields);
        expect(warnings.filter((w: SourceWarning) => w.code !== 'invalid_fields')).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('a garbage count ("lots") keeps the campaign and produces a warning naming its path', async () => {
    nock(ORIGIN)
      .get(SELEQT_DASHBOARD_PATH)
      .query({ workspace_id: '340' })
      .reply(200, { campaigns: [{ id: 7, name: 'Lots', status: 'ACTIVE', analytics: { amount_of_replies: 'lots', amount_of_prospects: 10 } }] });
    const { records, warnings } = await fetchSeleqtAnalytics(connection, query(), http());
    expect(records.map((r) => [r.id, r.metrics.replied, r.metrics.leads])).toEqual([['7', null, 10]]);
    expect(warnings).toEqual([
      {
        code: 'invalid_fields',
        message: '1 value(s) present but unreadable, mapped as null: analytics.amount_of_replies (1)',
        count: 1,
        path: 'analytics.amount_of_replies',
        fields: { 'analytics.amount_of_replies': 1 },
      },
    ]);
  });
});
