/** The backlog as the relay reports it: pending count, relay lag, dead count. */
import type { OutboxStats, OutboxStore } from '../../outbox/store';
import { dynamoError } from '../aws/dynamodb';
import { deadPartition } from './dead-letters';
import { PENDING_INDEX } from './table';
import { queryAll, type OutboxTableAccess } from './table-access';

export function outboxStats(table: OutboxTableAccess): Pick<OutboxStore, 'stats'> {
  const { tableName: TableName, shardNames } = table;

  async function stats({ now }: { now: number }): Promise<OutboxStats> {
    try {
      // One pass per shard gives both the count and the oldest createdAt: the index is ordered
      // by dueAt (which leases and backoff move), so no single item answers "oldest"; and a
      // COUNT query reads (and is billed for) every index entry anyway, so reading createdAt
      // along costs nothing extra and needs no second index.
      const perShard = await Promise.all(
        shardNames.map(async (shard) => {
          let count = 0;
          let oldest = Infinity;
          await queryAll(
            table,
            {
              TableName,
              IndexName: PENDING_INDEX,
              KeyConditionExpression: '#shard = :shard',
              ExpressionAttributeNames: { '#shard': 'shard', '#createdAt': 'createdAt' },
              ExpressionAttributeValues: { ':shard': { S: shard } },
              ProjectionExpression: '#createdAt',
            },
            (items) => {
              count += items.length;
              for (const item of items) oldest = Math.min(oldest, Number(item.createdAt?.N ?? Infinity));
            },
          );
          return { count, oldest };
        }),
      );
      let dead = 0;
      await queryAll(
        table,
        {
          TableName,
          ...deadPartition(),
          Select: 'COUNT',
        },
        (_, count) => {
          dead += count;
        },
      );
      const pending = perShard.reduce((n, s) => n + s.count, 0);
      const oldest = Math.min(...perShard.map((s) => s.oldest));
      return { pending, oldestPendingAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0, dead };
    } catch (err) {
      throw dynamoError('reading outbox stats', err);
    }
  }

  return { stats };
}
