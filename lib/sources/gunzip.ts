import { gunzipSync } from 'node:zlib';
import { RequestError } from '../errors';

/**
 * Gunzip with a hard cap on the output: zlib stops (and we throw 413) as soon as the output
 * would pass `maxDecodedBytes`, so a gzip bomb never allocates more than the cap.
 * Exactly `maxDecodedBytes` of output is accepted.
 * `what` names the input in messages ("gzip body", "awslogs.data"); `malformedCode` is the
 * 400 code for corrupt or truncated input.
 */
export function gunzipCapped(input: Buffer, maxDecodedBytes: number, what: string, malformedCode: string): Buffer {
  try {
    return gunzipSync(input, { maxOutputLength: Math.max(1, maxDecodedBytes) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestError(
        413,
        'decoded_too_large',
        `${what} decompresses to more than ${maxDecodedBytes} bytes (limit ${maxDecodedBytes} bytes decoded; ${input.length} bytes compressed)`,
      );
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw new RequestError(400, malformedCode, `${what} is not valid gzip: ${detail}`);
  }
}

/** True when the bytes start with the gzip magic number (1f 8b). */
export function looksGzipped(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}
