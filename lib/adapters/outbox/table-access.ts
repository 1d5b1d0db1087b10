/**
 * What the parts of the DynamoDB outbox store share: the client with the options resolved once,
 * and the requests more than one part sends (conditional updates, paged queries).
 */
import {
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { num } from '../aws/dynamodb';

export interface OutboxTableAccess {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Index partitions of pending entries; every writer and relay of a table must agree. */
  readonly shards: number;
  /** The pending index's partition keys, one a shard. */
  readonly shardNames: readonly string[];
  /** How long a delivered id stays idempotent (tombstone TTL). */
  readonly tombstoneTtlSeconds: number;
  /** Parallel requests per call (put, claims, replays). */
  readonly concurrency: number;
}

/** An UpdateExpression with the names and values it uses. */
export interface Change {
  expression: string;
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

/**
 * Applies `change` to entry `id` only while it is in `state` and, when given, still has
 * `attempts` (the lease token); otherwise rejects with ConditionalCheckFailedException.
 */
export async function updateEntryIf(
  table: OutboxTableAccess,
  id: string,
  change: Change,
  state: 'pending' | 'dead',
  attempts: number | undefined,
): Promise<void> {
  const names: Record<string, string> = { ...change.names, '#state': 'state' };
  const values: Record<string, AttributeValue> = { ...change.values, ':expectedState': { S: state } };
  let condition = '#state = :expectedState';
  if (attempts !== undefined) {
    condition += ' AND #attempts = :expectedAttempts';
    names['#attempts'] = 'attempts';
    values[':expectedAttempts'] = num(attempts);
  }
  await table.client.send(
    new UpdateItemCommand({
      TableName: table.tableName,
      Key: { id: { S: id } },
      UpdateExpression: change.expression,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

export async function query(table: OutboxTableAccess, input: QueryCommandInput) {
  return table.client.send(new QueryCommand(input));
}

/** Runs a query to its last page, handing each page to `onPage`. */
export async function queryAll(
  table: OutboxTableAccess,
  input: QueryCommandInput,
  onPage: (items: Record<string, AttributeValue>[], count: number) => void,
): Promise<void> {
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const res = await query(table, { ...input, ExclusiveStartKey });
    onPage(res.Items ?? [], res.Count ?? 0);
    ExclusiveStartKey = res.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
