/**
 * Scenario 5: a big tenant. An Instantly account with 20,000 campaigns (one analytics reply of
 * 20,000 records plus 201 list pages) and a SendKit account with 5,000 (50 list pages plus 5,000
 * analytics replies). The real provider walks the simulator once over HTTP while every reply's
 * text is recorded; then, in a fresh process per provider, the provider's parse + validate + map
 * (`fetchAnalytics` on the recorded replies, the HTTP client's JSON.parse included) is timed
 * against `JSON.parse` of the same text. Target ≤ 3×; the process's peak RSS is reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { buildUrl, type GetJsonRequest, type HttpClient, type JsonResponse } from '../../src/http/client';
import { createProviders } from '../../src/providers/registry';
import type { ProviderId } from '../../src/schema/campaign';
import type { BenchContext, ScenarioOutcome } from '../lib/context';
import { startWorker } from '../lib/proc';
import { fmt, type Row } from '../lib/report';
import { BENCH_VENDOR_KEYS, startUpstream } from '../lib/stack';
import { replyKey } from '../lib/replay';
import type { BigTenantResult } from '../workers/big-tenant';

function fetchBytes(url: string, headers: Readonly<Record<string, string>>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Walks the simulator with the real provider and records every reply's text by request. */
async function capture(provider: ProviderId, origin: string): Promise<{ replies: Map<string, string>; records: number }> {
  const replies = new Map<string, string>();
  let calls = 0;
  const http: HttpClient = {
    provider,
    get calls() {
      return calls;
    },
    async getJson(request: GetJsonRequest): Promise<JsonResponse> {
      calls += 1;
      const url = buildUrl(origin, request.path, request.query);
      const { status, body } = await fetchBytes(url, request.headers);
      if (status !== 200) throw new Error(`capture: ${url} answered ${status}`);
      const text = body.toString('utf8');
      replies.set(replyKey(request), text);
      return { status, headers: {}, data: JSON.parse(text) };
    },
  };
  const result = await createProviders()[provider].fetchAnalytics(
    { id: `bench-${provider}`, workspace: 'bench', apiKey: BENCH_VENDOR_KEYS[provider], concurrency: 8, maxPages: 1000 },
    { include: { steps: false, daily: false, raw: false } },
    http,
  );
  return { replies, records: result.records.length };
}

export async function bigTenant(context: BenchContext): Promise<ScenarioOutcome> {
  const tenants: { provider: ProviderId; campaigns: number }[] = context.smoke
    ? [
        { provider: 'instantly', campaigns: 1000 },
        { provider: 'sendkit', campaigns: 200 },
      ]
    : [
        { provider: 'instantly', campaigns: 20_000 },
        { provider: 'sendkit', campaigns: 5_000 },
      ];
  const rounds = context.smoke ? 1 : 7;
  const dir = mkdtempSync(join(tmpdir(), 'outreach-bench-'));
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const { provider, campaigns } of tenants) {
      const upstream = await startUpstream({ [provider]: { campaigns } });
      const sim = upstream.sims[provider];
      let captured: { replies: Map<string, string>; records: number };
      try {
        if (!sim) throw new Error(`big tenant: no ${provider} simulator`);
        captured = await capture(provider, sim.url);
      } finally {
        await upstream.close();
      }
      if (captured.records !== campaigns) throw new Error(`big tenant: ${provider} capture mapped ${captured.records} of ${campaigns} campaigns`);
      const file = join(dir, `${provider}.bin`);
      writeFileSync(file, serialize({ replies: captured.replies }));
      captured.replies.clear();

      const worker = startWorker('big-tenant', { execArgv: ['--expose-gc'] });
      let result: BigTenantResult;
      try {
        result = await worker.call<BigTenantResult>('measure', { file, provider, rounds }, 240_000);
      } finally {
        await worker.stop();
      }
      const ratio = result.medianRatio;
      const label = provider === 'instantly' ? 'Instantly' : 'SendKit';
      rows.push({
        id: provider === 'instantly' ? '5a' : '5b',
        scenario: `big tenant: ${label} ${campaigns.toLocaleString('en-US')} campaigns, parse+validate+map vs JSON.parse (${fmt.mb(result.bytes)}, ${result.calls} replies)`,
        measured: fmt.ms(result.medianFullMs),
        baseline: fmt.ms(result.medianParseMs),
        ratio,
        target: '≤ 3×',
        pass: ratio <= 3 && result.records === campaigns && result.warnings === 0,
      });
      rows.push({
        id: provider === 'instantly' ? '5c' : '5d',
        scenario: `big tenant: ${label} peak RSS of the measuring process`,
        measured: fmt.mb(result.maxRssBytes),
        baseline: `${fmt.mb(result.idleRssBytes)} idle`,
        ratio: null,
        target: 'report',
        pass: null,
      });
      details[provider] = { campaigns, ...result };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, details };
}
