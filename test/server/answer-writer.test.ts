/**
 * The body writer (`writeChunks`): every chunk arrives in order; a big body is written over many
 * turns of the event loop even when the reader drains as fast as it is written (loopback), so
 * other callers get in between; chunks are pulled only as they are written; a reader that leaves
 * stops the pulling and the promise still resolves.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeChunks } from '../../src/server/answer-writer';

let server: Server;
let url: string;
let handler: (res: ServerResponse) => void = (res) => res.end();

beforeAll(async () => {
  server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function get(onData?: (bytes: number, destroy: () => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        bytes += chunk.length;
        onData?.(bytes, () => {
          req.destroy();
          resolve(Buffer.concat(chunks));
        });
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', () => resolve(Buffer.concat(chunks)));
    });
    req.on('error', reject);
    req.end();
  });
}

const CHUNK = 64 * 1024;
const COUNT = 160; // 10 MB

function* chunks(pulled: { count: number }): Generator<Buffer> {
  for (let i = 0; i < COUNT; i += 1) {
    pulled.count += 1;
    yield Buffer.alloc(CHUNK, 97 + (i % 26));
  }
}

test('a 10 MB body arrives whole and in order, written over many turns of the event loop', async () => {
  const pulled = { count: 0 };
  let turns = 0;
  let writing = true;
  let done: Promise<void> = Promise.resolve();
  handler = (res) => {
    res.writeHead(200, { 'content-length': String(CHUNK * COUNT) });
    const tick = (): void => {
      if (!writing) return;
      turns += 1;
      setImmediate(tick);
    };
    setImmediate(tick);
    done = writeChunks(res, chunks(pulled)).finally(() => {
      writing = false;
    });
  };
  const body = await get();
  await done;
  expect(body.length).toBe(CHUNK * COUNT);
  for (let i = 0; i < COUNT; i += 1) expect(body[i * CHUNK]).toBe(97 + (i % 26));
  expect(pulled.count).toBe(COUNT);
  // At most about a megabyte per turn: a 10 MB body needs at least 9 turns in which others run.
  expect(turns).toBeGreaterThanOrEqual(9);
});

test('a reader that leaves stops the pulling and the writer resolves', async () => {
  const pulled = { count: 0 };
  let done: Promise<void> = Promise.resolve();
  let returned = false;
  handler = (res) => {
    res.writeHead(200, { 'content-length': String(CHUNK * COUNT) });
    const source = chunks(pulled);
    const original = source.return.bind(source);
    source.return = (value) => {
      returned = true;
      return original(value);
    };
    done = writeChunks(res, source);
  };
  const body = await get((bytes, destroy) => {
    if (bytes >= 2 * 1024 * 1024) destroy();
  });
  await done;
  expect(body.length).toBeLessThan(CHUNK * COUNT);
  expect(returned).toBe(true);
  expect(pulled.count).toBeLessThan(COUNT);
});

test('`written` gets every chunk once it has left, corked or not, the last (written by end) too', async () => {
  for (const cork of [false, true]) {
    const pulled = { count: 0 };
    const written: Buffer[] = [];
    const sent = new Set<Buffer>();
    let done: Promise<void> = Promise.resolve();
    handler = (res) => {
      res.writeHead(200, { 'content-length': String(CHUNK * COUNT) });
      const source = (function* () {
        for (const chunk of chunks(pulled)) {
          sent.add(chunk);
          yield chunk;
        }
      })();
      done = writeChunks(res, source, { cork, written: (chunk) => written.push(chunk) });
    };
    const body = await get();
    await done;
    // The last chunk's callback comes with the answer's 'finish'.
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.length).toBe(CHUNK * COUNT);
    expect(written).toHaveLength(COUNT);
    expect(new Set(written)).toEqual(sent);
  }
});

test('`written` is not told of a chunk whose write failed (the socket may still hold it)', async () => {
  const failing = new Set<Buffer>();
  const pieces = Array.from({ length: 6 }, (_, i) => Buffer.alloc(16, 97 + i));
  failing.add(pieces[1] as Buffer).add(pieces[5] as Buffer);
  // A response whose socket fails some writes: each write's callback gets the outcome.
  const res = {
    destroyed: false,
    writableNeedDrain: false,
    write(chunk: Buffer, callback: (error?: Error | null) => void): boolean {
      setImmediate(() => callback(failing.has(chunk) ? new Error('EPIPE') : null));
      return true;
    },
    end(chunk: Buffer, callback: () => void): void {
      // end's callback is 'finish', which a failed last write never reaches.
      if (!failing.has(chunk)) setImmediate(callback);
    },
  };
  const written: Buffer[] = [];
  await writeChunks(res as unknown as ServerResponse, pieces, { written: (chunk) => written.push(chunk) });
  // The fake's callbacks are immediates queued before this one: they have all run when it does
  // (a timer could fire first after a stall on a loaded machine).
  await new Promise((resolve) => setImmediate(resolve));
  expect(written).toEqual([pieces[0], pieces[2], pieces[3], pieces[4]]);
});
