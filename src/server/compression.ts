/**
 * Content codings of the API answers (`gzip`, `br`): the negotiation (RFC 9110 section 12.5.3),
 * the ETag of each representation, and the compressed bodies.
 *
 * Negotiation: `Accept-Encoding` with q-values, `*` and `identity`; `x-gzip` counts as `gzip`.
 * The coding with the highest q wins; between equal q-values `br` is preferred, except for an
 * answer whose compressed prefix is kept per cache generation (below), where `gzip` is preferred
 * for a tie because its prefix is already compressed. A compressed coding beats `identity` at equal
 * q. Bodies under `MIN_COMPRESSED_BYTES` are sent as they are. When nothing acceptable is left
 * (`identity;q=0` and no gzip/br), the answer is sent without coding anyway (what most servers
 * do; RFC 9110 allows it, and a 406 would only break a misconfigured client).
 *
 * Every answer of a negotiating route carries `Vary: Accept-Encoding` (identity answers too: they
 * vary). Each representation has its own strong ETag: the identity ETag with `-gzip` or `-br`
 * inside the quotes, so an If-None-Match matches per coding.
 *
 * Compressed once per cache generation: a cached JSON answer is its content prefix (the same
 * bytes for every request of a cache generation) followed by a small per-request tail (`sources`,
 * `meta`). The prefix is compressed once, off the event loop, and kept with the answer cache entry
 * (counted in its byte bound), in a form that can be continued:
 * - gzip: a gzip header and the raw deflate of the prefix ended with a sync flush (byte-aligned, no
 *   final block); per request the tail follows as stored deflate blocks, then the gzip trailer
 *   (CRC-32 continued from the prefix's, length). One ordinary single-member gzip stream.
 * - br: the Brotli stream of the prefix ended with a flush (byte-aligned, not last); per request
 *   the tail follows as uncompressed meta-blocks, then an empty last meta-block (RFC 7932 9.2).
 * So a hit costs a CRC over the tail and a few header bytes, never a compressor. The tail is sent
 * uncompressed inside the stream (a few hundred bytes per source). Anything else (a big answer
 * the cache does not keep, CSV, NDJSON) is streamed through a zlib compressor with backpressure;
 * history answers are compressed whole per request (they are built whole).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { AnswerBody, AnswerCache, EncodedPrefix, SerializedContent } from '../gateway/answer-cache';

export type ContentCoding = 'br' | 'gzip' | 'identity';
export type CompressedCoding = Exclude<ContentCoding, 'identity'>;

/** Bodies smaller than this are sent as they are (compression gains little, costs a little). */
export const MIN_COMPRESSED_BYTES = 1024;
/** The `Vary` names of a negotiating route, besides its own. */
export const VARY_ACCEPT_ENCODING = 'Accept-Encoding';
/** zlib level (gzip) and Brotli quality: fast settings, most of the gain on JSON and CSV. */
const GZIP_LEVEL = 6;
const BROTLI_QUALITY = 5;

/** q-values per coding of one Accept-Encoding value; `identity` undefined when the value does not rank it (acceptable, not competing). */
interface Acceptable {
  gzip: number;
  br: number;
  identity: number | undefined;
}

const NO_HEADER: Acceptable = { gzip: 0, br: 0, identity: undefined };
const parsed = new Map<string, Acceptable>();
const PARSED_MAX = 256;

/** The q-value of each coding an `Accept-Encoding` value gives (RFC 9110 12.5.3). */
export function acceptableCodings(header: string | undefined): Acceptable {
  if (header === undefined) return NO_HEADER;
  const known = parsed.get(header);
  if (known) return known;
  const explicit = new Map<string, number>();
  for (const item of header.split(',')) {
    const [token = '', ...params] = item.split(';');
    const name = token.trim().toLowerCase();
    if (name === '') continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') {
        const number = Number(value?.trim());
        q = Number.isFinite(number) ? Math.min(1, Math.max(0, number)) : 0;
      }
    }
    const coding = name === 'x-gzip' ? 'gzip' : name;
    explicit.set(coding, Math.max(q, explicit.get(coding) ?? -1));
  }
  const star = explicit.get('*');
  const result: Acceptable = {
    gzip: explicit.get('gzip') ?? star ?? 0,
    br: explicit.get('br') ?? star ?? 0,
    identity: explicit.get('identity') ?? star,
  };
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(header, result);
  return result;
}

/**
 * The coding to send a body of `bytes` (undefined: unknown, streamed) in. `prefer` breaks a tie
 * between gzip and br.
 */
export function chooseCoding(header: string | undefined, bytes: number | undefined, prefer: CompressedCoding = 'br'): ContentCoding {
  if (header === undefined || (bytes !== undefined && bytes < MIN_COMPRESSED_BYTES)) return 'identity';
  const q = acceptableCodings(header);
  const other: CompressedCoding = prefer === 'br' ? 'gzip' : 'br';
  const best: CompressedCoding = q[other] > q[prefer] ? other : prefer;
  // identity competes only when ranked (`identity;q=…` or `*`); nothing acceptable at all: identity anyway (see the header).
  return q[best] > 0 && q[best] >= (q.identity ?? 0) ? best : 'identity';
}

/** The ETag of a representation: the identity ETag with the coding inside the quotes. */
export function representationEtag(etag: string, coding: ContentCoding): string {
  return coding === 'identity' ? etag : `${etag.slice(0, -1)}-${coding}"`;
}

/** Whether an `If-None-Match` value matches `etag` (a list, `*`, weak comparison: RFC 9110 13.1.2). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header === etag || header.trim() === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === opaque;
  });
}

/** Sets `Content-Encoding` (unless identity). */
export function setCodingHeaders(res: ServerResponse, coding: ContentCoding): void {
  if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
}

/** A streaming compressor for the coding. */
export function compressor(coding: CompressedCoding): zlib.Gzip | zlib.BrotliCompress {
  return coding === 'gzip'
    ? zlib.createGzip({ level: GZIP_LEVEL })
    : zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } });
}

// Looked up per call (not bound once), so a test can count the compressions.
const gzipAsync = (body: Buffer, options: zlib.ZlibOptions): Promise<Buffer> => promisify(zlib.gzip)(body, options);
const brotliAsync = (body: Buffer, options: zlib.BrotliOptions): Promise<Buffer> => promisify(zlib.brotliCompress)(body, options);

/** A whole body compressed (off the event loop). */
export function compressWhole(body: Buffer, coding: CompressedCoding): Promise<Buffer> {
  return coding === 'gzip'
    ? gzipAsync(body, { level: GZIP_LEVEL })
    : brotliAsync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
}

/** Streams pieces through a compressor into the response (backpressure both ways); a caller that leaves ends it quietly. */
export async function streamCompressed(res: ServerResponse, pieces: Iterable<Buffer | string>, coding: CompressedCoding): Promise<void> {
  try {
    await pipeline(Readable.from(pieces), compressor(coding), res);
  } catch {
    // The caller disconnected mid-stream; nothing is left to answer.
  }
}

// ---------------------------------------------------------------------------------------------
// A prefix compressed once, a tail framed per request

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
const deflateRawAsync = (body: Buffer, options: zlib.ZlibOptions): Promise<Buffer> => promisify(zlib.deflateRaw)(body, options);

async function encodePrefix(prefix: AnswerBody, coding: CompressedCoding): Promise<EncodedPrefix> {
  const whole = Buffer.concat(prefix.pieces, prefix.bytes);
  if (coding === 'gzip') {
    const deflated = await deflateRawAsync(whole, { level: GZIP_LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return { head: Buffer.concat([GZIP_HEADER, deflated]), crc: zlib.crc32(whole) };
  }
  const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: whole.length, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT };
  return { head: await brotliAsync(whole, { params, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }), crc: 0 };
}

const STORED_MAX = 65_535;

/** The tail as stored deflate blocks (the last one final) and the gzip trailer. */
function gzipTail(tail: Buffer, encoded: EncodedPrefix, prefixBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  do {
    const length = Math.min(STORED_MAX, tail.length - at);
    const final = at + length >= tail.length;
    const header = Buffer.allocUnsafe(5);
    header[0] = final ? 1 : 0; // BFINAL, BTYPE 00 (stored); the rest of the byte is padding
    header.writeUInt16LE(length, 1);
    header.writeUInt16LE(~length & 0xffff, 3);
    out.push(header, tail.subarray(at, at + length));
    at += length;
  } while (at < tail.length);
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(zlib.crc32(tail, encoded.crc) >>> 0, 0);
  trailer.writeUInt32LE((prefixBytes + tail.length) % 0x1_0000_0000, 4);
  out.push(trailer);
  return out;
}

const BROTLI_UNCOMPRESSED_MAX = 65_536;
/** An empty last meta-block: ISLAST 1, ISLASTEMPTY 1. */
const BROTLI_END = Buffer.from([0x03]);

/** The tail as uncompressed Brotli meta-blocks (MNIBBLES 4) and an empty last meta-block. */
function brotliTail(tail: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < tail.length; at += BROTLI_UNCOMPRESSED_MAX) {
    const length = Math.min(BROTLI_UNCOMPRESSED_MAX, tail.length - at);
    // Bits, least significant first: ISLAST 0, MNIBBLES 00 (4 nibbles), MLEN-1 (16 bits),
    // ISUNCOMPRESSED 1, then zero bits to the byte boundary: 24 bits in all.
    const bits = (((length - 1) & 0xffff) << 3) | (1 << 19);
    out.push(Buffer.from([bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff]), tail.subarray(at, at + length));
  }
  out.push(BROTLI_END);
  return out;
}

/** The compressed prefixes being made, per prefix and coding (concurrent requests of a generation share one). */
const pending = new WeakMap<AnswerBody, Partial<Record<CompressedCoding, Promise<EncodedPrefix>>>>();

/**
 * The compressed prefix of a cached answer, made once per cache entry and coding (kept on the
 * entry by the answer cache): undefined when `serialized` is not the entry the cache holds under
 * `etag` (a big answer the cache does not keep is streamed instead).
 */
export async function encodedPrefix(answers: AnswerCache, etag: string, serialized: SerializedContent, coding: CompressedCoding): Promise<EncodedPrefix | undefined> {
  if (answers.get(etag) !== serialized) return undefined;
  const ready = serialized.encoded?.[coding];
  if (ready) return ready;
  const key = serialized.prefix;
  const making = pending.get(key) ?? {};
  pending.set(key, making);
  let promise = making[coding];
  if (!promise) {
    promise = encodePrefix(serialized.prefix, coding);
    making[coding] = promise;
  }
  try {
    const encoded = await promise;
    answers.attachEncoded(etag, serialized, coding, encoded);
    return encoded;
  } finally {
    if (making[coding] === promise) delete making[coding];
  }
}

/**
 * A JSON body (`json`: the prefix's pieces then the tail, as answerChunks makes it) in a coding
 * whose prefix is already compressed; undefined when it is not (yet), or the body is not the
 * prefix plus one tail piece.
 */
export function encodedBody(json: AnswerBody, serialized: SerializedContent, coding: CompressedCoding): AnswerBody | undefined {
  const encoded = serialized.encoded?.[coding];
  const prefixPieces = serialized.prefix.pieces.length;
  if (!encoded || json.pieces.length !== prefixPieces + 1 || json.pieces[0] !== serialized.prefix.pieces[0]) return undefined;
  const tail = json.pieces[prefixPieces] as Buffer;
  const pieces = [encoded.head, ...(coding === 'gzip' ? gzipTail(tail, encoded, serialized.prefix.bytes) : brotliTail(tail))];
  let bytes = 0;
  for (const piece of pieces) bytes += piece.length;
  return { pieces, bytes };
}
