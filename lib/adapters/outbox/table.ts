/**
 * THE outbox table definition. Its shape lives in ./table.json, which serverless.yml reads too
 * (`${file(lib/adapters/outbox/table.json):KeySchema}` ...), so DynamoDB Local in tests and the deployed
 * table cannot drift apart (test/deploy/outbox-table.test.ts compares them). This module gives it
 * the DynamoDB CreateTable input shape; field names are also those of the AWS::DynamoDB::Table
 * CloudFormation properties (TTL is a separate API call / CFN property: see
 * outboxTimeToLiveSpecification). No SDK import here.
 *
 * Item shapes (the codec in lib/adapters/outbox/codec.ts writes exactly these):
 *   pending:   id, state='pending', shard='p00'..'p07', dueAt, attempts, createdAt, record fields
 *   dead:      id, state='dead', deadShard='dead', deadAt, lastError, record fields (no shard)
 *   delivered: id, state='delivered', deliveredAt, expiresAt (a tombstone: no payload, no shard)
 * Both indexes are sparse: an item is in an index only while it carries that index's hash key.
 */
import table from './table.json';

/** Partition key: the event id. */
export const OUTBOX_KEY = 'id';

/** Pending entries are spread over this many index partitions (p00..p07) so the relay never scans. */
export const SHARDS = 8;

/** GSI (shard, dueAt): the relay's "what is due now" query, one query per shard. */
export const PENDING_INDEX = 'pending-by-due';

/** GSI (deadShard, deadAt): dead entries for alarms, listing and replay. */
export const DEAD_INDEX = 'dead-by-time';

/** The single hash key value of the dead index (dead entries are expected to be few). */
export const DEAD_SHARD = 'dead';

/** TTL attribute, epoch SECONDS, set only on delivered tombstones. */
export const OUTBOX_TTL_ATTRIBUTE = 'expiresAt';

type KeySchema = { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
type Projection = { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };

/** The JSON as typed data (the literal unions are checked by test/deploy/outbox-table.test.ts). */
const shape = table as unknown as Omit<OutboxTableDefinition, 'TableName'> & {
  TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
};

/**
 * Same field names for the UpdateTimeToLive API (TimeToLiveSpecification) and for the
 * CloudFormation table property of the same name.
 */
export const outboxTimeToLiveSpecification: Readonly<{ AttributeName: string; Enabled: boolean }> = Object.freeze({
  ...shape.TimeToLiveSpecification,
});

export interface OutboxTableDefinition {
  TableName: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  KeySchema: KeySchema;
  GlobalSecondaryIndexes: { IndexName: string; KeySchema: KeySchema; Projection: Projection }[];
  BillingMode: 'PAY_PER_REQUEST';
}

/**
 * CreateTable input for the outbox (a fresh deep copy on every call). The indexes, from the JSON:
 *  - PENDING_INDEX (shard, dueAt), projection INCLUDE createdAt. Not ALL: with ALL every put and
 *    every claim would copy the payload (up to ~400 KB) into the index, doubling write cost and
 *    storage on the hot path. The relay only needs ids from this index (the claiming UpdateItem
 *    returns the full item), and stats needs createdAt for the age of the oldest pending entry.
 *  - DEAD_INDEX (deadShard, deadAt), projection ALL: dead entries are rare and operators list them
 *    with their payload and last error.
 */
export function outboxTableDefinition(tableName: string): OutboxTableDefinition {
  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  return {
    TableName: tableName,
    AttributeDefinitions: copy(shape.AttributeDefinitions),
    KeySchema: copy(shape.KeySchema),
    GlobalSecondaryIndexes: copy(shape.GlobalSecondaryIndexes),
    BillingMode: shape.BillingMode,
  };
}
