/**
 * The consumers' deduplication store (lib/consume/dedupe.ts) on DynamoDB.

 * Table: partition key `id` (S), TTL on `expiresAt` (epoch seconds); see dedupeTableDefinition.
 * Items: { id: "<scope>#<event id>", state: "busy" | "done", leaseUntil (ms, busy only), expiresAt }.
 */
import { CreateTableCommand, DeleteItemCommand, DescribeTimeToLiveCommand, PutItemCommand, UpdateTimeToLiveCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ClaimResult, DedupeStore } from '../../consume/dedupe';
import { OutboxError } from '../../platform/errors';
import { createDynamoClient, describeTable, dynamoError, errorName, isActive, num, sleep, type DynamoConnection } from '../aws/dynamodb';

export interface DynamoDedupeOptions extends DynamoConnection {
  tableName: string;
  /** Key prefix, so consumers with different purposes can share one table. */
  scope: string;
  /** How long a processed id is remembered (DynamoDB TTL deletes it later; expired items count as absent). */
  ttlSeconds: number;
}

export const DEDUPE_TTL_ATTRIBUTE = 'expiresAt';

export function dedupeTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}

export function createDynamoDedupeStore(opts: DynamoDedupeOptions): DedupeStore & { close(): void } {
  const client = opts.client ?? createDynamoClient(opts);
  const TableName = opts.tableName;
  const key = (id: string) => ({ id: { S: `${opts.scope}#${id}` } });
  const expiresAt = (now: number) => num(Math.floor(now / 1000) + opts.ttlSeconds);

  async function claim(id: string, { now, leaseMs }: { now: number; leaseMs: number }): Promise<ClaimResult> {
    try {
      await client.send(
        new PutItemCommand({
          TableName,
          Item: { ...key(id), state: { S: 'busy' }, leaseUntil: num(now + leaseMs), expiresAt: expiresAt(now) },
          // New, or expired (TTL deletes lazily, up to days later), or a lease nobody holds any more.
          ConditionExpression: 'attribute_not_exists(#id) OR #exp < :nowSec OR (#state = :busy AND #lease < :now)',
          ExpressionAttributeNames: { '#id': 'id', '#exp': DEDUPE_TTL_ATTRIBUTE, '#state': 'state', '#lease': 'leaseUntil' },
          ExpressionAttributeValues: { ':nowSec': num(Math.floor(now / 1000)), ':busy': { S: 'busy' }, ':now': num(now) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') throw dynamoError('claiming an event id', err);
      const old = (err as { Item?: Record<string, AttributeValue> }).Item;
      return old?.state?.S === 'done' ? 'done' : 'busy';
    }
  }

  async function complete(id: string, { now }: { now: number }): Promise<void> {
    try {
      // Unconditional: "done" is the final state whoever holds the lease by now.
      await client.send(new PutItemCommand({ TableName, Item: { ...key(id), state: { S: 'done' }, expiresAt: expiresAt(now) } }));
    } catch (err) {
      throw dynamoError('marking an event id done', err);
    }
  }

  async function release(id: string): Promise<void> {
    try {
      await client.send(
        new DeleteItemCommand({
          TableName,
          Key: key(id),
          ConditionExpression: '#state = :busy',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':busy': { S: 'busy' } },
        }),
      );
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') throw dynamoError('releasing an event id', err);
    }
  }

  return {
    claim,
    complete,
    release,
    close() {
      if (!opts.client) client.destroy();
    },
  };
}

/** Creates the dedupe table if missing, waits for ACTIVE and enables TTL. For tests and local runs. */
export async function ensureDedupeTable(opts: DynamoConnection & { tableName: string; timeoutMs?: number }): Promise<void> {
  const client = opts.client ?? createDynamoClient(opts);
  const TableName = opts.tableName;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    if (!(await describeTable(client, TableName))) {
      await client.send(new CreateTableCommand(dedupeTableDefinition(TableName))).catch((err: unknown) => {
        if (errorName(err) !== 'ResourceInUseException') throw err;
      });
    }
    while (!isActive(await describeTable(client, TableName))) {
      if (Date.now() > deadline) throw new OutboxError(`dedupe table ${TableName} is not ACTIVE in time`, true);
      await sleep(200);
    }
    const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
    if (ttl?.TimeToLiveStatus !== 'ENABLED' && ttl?.TimeToLiveStatus !== 'ENABLING') {
      await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: DEDUPE_TTL_ATTRIBUTE, Enabled: true } }));
    }
  } catch (err) {
    throw err instanceof OutboxError ? err : dynamoError(`ensuring dedupe table ${TableName}`, err);
  } finally {
    if (!opts.client) client.destroy();
  }
}
