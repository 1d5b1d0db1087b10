/**
 * Per-record validation shared by every source decoder (HTTP today, SQS/Kinesis next).
 *
 * A record is either a JSON string (a plain log line) or a JSON object whose optional
 * reserved fields (`id`, `type`, `key`, `tier`, `timestamp`) steer routing; every other
 * field is payload. Problems become a RecordReject naming the record index and the reason;
 * nothing here throws.
 */
import { DEFAULT_LIMITS, type TimestampWindow } from '../domain/limits';
import { TIERS, isTier } from '../domain/tiers';
import type { DecodedRecord, RecordReject, SourceRef } from '../domain/record';
import type { RecordKind } from '../domain/tiers';
import { trimJsonSpace } from './json-slices';

/** Longest accepted reserved-field values, in UTF-16 code units (JavaScript string length). */
export const FIELD_LIMITS = Object.freeze({ id: 128, type: 64, key: 256 });

/** What a decoder knows about the batch a record belongs to. */
export interface RecordContext {
  kind: RecordKind;
  /** Epoch ms the request/batch arrived: the timestamp of records without one or with one outside the window. */
  receivedAt: number;
  /** Limits.maxTimestampPastMs / maxTimestampFutureMs: where around receivedAt a record's own timestamp is kept. */
  timestampWindow: Readonly<TimestampWindow>;
  /** Limits.maxRecordBytes: the largest value accepted. */
  maxRecordBytes: number;
  /** Limits.maxJsonDepth (default DEFAULT_LIMITS.maxJsonDepth). */
  maxJsonDepth?: number;
}

export type RecordOutcome = DecodedRecord | RecordReject;

export function isReject(outcome: RecordOutcome): outcome is RecordReject {
  return (outcome as RecordReject).reason !== undefined;
}

export function rejectRecord(ref: SourceRef, detail: string): RecordReject {
  const reject: RecordReject = { index: ref.index, reason: `record ${ref.index}: ${detail}` };
  if (ref.itemId !== undefined) reject.itemId = ref.itemId;
  return reject;
}

/** The reject for a value of `bytes` bytes over the limit (also used before parsing a huge line). */
export function tooLarge(ref: SourceRef, bytes: number, maxRecordBytes: number): RecordReject {
  return rejectRecord(ref, `${bytes} bytes exceeds the ${maxRecordBytes}-byte record limit`);
}

/** `typeof`, but telling null and arrays apart from objects, for messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Decode one parsed JSON value: a string becomes a log line, an object goes through
 * validateRecordObject, anything else is rejected.
 *
 * `json` is the text `value` was parsed from, a slice of what the client sent. An object's value
 * is that text byte for byte, minus the whitespace around it: a re-serialisation would change
 * numbers (19.90, 1e2, 12345678901234567890, 1e999999), escapes and key order. A string's value
 * is the decoded string's UTF-8 instead (`"caf\u00e9"` → `café`): a JSON string is a log line,
 * and the line is its text, not its JSON quoting. Required so that no source can fall back to
 * re-encoding; undefined is only for values that cannot be objects.
 */
export function decodeRecordValue(
  value: unknown,
  ref: SourceRef,
  ctx: RecordContext,
  json: Buffer | undefined,
): RecordOutcome {
  if (typeof value === 'string') return stringRecord(value, ref, ctx);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (json === undefined) return rejectRecord(ref, 'internal error: the decoder kept no JSON text for this object');
    return validateRecordObject(value as Record<string, unknown>, ref, ctx, trimJsonSpace(json));
  }
  return rejectRecord(ref, `must be a JSON object or string, got ${describeType(value)}`);
}

/** A plain log line given as a JSON string. */
export function stringRecord(line: string, ref: SourceRef, ctx: RecordContext): RecordOutcome {
  if (line.length === 0) return rejectRecord(ref, 'must not be an empty string');
  return bytesRecord(Buffer.from(line, 'utf8'), ref, ctx);
}

/** A record whose value is given bytes and nothing else (text/plain lines, JSON strings). */
export function bytesRecord(value: Buffer, ref: SourceRef, ctx: RecordContext): RecordOutcome {
  if (value.length > ctx.maxRecordBytes) return tooLarge(ref, value.length, ctx.maxRecordBytes);
  return { kind: ctx.kind, value, timestamp: ctx.receivedAt, sourceRef: ref };
}

/**
 * Validate a record object's reserved fields and build the DecodedRecord.
 * The object is only read (own properties only, so a polluted Object.prototype cannot inject
 * fields), never merged or mutated; `__proto__`/`constructor` keys are ordinary payload.
 * Value = `rawBytes`, the object's JSON text as sent (see decodeRecordValue).
 */
export function validateRecordObject(
  obj: Record<string, unknown>,
  ref: SourceRef,
  ctx: RecordContext,
  rawBytes: Buffer,
): RecordOutcome {
  const problems: string[] = [];
  const id = own(obj, 'id');
  const type = own(obj, 'type');
  const key = own(obj, 'key');
  const tier = own(obj, 'tier');
  const ts = own(obj, 'timestamp');

  if (id !== undefined && !(typeof id === 'string' && id.length > 0 && id.length <= FIELD_LIMITS.id)) {
    problems.push(fieldProblem('id', `a non-empty string of at most ${FIELD_LIMITS.id} characters`, id));
  }
  if (type !== undefined && !(typeof type === 'string' && type.length <= FIELD_LIMITS.type)) {
    problems.push(fieldProblem('type', `a string of at most ${FIELD_LIMITS.type} characters`, type));
  }
  if (key !== undefined && !(typeof key === 'string' && key.length <= FIELD_LIMITS.key)) {
    problems.push(fieldProblem('key', `a string of at most ${FIELD_LIMITS.key} characters`, key));
  }
  if (tier !== undefined && !isTier(tier)) {
    problems.push(fieldProblem('tier', `one of ${TIERS.join(', ')}`, tier));
  }
  let timestamp = ctx.receivedAt;
  if (ts !== undefined) {
    const parsed = parseTimestamp(ts);
    if (parsed === undefined) {
      problems.push(
        fieldProblem('timestamp', 'epoch milliseconds (a non-negative number) or an ISO-8601 string with a time zone', ts),
      );
    } else {
      timestamp = windowedTimestamp(parsed, ctx.receivedAt, ctx.timestampWindow);
    }
  }
  const maxDepth = ctx.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth;
  if (deeperThan(obj, maxDepth)) problems.push(`nested deeper than ${maxDepth} levels`);
  if (problems.length > 0) return rejectRecord(ref, problems.join('; '));

  const value = rawBytes;
  if (value.length > ctx.maxRecordBytes) return tooLarge(ref, value.length, ctx.maxRecordBytes);

  const record: DecodedRecord = { kind: ctx.kind, value, timestamp, sourceRef: ref };
  if (id !== undefined) record.id = id as string;
  if (type !== undefined) record.type = type as string;
  if (key !== undefined) record.key = key as string;
  if (tier !== undefined) record.tier = tier as DecodedRecord['tier'];
  return record;
}

// Date-only (UTC) or date-time with an explicit zone; a zone-less date-time would be read in the
// host's local time zone, which differs between a laptop and Lambda.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2}))?$/;

/**
 * The Kafka timestamp of a record whose source says it happened at `claimed` (epoch ms): `claimed`
 * when it lies within [receivedAt - maxTimestampPastMs, receivedAt + maxTimestampFutureMs] (bounds
 * included), else receivedAt. Kafka deletes a segment by its newest timestamp, so one record dated
 * 9999 would keep its partition forever. Replaced rather than rejected: CloudWatch Logs events up
 * to 14 days old and SQS messages that waited in their queue are genuine, and a rejected SQS
 * record is deleted from its queue. The claimed time stays in the payload, which is written as sent.
 */
export function windowedTimestamp(claimed: number, receivedAt: number, window: Readonly<TimestampWindow>): number {
  const inWindow = claimed >= receivedAt - window.maxTimestampPastMs && claimed <= receivedAt + window.maxTimestampFutureMs;
  return inWindow ? claimed : receivedAt;
}

/** Epoch ms from a number of epoch ms or an ISO-8601 string; undefined when malformed (the window is applied after). */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.trunc(value) : undefined;
  }
  if (typeof value === 'string' && value.length <= 40 && ISO_8601.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  return undefined;
}

/**
 * True when `value` nests objects/arrays more than `max` levels deep (a scalar is depth 0, `{}` is
 * 1). The recursion itself stops at `max`, so it cannot overflow the stack on hostile input.
 */
export function deeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max <= 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) if (typeof child === 'object' && child !== null && deeperThan(child, max - 1)) return true;
  return false;
}

function own(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

function fieldProblem(field: string, expected: string, got: unknown): string {
  return `field "${field}" must be ${expected}, got ${preview(got)}`;
}

function preview(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}...` : JSON.stringify(value);
    return `string ${shown} (${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return describeType(value);
}
