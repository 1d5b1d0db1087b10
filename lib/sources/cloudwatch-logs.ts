/**
 * CloudWatch Logs subscription payload → `log` records. Pure: no I/O.
 *
 * `awslogs.data` is base64(gzip(JSON { messageType, owner, logGroup, logStream,
 * subscriptionFilters, logEvents: [{ id, timestamp, message }] })). The same gzipped JSON is what
 * a subscription filter writes into a Kinesis stream (lib/sources/kinesis.ts decodes it there
 * with decodeLogsPayload).
 * - CONTROL_MESSAGE (CloudWatch checking the destination) → no records, no rejects.
 * - Each log event → one record: kind 'log',
 *   id = stableEventId of the log event's identity (owner, group, stream, event id): the same id
 *   however often, and by whichever path (direct or through Kinesis), the event is delivered,
 *   key = `${logGroup}:${logStream}` (':' because neither name may contain it, while both
 *   commonly contain '/', e.g. "/aws/lambda/fn" and "2024/05/01/[$LATEST]abc"),
 *   timestamp = the event's (the receive time when outside the window: windowedTimestamp),
 *   value = JSON {"logGroup","logStream","owner","timestamp","message"} with the event's own timestamp.
 * - The payload is one unit: bad base64/gzip/JSON/shape throws RequestError (400, or 413 for
 *   size/count limits). One malformed or oversized log event is a reject; its siblings decode.
 */
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { stableEventId } from '../domain/ids';
import type { DecodedRecord, DecodeResult, SourceName, SourceRef } from '../domain/record';
import { RequestError } from '../platform/errors';
import type { Limits } from '../domain/limits';
import { base64DecodedLength, isPaddedBase64 } from './base64';
import { gunzipCapped, parseJsonDocument, tooManyRecords } from './envelope';
import { FIELD_LIMITS, describeType, rejectRecord, tooLarge, windowedTimestamp } from './record-fields';

const CODE = 'malformed_event';
const MESSAGE_TYPES: readonly unknown[] = ['DATA_MESSAGE', 'CONTROL_MESSAGE'];

/** The partition key of a log group/stream's records. */
export function cloudWatchLogsKey(logGroup: string, logStream: string): string {
  return `${logGroup}:${logStream}`;
}

/** The event id of a log event: its own id is unique only within what CloudWatch says, so the group and stream are part of it. */
export function logEventId(owner: string, logGroup: string, logStream: string, eventId: string): string {
  return stableEventId(['cloudwatch-logs', owner, logGroup, logStream, eventId]);
}

/** A direct subscription's event (`awslogs.data`). */
export function decodeCloudWatchLogs(event: CloudWatchLogsEvent, limits: Limits): DecodeResult {
  const data: unknown = (event as { awslogs?: { data?: unknown } } | undefined)?.awslogs?.data;
  if (typeof data !== 'string' || data.length === 0) {
    throw new RequestError(400, CODE, 'event has no awslogs.data string: not a CloudWatch Logs subscription event');
  }
  const compressedBytes = base64DecodedLength(data);
  if (compressedBytes > limits.maxBodyBytes) {
    throw new RequestError(
      413,
      'body_too_large',
      `awslogs.data is ~${compressedBytes} bytes; the limit is ${limits.maxBodyBytes} bytes`,
    );
  }
  if (!isPaddedBase64(data)) {
    throw new RequestError(400, CODE, `awslogs.data is not valid base64 (${data.length} characters)`);
  }
  const json = gunzipCapped(Buffer.from(data, 'base64'), limits.maxDecodedBytes, 'awslogs.data', CODE);
  return decodeLogsPayload(parseJsonDocument(json, 'awslogs.data', CODE), limits, 'cloudwatch-logs');
}

/** True when a parsed JSON value looks like a subscription payload (an object with its messageType). */
export function isLogsPayload(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && MESSAGE_TYPES.includes(own(doc as Record<string, unknown>, 'messageType'));
}

/**
 * The gunzipped, parsed subscription payload → records, whatever carried it. Record refs are
 * `{ source, index: the log event's position, itemId: its id }`; a caller with its own item ids
 * (Kinesis: the sequence number) replaces them. Throws RequestError for payload-level problems.
 */
export function decodeLogsPayload(doc: unknown, limits: Limits, source: SourceName): DecodeResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new RequestError(400, CODE, `awslogs.data must hold a JSON object, got ${describeType(doc)}`);
  }
  const payload = doc as Record<string, unknown>;
  const messageType = own(payload, 'messageType');
  if (messageType === 'CONTROL_MESSAGE') return { records: [], rejects: [] };
  if (messageType !== 'DATA_MESSAGE') {
    throw new RequestError(400, CODE, `messageType must be DATA_MESSAGE or CONTROL_MESSAGE, got ${show(messageType)}`);
  }
  const owner = requireString(payload, 'owner');
  const logGroup = requireString(payload, 'logGroup');
  const logStream = requireString(payload, 'logStream');
  const logEvents = own(payload, 'logEvents');
  if (!Array.isArray(logEvents)) {
    throw new RequestError(400, CODE, `logEvents must be an array, got ${describeType(logEvents)}`);
  }
  if (logEvents.length > limits.maxRecords) {
    throw tooManyRecords(logEvents.length, limits.maxRecords, 'CloudWatch Logs event');
  }

  const key = cloudWatchLogsKey(logGroup, logStream);
  // Every value shares this prefix; only timestamp and message differ per event.
  const prefix = `{"logGroup":${JSON.stringify(logGroup)},"logStream":${JSON.stringify(logStream)},"owner":${JSON.stringify(owner)},"timestamp":`;
  const out: DecodeResult = { records: [], rejects: [] };
  const receivedAt = Date.now();
  for (let index = 0; index < logEvents.length; index++) {
    const item: unknown = logEvents[index];
    const ref: SourceRef = { source, index };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      out.rejects.push(rejectRecord(ref, `log event must be an object, got ${describeType(item)}`));
      continue;
    }
    const logEvent = item as Record<string, unknown>;
    const id = own(logEvent, 'id');
    const timestamp = own(logEvent, 'timestamp');
    const message = own(logEvent, 'message');
    if (typeof id === 'string' && id.length > 0) ref.itemId = id;
    const problems: string[] = [];
    if (!(typeof id === 'string' && id.length > 0 && id.length <= FIELD_LIMITS.id)) {
      problems.push(`field "id" must be a non-empty string of at most ${FIELD_LIMITS.id} characters, got ${show(id)}`);
    }
    if (!(typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp >= 0)) {
      problems.push(`field "timestamp" must be epoch milliseconds, got ${show(timestamp)}`);
    }
    if (typeof message !== 'string') problems.push(`field "message" must be a string, got ${show(message)}`);
    if (problems.length > 0) {
      out.rejects.push(rejectRecord(ref, problems.join('; ')));
      continue;
    }
    const ts = Math.trunc(timestamp as number);
    const value = Buffer.from(`${prefix}${ts},"message":${JSON.stringify(message)}}`, 'utf8');
    if (value.length > limits.maxRecordBytes) {
      out.rejects.push(tooLarge(ref, value.length, limits.maxRecordBytes));
      continue;
    }
    const record: DecodedRecord = {
      kind: 'log',
      id: logEventId(owner, logGroup, logStream, id as string),
      key,
      value,
      timestamp: windowedTimestamp(ts, receivedAt, limits),
      sourceRef: ref,
    };
    out.records.push(record);
  }
  return out;
}

function own(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

function requireString(obj: Record<string, unknown>, name: string): string {
  const value = own(obj, name);
  if (typeof value !== 'string' || value.length === 0) {
    throw new RequestError(400, CODE, `${name} must be a non-empty string, got ${show(value)}`);
  }
  return value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeType(value);
}
