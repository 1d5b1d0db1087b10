/**
 * ForwardRecord / OutboxEntry ⇄ DynamoDB item, in raw AttributeValue shapes. Pure: no SDK import
 * (the structural types below are assignable to and from the SDK's AttributeValue), so the item
 * layout can be unit-tested without DynamoDB. The layout is documented in lib/adapters/outbox/table.ts.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { OUTBOX_TTL_ATTRIBUTE, SHARDS } from './table';
import { OutboxError } from '../../platform/errors';
import type { ForwardRecord, SourceName } from '../../domain/record';
import { isTier } from '../../domain/tiers';
import type { Delivery, DeliveredEntry, OutboxEntry } from '../../outbox/store';

/** What the encoder writes. */
export type AttrValue = { S: string } | { N: string } | { B: Uint8Array };
export type Item = Record<string, AttrValue>;

/** What the decoder reads: loose enough to accept the SDK's AttributeValue union as is. */
export interface StoredAttr {
  S?: string;
  N?: string;
  B?: Uint8Array;
}
export type StoredItem = Readonly<Record<string, StoredAttr>>;

/** DynamoDB's hard item limit (names + values, UTF-8). */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Room a pending item must leave below MAX_ITEM_BYTES for what later updates add (lastError,
 * deadShard, deadAt, larger numbers). Without it an item accepted at 399.9 KB could never be
 * moved to dead, and would be re-claimed forever.
 */
export const ITEM_HEADROOM_BYTES = 2048;

/** lastError is kept short: it is for humans, and it must fit in the headroom above. */
export const MAX_ERROR_BYTES = 1024;

/** Index partition of an id: FNV-1a (32 bit) of its UTF-8 bytes, mod `shards`, as 'p00'..'pNN'. */
export function shardOf(id: string, shards: number = SHARDS): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return shardName(h % shards);
}

export function shardName(n: number): string {
  return `p${String(n).padStart(2, '0')}`;
}

/** DynamoDB's limit on a partition key value. */
export const MAX_KEY_BYTES = 2048;

/**
 * Why a record cannot be stored, or undefined. Checked before writing, so a caller's malformed
 * record fails alone instead of looking like a DynamoDB outage.
 */
export function recordProblem(record: ForwardRecord): string | undefined {
  if (typeof record.id !== 'string' || record.id.length === 0) return 'record has no event id';
  if (Buffer.byteLength(record.id, 'utf8') > MAX_KEY_BYTES) return `event id longer than DynamoDB's ${MAX_KEY_BYTES}-byte key limit`;
  if (!isTier(record.tier)) return 'record has no valid tier';
  if (typeof record.topic !== 'string' || record.topic.length === 0) return 'record has no topic';
  if (record.key !== null && typeof record.key !== 'string') return 'record key is neither a string nor null';
  if (!(record.value instanceof Uint8Array)) return 'record value is not bytes';
  if (!isStringMap(record.headers)) return 'record headers are not an object of strings';
  if (!Number.isFinite(record.timestamp)) return 'record timestamp is not a number';
  if (typeof record.sourceRef?.source !== 'string' || !Number.isInteger(record.sourceRef.index)) return 'record has no valid sourceRef';
  return undefined;
}

/** Largest pending item the outbox writes: the item limit less the headroom for later updates. */
export const MAX_PENDING_ITEM_BYTES = MAX_ITEM_BYTES - ITEM_HEADROOM_BYTES;

/** Decompression cap when reading a stored value back (far above any record the edge accepts). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/**
 * The item to write for a record, or why it can never be stored. A value that would take the item
 * past DynamoDB's limit is stored gzipped (JSON events shrink 3-10×), so critical records up to
 * MAX_RECORD_BYTES fit unless they do not compress; those are refused for good, with the limit.
 */
export function encodeForStore(
  record: ForwardRecord,
  opts: { now: number; dueAt: number; shards?: number },
): { item: Item } | { refused: string } {
  const plain = encodePending(record, opts);
  if (itemSizeBytes(plain) <= MAX_PENDING_ITEM_BYTES) return { item: plain };
  const compressed: Item = { ...plain, value: { B: gzipSync(record.value, { level: 6 }) }, valueEncoding: { S: 'gzip' } };
  const size = itemSizeBytes(compressed);
  if (size <= MAX_PENDING_ITEM_BYTES) return { item: compressed };
  return {
    refused:
      `record too large for the outbox: ${record.value.length} bytes, ${size} bytes as a gzipped item; ` +
      `DynamoDB items hold at most ${MAX_ITEM_BYTES} bytes and the outbox keeps ${ITEM_HEADROOM_BYTES} for bookkeeping, ` +
      `so a critical record must fit in about ${MAX_PENDING_ITEM_BYTES - 1024} bytes after compression`,
  };
}

export function encodePending(record: ForwardRecord, opts: { now: number; dueAt: number; shards?: number }): Item {
  const item: Item = {
    id: { S: record.id },
    state: { S: 'pending' },
    shard: { S: shardOf(record.id, opts.shards) },
    dueAt: num(opts.dueAt),
    attempts: num(0),
    createdAt: num(opts.now),
    tier: { S: record.tier },
    topic: { S: record.topic },
    value: { B: record.value },
    // A JSON string rather than a map: headers are never filtered on, a string round-trips any
    // header name exactly (map keys cannot be empty) and its size is plain to account for.
    headers: { S: JSON.stringify(record.headers) },
    ts: num(record.timestamp),
    source: { S: record.sourceRef.source },
    sourceIndex: num(record.sourceRef.index),
  };
  if (record.key !== null) item.key = { S: record.key };
  if (record.sourceRef.itemId !== undefined) item.sourceItemId = { S: record.sourceRef.itemId };
  return item;
}

/**
 * What replaces a delivered entry: enough to keep re-ingest of the id idempotent until the TTL,
 * and where the broker acknowledged it, so `outbox verify` can check the topic holds it there.
 */
export function encodeTombstone(delivery: Delivery, opts: { now: number; ttlSeconds: number }): Item {
  return {
    id: { S: delivery.id },
    state: { S: 'delivered' },
    deliveredAt: num(opts.now),
    [OUTBOX_TTL_ATTRIBUTE]: num(Math.floor(opts.now / 1000) + opts.ttlSeconds),
    topic: { S: delivery.topic },
    partition: num(delivery.partition),
    offset: num(delivery.offset),
  };
}

/** A tombstone as listDelivered returns it; the location is absent on tombstones written without one. */
export function decodeDelivered(item: StoredItem): DeliveredEntry {
  const id = item.id?.S;
  const deliveredAt = Number(item.deliveredAt?.N);
  if (id === undefined || !Number.isFinite(deliveredAt)) throw new OutboxError(`tombstone ${id ?? '(no id)'} has no id or deliveredAt`, false);
  const entry: DeliveredEntry = { id, deliveredAt };
  const [topic, partition, offset] = [item.topic?.S, Number(item.partition?.N), Number(item.offset?.N)];
  if (topic !== undefined && Number.isInteger(partition) && Number.isInteger(offset)) Object.assign(entry, { topic, partition, offset });
  return entry;
}

/** Decodes a pending or dead entry; throws OutboxError (not retriable) naming the id and the problem. */
export function decodeEntry(item: StoredItem): OutboxEntry {
  const id = item.id?.S ?? '(no id)';
  const fail = (what: string): never => {
    throw new OutboxError(`outbox item ${id} cannot be decoded: ${what}`, false);
  };
  const str = (name: string): string => item[name]?.S ?? fail(`missing string attribute '${name}'`);
  const int = (name: string): number => {
    const raw = item[name]?.N ?? fail(`missing number attribute '${name}'`);
    const n = Number(raw);
    return Number.isFinite(n) ? n : fail(`attribute '${name}' is not a number`);
  };

  const state = str('state');
  if (state !== 'pending' && state !== 'dead') fail(`state is '${state}'`);
  const tier = str('tier');
  if (!isTier(tier)) return fail(`unknown tier '${tier}'`);
  const stored = item.value?.B ?? fail("missing binary attribute 'value'");
  const encoding = item.valueEncoding?.S;
  if (encoding !== undefined && encoding !== 'gzip') fail(`unknown value encoding '${encoding}'`);
  let value = stored;
  if (encoding === 'gzip') {
    try {
      value = gunzipSync(stored, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch {
      fail("attribute 'value' is not valid gzip");
    }
  }
  let headers: unknown;
  try {
    headers = JSON.parse(str('headers'));
  } catch {
    fail("attribute 'headers' is not JSON");
  }
  if (!isStringMap(headers)) return fail("attribute 'headers' is not an object of strings");

  const itemId = item.sourceItemId?.S;
  const entry: OutboxEntry = {
    record: {
      id: str('id'),
      tier,
      topic: str('topic'),
      key: item.key?.S ?? null,
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      headers,
      timestamp: int('ts'),
      sourceRef: {
        source: str('source') as SourceName,
        index: int('sourceIndex'),
        ...(itemId !== undefined ? { itemId } : {}),
      },
    },
    createdAt: int('createdAt'),
    dueAt: int('dueAt'),
    attempts: int('attempts'),
    state: state as OutboxEntry['state'],
  };
  const lastError = item.lastError?.S;
  if (lastError !== undefined) entry.lastError = lastError;
  return entry;
}

/**
 * Size of an item as DynamoDB counts it: attribute names + values (strings and binaries by
 * byte length, numbers about one byte per two significant digits plus one).
 */
export function itemSizeBytes(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, 'utf8');
    if ('S' in value) size += Buffer.byteLength(value.S, 'utf8');
    else if ('B' in value) size += value.B.byteLength;
    else size += Math.ceil(value.N.replace(/^-/, '').replace(/\./, '').length / 2) + 1;
  }
  return size;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number = MAX_ERROR_BYTES): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '…';
  let end = maxBytes - Buffer.byteLength(marker, 'utf8');
  const buf = Buffer.from(text, 'utf8');
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // back off to a character boundary
  return buf.subarray(0, end).toString('utf8') + marker;
}

function num(n: number): { N: string } {
  return { N: String(n) };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
