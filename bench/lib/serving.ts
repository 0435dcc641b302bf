/**
 * What a bench worker process serves: the gateway (the real `createService`) or one baseline
 * server on 127.0.0.1, at most one of them per process, and closing it. Shared by the workers
 * (`bench/workers/server.ts`, `bench/workers/agency-gateway.ts`).
 */
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { resolveConfig } from '../../src/config';
import { createService, type GatewayService } from '../../src/service';

const GatewayPayloadSchema = z.object({ document: z.unknown(), extraSecrets: z.array(z.string()).default([]) });

export class WorkerServing {
  service: GatewayService | undefined;
  private server: Server | undefined;

  private claim(): void {
    if (this.service || this.server) throw new Error('this worker already serves something');
  }

  /** The gateway of a config document, listening on a free loopback port. */
  async gateway(payload: unknown): Promise<{ url: string }> {
    this.claim();
    const { document, extraSecrets } = GatewayPayloadSchema.parse(payload);
    this.service = createService(resolveConfig(document), { extraSecrets });
    return { url: await this.service.listen(0, '127.0.0.1') };
  }

  /** A baseline server, listening on a free loopback port. */
  listen(target: Server): Promise<{ url: string }> {
    this.claim();
    this.server = target;
    return new Promise((resolve, reject) => {
      target.once('error', reject);
      target.listen(0, '127.0.0.1', () => {
        const address = target.address();
        if (address === null || typeof address === 'string') return reject(new Error('no TCP address'));
        resolve({ url: `http://127.0.0.1:${(address satisfies AddressInfo).port}` });
      });
    });
  }

  /** Raw `node:http` sending fixed bytes with fixed headers (and their length) to every request. */
  raw(body: Buffer, headers: OutgoingHttpHeaders): Promise<{ url: string }> {
    const all = { ...headers, 'content-length': String(body.length) };
    return this.listen(
      createServer((_req, res) => {
        res.writeHead(200, all);
        res.end(body);
      }),
    );
  }

  async close(): Promise<void> {
    if (this.service) await this.service.close(500);
    const closing = this.server;
    if (closing) {
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    }
  }
}
