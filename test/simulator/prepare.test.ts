/**
 * `prepare()`: every account's data is built up front (once per account), the first requests then
 * build nothing, and the replies are the same bytes as a simulator that builds on first request.
 */
import * as data from '../../src/simulator/data';
import { DEMO_ACCOUNTS, startSimulator, type VendorSimulator } from '../../src/simulator';
import { PROVIDER_IDS, type ProviderId } from '../../src/schema/campaign';
import { REFERENCE_DATE, bearer, get } from './helpers';

async function start(provider: ProviderId): Promise<VendorSimulator> {
  return startSimulator(provider, { accounts: DEMO_ACCOUNTS[provider], referenceDate: REFERENCE_DATE, rateLimit: { rules: [] } });
}

/** Each account's campaign list, as the vendor's list endpoint sends it. */
async function lists(sim: VendorSimulator): Promise<string[]> {
  const replies: string[] = [];
  for (const account of DEMO_ACCOUNTS[sim.provider]) {
    switch (sim.provider) {
      case 'instantly':
        replies.push((await get(sim, '/api/v2/campaigns?limit=100', bearer(account.apiKey))).text);
        break;
      case 'sendkit':
        replies.push((await get(sim, '/v1/campaigns?limit=100', { 'x-api-key': account.apiKey })).text);
        break;
      case 'kakiyo':
        replies.push((await get(sim, '/v1/campaigns?limit=20', bearer(account.apiKey))).text);
        break;
      case 'seleqt':
        replies.push(
          (await get(sim, '/api/v1/dashboard/campaign-analytics/', { 'x-api-key': account.apiKey, 'x-workspace-id': account.vendorWorkspaceId ?? '' })).text,
        );
        break;
    }
  }
  return replies;
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe.each(PROVIDER_IDS)('%s prepare()', (provider) => {
  test('builds each account once, up front; the replies are the same bytes', async () => {
    const unprepared = await start(provider);
    const prepared = await start(provider);
    try {
      const expected = await lists(unprepared);
      const built = jest.spyOn(data, 'generateCampaigns');
      prepared.prepare();
      expect(built).toHaveBeenCalledTimes(DEMO_ACCOUNTS[provider].length);
      built.mockClear();
      const replies = await lists(prepared);
      expect(built).not.toHaveBeenCalled();
      expect(replies).toEqual(expected);
      expect(replies.every((text) => text.length > 20)).toBe(true);
    } finally {
      await Promise.all([unprepared.close(), prepared.close()]);
    }
  });
});
