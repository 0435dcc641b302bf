/**
 * A child process for the crash test: opens the history store in the directory it is given and
 * records walks of 1,500 campaigns, one UTC day after another, as fast as it can, printing each
 * committed day on stdout, until it is killed.
 */
import { createLogger } from '../../src/logger';
import { emptyMetrics, type CampaignAnalytics } from '../../src/schema/campaign';
import { computeRates } from '../../src/schema/rates';
import { HistoryStore } from '../../src/store';

const CAMPAIGNS = 1500;
const DAY = 86_400_000;
const START = Date.parse('2026-01-05T12:00:00Z');

function records(day: number): CampaignAnalytics[] {
  return Array.from({ length: CAMPAIGNS }, (_, i) => {
    const metrics = { ...emptyMetrics(), sent: day * 10 + i, contacted: day * 5 + i };
    return {
      key: `crash-instantly:c${i}`,
      id: `c${i}`,
      provider: 'instantly' as const,
      connection: 'crash-instantly',
      workspace: 'acme',
      name: `Campaign ${i}`,
      status: 'active' as const,
      vendorStatus: '1',
      channels: ['email' as const],
      createdAt: null,
      metrics,
      rates: computeRates(metrics),
      averageReplySeconds: null,
      steps: null,
      daily: null,
      leadStatus: null,
    };
  });
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: crash-writer DIR');
  const store = new HistoryStore({ dir, retentionDays: 3650, logger: createLogger({ silent: true }), now: () => START });
  await store.start();
  process.stdout.write('ready\n');
  for (let day = 0; ; day += 1) {
    const before = store.counters.walksRecorded;
    await store.record({ connection: 'crash-instantly', workspace: 'acme', provider: 'instantly', fetchedAt: START + day * DAY, records: records(day) });
    if (store.counters.walksRecorded > before) process.stdout.write(`committed ${day}\n`);
  }
}

void main();
