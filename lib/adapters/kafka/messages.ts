import { HEADER, type ForwardRecord } from '../../domain/record';
import type { TopicBatch } from '../../domain/kafka';

/** A message in the shape kafkajs takes, built without importing kafkajs. */
export interface WireMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: string;
}

export interface WireBatch {
  topic: string;
  messages: WireMessage[];
}

/**
 * Stamps every outgoing record with this producer instance's id and a sequence number that
 * counts per topic, so a consumer reading one topic can find gaps (acks=0 loss is invisible to
 * the producer; sequence gaps are how it becomes measurable).
 */
export class SequenceStamper {
  private readonly next = new Map<string, number>();
  constructor(readonly instanceId: string) {}

  toWire(batches: readonly TopicBatch[]): WireBatch[] {
    return batches.map(({ topic, records }) => {
      let seq = this.next.get(topic) ?? 0;
      const messages = records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: { ...r.headers, [HEADER.producer]: this.instanceId, [HEADER.sequence]: String(seq++) },
        timestamp: String(r.timestamp),
      }));
      this.next.set(topic, seq);
      return { topic, messages };
    });
  }
}

/** Bytes a record adds to a produce request, near enough to keep requests under the broker's limit. */
export function approxRecordBytes(r: ForwardRecord): number {
  let n = r.value.length + (r.key?.length ?? 0) + 80; // record framing + producer/seq headers
  for (const k in r.headers) n += k.length + r.headers[k]!.length + 2;
  return n;
}

/**
 * Splits batches into requests of at most `maxBytes` each. The broker refuses a record batch
 * larger than message.max.bytes (1 MB by default) as a whole, and under acks=0 nobody hears
 * about it: a 30,000-record send would vanish silently. Splitting keeps every request sendable.
 */
export function splitIntoRequests(batches: readonly TopicBatch[], maxBytes: number): TopicBatch[][] {
  const requests: TopicBatch[][] = [];
  let current: TopicBatch[] = [];
  let size = 0;
  for (const { topic, records } of batches) {
    let slice: ForwardRecord[] = [];
    for (const r of records) {
      const bytes = approxRecordBytes(r);
      if (size + bytes > maxBytes && size > 0) {
        if (slice.length) current.push({ topic, records: slice });
        requests.push(current);
        current = [];
        slice = [];
        size = 0;
      }
      slice.push(r);
      size += bytes;
    }
    if (slice.length) current.push({ topic, records: slice });
  }
  if (current.length) requests.push(current);
  return requests;
}
