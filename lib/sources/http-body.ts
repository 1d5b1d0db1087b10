/**
 * HTTP request body → DecodedRecord[] + per-record rejects. Pure: no I/O.
 *
 * Content types:
 * - application/json: a JSON array of records, `{ "records": [...] }`, or one record object
 * - application/x-ndjson | application/ndjson | application/jsonl: one JSON record per line
 * - text/plain: every non-blank line is one log record (value = the line's bytes)
 * - absent: sniffed (`[` → JSON array; a body that parses as one JSON object → envelope or
 *   single record; anything else → NDJSON)
 * Content-Encoding: gzip (or x-gzip), identity, or absent.
 *
 * Whole-request problems throw RequestError (400/413/415); per-record problems are rejects.
 */
import type { DecodeResult, SourceName } from '../domain/record';
import type { RecordKind } from '../domain/tiers';
import { RequestError } from '../platform/errors';
import type { Limits } from '../domain/limits';
import { gunzipCapped, looksGzipped, parseJsonDocument, tooManyRecords } from './envelope';
import { decodeLines } from './lines';
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

  const ctx: RecordContext = { kind: input.kind, receivedAt: input.receivedAt, maxRecordBytes: limits.maxRecordBytes, maxJsonDepth: limits.maxJsonDepth };
  switch (format) {
    case 'json':
      return decodeJsonValue(parseJsonDocument(data, 'request body', 'malformed_body'), ctx, limits.maxRecords);
    case 'ndjson':
    case 'text':
      return decodeLines(data, format, ctx, limits.maxRecords, SOURCE);
    case 'sniff':
      return sniff(data, ctx, limits.maxRecords);
  }
}

/** Records from a parsed JSON document: an array, a `{ records: [...] }` envelope, or one object. */
function decodeJsonValue(doc: unknown, ctx: RecordContext, maxRecords: number): DecodeResult {
  let items: unknown[];
  if (Array.isArray(doc)) {
    items = doc;
  } else if (typeof doc === 'object' && doc !== null) {
    const records = Object.hasOwn(doc, 'records') ? (doc as { records: unknown }).records : undefined;
    items = Array.isArray(records) ? records : [doc];
  } else {
    throw malformed(
      `request body must be a JSON array of records, an object with a "records" array, or one record object; got ${describeType(doc)}`,
    );
  }
  if (items.length > maxRecords) throw tooManyRecords(items.length, maxRecords, 'request body');
  const out: DecodeResult = { records: [], rejects: [] };
  for (let index = 0; index < items.length; index++) {
    const outcome = decodeRecordValue(items[index], { source: SOURCE, index }, ctx);
    if (isReject(outcome)) out.rejects.push(outcome);
    else out.records.push(outcome);
  }
  return out;
}

function sniff(data: Buffer, ctx: RecordContext, maxRecords: number): DecodeResult {
  const first = data[firstNonSpace(data)];
  if (first === 0x5b /* [ */) {
    return decodeJsonValue(parseJsonDocument(data, 'request body', 'malformed_body'), ctx, maxRecords);
  }
  if (first === 0x7b /* { */) {
    let doc: unknown;
    try {
      doc = parseJsonDocument(data, 'request body', 'malformed_body');
    } catch {
      doc = undefined; // not one JSON document: NDJSON
    }
    if (doc !== undefined) return decodeJsonValue(doc, ctx, maxRecords);
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
