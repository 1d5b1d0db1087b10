import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

// Asynchronous: gzip runs on libuv's pool, not on the game server's frame loop.
const gzipAsync = promisify(gzip);

export interface EncodedBody {
  body: Buffer;
  gzipped: boolean;
}

/** One NDJSON body: each line followed by LF; gzipped when it reaches `gzipAboveBytes`. */
export async function encodeBody(lines: readonly Buffer[], gzipAboveBytes: number): Promise<EncodedBody> {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(line, LF);
  const plain = Buffer.concat(parts);
  if (plain.length < gzipAboveBytes) return { body: plain, gzipped: false };
  return { body: await gzipAsync(plain), gzipped: true };
}

const LF = Buffer.from('\n');
