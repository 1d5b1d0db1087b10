/**
 * Records become NDJSON lines once, when they are submitted: a retry sends the very same bytes,
 * and a caller mutating its object afterwards changes nothing. Invalid input is a programming
 * error and throws at once (a TypeError), never later inside a batch.
 */
import { newEventId } from './ids';

/** Longest event id the server accepts. */
export const MAX_ID_LENGTH = 128;

export function encodeLog(record: unknown): Buffer {
  if (typeof record === 'string') return Buffer.from(JSON.stringify(record));
  return Buffer.from(stringifyObject(record, 'log'));
}

export function encodeHeartbeat(record: unknown): Buffer {
  return Buffer.from(stringifyObject(record, 'heartbeat'));
}

/** The event's line and id; an event without an `id` gets a new UUIDv7 (a copy: the caller's object is not touched). */
export function encodeEvent(record: unknown): { id: string; line: Buffer } {
  if (!isPlainObject(record)) throw new TypeError('event() takes a JSON object');
  const given = record.id;
  if (given !== undefined && (typeof given !== 'string' || given.length === 0 || given.length > MAX_ID_LENGTH)) {
    throw new TypeError(`event id must be a string of 1-${MAX_ID_LENGTH} characters`);
  }
  const id = given ?? newEventId();
  const withId = given === undefined ? { ...record, id } : record;
  return { id, line: Buffer.from(stringifyObject(withId, 'event')) };
}

function stringifyObject(record: unknown, what: string): string {
  if (!isPlainObject(record)) throw new TypeError(`${what} records must be JSON objects${what === 'log' ? ' or strings' : ''}`);
  const text = JSON.stringify(record); // throws its own TypeError on cycles and BigInts
  if (typeof text !== 'string' || !text.startsWith('{')) throw new TypeError(`${what} record does not serialise to a JSON object`);
  return text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
