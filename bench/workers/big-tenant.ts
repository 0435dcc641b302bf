/**
 * Scenario 5's measuring process (one per provider, so its peak RSS is that provider's): replays
 * captured vendor replies to the real provider (`fetchAnalytics`: JSON.parse of each reply, as the
 * HTTP client does, zod validation, mapping), and times `JSON.parse` of the very same text as the
 * baseline. Each round measures the pair back to back, each pass after a forced GC, and the pair's
 * order alternates from round to round (baseline first, then provider first), so a drift of the
 * machine's speed within a round (another process waking up, a CPU frequency change) does not
 * always land on the same side; the medians and the median of the per-round ratios are returned.
 *
 * Which GC: `minor` (the target) empties the young generation before each pass, so both start with
 * the same free space and neither pays for the other's garbage. `major` (reported beside it) forces
 * a full mark-compact instead; that also drops what V8 holds only weakly (hidden classes of the
 * reply shapes, objects its optimized code embeds), and `--trace-deopt` shows the hot functions
 * (mapping, zod's object parser) deoptimized for "weak objects" in every other round, which a
 * server, where nothing forces a full GC between two walks, does not see.
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

const GcKindSchema = z.enum(['minor', 'major']);
export type GcKind = z.infer<typeof GcKindSchema>;
const MeasureSchema = z.object({ file: z.string(), provider: ProviderIdSchema, rounds: z.number().int().positive(), gc: GcKindSchema });
/** What `capture` wrote: each request's reply text, by `replyKey`. */
const CaptureSchema = z.object({ replies: z.map(z.string(), z.string()) });


/** One process's rounds: the pair timings under one GC kind, and the process's memory. */
export interface BigTenantResult extends BigTenantSeries {
  /** Size of the captured replies' text. */
  bytes: number;
  /** Peak resident set of this process (captured bytes, parsed records and all), in bytes. */
  maxRssBytes: number;
  /** RSS before the captured replies were loaded. */
  idleRssBytes: number;
}

export interface BigTenantSeries {
  gc: GcKind;
  records: number;
  warnings: number;
  calls: number;
  parseMs: number[];
  fullMs: number[];
  medianParseMs: number;
  medianFullMs: number;
  /** Median over rounds of full / parse, each round's pair measured back to back. */
  medianRatio: number;
}

function collect(kind: GcKind): void {
  if (typeof global.gc !== 'function') throw new Error('the big-tenant worker needs --expose-gc');
  // Node 20's V8 runs a scavenge for `gc({type: 'major'})`; only the bare call is a full mark-compact.
  if (kind === 'major') global.gc();
  else global.gc({ type: 'minor', execution: 'sync' });
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

/** The baseline pass: `JSON.parse` of every captured reply, after a GC of the given kind. */
function measureParse(replies: ReadonlyMap<string, string>, gc: GcKind): number {
  collect(gc);
  const t0 = process.hrtime.bigint();
  let parsed = 0;
  for (const text of replies.values()) if (JSON.parse(text) !== null) parsed += 1;
  const parseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (parsed !== replies.size) throw new Error('a captured reply parsed to null');
  return parseMs;
}

/** The provider pass: `fetchAnalytics` on the captured replies, after a GC of the given kind. */
async function measureFull(provider: z.infer<typeof ProviderIdSchema>, replies: ReadonlyMap<string, string>, gc: GcKind): Promise<Omit<Pair, 'parseMs'>> {
  const analytics = createProviders()[provider];
  const connection = { id: `bench-${provider}`, workspace: 'bench', apiKey: 'replayed', concurrency: 4, maxPages: 1000 };
  const query = { include: { steps: false, daily: false, raw: false } };
  collect(gc);
  const http = replayClient(provider, replies);
  const t0 = process.hrtime.bigint();
  const result = await analytics.fetchAnalytics(connection, query, http);
  const fullMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { fullMs, records: result.records.length, warnings: result.warnings.length, calls: http.calls };
}

/** One baseline pass and one provider pass over the same replies, in the order given. */
async function measurePair(provider: z.infer<typeof ProviderIdSchema>, replies: ReadonlyMap<string, string>, gc: GcKind, baselineFirst: boolean): Promise<Pair> {
  if (baselineFirst) {
    const parseMs = measureParse(replies, gc);
    return { parseMs, ...(await measureFull(provider, replies, gc)) };
  }
  const full = await measureFull(provider, replies, gc);
  return { parseMs: measureParse(replies, gc), ...full };
}

/** Round 0 warms the JIT for both passes and is not counted. */
async function measureSeries(provider: z.infer<typeof ProviderIdSchema>, replies: ReadonlyMap<string, string>, rounds: number, gc: GcKind): Promise<BigTenantSeries> {
  const pairs: Pair[] = [];
  for (let round = 0; round <= rounds; round += 1) {
    const pair = await measurePair(provider, replies, gc, round % 2 === 0);
    if (round > 0) pairs.push(pair);
  }
  const last = pairs[pairs.length - 1];
  return {
    gc,
    records: last?.records ?? 0,
    warnings: last?.warnings ?? 0,
    calls: last?.calls ?? 0,
    parseMs: pairs.map((p) => p.parseMs),
    fullMs: pairs.map((p) => p.fullMs),
    medianParseMs: median(pairs.map((p) => p.parseMs)),
    medianFullMs: median(pairs.map((p) => p.fullMs)),
    medianRatio: median(pairs.map((p) => p.fullMs / p.parseMs)),
  };
}

async function measure(payload: unknown): Promise<BigTenantResult> {
  const { file, provider, rounds, gc } = MeasureSchema.parse(payload);
  const idleRssBytes = process.memoryUsage().rss;
  const { replies } = CaptureSchema.parse(deserialize(readFileSync(file)));
  const bytes = [...replies.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const series = await measureSeries(provider, replies, rounds, gc);
  return { ...series, bytes, maxRssBytes: process.resourceUsage().maxRSS * 1024, idleRssBytes };
}

serveCommands({ measure });
