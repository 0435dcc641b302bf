import { DEMO_ACCOUNTS, DEMO_WORKSPACES, demoSimulatorOptions } from '../../src/simulator';
import { DEFAULT_BASE_PORT, basePortFrom, runSimulators } from '../../src/simulator/main';
import { PROVIDER_IDS } from '../../src/schema/campaign';
import { allStartWith, type Json } from './helpers';

describe('DEMO_ACCOUNTS', () => {
  it('has an acme and a globex account at every vendor, with distinct keys and labels', () => {
    for (const provider of PROVIDER_IDS) {
      const accounts = DEMO_ACCOUNTS[provider];
      expect(accounts.map((a) => a.workspace)).toEqual([...DEMO_WORKSPACES]);
      expect(accounts.map((a) => a.label)).toEqual(['Acme', 'Globex']);
      expect(new Set(accounts.map((a) => a.apiKey)).size).toBe(2);
    }
    const keys = PROVIDER_IDS.flatMap((p) => DEMO_ACCOUNTS[p].map((a) => a.apiKey));
    expect(new Set(keys).size).toBe(8);
  });

  it('uses each vendor’s key format', () => {
    for (const account of DEMO_ACCOUNTS.instantly) {
      expect(Buffer.from(account.apiKey, 'base64').toString('utf8')).toMatch(/^[0-9a-f-]{36}:\w+$/);
    }
    const [acme, globex] = DEMO_ACCOUNTS.sendkit;
    expect(acme?.apiKey).toMatch(/^sk_(?!user_)/);
    expect(globex?.apiKey).toMatch(/^sk_user_/);
    expect(globex?.vendorWorkspaceId).toMatch(/^[0-9a-f]{24}$/);
    for (const account of DEMO_ACCOUNTS.kakiyo) expect(account.apiKey).toHaveLength(40);
    for (const account of DEMO_ACCOUNTS.seleqt) {
      expect(account.apiKey).toMatch(/^[0-9a-f]{8}\.\w+$/);
      expect(account.vendorWorkspaceId).toMatch(/^\d+$/);
    }
  });

  it('demoSimulatorOptions puts the simulators on base+1..base+4, or any free port', () => {
    const fixed = demoSimulatorOptions(4100);
    expect(PROVIDER_IDS.map((p) => fixed[p].port)).toEqual([4101, 4102, 4103, 4104]);
    expect(fixed.kakiyo.accounts).toBe(DEMO_ACCOUNTS.kakiyo);
    const free = demoSimulatorOptions();
    expect(PROVIDER_IDS.map((p) => free[p].port)).toEqual([0, 0, 0, 0]);
  });
});

describe('simulator main', () => {
  it('reads SIMULATOR_BASE_PORT, defaulting to 4100', () => {
    expect(basePortFrom(undefined)).toBe(DEFAULT_BASE_PORT);
    expect(basePortFrom('')).toBe(4100);
    expect(basePortFrom('5000')).toBe(5000);
    expect(() => basePortFrom('65535')).toThrow('SIMULATOR_BASE_PORT');
    expect(() => basePortFrom('http')).toThrow('SIMULATOR_BASE_PORT');
  });

  it('starts the demo simulators, prints origins and keys, and the demo keys work', async () => {
    const lines: string[] = [];
    const stop = await runSimulators(demoSimulatorOptions(), (line) => lines.push(line));
    try {
      const text = lines.join('\n');
      const origins = [...text.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => `http://127.0.0.1:${m[1]}`);
      expect(origins).toHaveLength(4);
      for (const provider of PROVIDER_IDS) for (const account of DEMO_ACCOUNTS[provider]) expect(text).toContain(account.apiKey);
      expect(text).toContain('vendor workspace 340');
      const [instantly, sendkit, kakiyo, seleqt] = origins;
      const acmeInstantly = DEMO_ACCOUNTS.instantly[0]?.apiKey ?? '';
      const rows: Json = await (await fetch(`${instantly}/api/v2/campaigns/analytics`, { headers: { authorization: `Bearer ${acmeInstantly}` } })).json();
      expect(allStartWith(rows, 'campaign_name', 'Acme ')).toBe(true);
      const globex = DEMO_ACCOUNTS.sendkit[1];
      const list = await fetch(`${sendkit}/v1/campaigns?limit=100`, {
        headers: { 'x-api-key': globex?.apiKey ?? '', 'x-workspace-id': globex?.vendorWorkspaceId ?? '' },
      });
      const listBody: Json = await list.json();
      expect(listBody.data).toHaveLength(6);
      const kakiyoList = await fetch(`${kakiyo}/v1/campaigns`, { headers: { authorization: `Bearer ${DEMO_ACCOUNTS.kakiyo[1]?.apiKey ?? ''}` } });
      const kakiyoBody: Json = await kakiyoList.json();
      expect(kakiyoBody.campaigns).toHaveLength(5);
      const dashboard = await fetch(`${seleqt}/api/v1/dashboard/campaign-analytics/?workspace_id=340`, {
        headers: { 'x-api-key': DEMO_ACCOUNTS.seleqt[0]?.apiKey ?? '' },
      });
      const dashboardBody: Json = await dashboard.json();
      expect(dashboardBody.campaigns).toHaveLength(10);
    } finally {
      await stop();
    }
  });
});
