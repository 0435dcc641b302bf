/**
 * Slow and endless bodies from a real socket (nock cannot drip a body byte by byte): a raw
 * `node:http` server on 127.0.0.1, which the network lockdown in test/helpers/setup.ts allows.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { ProviderError } from '../../src/errors';
import { createHttpClient } from '../../src/http/client';

interface TestServer {
  origin: string;
  /** Bytes the server managed to write before the client went away. */
  bytesWritten: () => number;
  /** Resolves when the client's connection has closed. */
  closed: Promise<void>;
  stop: () => Promise<void>;
}

async function startServer(handle: (res: ServerResponse, count: (n: number) => void) => void): Promise<TestServer> {
  let written = 0;
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const server: Server = createServer((req, res) => {
    res.on('close', onClosed);
    handle(res, (n) => (written += n));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    bytesWritten: () => written,
    closed,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('createHttpClient against a real socket', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('fails a body dripped one byte every 200 ms as upstream_timeout after about timeoutMs', async () => {
    const timers: NodeJS.Timeout[] = [];
    server = await startServer((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // The headers arrive at once and a byte follows every 200 ms, so a socket idle timeout
      // alone would never fire: only the whole-attempt timeout can stop this.
      res.write('[');
      const timer = setInterval(() => res.write('1,'), 200);
      timers.push(timer);
      res.on('close', () => clearInterval(timer));
    });
    const http = createHttpClient({ provider: 'seleqt', baseUrl: server.origin, timeoutMs: 500, retry: { maxAttempts: 1 } });
    const started = performance.now();
    const error = await failure(http.getJson({ path: '/drip', headers: {} }));
    const elapsed = performance.now() - started;
    for (const timer of timers) clearInterval(timer);
    expect(error.code).toBe('upstream_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1500);
    await server.closed; // the client hung up rather than keep reading
  });

  it('fails an endless body as upstream_too_large and stops reading it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let stopped = false;
    server = await startServer((res, count) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.on('close', () => (stopped = true));
      // Write as fast as the socket takes it, forever (until the client goes away).
      const pump = (): void => {
        while (!stopped) {
          count(chunk.length);
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const cap = 256 * 1024;
    const http = createHttpClient({
      provider: 'seleqt',
      baseUrl: server.origin,
      maxResponseBytes: cap,
      timeoutMs: 10_000,
      retry: { maxAttempts: 3 },
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = await failure(http.getJson({ path: '/endless', headers: {} }));
    const elapsed = performance.now() - started;
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    await server.closed;
    expect(error.code).toBe('upstream_too_large');
    expect(http.calls).toBe(1); // an oversized body is not retried
    expect(elapsed).toBeLessThan(3000); // the cap stopped it, not the 10 s timeout
    // The server got rid of little more than the cap plus socket buffers before the client hung up.
    expect(server.bytesWritten()).toBeLessThan(16 * 1024 * 1024);
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
  });
});
