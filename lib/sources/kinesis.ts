/**
 * Kinesis Data Streams batch (Lambda event source mapping) → records + per-record rejects. Pure.
 *
 * Each Kinesis record's `kinesis.data` (base64) is, after gunzip when it is gzip-compressed:
 * - a CloudWatch Logs subscription payload (gzip of the `awslogs` JSON, what a subscription
 *   filter writes into a stream): one `log` record per log event, as the direct subscription
 *   (lib/sources/cloudwatch-logs.ts); CONTROL_MESSAGE gives nothing;
 * - one JSON document starting with `{`: one record (the object, its bytes as sent);
 * - otherwise lines (lib/sources/lines.ts): NDJSON when the data starts with `{`, `[` or `"` or
 *   the records are not logs, else text (every non-blank line one log record).
 *
 * Every outcome carries `itemId` = the Kinesis record's sequenceNumber, so the handler can answer
 * `batchItemFailures` by it. Indexes run over the outcomes of the whole batch, in order. Nothing
 * throws: whatever is wrong with one Kinesis record (bad base64 or gzip, over a limit, KPL
 * aggregation) is one reject for it, and the records around it decode.
 *
 * A record without an `id` gets stableEventId(kinesis, stream ARN, shard, sequence number, its
 * position in the data): a re-read of the same Kinesis record (a retried batch) yields the same
 * ids. Log events keep their own derived id (cloudwatch-logs.ts logEventId), which is also stable
 * when CloudWatch Logs writes the same event into the stream twice.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { stableEventId } from '../domain/ids';
import type { Limits } from '../domain/limits';
import type { DecodeResult, RecordReject, SourceName, SourceRef } from '../domain/record';
import type { RecordKind } from '../domain/tiers';
import { RequestError } from '../platform/errors';
import { base64DecodedLength, isPaddedBase64 } from './base64';
import { decodeLogsPayload, isLogsPayload } from './cloudwatch-logs';
import { gunzipCapped, looksGzipped, parseJsonDocument } from './envelope';
import { decodeLines } from './lines';
import { decodeRecordValue, isReject, type RecordContext } from './record-fields';

const SOURCE: SourceName = 'kinesis';
// Records the Kinesis Producer Library aggregated (protobuf): Lambda does not de-aggregate them.
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const OPEN_BRACE = 0x7b;
const JSON_STARTS = new Set([OPEN_BRACE, 0x5b /* [ */, 0x22 /* " */]);

/** Where a Kinesis record sits: what its rejects name and its derived ids are made of. */
interface KinesisItem {
  position: number;
  sequenceNumber: string;
  shardId: string;
  streamArn: string;
}

/** One Kinesis record's outcomes, indexed 0.. within its data, and what those indexes count. */
interface Decoded {
  result: DecodeResult;
  unit?: 'line' | 'log event';
}

export function decodeKinesis(event: KinesisStreamEvent, limits: Limits, kind: RecordKind): DecodeResult {
  const items: unknown[] = Array.isArray(event?.Records) ? event.Records : [];
  const ctx: RecordContext = { kind, receivedAt: Date.now(), timestampWindow: limits, maxRecordBytes: limits.maxRecordBytes, maxJsonDepth: limits.maxJsonDepth };
  const out: DecodeResult = { records: [], rejects: [] };
  let base = 0;
  items.forEach((raw, position) => {
    const record = raw as { eventID?: unknown; eventSourceARN?: unknown; kinesis?: { sequenceNumber?: unknown; data?: unknown } } | null;
    const seq = record?.kinesis?.sequenceNumber;
    const sequenceNumber = typeof seq === 'string' && seq.length > 0 ? seq : undefined;
    let decoded: Decoded | string;
    if (position >= limits.maxRecords) {
      decoded = `over the limit of ${limits.maxRecords} records per batch (MAX_RECORDS; lower the event source mapping's batchSize)`;
    } else if (sequenceNumber === undefined) {
      decoded = 'has no kinesis.sequenceNumber: not a Kinesis Data Streams record';
    } else {
      const item: KinesisItem = {
        position,
        sequenceNumber,
        shardId: typeof record?.eventID === 'string' ? record.eventID.split(':')[0]! : '',
        streamArn: typeof record?.eventSourceARN === 'string' ? record.eventSourceARN : '',
      };
      decoded = decodeOrExplain(record?.kinesis?.data, item, ctx, limits);
      if (typeof decoded !== 'string') {
        base += place(decoded, item, base, out);
        return;
      }
    }
    // The Kinesis record as a whole is refused: one reject, the batch goes on.
    out.rejects.push(reject(base, sequenceNumber, `Kinesis record ${position}: ${decoded}`));
    base++;
  });
  return out;
}

/** decodeData, or why the data as a whole cannot be decoded. */
function decodeOrExplain(data: unknown, item: KinesisItem, ctx: RecordContext, limits: Limits): Decoded | string {
  try {
    return decodeData(data, item, ctx, limits);
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    return err.code === 'too_many_records' ? `its data holds more than ${limits.maxRecords} records (MAX_RECORDS)` : err.message;
  }
}

/** The records of one Kinesis record's data; RequestError for a problem of the data as a whole. */
function decodeData(data: unknown, item: KinesisItem, ctx: RecordContext, limits: Limits): Decoded {
  if (typeof data !== 'string') throw malformed('kinesis.data is not a string');
  const size = base64DecodedLength(data);
  if (size > limits.maxBodyBytes) throw new RequestError(413, 'body_too_large', `data is ~${size} bytes; the limit is ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES)`);
  if (!isPaddedBase64(data)) throw malformed(`data is not valid base64 (${data.length} characters)`);
  let payload: Buffer = Buffer.from(data, 'base64');
  if (payload.length === 0) throw malformed('data is empty');
  if (payload.subarray(0, 4).equals(KPL_MAGIC)) throw malformed('data is a KPL aggregated record, which is not supported: disable aggregation in the producer');
  const gzipped = looksGzipped(payload);
  if (gzipped) payload = gunzipCapped(payload, limits.maxDecodedBytes, 'data', 'malformed_record');
  else if (payload.length > limits.maxDecodedBytes) {
    throw new RequestError(413, 'decoded_too_large', `data is ${payload.length} bytes; the decoded limit is ${limits.maxDecodedBytes} bytes (MAX_DECODED_BYTES)`);
  }
  if (payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf) payload = payload.subarray(3); // UTF-8 BOM
  const first = payload.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === -1) throw malformed(gzipped ? 'data is blank after gunzip' : 'data is blank');

  if (payload[first] === OPEN_BRACE) {
    const doc = parseOrUndefined(payload);
    if (doc !== undefined) {
      if (gzipped && isLogsPayload(doc)) return { result: decodeLogsPayload(doc, limits, SOURCE), unit: 'log event' };
      const outcome = decodeRecordValue(doc, { source: SOURCE, index: 0 }, ctx, payload);
      if (!isReject(outcome)) outcome.id ??= stableIdOf(item, 0);
      return { result: isReject(outcome) ? { records: [], rejects: [outcome] } : { records: [outcome], rejects: [] } };
    }
  }
  const format = JSON_STARTS.has(payload[first]!) || ctx.kind !== 'log' ? 'ndjson' : 'text';
  const result = decodeLines(payload, format, ctx, limits.maxRecords, SOURCE);
  for (const record of result.records) record.id ??= stableIdOf(item, record.sourceRef.index);
  return { result, unit: 'line' };
}

/** One JSON document, or undefined when the bytes are not one (NDJSON, invalid UTF-8 or JSON). */
function parseOrUndefined(payload: Buffer): unknown {
  try {
    return parseJsonDocument(payload, 'data', 'malformed_record');
  } catch {
    return undefined;
  }
}

/** The default id of the record at `index` (line or the one document) of a Kinesis record's data. */
function stableIdOf(item: KinesisItem, index: number): string {
  return stableEventId(['kinesis', item.streamArn, item.shardId, item.sequenceNumber, String(index)]);
}

/**
 * Moves one Kinesis record's outcomes into the batch: indexes from `base`, itemId = the sequence
 * number, reasons naming the Kinesis record (and line / log event). Returns how many there were.
 */
function place({ result, unit }: Decoded, item: KinesisItem, base: number, out: DecodeResult): number {
  for (const record of result.records) {
    const ref: SourceRef = { source: SOURCE, index: base + record.sourceRef.index, itemId: item.sequenceNumber };
    out.records.push({ ...record, sourceRef: ref });
  }
  for (const r of result.rejects) {
    // The inner decoders prefix "record <their index>: "; the batch index replaces it.
    const prefix = `record ${r.index}: `;
    const detail = r.reason.startsWith(prefix) ? r.reason.slice(prefix.length) : r.reason;
    const where = unit === undefined ? '' : `, ${unit} ${r.index}`;
    out.rejects.push(reject(base + r.index, item.sequenceNumber, `Kinesis record ${item.position}${where}: ${detail}`));
  }
  return result.records.length + result.rejects.length;
}

function reject(index: number, sequenceNumber: string | undefined, detail: string): RecordReject {
  const r: RecordReject = { index, reason: `record ${index}: ${detail}` };
  if (sequenceNumber !== undefined) r.itemId = sequenceNumber;
  return r;
}

function malformed(message: string): RequestError {
  return new RequestError(400, 'malformed_record', message);
}

