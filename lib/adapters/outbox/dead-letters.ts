/** Dead entries: how one is marked dead, listed and put back to pending. */
import type { AttributeValue, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { forEachLimit } from '../../platform/concurrency';
import type { OutboxEntry, OutboxStore } from '../../outbox/store';
import { dynamoError, errorName, num } from '../aws/dynamodb';
import { decodeEntry, shardOf, truncateUtf8 } from './codec';
import { DEAD_INDEX, DEAD_SHARD } from './table';
import { query, queryAll, updateEntryIf, type Change, type OutboxTableAccess } from './table-access';

/** Pending → dead: out of the pending index, into the dead one, with the reason kept. */
export function deadUpdate(now: number, reason: string): Change {
  return {
    expression: 'SET #state = :dead, #deadShard = :deadShard, #deadAt = :now, #lastError = :err REMOVE #shard',
    names: { '#state': 'state', '#deadShard': 'deadShard', '#deadAt': 'deadAt', '#lastError': 'lastError', '#shard': 'shard' },
    values: { ':dead': { S: 'dead' }, ':deadShard': { S: DEAD_SHARD }, ':now': num(now), ':err': { S: truncateUtf8(reason) } },
  };
}

/** The dead index's one partition, which holds every dead entry (fresh objects for each request). */
export function deadPartition(): Pick<QueryCommandInput, 'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  return {
    IndexName: DEAD_INDEX,
    KeyConditionExpression: '#deadShard = :dead',
    ExpressionAttributeNames: { '#deadShard': 'deadShard' },
    ExpressionAttributeValues: { ':dead': { S: DEAD_SHARD } },
  };
}

export function outboxDeadLetters(table: OutboxTableAccess): Pick<OutboxStore, 'listDead' | 'replayDead'> {
  const { tableName: TableName, shards, concurrency } = table;

  function deadQuery(limit?: number): QueryCommandInput {
    return {
      TableName,
      ...deadPartition(),
      ScanIndexForward: true, // longest dead first
      ...(limit !== undefined ? { Limit: limit } : {}),
    };
  }

  async function listDead({ limit }: { limit: number }): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    if (limit <= 0) return entries;
    try {
      let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        const res = await query(table, { ...deadQuery(limit - entries.length), ExclusiveStartKey });
        for (const item of res.Items ?? []) entries.push(decodeEntry(item));
        ExclusiveStartKey = res.LastEvaluatedKey;
      } while (ExclusiveStartKey && entries.length < limit);
    } catch (err) {
      throw dynamoError('listing dead outbox entries', err);
    }
    return entries;
  }

  async function replayDead({ now, ids }: { now: number; ids?: readonly string[] }): Promise<number> {
    try {
      const targets = ids ? [...new Set(ids)] : await allDeadIds();
      let replayed = 0;
      await forEachLimit(targets.length, concurrency, async (i) => {
        const id = targets[i]!;
        const change: Change = {
          expression: 'SET #state = :pending, #shard = :shard, #dueAt = :now, #attempts = :zero REMOVE #deadShard, #deadAt',
          names: { '#state': 'state', '#shard': 'shard', '#dueAt': 'dueAt', '#attempts': 'attempts', '#deadShard': 'deadShard', '#deadAt': 'deadAt' },
          values: { ':pending': { S: 'pending' }, ':shard': { S: shardOf(id, shards) }, ':now': num(now), ':zero': num(0) },
        };
        try {
          await updateEntryIf(table, id, change, 'dead', undefined);
          replayed++;
        } catch (err) {
          if (errorName(err) !== 'ConditionalCheckFailedException') throw err; // not dead (any more): nothing to replay
        }
      });
      return replayed;
    } catch (err) {
      throw dynamoError('replaying dead outbox entries', err);
    }
  }

  async function allDeadIds(): Promise<string[]> {
    const ids: string[] = [];
    await queryAll(table, { ...deadQuery(), ProjectionExpression: '#id', ExpressionAttributeNames: { '#deadShard': 'deadShard', '#id': 'id' } }, (items) => {
      for (const item of items) if (item.id?.S !== undefined) ids.push(item.id.S);
    });
    return ids;
  }

  return { listDead, replayDead };
}
