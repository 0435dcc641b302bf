/**
 * Scenario 5's measuring process (one per provider, so its peak RSS is that provider's): replays
 * captured vendor replies to the real provider (`fetchAnalytics`: JSON.parse of each reply, as the
 * HTTP client does, zod validation, mapping), and times `JSON.parse` of the very same text as the
 * baseline. Each round measures the pair back to back, each after a full GC; the medians and the
 * median of the per-round ratios are returned.
 */
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { z } from 'zod';
import type { GetJsonRequest, HttpClient, JsonResponse } from '../../src/http/client';
import { createProviders } from '../../src/providers/registry';
import { ProviderIdSchema } from '../../src/schema/campaign';
import { median } from '../lib/report';
import { serveCommands } from '../lib/proc';
import { replyKey } from '../lib/replay';

const MeasureSchema = z.object({ file: z.string(), provider: ProviderIdSchema, rounds: z.number().int().positive() });
/** What `capture` wrote: each request's reply text, by `replyKey`. */
const CaptureSchema = z.object({ replies: z.map(z.string(), z.string()) });


export interface BigTenantResult {
  records: number;
  warnings: number;
  calls: number;
  bytes: number;
  parseMs: number[];
  fullMs: number[];
  medianParseMs: number;
  medianFullMs: number;
  /** Median over rounds of full / parse, each round's pair measured back to back. */
  medianRatio: number;
  /** Peak resident set of this process (captured bytes, parsed records and all), in bytes. */
  maxRssBytes: number;
  /** RSS before the captured replies were loaded. */
  idleRssBytes: number;
}

function collect(): void {
  if (typeof global.gc === 'function') global.gc();
}

/** An HttpClient that answers from the captured replies (the real client's JSON.parse included). */
function replayClient(provider: z.infer<typeof ProviderIdSchema>, replies: ReadonlyMap<string, string>): HttpClient {
  let calls = 0;
  return {
    provider,
    get calls() {
      return calls;
    },
    getJson(request: GetJsonRequest): Promise<JsonResponse> {
      calls += 1;
      const key = replyKey(request);
      const text = replies.get(key);
      if (text === undefined) return Promise.reject(new Error(`no captured reply for ${key}`));
      return Promise.resolve({ status: 200, headers: {}, data: text === '' ? null : JSON.parse(text) });
    },
  };
}

interface Pair {
  parseMs: number;
  fullMs: number;
  records: number;
  warnings: number;
  calls: number;
}

/** One baseline pass and one provider pass over the same replies, each after a full GC. */
async function measurePair(
  provider: z.infer<typeof ProviderIdSchema>,
  replies: ReadonlyMap<string, string>,
): Promise<Pair> {
  const analytics = createProviders()[provider];
  const connection = { id: `bench-${provider}`, workspace: 'bench', apiKey: 'replayed', concurrency: 4, maxPages: 1000 };
  const query = { include: { steps: false, daily: false, raw: false } };
  collect();
  let t0 = process.hrtime.bigint();
  let parsed = 0;
  for (const text of replies.values()) if (JSON.parse(text) !== null) parsed += 1;
  const parseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (parsed !== replies.size) throw new Error('a captured reply parsed to null');

  collect();
  const http = replayClient(provider, replies);
  t0 = process.hrtime.bigint();
  const result = await analytics.fetchAnalytics(connection, query, http);
  const fullMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { parseMs, fullMs, records: result.records.length, warnings: result.warnings.length, calls: http.calls };
}

async function measure(payload: unknown): Promise<BigTenantResult> {
  const { file, provider, rounds } = MeasureSchema.parse(payload);
  const idleRssBytes = process.memoryUsage().rss;
  const { replies } = CaptureSchema.parse(deserialize(readFileSync(file)));
  const bytes = [...replies.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);

  const pairs: Pair[] = [];
  // Round 0 warms the JIT for both and is not counted.
  for (let round = 0; round <= rounds; round += 1) {
    const pair = await measurePair(provider, replies);
    if (round > 0) pairs.push(pair);
  }
  const last = pairs[pairs.length - 1];
  return {
    records: last?.records ?? 0,
    warnings: last?.warnings ?? 0,
    calls: last?.calls ?? 0,
    bytes,
    parseMs: pairs.map((p) => p.parseMs),
    fullMs: pairs.map((p) => p.fullMs),
    medianParseMs: median(pairs.map((p) => p.parseMs)),
    medianFullMs: median(pairs.map((p) => p.fullMs)),
    medianRatio: median(pairs.map((p) => p.fullMs / p.parseMs)),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    idleRssBytes,
  };
}

serveCommands({ measure });
