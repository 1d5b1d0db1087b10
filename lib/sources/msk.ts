/**
 * Decodes the event Lambda's MSK (and self-managed Kafka) event source mapping delivers (pure):
 *
 *   { eventSource: "aws:kafka", eventSourceArn, bootstrapServers,
 *     records: { "<topic>-<partition>": [ { topic, partition, offset, timestamp, timestampType,
 *                                           key: base64, value: base64,
 *                                           headers: [ { "<name>": [byte, byte, ...] } ] } ] } }
 *
 * key and value may be absent (null key, tombstone). Header values are arrays of byte values;
 * Lambda's poller serialises Java's signed bytes, so values in -128..-1 are accepted as well.
 * A record that cannot be decoded is returned as a reject with its position, never thrown.
 */
import type { ConsumedRecord } from '../consume/types';

export interface MskRecord extends ConsumedRecord {
  /** The `records` map key the record came under ("<topic>-<partition>"): batchItemFailures name it. */
  partitionKey: string;
}

export interface MskReject {
  partitionKey: string;
  index: number;
  offset?: number;
  reason: string;
}

export interface MskDecodeResult {
  records: MskRecord[];
  rejects: MskReject[];
}

/** Lambda's partial batch response for Kafka sources: it resumes each named partition at that offset. */
export interface KafkaItemIdentifier {
  partition: string;
  offset: number;
}
export interface KafkaBatchResponse {
  batchItemFailures: { itemIdentifier: KafkaItemIdentifier }[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** MSK, and self-managed Kafka (documented and typed under both spellings). */
const EVENT_SOURCES = new Set(['aws:kafka', 'SelfManagedKafka', 'aws:SelfManagedKafka']);

export function isMskEvent(event: unknown): boolean {
  const e = event as { eventSource?: unknown; records?: unknown } | null;
  return (
    typeof e === 'object' && e !== null && typeof e.eventSource === 'string' && EVENT_SOURCES.has(e.eventSource) &&
    typeof e.records === 'object' && e.records !== null
  );
}

/** Throws only when the envelope itself is not an MSK event (nothing in it can be attributed). */
export function decodeMskEvent(event: unknown): MskDecodeResult {
  if (!isMskEvent(event)) throw new TypeError('not an MSK / Kafka event: expected eventSource "aws:kafka" and a records map');
  const records: MskRecord[] = [];
  const rejects: MskReject[] = [];
  for (const [partitionKey, list] of Object.entries((event as { records: Record<string, unknown> }).records)) {
    if (!Array.isArray(list)) {
      rejects.push({ partitionKey, index: -1, reason: `records["${partitionKey}"] is not an array` });
      continue;
    }
    list.forEach((raw: unknown, index) => {
      try {
        records.push(decodeRecord(partitionKey, raw));
      } catch (err) {
        const offset = (raw as { offset?: unknown } | null)?.offset;
        rejects.push({
          partitionKey,
          index,
          ...(typeof offset === 'number' && { offset }),
          reason: `${partitionKey}[${index}]: ${(err as Error).message}`,
        });
      }
    });
  }
  return { records, rejects };
}

function decodeRecord(partitionKey: string, raw: unknown): MskRecord {
  if (typeof raw !== 'object' || raw === null) throw new Error('record is not an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.topic !== 'string' || !r.topic) throw new Error('topic missing');
  const partition = integer(r.partition, 'partition');
  const offset = integer(r.offset, 'offset');
  const timestamp = integer(r.timestamp, 'timestamp');
  return {
    partitionKey,
    topic: r.topic,
    partition,
    offset,
    timestamp,
    key: bytes(r.key, 'key'),
    value: bytes(r.value, 'value'),
    headers: headers(r.headers),
  };
}

/** Numbers, or numeric strings (self-managed Kafka events have carried "partition": "0"). */
function integer(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`${what} is not a non-negative integer: ${JSON.stringify(v)}`);
  return n;
}

function bytes(v: unknown, what: string): Buffer | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) throw new Error(`${what} is not base64`);
  return Buffer.from(v, 'base64');
}

function headers(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) throw new Error('headers is not an array');
  const out: Record<string, string> = {};
  for (const entry of v) {
    if (typeof entry !== 'object' || entry === null) throw new Error('header entry is not an object');
    for (const [name, value] of Object.entries(entry as Record<string, unknown>)) {
      if (!Array.isArray(value) || !value.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) {
        throw new Error(`header "${name}" is not a byte array`);
      }
      out[name] = Buffer.from(value.map((b: number) => b & 0xff)).toString('utf8');
    }
  }
  return out;
}

/** The identifier Lambda expects for a failed Kafka record: its partition key and offset. */
export function itemIdentifier(r: Pick<MskRecord, 'partitionKey' | 'offset'>): KafkaItemIdentifier {
  return { partition: r.partitionKey, offset: r.offset };
}

/** "edge.realtime-3" → "edge.realtime" (topic names may contain '-' themselves). */
export function topicOfPartitionKey(partitionKey: string): string {
  const i = partitionKey.lastIndexOf('-');
  return i > 0 ? partitionKey.slice(0, i) : partitionKey;
}
