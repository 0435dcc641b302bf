/**
 * Keep-alive clients at full speed, run as a child process by the drain tests (outside Jest, so no
 * nock between the clients and their sockets, and the gateway's event loop is not theirs):
 *
 *   node -r ts-node/register/transpile-only test/operations/keepalive-clients.ts BASE_URL CLIENTS KEY PATH...
 *
 * Each client has its own agent with one keep-alive socket and sends requests back to back
 * (cycling through PATHs, with the key in X-API-Key) until a connection is refused (the gateway
 * has stopped listening) or `MAX_MS` passes. Prints `READY` once every client has had an answer,
 * then one JSON summary line when all have stopped: answers, refusals, and every other error (a
 * reset, a hang-up) by code, and per client whether a keep-alive answer ever came after a
 * `Connection: close` one.
 */
import http from 'node:http';

const MAX_MS = 60_000;

export interface ClientsSummary {
  answers: number;
  /** Answers that carried `Connection: close`. */
  closeAnswers: number;
  /** Clients that had at least one `Connection: close` answer. */
  clientsTold: number;
  /** Clients that got a keep-alive answer after a `Connection: close` one. */
  keepAliveAfterClose: number;
  refused: number;
  /** Any other failure of a request, by error code: a request that was sent and not answered. */
  errors: Record<string, number>;
  statuses: Record<string, number>;
}

function get(url: string, agent: http.Agent, key: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { 'X-API-Key': key } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const [base = '', count = '20', key = '', ...paths] = process.argv.slice(2);
  const summary: ClientsSummary = { answers: 0, closeAnswers: 0, clientsTold: 0, keepAliveAfterClose: 0, refused: 0, errors: {}, statuses: {} };
  const started = Date.now();
  let ready = 0;
  const clients = Array.from({ length: Number(count) }, async (_, n) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let told = false;
    let first = true;
    for (let i = n; Date.now() - started < MAX_MS; i += 1) {
      const path = paths[i % paths.length] ?? '/healthz';
      try {
        const answer = await get(`${base}${path}`, agent, key);
        summary.answers += 1;
        summary.statuses[answer.status] = (summary.statuses[answer.status] ?? 0) + 1;
        if (answer.connection === 'close') {
          summary.closeAnswers += 1;
          if (!told) summary.clientsTold += 1;
          told = true;
        } else if (told) {
          summary.keepAliveAfterClose += 1;
        }
        if (first) {
          first = false;
          ready += 1;
          if (ready === Number(count)) process.stdout.write('READY\n');
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        if (code === 'ECONNREFUSED') {
          summary.refused += 1;
          break;
        }
        summary.errors[code] = (summary.errors[code] ?? 0) + 1;
      }
    }
    agent.destroy();
  });
  await Promise.all(clients);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (require.main === module) void main();
