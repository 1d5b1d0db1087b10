/**
 * Line-oriented bodies: NDJSON (one JSON value per line) and plain text (one log line per line).
 *
 * Lines split on LF (a trailing CR is trimmed, so CRLF works). Blank lines (only spaces, tabs,
 * CR) are skipped and do not take an index: record N is the N-th non-blank line, counted from 0.
 * Each line decodes on its own, so one bad line is a reject and its neighbours still decode.
 * Hot path: one pass with indexOf, no regexes, values are zero-copy slices of the body.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { DecodeResult, SourceName } from '../domain/record';
import { errorMessage } from '../platform/errors';
import { tooManyRecords } from './envelope';
import { bytesRecord, decodeRecordValue, isReject, rejectRecord, tooLarge } from './record-fields';
import type { RecordContext, RecordOutcome } from './record-fields';

export type LineFormat = 'ndjson' | 'text';

const LF = 0x0a;
const OPEN_BRACE = 0x7b;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

export function decodeLines(
  data: Buffer,
  format: LineFormat,
  ctx: RecordContext,
  maxRecords: number,
  source: SourceName,
): DecodeResult {
  const out: DecodeResult = { records: [], rejects: [] };
  // One SIMD pass over the whole body; only when it fails is each line checked on its own.
  const ascii = isAscii(data);
  const allUtf8 = ascii || isUtf8(data);
  // ASCII body (the common case): decode it to a string once; byte offsets are then character
  // offsets, so each line is a cheap string slice instead of a per-line UTF-8 decode.
  const text = ascii && format === 'ndjson' ? data.toString('latin1') : undefined;
  const len = data.length;
  let index = 0;
  let pos = 0;
  while (pos < len) {
    let end = data.indexOf(LF, pos);
    if (end === -1) end = len;
    const lineStart = pos;
    let start = pos;
    pos = end + 1;
    while (start < end && isSpace(data[start]!)) start++;
    if (start === end) continue; // blank line
    while (isSpace(data[end - 1]!)) end--;

    if (index >= maxRecords) {
      throw tooManyRecords(index + 1 + countNonBlankLines(data, pos), maxRecords, 'request body');
    }
    const ref = { source, index };
    index++;

    let outcome: RecordOutcome;
    if (!allUtf8 && !isUtf8(data.subarray(start, end))) {
      outcome = rejectRecord(ref, 'invalid UTF-8');
    } else if (format === 'text') {
      // Log lines keep their indentation (stack traces); only trailing CR/space is trimmed.
      outcome = bytesRecord(data.subarray(lineStart, end), ref, ctx);
    } else {
      outcome = decodeJsonLine(data, text, start, end, ref, ctx);
    }
    if (isReject(outcome)) out.rejects.push(outcome);
    else out.records.push(outcome);
  }
  return out;
}

function decodeJsonLine(
  data: Buffer,
  text: string | undefined,
  start: number,
  end: number,
  ref: { source: SourceName; index: number },
  ctx: RecordContext,
): RecordOutcome {
  const isObject = data[start] === OPEN_BRACE;
  // An object's value is its raw line, so an over-long object line cannot pass: skip the parse.
  if (isObject && end - start > ctx.maxRecordBytes) return tooLarge(ref, end - start, ctx.maxRecordBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text !== undefined ? text.slice(start, end) : data.toString('utf8', start, end));
  } catch (err) {
    return rejectRecord(ref, `invalid JSON: ${errorMessage(err)}`);
  }
  return decodeRecordValue(parsed, ref, ctx, data.subarray(start, end));
}

function countNonBlankLines(data: Buffer, from: number): number {
  let count = 0;
  let pos = from;
  while (pos < data.length) {
    let end = data.indexOf(LF, pos);
    if (end === -1) end = data.length;
    for (let i = pos; i < end; i++) {
      if (!isSpace(data[i]!)) {
        count++;
        break;
      }
    }
    pos = end + 1;
  }
  return count;
}
