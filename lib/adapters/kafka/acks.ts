import type { WireBatch, WireMessage } from './messages';
import type { RecordAck } from '../../domain/kafka';

/** One partition's answer in a produce response, as kafkajs returns it. */
export interface PartitionResponse {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset?: string;
}

export class MissingAck extends Error {
  override name = 'MissingAck';
}

/**
 * The broker's answer, record by record: the partition batch holding a record was written at
 * `baseOffset`, and records keep their order within it, so the n-th record sent to a partition
 * sits at baseOffset + n. A partition the response does not acknowledge with an offset fails the
 * whole call: nothing in it may be tombstoned.
 */
export function recordAcks(
  sent: readonly WireBatch[],
  responses: readonly PartitionResponse[],
  partitionOf: (message: WireMessage) => number | undefined,
): RecordAck[] {
  const base = new Map<string, number>();
  for (const r of responses) {
    const offset = Number(r.baseOffset);
    if (r.errorCode === 0 && Number.isSafeInteger(offset) && offset >= 0) base.set(`${r.topicName}\0${r.partition}`, offset);
  }
  const next = new Map<string, number>();
  const acks: RecordAck[] = [];
  for (const { topic, messages } of sent) {
    for (const message of messages) {
      const partition = partitionOf(message);
      if (partition === undefined) throw new MissingAck(`no partition recorded for a record sent to ${topic}`);
      const key = `${topic}\0${partition}`;
      const start = base.get(key);
      if (start === undefined) throw new MissingAck(`the broker did not acknowledge ${topic}/${partition} with an offset`);
      const n = next.get(key) ?? 0;
      next.set(key, n + 1);
      acks.push({ topic, partition, offset: start + n });
    }
  }
  return acks;
}

/**
 * A partitioner that gives a record the same partition on every attempt. kafkajs spreads keyless
 * records round-robin over the partitions that have a leader *now*, and on a retry it re-partitions
 * every record but resends only to the brokers that failed: a keyless record moved onto a broker
 * that had already answered is never sent, and the call still succeeds. Keyed records keep
 * kafkajs's murmur2 choice (`keyed`); keyless ones hash their event id over all partitions.
 */
export function stablePartitioner(
  keyed: (args: { topic: string; partitionMetadata: readonly unknown[]; message: WireMessage }) => number,
  eventIdHeader: string,
  record: (message: WireMessage, partition: number) => void,
) {
  return (args: { topic: string; partitionMetadata: readonly unknown[]; message: WireMessage }): number => {
    const { message, partitionMetadata } = args;
    const partition =
      message.key !== null && message.key !== undefined ? keyed(args) : fnv1a(message.headers[eventIdHeader] ?? '') % partitionMetadata.length;
    record(message, partition);
    return partition;
  };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
