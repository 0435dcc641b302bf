/**
 * A server under test, in its own process: the gateway (the real `createService`, logging one JSON
 * line per request to stdout as in production), or one of the two baselines serving fixed bytes:
 * a bare Express 5 app (as the gateway answers, or with Express's defaults), and raw `node:http`.
 * The first command decides which one this process is.
 */
import { createServer } from 'node:http';
import express from 'express';
import { z } from 'zod';
import { PROVIDER_IDS } from '../../src/schema/campaign';
import { cpuMicros, serveCommands } from '../lib/proc';
import { WorkerServing } from '../lib/serving';

/** A captured answer: its body and its headers (those Node adds itself left out). */
const BytesPayloadSchema = z.object({ bodyBase64: z.string(), headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])) });

export interface ServerStats {
  rssBytes: number;
  /** process.cpuUsage() since the process started, in µs (user + system). */
  cpuMicros: number;
  heapUsedBytes: number;
  /** Per provider cache and the serialized-answer cache (gateway only): bytes counted, bound, entries. */
  caches: Record<string, { bytes: number; maxBytes: number; entries: number }>;
  /** The serialized-answer cache (gateway only); part of `cache.maxBytes` too. */
  answers: { bytes: number; maxBytes: number; entries: number } | undefined;
}

const serving = new WorkerServing();

serveCommands({
  gateway: (payload) => serving.gateway(payload),

  /**
   * A bare Express 5 app sending the captured answer: the same headers and body bytes. No
   * x-powered-by and no per-response ETag hashing (the gateway computes neither per request).
   */
  express(payload) {
    const { bodyBase64, headers } = BytesPayloadSchema.parse(payload);
    const body = Buffer.from(bodyBase64, 'base64');
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.get('/v1/campaigns/analytics', (_req, res) => {
      res.set(headers).send(body);
    });
    return serving.listen(createServer(app));
  },

  /**
   * A bare Express 5 app with its defaults serving the captured answer's body bytes: its own
   * headers only (X-Powered-By, a weak ETag computed per response, Content-Length, Content-Type
   * set with its own `res.type('json')`), none of the gateway's.
   */
  expressDefaults(payload) {
    const { bodyBase64 } = BytesPayloadSchema.parse(payload);
    const body = Buffer.from(bodyBase64, 'base64');
    const app = express();
    app.get('/v1/campaigns/analytics', (_req, res) => {
      res.type('json').send(body);
    });
    return serving.listen(createServer(app));
  },

  raw(payload) {
    const { bodyBase64, headers } = BytesPayloadSchema.parse(payload);
    return serving.raw(Buffer.from(bodyBase64, 'base64'), headers);
  },

  stats(): ServerStats {
    const memory = process.memoryUsage();
    const caches: ServerStats['caches'] = {};
    let answers: ServerStats['answers'];
    const { service } = serving;
    if (service) {
      for (const provider of PROVIDER_IDS) {
        const cache = service.gateway.caches[provider];
        caches[provider] = { bytes: cache.calculatedBytes, maxBytes: cache.maxBytes, entries: cache.size };
      }
      const answerCache = service.gateway.answers;
      caches.answers = { bytes: answerCache.calculatedBytes, maxBytes: answerCache.maxBytes, entries: answerCache.size };
      answers = { bytes: answerCache.calculatedBytes, maxBytes: answerCache.maxBytes, entries: answerCache.size };
    }
    return { rssBytes: memory.rss, cpuMicros: cpuMicros(), heapUsedBytes: memory.heapUsed, caches, answers };
  },

  close: () => serving.close(),
});
