import { CreateTableCommand, DescribeTimeToLiveCommand, UpdateTimeToLiveCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import { OutboxError } from '../../platform/errors';
import { createDynamoClient, describeTable, dynamoError, errorName, isActive, sleep, type DynamoConnection } from '../aws/dynamodb';
import { outboxTableDefinition, outboxTimeToLiveSpecification } from './table';

/**
 * Creates the outbox table if it is missing (tolerating a concurrent creator), waits until it
 * and its indexes are ACTIVE, checks an existing table has the outbox's key and indexes, and
 * enables TTL on the tombstones. Idempotent; for tests and local runs (CloudFormation owns the
 * table in AWS).
 */
export async function ensureOutboxTable(
  opts: DynamoConnection & { tableName: string; timeoutMs?: number },
): Promise<{ created: boolean }> {
  const client = opts.client ?? createDynamoClient(opts);
  const definition = outboxTableDefinition(opts.tableName);
  const TableName = opts.tableName;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  try {
    let created = false;
    if (!(await describeTable(client, TableName))) {
      try {
        await client.send(new CreateTableCommand(definition));
        created = true;
      } catch (err) {
        if (errorName(err) !== 'ResourceInUseException') throw err;
      }
    }
    let table = await describeTable(client, TableName);
    while (!isActive(table)) {
      if (Date.now() > deadline) throw new OutboxError(`outbox table ${TableName} is not ACTIVE in time (status ${table?.TableStatus})`, true);
      await sleep(200);
      table = await describeTable(client, TableName);
    }
    const mismatch = shapeMismatch(table!, definition);
    if (mismatch) throw new OutboxError(`table ${TableName} exists but is not an outbox table: ${mismatch}`, false);

    const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
    const ttlOn = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
    if (ttlOn && ttl?.AttributeName !== outboxTimeToLiveSpecification.AttributeName) {
      throw new OutboxError(
        `table ${TableName} has TTL on '${ttl?.AttributeName}', the outbox needs '${outboxTimeToLiveSpecification.AttributeName}'`,
        false,
      );
    }
    if (!ttlOn) {
      await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { ...outboxTimeToLiveSpecification } }));
    }
    return { created };
  } catch (err) {
    throw err instanceof OutboxError ? err : dynamoError(`ensuring outbox table ${TableName}`, err);
  } finally {
    if (!opts.client) client.destroy();
  }
}

function shapeMismatch(table: TableDescription, definition: ReturnType<typeof outboxTableDefinition>): string | undefined {
  const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  if (keys(table.KeySchema) !== keys(definition.KeySchema)) return `key schema is ${keys(table.KeySchema)}, expected ${keys(definition.KeySchema)}`;
  for (const want of definition.GlobalSecondaryIndexes) {
    const have = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === want.IndexName);
    if (!have) return `index ${want.IndexName} is missing`;
    if (keys(have.KeySchema) !== keys(want.KeySchema)) return `index ${want.IndexName} has keys ${keys(have.KeySchema)}, expected ${keys(want.KeySchema)}`;
  }
  return undefined;
}
