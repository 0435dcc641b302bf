/**
 * One timed GET on a new connection (no agent, no keep-alive): the time to the first body byte and
 * to the last, measured in the process that makes it.
 */
import { request as httpRequest } from 'node:http';

export interface Timed {
  status: number;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, when asked to keep it. */
  body?: Buffer;
}

export function timedGet(url: string, headers: Record<string, string>, keep = false): Promise<Timed> {
  const started = process.hrtime.bigint();
  const since = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let ttfbMs = Number.NaN;
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (bytes === 0) ttfbMs = since();
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      res.on('end', () => {
        const totalMs = since();
        resolve({ status: res.statusCode ?? 0, ttfbMs: Number.isNaN(ttfbMs) ? totalMs : ttfbMs, totalMs, bytes, headers: res.headers, ...(keep ? { body: Buffer.concat(chunks) } : {}) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
