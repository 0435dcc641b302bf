import { RATE_DEFINITIONS, RATE_NAMES, emptyMetrics, type Metrics, type RateName } from '../../src/schema/campaign';
import { computeRates, computeTotals, ratio } from '../../src/schema/rates';

/** DESIGN.md section 3, written out by hand so a wrong table in src/ cannot pass unnoticed. */
const PAIRS: readonly (readonly [RateName, keyof Metrics, keyof Metrics])[] = [
  ['openRate', 'opened', 'contacted'],
  ['clickRate', 'clicked', 'contacted'],
  ['replyRate', 'replied', 'contacted'],
  ['bounceRate', 'bounced', 'contacted'],
  ['interestedRate', 'interested', 'contacted'],
  ['inviteAcceptRate', 'linkedinInvitesAccepted', 'linkedinInvitesSent'],
];

function metrics(values: Partial<Metrics>): Metrics {
  return { ...emptyMetrics(), ...values };
}

const ALL_NULL_RATES = {
  openRate: null,
  clickRate: null,
  replyRate: null,
  bounceRate: null,
  interestedRate: null,
  inviteAcceptRate: null,
};

describe('rate definitions', () => {
  it('match the contract, pair by pair', () => {
    expect(RATE_NAMES).toEqual(PAIRS.map(([name]) => name));
    expect(RATE_DEFINITIONS).toEqual(Object.fromEntries(PAIRS.map(([name, num, den]) => [name, [num, den]])));
  });
});

describe('ratio', () => {
  it.each([
    [1, 4, 0.25],
    [0, 4, 0],
    [3, 0, null],
    [0, 0, null],
    [null, 4, null],
    [4, null, null],
    [null, null, null],
  ])('ratio(%p, %p) = %p', (num, den, expected) => {
    expect(ratio(num, den)).toBe(expected);
  });
});

describe('computeRates', () => {
  it('computes every rate from its own pair', () => {
    const rates = computeRates(
      metrics({
        contacted: 200,
        opened: 100,
        clicked: 50,
        replied: 20,
        bounced: 10,
        interested: 5,
        linkedinInvitesSent: 40,
        linkedinInvitesAccepted: 10,
        // Not a denominator of anything: must not influence any rate.
        sent: 1000,
        leads: 7,
      }),
    );
    expect(rates).toEqual({
      openRate: 0.5,
      clickRate: 0.25,
      replyRate: 0.1,
      bounceRate: 0.05,
      interestedRate: 0.025,
      inviteAcceptRate: 0.25,
    });
  });

  it('is all null for a record that reports nothing', () => {
    expect(computeRates(emptyMetrics())).toEqual(ALL_NULL_RATES);
  });

  describe.each(PAIRS)('%s = %s / %s', (name, num, den) => {
    it('is null when the numerator is not reported', () => {
      expect(computeRates(metrics({ [den]: 10 }))[name]).toBeNull();
    });
    it('is null when the denominator is not reported', () => {
      expect(computeRates(metrics({ [num]: 3 }))[name]).toBeNull();
    });
    it('is null when the denominator is 0', () => {
      expect(computeRates(metrics({ [num]: 3, [den]: 0 }))[name]).toBeNull();
    });
    it('is 0 when the numerator is a reported zero', () => {
      expect(computeRates(metrics({ [num]: 0, [den]: 10 }))[name]).toBe(0);
    });
    it('is the exact fraction otherwise, and only this rate is set', () => {
      const rates = computeRates(metrics({ [num]: 3, [den]: 8 }));
      expect(rates[name]).toBe(0.375);
      // Every other rate lacks its numerator (or both sides), so it stays null.
      expect(Object.entries(rates).filter(([other, value]) => other !== name && value !== null)).toEqual([]);
    });
  });
});

describe('computeTotals', () => {
  it('is empty and all null for no records', () => {
    expect(computeTotals([])).toEqual({ campaigns: 0, metrics: emptyMetrics(), rates: ALL_NULL_RATES });
  });

  it('sums each metric over the campaigns that report it, null when none does', () => {
    const totals = computeTotals([
      { metrics: metrics({ leads: 10, contacted: 8, sent: 20, replied: 0 }) },
      { metrics: metrics({ leads: 5, sent: 7, opportunityValue: 1500.5 }) },
      { metrics: metrics({ contacted: 0 }) },
    ]);
    expect(totals.campaigns).toBe(3);
    expect(totals.metrics).toEqual({
      ...emptyMetrics(),
      leads: 15,
      contacted: 8,
      sent: 27,
      replied: 0,
      opportunityValue: 1500.5,
    });
  });

  it('recomputes rates from sums, never from an average of rates', () => {
    const records = [
      { metrics: metrics({ contacted: 100, replied: 50 }) }, // 0.5
      { metrics: metrics({ contacted: 900, replied: 90 }) }, // 0.1
    ];
    const totals = computeTotals(records);
    // Averaging the two rates would give 0.3; the sum gives 140 / 1000.
    expect(totals.rates.replyRate).toBe(0.14);
    expect(totals.rates.replyRate).not.toBe(0.3);
    expect(totals.metrics.replied).toBe(140);
    expect(totals.metrics.contacted).toBe(1000);
  });

  it('uses only campaigns that report both sides of a rate', () => {
    const totals = computeTotals([
      { metrics: metrics({ contacted: 100, opened: 40, replied: 10 }) },
      // Reports contacted but not opened (a LinkedIn-only vendor): must not dilute openRate.
      { metrics: metrics({ contacted: 300, replied: 30 }) },
      // Reports opened without a denominator: left out of openRate, still summed in metrics.
      { metrics: metrics({ opened: 999 }) },
      { metrics: metrics({ linkedinInvitesSent: 50, linkedinInvitesAccepted: 20 }) },
      { metrics: metrics({ linkedinInvitesSent: 30 }) },
    ]);
    expect(totals).toEqual({
      campaigns: 5,
      metrics: {
        ...emptyMetrics(),
        contacted: 400,
        opened: 1039,
        replied: 40,
        linkedinInvitesSent: 80,
        linkedinInvitesAccepted: 20,
      },
      rates: {
        openRate: 0.4,
        clickRate: null,
        replyRate: 0.1,
        bounceRate: null,
        interestedRate: null,
        inviteAcceptRate: 0.4,
      },
    });
  });

  it('is null when the summed denominator is 0, and 0 for reported zero numerators', () => {
    const totals = computeTotals([
      { metrics: metrics({ contacted: 0, opened: 0 }) },
      { metrics: metrics({ contacted: 0, opened: 0 }) },
      { metrics: metrics({ linkedinInvitesSent: 4, linkedinInvitesAccepted: 0 }) },
    ]);
    expect(totals.rates.openRate).toBeNull();
    expect(totals.rates.inviteAcceptRate).toBe(0);
    expect(totals.metrics.contacted).toBe(0);
  });

  it('does not share state between calls (emptyMetrics is a fresh object)', () => {
    computeTotals([{ metrics: metrics({ leads: 3 }) }]);
    expect(computeTotals([]).metrics.leads).toBeNull();
    const a = emptyMetrics();
    a.leads = 1;
    expect(emptyMetrics().leads).toBeNull();
  });
});
