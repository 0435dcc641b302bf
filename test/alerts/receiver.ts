/**
 * A local webhook receiver on 127.0.0.1 for the alert tests: answers 500 (`fail`), never answers
 * (`hang`, so the sender times out) or 200 (`ok`), for the next N requests of each mode in turn.
 * Only what it answered 200 counts as received; the HMAC signature of every request is checked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = 'fail' | 'hang' | 'ok';

export interface Received {
  path: string;
  body: string;
  json: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** True when the request carried a signature and it matched; false when it did not match; undefined when unsigned. */
  signatureValid: boolean | undefined;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests of any outcome, per mode they met. */
  attempts: Record<ReceiverMode, number>;
  /** Modes for the coming requests: `[['fail', 3], ['hang', 2]]`, then `then` for the rest. */
  plan(steps: [ReceiverMode, number][], then: ReceiverMode): void;
  close(): Promise<void>;
}

export async function startReceiver(secrets: Record<string, string>): Promise<Receiver> {
  let steps: [ReceiverMode, number][] = [];
  let rest: ReceiverMode = 'ok';
  const received: Received[] = [];
  const attempts: Record<ReceiverMode, number> = { fail: 0, hang: 0, ok: 0 };
  const hung = new Set<ServerResponse>();
  const next = (): ReceiverMode => {
    const head = steps[0];
    if (!head) return rest;
    head[1] -= 1;
    if (head[1] <= 0) steps = steps.slice(1);
    return head[0];
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const mode = next();
      attempts[mode] += 1;
      if (mode === 'hang') {
        hung.add(res);
        return;
      }
      if (mode === 'fail') {
        res.writeHead(500).end('no');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const secret = secrets[path];
      const header = req.headers['x-outreach-signature'];
      let signatureValid: boolean | undefined;
      if (typeof header === 'string') {
        const expected = secret === undefined ? '' : `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
        signatureValid = expected.length === header.length && timingSafeEqual(Buffer.from(expected), Buffer.from(header));
      }
      received.push({ path, body, json: JSON.parse(body) as Record<string, unknown>, headers: req.headers, signatureValid });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    attempts,
    plan(newSteps, then) {
      steps = newSteps.map(([mode, count]) => [mode, count]);
      rest = then;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
