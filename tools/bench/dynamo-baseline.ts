/**
 * Same-run baseline for the outbox figures: what DynamoDB Local itself sustains on this machine,
 * measured with the raw client and no outbox logic. The critical path costs one conditional
 * PutItem per event (+ a tombstone); the relay one conditional claim UpdateItem per entry (+ a
 * tombstone), so these rates bound what the outbox can reach here.
 */
import { PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PENDING_INDEX, SHARDS } from '../../lib/adapters/outbox/table';
import { encodePending, shardName } from '../../lib/adapters/outbox/codec';
import { createDynamoClient } from '../../lib/adapters/aws/dynamodb';
import { criticalRecord, dropTable, seedPending } from './seed';
import { nowMs, percentile, prng, progress, round } from './stats';

export interface DynamoBaseline {
  /** BatchWriteItem of encodePending items (25 per call, 16 calls in flight). */
  batchWriteItemsPerSec: number;
  /** Conditional PutItem (attribute_not_exists, as store.put), one at a time: latency. */
  putItemP50Ms: number;
  /** Conditional PutItem, 25 in flight (store.put's default concurrency). */
  putItemsPerSec: number;
  /** The relay's claim (conditional UpdateItem moving dueAt, ReturnValues ALL_NEW), 25 in flight. */
  claimUpdatesPerSec: number;
  ops: number;
}

async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

export async function runDynamoBaseline(opts: { endpoint: string; tableName: string; topic: string; quick: boolean }): Promise<DynamoBaseline> {
  const ops = opts.quick ? 500 : 1_500;
  const seeded = await seedPending({ endpoint: opts.endpoint, tableName: opts.tableName, topic: opts.topic, count: ops });
  const client = createDynamoClient({ endpoint: opts.endpoint });
  const TableName = opts.tableName;
  try {
    const rnd = prng(99);
    const put = (i: number) => {
      const item = encodePending(criticalRecord(i, opts.topic, rnd, Date.now()), { now: Date.now(), dueAt: Date.now() + 60_000 });
      return client.send(new PutItemCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': 'id' } }));
    };
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = nowMs();
      await put(i);
      latencies.push(nowMs() - t0);
    }
    let t0 = nowMs();
    await parallel(ops, 25, async (i) => void (await put(1_000_000 + i)));
    const putItemsPerSec = ops / ((nowMs() - t0) / 1000);

    // The seeded entries are due: claim each once, exactly as the store's claimOne does.
    const ids: string[] = [];
    for (let s = 0; s < SHARDS; s++) {
      let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        const res = await client.send(
          new QueryCommand({
            TableName, IndexName: PENDING_INDEX, KeyConditionExpression: '#shard = :shard AND #dueAt <= :now',
            ExpressionAttributeNames: { '#shard': 'shard', '#dueAt': 'dueAt', '#id': 'id' },
            ExpressionAttributeValues: { ':shard': { S: shardName(s) }, ':now': { N: String(Date.now()) } },
            ProjectionExpression: '#id', ExclusiveStartKey,
          }),
        );
        for (const item of res.Items ?? []) if (item.id?.S) ids.push(item.id.S);
        ExclusiveStartKey = res.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }
    const now = Date.now();
    t0 = nowMs();
    await parallel(ids.length, 25, async (i) => {
      await client.send(
        new UpdateItemCommand({
          TableName, Key: { id: { S: ids[i]! } },
          UpdateExpression: 'SET #dueAt = :leaseEnd, #attempts = #attempts + :one',
          ConditionExpression: '#state = :pending AND #dueAt <= :now',
          ExpressionAttributeNames: { '#dueAt': 'dueAt', '#attempts': 'attempts', '#state': 'state' },
          ExpressionAttributeValues: { ':leaseEnd': { N: String(now + 60_000) }, ':one': { N: '1' }, ':pending': { S: 'pending' }, ':now': { N: String(now) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
    });
    const claimUpdatesPerSec = ids.length / ((nowMs() - t0) / 1000);
    const result: DynamoBaseline = {
      batchWriteItemsPerSec: round(ops / seeded.seconds),
      putItemP50Ms: round(percentile(latencies, 50), 2),
      putItemsPerSec: round(putItemsPerSec),
      claimUpdatesPerSec: round(claimUpdatesPerSec),
      ops,
    };
    progress(
      `  DynamoDB Local raw: PutItem p50 ${result.putItemP50Ms} ms, ${result.putItemsPerSec}/s at 25 in flight; ` +
        `claim UpdateItem ${result.claimUpdatesPerSec}/s; BatchWriteItem ${result.batchWriteItemsPerSec} items/s`,
    );
    return result;
  } finally {
    client.destroy();
    await dropTable(opts.endpoint, opts.tableName).catch(() => undefined);
  }
}
