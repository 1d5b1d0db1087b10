/**
 * The DynamoDB outbox. Item layout and indexes: ./table; item ⇄ record conversion: ./codec.
 * One file a part of the OutboxStore port: ./put (persisting), ./tombstones (delivered entries),
 * ./leases (the relay's claims and failures), ./dead-letters, ./stats; what they share: ./table-access.
 */
import type { OutboxStore } from '../../outbox/store';
import { createDynamoClient, type DynamoConnection } from '../aws/dynamodb';
import { shardName } from './codec';
import { outboxDeadLetters } from './dead-letters';
import { outboxLeases } from './leases';
import { outboxPut } from './put';
import { outboxStats } from './stats';
import { SHARDS } from './table';
import type { OutboxTableAccess } from './table-access';
import { outboxTombstones } from './tombstones';

export interface DynamoOutboxOptions extends DynamoConnection {
  tableName: string;
  /** Index partitions of pending entries; every writer and relay of a table must agree. */
  shards?: number;
  /** How long a delivered id stays idempotent (tombstone TTL). Default one day. */
  tombstoneTtlSeconds?: number;
  /** Parallel requests per call (put, claims, replays). Default 25. */
  concurrency?: number;
}

export interface DynamoOutboxStore extends OutboxStore {
  readonly tableName: string;
  /** Releases the client's sockets if this store created the client. */
  close(): void;
}
const DEFAULT_TTL_SECONDS = 86_400;
const DEFAULT_CONCURRENCY = 25;

export function createDynamoOutboxStore(opts: DynamoOutboxOptions): DynamoOutboxStore {
  const client = opts.client ?? createDynamoClient(opts);
  const shards = opts.shards ?? SHARDS;
  const table: OutboxTableAccess = {
    client,
    tableName: opts.tableName,
    shards,
    shardNames: Array.from({ length: shards }, (_, i) => shardName(i)),
    tombstoneTtlSeconds: opts.tombstoneTtlSeconds ?? DEFAULT_TTL_SECONDS,
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
  };

  return {
    tableName: table.tableName,
    ...outboxPut(table),
    ...outboxTombstones(table),
    ...outboxLeases(table),
    ...outboxStats(table),
    ...outboxDeadLetters(table),
    close() {
      if (!opts.client) client.destroy();
    },
  };
}
