import type { ForwardRecord } from './record';
import type { TopicSpec } from './tiers';

/** Records for one topic, sent together. */
export interface TopicBatch {
  topic: string;
  records: readonly ForwardRecord[];
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

/** Where the broker wrote one record: its partition and offset (acks=all sends only). */
export interface RecordAck {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * `acks` (reliable sends): one per record, in the order of the batches and their records; a
 * record is acknowledged only when the broker answered its partition batch with an offset. A
 * failed send may still carry the acks of the requests before the one that failed (a prefix).
 * `retriable` is false only for refusals of the records themselves (too large, invalid, not authorised).
 */
export type SendResult =
  | { ok: true; acks?: readonly RecordAck[] }
  | { ok: false; reason: string; retriable: boolean; acks?: readonly RecordAck[] };

export interface SendOptions {
  /** Epoch ms by which the call must have returned, whatever the broker does. */
  deadline: number;
  compressed: boolean;
}

/**
 * A producer as the sinks see it. `send` never throws: failures come back as values so the
 * sink can turn them into per-record statuses.
 */
export interface Producer {
  readonly instanceId: string;
  send(batches: readonly TopicBatch[], opts: SendOptions): Promise<SendResult>;
  disconnect(): Promise<void>;
}

export interface TopicAdmin {
  brokerCount(): Promise<number>;
  /** Creates missing topics and brings configs of existing ones in line; returns what it did per topic. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<{ topic: string; action: 'created' | 'updated' | 'unchanged' }[]>;
  disconnect(): Promise<void>;
}
