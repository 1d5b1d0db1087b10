/**
 * Raw DynamoDB access for outbox tests: looking at items and indexes as stored, which the
 * OutboxStore interface deliberately does not expose. Product code goes through
 * lib/adapters/outbox/dynamo-store only.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../lib/adapters/aws/dynamodb';

/** A DynamoDB Local of the outbox tests' own: they kill it, so it must not be the shared one. */
export const OUTBOX_TEST_DYNAMODB = { name: 'outbox-test', port: 18120 } as const;

export function uniqueTableName(label: string): string {
  return `outbox-${label}-${randomBytes(4).toString('hex')}`;
}

export class RawTable {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  static forEndpoint(endpoint: string, tableName: string): RawTable {
    return new RawTable(createDynamoClient({ endpoint }), tableName);
  }

  async get(id: string): Promise<Record<string, AttributeValue> | undefined> {
    const res = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ConsistentRead: true }));
    return res.Item;
  }

  /** Writes an item as is, bypassing the codec (to plant corrupt entries). */
  async putRaw(item: Record<string, AttributeValue>): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
  }

  /** Every item of the table (or of one index), all pages. */
  async scan(indexName?: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ...(indexName ? { IndexName: indexName } : {}), ExclusiveStartKey }),
      );
      items.push(...(res.Items ?? []));
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async ids(indexName?: string): Promise<string[]> {
    return (await this.scan(indexName)).map((item) => item.id?.S ?? '?').sort();
  }

  async describe() {
    const table = (await this.client.send(new DescribeTableCommand({ TableName: this.tableName }))).Table;
    const ttl = (await this.client.send(new DescribeTimeToLiveCommand({ TableName: this.tableName }))).TimeToLiveDescription;
    return { table, ttl };
  }

  close(): void {
    this.client.destroy();
  }
}
