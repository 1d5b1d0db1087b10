/**
 * THE outbox table definition, in DynamoDB CreateTable input shape. Field names are also those of
 * the AWS::DynamoDB::Table CloudFormation properties, so serverless.yml can render the same object
 * (TTL is a separate API call / CFN property: see outboxTimeToLiveSpecification). No SDK import here.
 *
 * Item shapes (the codec in lib/outbox/codec.ts writes exactly these):
 *   pending:   id, state='pending', shard='p00'..'p07', dueAt, attempts, createdAt, record fields
 *   dead:      id, state='dead', deadShard='dead', deadAt, lastError, record fields (no shard)
 *   delivered: id, state='delivered', deliveredAt, expiresAt (a tombstone: no payload, no shard)
 * Both indexes are sparse: an item is in an index only while it carries that index's hash key.
 */

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

/**
 * Same field names for the UpdateTimeToLive API (TimeToLiveSpecification) and for the
 * CloudFormation table property of the same name.
 */
export const outboxTimeToLiveSpecification = Object.freeze({
  AttributeName: OUTBOX_TTL_ATTRIBUTE,
  Enabled: true,
});

export interface OutboxTableDefinition {
  TableName: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  GlobalSecondaryIndexes: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
  BillingMode: 'PAY_PER_REQUEST';
}

export function outboxTableDefinition(tableName: string): OutboxTableDefinition {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: OUTBOX_KEY, AttributeType: 'S' },
      { AttributeName: 'shard', AttributeType: 'S' },
      { AttributeName: 'dueAt', AttributeType: 'N' },
      { AttributeName: 'deadShard', AttributeType: 'S' },
      { AttributeName: 'deadAt', AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: OUTBOX_KEY, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: PENDING_INDEX,
        KeySchema: [
          { AttributeName: 'shard', KeyType: 'HASH' },
          { AttributeName: 'dueAt', KeyType: 'RANGE' },
        ],
        // Not ALL: with ALL every put and every claim would copy the payload (up to ~400 KB) into
        // the index, doubling write cost and storage on the hot path. The relay only needs ids
        // from this index (the claiming UpdateItem returns the full item), and stats needs
        // createdAt for the age of the oldest pending entry.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['createdAt'] },
      },
      {
        IndexName: DEAD_INDEX,
        KeySchema: [
          { AttributeName: 'deadShard', KeyType: 'HASH' },
          { AttributeName: 'deadAt', KeyType: 'RANGE' },
        ],
        // ALL: dead entries are rare and operators list them with their payload and last error.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}
