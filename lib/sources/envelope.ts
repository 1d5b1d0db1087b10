/** Whole-envelope guards shared by the source decoders; each failure is a RequestError. */
import { isUtf8, kMaxLength } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { RequestError, errorMessage } from '../platform/errors';

/**
 * Gunzip with a hard cap on the output: zlib stops (and we throw 413 `decoded_too_large`) as
 * soon as the output would pass `maxDecodedBytes`, so a gzip bomb never allocates past the cap.
 * Exactly `maxDecodedBytes` bytes of output is accepted.
 * `what` names the input in messages ("gzip body", "awslogs.data"); `malformedCode` is the code
 * of the 400 thrown for corrupt or truncated input.
 */
export function gunzipCapped(input: Buffer, maxDecodedBytes: number, what: string, malformedCode: string): Buffer {
  try {
    return gunzipSync(input, { maxOutputLength: Math.min(kMaxLength, Math.max(1, maxDecodedBytes)) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestError(
        413,
        'decoded_too_large',
        `${what} decompresses to more than the ${maxDecodedBytes}-byte decoded limit (${input.length} bytes compressed)`,
      );
    }
    throw new RequestError(400, malformedCode, `${what} is not valid gzip: ${errorMessage(err)}`);
  }
}

/** True when the bytes start with the gzip magic number (1f 8b). */
export function looksGzipped(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Parse a whole buffer as one UTF-8 JSON document, or throw 400 `code` naming `what`. */
export function parseJsonDocument(buf: Buffer, what: string, code: string): unknown {
  if (!isUtf8(buf)) throw new RequestError(400, code, `${what} is not valid UTF-8`);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    const msg = errorMessage(err);
    const hint = msg.includes('after JSON')
      ? ' (several JSON values, one per line, are NDJSON: send Content-Type: application/x-ndjson)'
      : '';
    throw new RequestError(400, code, `${what} is not valid JSON: ${msg}${hint}`);
  }
}

/** 413 for a batch over Limits.maxRecords; `count` is how many records it has (at least). */
export function tooManyRecords(count: number, maxRecords: number, what: string): RequestError {
  return new RequestError(413, 'too_many_records', `${what} has ${count} records; the limit is ${maxRecords} per request`);
}
