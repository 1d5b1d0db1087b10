/**
 * HTTP request body → DecodedRecord[] + per-record rejects. Pure: no I/O.
 *
 * Content types:
 * - application/json: a JSON array of records, `{ "records": [...] }`, or one record object; an
 *   object whose `records` is not an array is a 400 (it would otherwise pass as one record)
 * - application/x-ndjson | application/ndjson | application/jsonl: one JSON record per line
 * - text/plain: every non-blank line is one log record (value = the line's bytes)
 * - absent: sniffed (`[` → JSON array; a body that parses as one JSON object → envelope or
 *   single record; anything else → NDJSON)
 * Content-Encoding: gzip (or x-gzip), identity, or absent.
 *
 * Whole-request problems throw RequestError (400/413/415); per-record problems are rejects.
 * Object records keep the bytes the client sent (see decodeRecordValue); for JSON documents the
 * bytes of each record are found by json-slices in the text JSON.parse accepted.
 */
import type { DecodeResult, SourceName } from '../domain/record';
import type { RecordKind } from '../domain/tiers';
import { RequestError } from '../platform/errors';
import type { Limits } from '../domain/limits';
import { gunzipCapped, looksGzipped, parseJsonDocument, tooManyRecords } from './envelope';
import { decodeLines } from './lines';
import { arrayElementRanges, memberArrayElementRanges } from './json-slices';
import type { ByteRange } from './json-slices';
import { decodeRecordValue, describeType, isReject } from './record-fields';
import type { RecordContext } from './record-fields';

export interface HttpBodyInput {
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
  kind: RecordKind;
  /** Epoch ms; the timestamp of records that carry none. */
  receivedAt: number;
}

type BodyFormat = 'json' | 'ndjson' | 'text' | 'sniff';

const MEDIA_TYPES: ReadonlyMap<string, BodyFormat> = new Map([
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['application/ndjson', 'ndjson'],
  ['application/jsonl', 'ndjson'],
  ['text/plain', 'text'],
]);

export const SUPPORTED_MEDIA_TYPES: readonly string[] = [...MEDIA_TYPES.keys()];

const SOURCE: SourceName = 'http';

export function decodeHttpBody(input: HttpBodyInput, limits: Limits): DecodeResult {
  const { body } = input;
  if (body.length > limits.maxBodyBytes) {
    throw new RequestError(
      413,
      'body_too_large',
      `request body is ${body.length} bytes; the limit is ${limits.maxBodyBytes} bytes`,
    );
  }
  const gzipped = parseContentEncoding(input.contentEncoding);
  const format = parseContentType(input.contentType);
  if (body.length === 0) throw malformed('request body is empty');

  let data: Buffer;
  if (gzipped) {
    data = gunzipCapped(body, limits.maxDecodedBytes, 'gzip request body', 'malformed_body');
  } else {
    if (looksGzipped(body)) {
      throw malformed('request body looks gzip-compressed but Content-Encoding is not gzip');
    }
    if (body.length > limits.maxDecodedBytes) {
      throw new RequestError(
        413,
        'decoded_too_large',
        `request body is ${body.length} bytes; the decoded limit is ${limits.maxDecodedBytes} bytes`,
      );
    }
    data = body;
  }
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3); // UTF-8 BOM
  if (firstNonSpace(data) === -1) {
    throw malformed(gzipped ? 'request body is empty after gunzip' : 'request body is blank');
  }

  const ctx: RecordContext = { kind: input.kind, receivedAt: input.receivedAt, timestampWindow: limits, maxRecordBytes: limits.maxRecordBytes, maxJsonDepth: limits.maxJsonDepth };
  switch (format) {
    case 'json':
      return decodeJsonValue(parseJsonDocument(data, 'request body', 'malformed_body'), data, ctx, limits.maxRecords);
    case 'ndjson':
    case 'text':
      return decodeLines(data, format, ctx, limits.maxRecords, SOURCE);
    case 'sniff':
      return sniff(data, ctx, limits.maxRecords);
  }
}

/**
 * Records from the JSON document `doc` parsed from `data`: an array, a `{ records: [...] }`
 * envelope, or one object. Fields come from `doc`; each value is the record's text in `data`.
 */
function decodeJsonValue(doc: unknown, data: Buffer, ctx: RecordContext, maxRecords: number): DecodeResult {
  const open = firstNonSpace(data);
  // withinLimit comes first among the arguments, so an over-long batch is refused before any scan.
  if (Array.isArray(doc)) return decodeElements(withinLimit(doc, maxRecords), arrayElementRanges(data, open), data, ctx);
  if (typeof doc !== 'object' || doc === null) {
    throw malformed(
      `request body must be a JSON array of records, an object with a "records" array, or one record object; got ${describeType(doc)}`,
    );
  }
  if (!Object.hasOwn(doc, 'records')) return decodeOneRecord(doc, data, ctx, maxRecords);
  const records = (doc as { records: unknown }).records;
  if (!Array.isArray(records)) {
    throw malformed(
      `"records" in the request body must be an array of records, got ${describeType(records)}; to send one record, leave out the "records" field`,
    );
  }
  return decodeElements(withinLimit(records, maxRecords), memberArrayElementRanges(data, open, 'records'), data, ctx);
}

/** The body is one record object; its value is the whole body (trimmed). */
function decodeOneRecord(doc: object, data: Buffer, ctx: RecordContext, maxRecords: number): DecodeResult {
  withinLimit([doc], maxRecords);
  const outcome = decodeRecordValue(doc, { source: SOURCE, index: 0 }, ctx, data);
  return isReject(outcome) ? { records: [], rejects: [outcome] } : { records: [outcome], rejects: [] };
}

function withinLimit(items: unknown[], maxRecords: number): unknown[] {
  if (items.length > maxRecords) throw tooManyRecords(items.length, maxRecords, 'request body');
  return items;
}

/** `items`, parsed from an array in `data` whose elements json-slices found at `ranges`. */
function decodeElements(items: unknown[], ranges: ByteRange[] | undefined, data: Buffer, ctx: RecordContext): DecodeResult {
  if (ranges?.length !== items.length) {
    // JSON.parse accepted this text, so the scanner must agree with it; carrying on would write
    // the wrong bytes under a record's fields.
    throw new Error(`json-slices found ${ranges?.length ?? 'no'} elements where JSON.parse found ${items.length}`);
  }
  const out: DecodeResult = { records: [], rejects: [] };
  for (let index = 0; index < items.length; index++) {
    const { start, end } = ranges[index]!;
    const outcome = decodeRecordValue(items[index], { source: SOURCE, index }, ctx, data.subarray(start, end));
    if (isReject(outcome)) out.rejects.push(outcome);
    else out.records.push(outcome);
  }
  return out;
}

function sniff(data: Buffer, ctx: RecordContext, maxRecords: number): DecodeResult {
  const first = data[firstNonSpace(data)];
  if (first === 0x5b /* [ */) {
    return decodeJsonValue(parseJsonDocument(data, 'request body', 'malformed_body'), data, ctx, maxRecords);
  }
  if (first === 0x7b /* { */) {
    let doc: unknown;
    try {
      doc = parseJsonDocument(data, 'request body', 'malformed_body');
    } catch {
      doc = undefined; // not one JSON document: NDJSON
    }
    if (doc !== undefined) return decodeJsonValue(doc, data, ctx, maxRecords);
  }
  return decodeLines(data, 'ndjson', ctx, maxRecords, SOURCE);
}

function parseContentType(header: string | undefined): BodyFormat {
  if (header === undefined || header.trim() === '') return 'sniff';
  const [mediaType = '', ...params] = header.split(';');
  const format = MEDIA_TYPES.get(mediaType.trim().toLowerCase());
  if (format === undefined) {
    throw new RequestError(
      415,
      'unsupported_media_type',
      `Content-Type "${header}" is not supported; use one of ${SUPPORTED_MEDIA_TYPES.join(', ')}`,
    );
  }
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new RequestError(
        415,
        'unsupported_media_type',
        `charset "${charset}" in Content-Type "${header}" is not supported; send utf-8`,
      );
    }
  }
  return format;
}

/** true = gzip, false = identity/absent; anything else is a 415. */
function parseContentEncoding(header: string | undefined): boolean {
  const encoding = header?.trim().toLowerCase() ?? '';
  if (encoding === '' || encoding === 'identity') return false;
  if (encoding === 'gzip' || encoding === 'x-gzip') return true;
  throw new RequestError(
    415,
    'unsupported_encoding',
    `Content-Encoding "${header}" is not supported; send gzip or identity (or no Content-Encoding)`,
  );
}

function firstNonSpace(data: Buffer): number {
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
  }
  return -1;
}

function malformed(message: string): RequestError {
  return new RequestError(400, 'malformed_body', message);
}
