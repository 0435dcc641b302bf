/**
 * Scenario 5's measuring process (one per provider, so its peak RSS is that provider's): replays
 * captured vendor replies to the real provider (`fetchAnalytics`: each reply's bytes decoded and
 * JSON.parse-d as the HTTP client does, zod validation, mapping), and times `JSON.parse` of the
 * very same bytes (decoded the same way) as the baseline. Rounds alternate the two, with a full GC
 * before each, and the medians are returned; the same pair measured from already decoded strings
 * is reported too.
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
const CaptureSchema = z.object({ replies: z.map(z.string(), z.instanceof(Uint8Array)) });


export interface BigTenantResult {
  records: number;
  warnings: number;
  calls: number;
  bytes: number;
  parseMs: number[];
  fullMs: number[];
  medianParseMs: number;
  medianFullMs: number;
  /** Median over rounds of full / parse, each round's pair measured back to back (from the bytes). */
  medianRatio: number;
  /** The same, with the replies already decoded to strings (decoding left out of both sides). */
  medianRatioFromStrings: number;
  /** Peak resident set of this process (captured bytes, parsed records and all), in bytes. */
  maxRssBytes: number;
  /** RSS before the captured replies were loaded. */
  idleRssBytes: number;
}

const utf8 = new TextDecoder();
function decode(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

function collect(): void {
  if (typeof global.gc === 'function') global.gc();
}

/** An HttpClient that answers from the captured replies (the real client's decoding and JSON.parse included). */
function replayClient(provider: z.infer<typeof ProviderIdSchema>, replies: ReadonlyMap<string, Uint8Array | string>): HttpClient {
  let calls = 0;
  return {
    provider,
    get calls() {
      return calls;
    },
    getJson(request: GetJsonRequest): Promise<JsonResponse> {
      calls += 1;
      const key = replyKey(request);
      const reply = replies.get(key);
      if (reply === undefined) return Promise.reject(new Error(`no captured reply for ${key}`));
      const text = typeof reply === 'string' ? reply : decode(reply);
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
  replies: ReadonlyMap<string, Uint8Array | string>,
): Promise<Pair> {
  const analytics = createProviders()[provider];
  const connection = { id: `bench-${provider}`, workspace: 'bench', apiKey: 'replayed', concurrency: 4, maxPages: 1000 };
  const query = { include: { steps: false, daily: false, raw: false } };
  collect();
  let t0 = process.hrtime.bigint();
  let parsed = 0;
  for (const reply of replies.values()) if (JSON.parse(typeof reply === 'string' ? reply : decode(reply)) !== null) parsed += 1;
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
  const bytes = [...replies.values()].reduce((sum, reply) => sum + reply.byteLength, 0);
  const strings = new Map([...replies].map(([key, reply]) => [key, decode(reply)]));

  const fromBytes: Pair[] = [];
  const fromStrings: Pair[] = [];
  // Round 0 warms the JIT for both and is not counted.
  for (let round = 0; round <= rounds; round += 1) {
    const pair = await measurePair(provider, replies);
    const stringPair = await measurePair(provider, strings);
    if (round > 0) {
      fromBytes.push(pair);
      fromStrings.push(stringPair);
    }
  }
  const last = fromBytes[fromBytes.length - 1];
  const ratioOf = (pairs: readonly Pair[]): number => median(pairs.map((p) => p.fullMs / p.parseMs));
  return {
    records: last?.records ?? 0,
    warnings: last?.warnings ?? 0,
    calls: last?.calls ?? 0,
    bytes,
    parseMs: fromBytes.map((p) => p.parseMs),
    fullMs: fromBytes.map((p) => p.fullMs),
    medianParseMs: median(fromBytes.map((p) => p.parseMs)),
    medianFullMs: median(fromBytes.map((p) => p.fullMs)),
    medianRatio: ratioOf(fromBytes),
    medianRatioFromStrings: ratioOf(fromStrings),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    idleRssBytes,
  };
}

serveCommands({ measure });
