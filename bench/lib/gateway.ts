/** A gateway under test in its own process (workers/server.ts), in front of an `Upstream`. */
import { z } from 'zod';
import { startWorker, type Worker } from './proc';
import { BENCH_CLIENT_KEY, gatewayDocument, type GatewayDocumentOptions, type Upstream } from './stack';

export interface GatewayProcess {
  worker: Worker;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The analytics URL with an optional query string. */
  analytics(query?: string): string;
  stop(): Promise<void>;
}

export async function startGateway(upstream: Upstream, options: GatewayDocumentOptions = {}): Promise<GatewayProcess> {
  const worker = startWorker('server');
  try {
    const { url } = await worker.call<{ url: string }>('gateway', { document: gatewayDocument(upstream, options), extraSecrets: [BENCH_CLIENT_KEY] });
    return {
      worker,
      url,
      analytics: (query) => `${url}/v1/campaigns/analytics${query ? `?${query}` : ''}`,
      stop: async () => {
        await worker.call('close').catch(() => undefined);
        await worker.stop();
      },
    };
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

/** The parts of an analytics answer the scenarios check. */
const AnswerSummarySchema = z.object({
  data: z.array(z.unknown()),
  sources: z.array(z.object({ connection: z.string(), status: z.string(), cache: z.string(), campaigns: z.number() })),
  meta: z.object({ complete: z.boolean() }),
});

export interface AnswerSummary {
  campaigns: number;
  sources: z.infer<typeof AnswerSummarySchema>['sources'];
  complete: boolean;
}

/** Throws when the text is not an analytics answer. */
export function summarizeAnswer(text: string | Buffer): AnswerSummary {
  const body = AnswerSummarySchema.parse(JSON.parse(text.toString()));
  return { campaigns: body.data.length, sources: body.sources, complete: body.meta.complete };
}
