/**
 * Scenario 5: a big tenant. An Instantly account with 20,000 campaigns (one analytics reply of
 * 20,000 records plus 201 list pages) and a SendKit account with 5,000 (50 list pages plus 5,000
 * analytics replies). The real provider walks the simulator once over HTTP while every reply's
 * text is recorded; then, in a fresh process per provider, the provider's parse + validate + map
 * (`fetchAnalytics` on the recorded replies, the HTTP client's JSON.parse included) is timed
 * against `JSON.parse` of the same text, each pass after a minor GC, in 15 rounds whose pair order
 * alternates; the row is the median of the per-round ratios. Target ≤ 3×. The same
 * rounds after a forced full GC, and the process's peak RSS, are reported beside it (why two GC
 * kinds: see ../workers/big-tenant.ts).
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
import type { BigTenantResult, GcKind } from '../workers/big-tenant';

/** The target's GC kind first, then the one reported beside it. */
const GC_KINDS: readonly GcKind[] = ['minor', 'major'];

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
  const rounds = context.smoke ? 1 : 15;
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

      // One fresh process per GC kind: the minor-GC rounds leave old-generation garbage behind,
      // so the peak RSS is taken from the full-GC process, where it is the walk's own.
      const results: Partial<Record<GcKind, BigTenantResult>> = {};
      for (const gc of GC_KINDS) {
        const worker = startWorker('big-tenant', { execArgv: ['--expose-gc'] });
        try {
          results[gc] = await worker.call<BigTenantResult>('measure', { file, provider, rounds, gc }, 240_000);
        } finally {
          await worker.stop();
        }
      }
      const minor = results.minor;
      const major = results.major;
      if (!minor || !major) throw new Error(`big tenant: ${provider} measured no rounds`);
      const label = provider === 'instantly' ? 'Instantly' : 'SendKit';
      const ids = provider === 'instantly' ? { target: '5a', rss: '5c', major: '5e' } : { target: '5b', rss: '5d', major: '5f' };
      const size = `${campaigns.toLocaleString('en-US')} campaigns`;
      for (const series of [minor, major]) {
        const ratio = series.medianRatio;
        const target = series.gc === 'minor';
        rows.push({
          id: target ? ids.target : ids.major,
          scenario: target
            ? `big tenant: ${label} ${size}, parse+validate+map vs JSON.parse (${fmt.mb(series.bytes)}, ${series.calls} replies)`
            : `big tenant: ${label} ${size}, the same with a forced full GC before each pass`,
          measured: fmt.ms(series.medianFullMs),
          baseline: fmt.ms(series.medianParseMs),
          ratio,
          target: target ? '≤ 3×' : 'report',
          pass: target ? ratio <= 3 && series.records === campaigns && series.warnings === 0 : null,
        });
      }
      rows.push({
        id: ids.rss,
        scenario: `big tenant: ${label} peak RSS of the measuring process (full-GC rounds)`,
        measured: fmt.mb(major.maxRssBytes),
        baseline: `${fmt.mb(major.idleRssBytes)} idle`,
        ratio: null,
        target: 'report',
        pass: null,
      });
      details[provider] = { campaigns, minor, major };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, details };
}
