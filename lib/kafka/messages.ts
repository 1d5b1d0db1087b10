import { HEADER } from '../record';
import type { TopicBatch } from './types';

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

/** Groups records by topic, keeping their order within each topic. */
export function groupByTopic<T extends { topic: string }>(records: readonly T[]): { topic: string; records: T[] }[] {
  const byTopic = new Map<string, T[]>();
  for (const r of records) {
    const list = byTopic.get(r.topic);
    if (list) list.push(r);
    else byTopic.set(r.topic, [r]);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, records: list }));
}
