/** Tombstones: written in place of delivered entries, read back by the audit. */
import {
  BatchWriteItemCommand,
  ScanCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { forEachLimit } from '../../platform/concurrency';
import { withDeadline } from '../../platform/deadline';
import { OutboxError } from '../../platform/errors';
import type { DeliveredEntry, Delivery, OutboxStore } from '../../outbox/store';
import { describeError, dynamoError, isRetriable, num, sleep } from '../aws/dynamodb';
import { decodeDelivered, encodeTombstone } from './codec';
import type { OutboxTableAccess } from './table-access';

const BATCH_WRITE_MAX = 25;
const BATCH_CALLS_IN_PARALLEL = 8;
const UNPROCESSED_RETRIES = 5;

export function outboxTombstones(table: OutboxTableAccess): Pick<OutboxStore, 'markDelivered' | 'listDelivered'> {
  const { client, tableName: TableName, tombstoneTtlSeconds: ttlSeconds } = table;

  async function markDelivered(deliveries: readonly Delivery[], { now, deadline }: { now: number; deadline?: number }): Promise<void> {
    // BatchWriteItem rejects a batch naming the same key twice.
    const unique = [...new Map(deliveries.map((d) => [d.id, d])).values()];
    const batches: Delivery[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_WRITE_MAX) batches.push(unique.slice(i, i + BATCH_WRITE_MAX));
    const work = forEachLimit(batches.length, BATCH_CALLS_IN_PARALLEL, (i) => writeTombstones(batches[i]!, now));
    await (deadline === undefined ? work : withDeadline(work, deadline, `marking ${unique.length} outbox entries delivered`));
  }

  async function writeTombstones(deliveries: Delivery[], now: number): Promise<void> {
    let requests: WriteRequest[] = deliveries.map((d) => ({ PutRequest: { Item: encodeTombstone(d, { now, ttlSeconds }) } }));
    for (let attempt = 1; ; attempt++) {
      let unprocessed: WriteRequest[];
      try {
        const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }));
        unprocessed = res.UnprocessedItems?.[TableName] ?? [];
      } catch (err) {
        throw new OutboxError(`marking ${deliveries.length} outbox entries delivered failed: ${describeError(err)}`, isRetriable(err), err);
      }
      if (unprocessed.length === 0) return;
      if (attempt > UNPROCESSED_RETRIES) {
        throw new OutboxError(
          `marking outbox entries delivered: ${unprocessed.length} of ${deliveries.length} still unprocessed after ${attempt} BatchWriteItem calls`,
          true,
        );
      }
      requests = unprocessed;
      await sleep(Math.random() * 50 * 2 ** attempt); // full jitter: 0-100 ms, 0-200 ms, ... 0-1.6 s
    }
  }

  /**
   * A parallel Scan: tombstones are short-lived (TTL) and read only by the audit, so an index
   * over them would cost a second write on every delivery to save reads once an hour.
   */
  async function listDelivered({ from, to }: { from: number; to: number }): Promise<DeliveredEntry[]> {
    const entries: DeliveredEntry[] = [];
    const segments = 4;
    try {
      await Promise.all(
        Array.from({ length: segments }, async (_, segment) => {
          let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
          do {
            const res = await client.send(
              new ScanCommand({
                TableName,
                Segment: segment,
                TotalSegments: segments,
                FilterExpression: '#state = :delivered AND #at >= :from AND #at < :to',
                ProjectionExpression: '#id, #at, #topic, #partition, #offset',
                ExpressionAttributeNames: { '#state': 'state', '#at': 'deliveredAt', '#id': 'id', '#topic': 'topic', '#partition': 'partition', '#offset': 'offset' },
                ExpressionAttributeValues: { ':delivered': { S: 'delivered' }, ':from': num(from), ':to': num(to) },
                ExclusiveStartKey,
              }),
            );
            for (const item of res.Items ?? []) entries.push(decodeDelivered(item));
            ExclusiveStartKey = res.LastEvaluatedKey;
          } while (ExclusiveStartKey);
        }),
      );
    } catch (err) {
      throw dynamoError('listing delivered outbox entries', err);
    }
    return entries.sort((a, b) => a.deliveredAt - b.deliveredAt);
  }

  return { markDelivered, listDelivered };
}
