/** The DynamoDB outbox. Item layout and indexes: ./table; item ⇄ record conversion: ./codec. */
import {
  BatchWriteItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  DEAD_INDEX,
  DEAD_SHARD,
  PENDING_INDEX,
  SHARDS,
} from './table';
import { OutboxError } from '../../platform/errors';
import type { ForwardRecord } from '../../domain/record';
import { DeadlineExceeded, withDeadline } from '../../platform/deadline';
import {
  decodeDelivered,
  decodeEntry,
  encodeForStore,
  encodeTombstone,
  recordProblem,
  shardName,
  shardOf,
  truncateUtf8,
} from './codec';
import type { DeliveredEntry, Delivery, OutboxEntry, OutboxStats, OutboxStore, PutOutcome } from '../../outbox/store';
import { createDynamoClient, describeError, dynamoError, errorName, isRetriable, num, sleep, type DynamoConnection } from '../aws/dynamodb';
import { forEachLimit } from '../../platform/concurrency';

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
const BATCH_WRITE_MAX = 25;
const BATCH_CALLS_IN_PARALLEL = 8;
const UNPROCESSED_RETRIES = 5;
export function createDynamoOutboxStore(opts: DynamoOutboxOptions): DynamoOutboxStore {
  const client = opts.client ?? createDynamoClient(opts);
  const TableName = opts.tableName;
  const shards = opts.shards ?? SHARDS;
  const ttlSeconds = opts.tombstoneTtlSeconds ?? DEFAULT_TTL_SECONDS;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const shardNames = Array.from({ length: shards }, (_, i) => shardName(i));

  async function put(
    records: readonly ForwardRecord[],
    { now, dueAt, deadline = Infinity }: { now: number; dueAt: number; deadline?: number },
  ): Promise<PutOutcome[]> {
    const outcomes: PutOutcome[] = new Array<PutOutcome>(records.length);
    // Set by the first failure that is not about the record itself (unreachable, timeout,
    // throttled after retries, table missing): records not yet started then fail at once
    // instead of each waiting out the same timeouts.
    let outage: string | undefined;

    async function putOne(record: ForwardRecord): Promise<PutOutcome> {
      const problem = recordProblem(record);
      if (problem) return { status: 'refused', reason: problem };
      const encoded = encodeForStore(record, { now, dueAt, shards });
      if ('refused' in encoded) return { status: 'refused', reason: encoded.refused };
      if (outage !== undefined) return { status: 'failed', reason: `not attempted, outbox unavailable: ${outage}` };
      if (Date.now() >= deadline) return { status: 'failed', reason: 'not persisted: the invocation budget ran out first' };
      const write = client.send(
        new PutItemCommand({
          TableName,
          Item: encoded.item,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
      try {
        await (Number.isFinite(deadline) ? withDeadline(write, deadline, 'persisting to the outbox') : write);
        return { status: 'created' };
      } catch (err) {
        // Unknown whether it landed; a retry of the same id is idempotent, so "not persisted" is safe to say.
        if (err instanceof DeadlineExceeded) return { status: 'failed', reason: `not persisted: ${err.message}` };
        if (errorName(err) === 'ConditionalCheckFailedException') return { status: 'exists' };
        const reason = describeError(err);
        if (errorName(err) !== 'ValidationException') outage ??= reason;
        return { status: 'failed', reason: `outbox write failed: ${reason}` };
      }
    }

    await forEachLimit(records.length, concurrency, async (i) => {
      // put never throws for one record: anything unforeseen fails that record only.
      outcomes[i] = await putOne(records[i]!).catch((err: unknown) => ({ status: 'failed', reason: `cannot store record: ${describeError(err)}` }));
    });
    return outcomes;
  }

  async function markDelivered(deliveries: readonly Delivery[], { now, deadline }: { now: number; deadline?: number }): Promise<void> {
    // BatchWriteItem rejects a batch naming the same key twice.
    const unique = [...new Map(deliveries.map((d) => [d.id, d])).values()];
    const batches: Delivery[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_WRITE_MAX) batches.push(unique.slice(i, i + BATCH_WRITE_MAX));
    const work = forEachLimit(batches.length, BATCH_CALLS_IN_PARALLEL, (i) => writeTombstones(batches[i]!, now));
    await (deadline === undefined ? work : withDeadline(work, deadline, `marking ${unique.length} outbox entries delivered`));
  }

  async function writeTombstones(deliveries: Delivery[], now: number): Promise<void> {
    let requests: WriteRequest[] = deliveries.map((d) => ({ PutRequest: { Item: encodeTombstone(d, { now, ttlSeconds }) } }));
    for (let attempt = 1; ; attempt++) {
      let unprocessed: WriteRequest[];
      try {
        const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }));
        unprocessed = res.UnprocessedItems?.[TableName] ?? [];
      } catch (err) {
        throw new OutboxError(`marking ${deliveries.length} outbox entries delivered failed: ${describeError(err)}`, isRetriable(err), err);
      }
      if (unprocessed.length === 0) return;
      if (attempt > UNPROCESSED_RETRIES) {
        throw new OutboxError(
          `marking outbox entries delivered: ${unprocessed.length} of ${deliveries.length} still unprocessed after ${attempt} BatchWriteItem calls`,
          true,
        );
      }
      requests = unprocessed;
      await sleep(Math.random() * 50 * 2 ** attempt); // full jitter: 0-100 ms, 0-200 ms, ... 0-1.6 s
    }
  }

  /**
   * A parallel Scan: tombstones are short-lived (TTL) and read only by the audit, so an index
   * over them would cost a second write on every delivery to save reads once an hour.
   */
  async function listDelivered({ from, to }: { from: number; to: number }): Promise<DeliveredEntry[]> {
    const entries: DeliveredEntry[] = [];
    const segments = 4;
    try {
      await Promise.all(
        Array.from({ length: segments }, async (_, segment) => {
          let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
          do {
            const res = await client.send(
              new ScanCommand({
                TableName,
                Segment: segment,
                TotalSegments: segments,
                FilterExpression: '#state = :delivered AND #at >= :from AND #at < :to',
                ProjectionExpression: '#id, #at, #topic, #partition, #offset',
                ExpressionAttributeNames: { '#state': 'state', '#at': 'deliveredAt', '#id': 'id', '#topic': 'topic', '#partition': 'partition', '#offset': 'offset' },
                ExpressionAttributeValues: { ':delivered': { S: 'delivered' }, ':from': num(from), ':to': num(to) },
                ExclusiveStartKey,
              }),
            );
            for (const item of res.Items ?? []) entries.push(decodeDelivered(item));
            ExclusiveStartKey = res.LastEvaluatedKey;
          } while (ExclusiveStartKey);
        }),
      );
    } catch (err) {
      throw dynamoError('listing delivered outbox entries', err);
    }
    return entries.sort((a, b) => a.deliveredAt - b.deliveredAt);
  }

  async function claimDue({ now, limit, leaseMs }: { now: number; limit: number; leaseMs: number }): Promise<OutboxEntry[]> {
    if (limit <= 0) return [];
    // Over-fetching `limit` ids per shard is cheap (the index holds only keys and createdAt) and
    // leaves enough candidates when another relay wins some of them.
    const perShard = await Promise.all(shardNames.map((shard) => dueIds(shard, now, limit))).catch((err: unknown) => {
      throw dynamoError('querying due outbox entries', err);
    });
    const candidates = interleave(perShard, Math.floor(Math.random() * shards));

    const claimed: OutboxEntry[] = [];
    let next = 0;
    let inFlight = 0;
    let failure: unknown;
    const worker = async () => {
      // Checked before every claim, so in-flight claims can never take the total past `limit`.
      while (failure === undefined && claimed.length + inFlight < limit && next < candidates.length) {
        const id = candidates[next++]!;
        inFlight++;
        try {
          const entry = await claimOne(id, now, leaseMs);
          if (entry) claimed.push(entry);
        } catch (err) {
          failure ??= err;
        } finally {
          inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, candidates.length) }, worker));
    if (failure !== undefined) {
      // Entries claimed so far stay leased and come back when the lease ends: delayed, not lost.
      throw new OutboxError(`claiming due outbox entries failed: ${describeError(failure)}`, isRetriable(failure), failure);
    }
    return claimed;
  }

  async function dueIds(shard: string, now: number, limit: number): Promise<string[]> {
    const res = await query({
      TableName,
      IndexName: PENDING_INDEX,
      KeyConditionExpression: '#shard = :shard AND #dueAt <= :now',
      ExpressionAttributeNames: { '#shard': 'shard', '#dueAt': 'dueAt', '#id': 'id' },
      ExpressionAttributeValues: { ':shard': { S: shard }, ':now': num(now) },
      ProjectionExpression: '#id',
      ScanIndexForward: true,
      Limit: limit,
    });
    return (res.Items ?? []).flatMap((item) => (item.id?.S !== undefined ? [item.id.S] : []));
  }

  /** The conditional lease: undefined when another relay (or a delivery) got there first. */
  async function claimOne(id: string, now: number, leaseMs: number): Promise<OutboxEntry | undefined> {
    let attributes: Record<string, AttributeValue> | undefined;
    try {
      const res = await client.send(
        new UpdateItemCommand({
          TableName,
          Key: { id: { S: id } },
          UpdateExpression: 'SET #dueAt = :leaseEnd, #attempts = #attempts + :one',
          ConditionExpression: '#state = :pending AND #dueAt <= :now',
          ExpressionAttributeNames: { '#dueAt': 'dueAt', '#attempts': 'attempts', '#state': 'state' },
          ExpressionAttributeValues: { ':leaseEnd': num(now + leaseMs), ':one': num(1), ':pending': { S: 'pending' }, ':now': num(now) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = res.Attributes;
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
    try {
      return decodeEntry(attributes ?? {});
    } catch (err) {
      // Only a hand-edited item gets here. Dead, it is counted, alarmed on and listed; left
      // pending it would be claimed and skipped forever.
      await update(id, deadUpdate(now, describeError(err)), 'pending', undefined).catch((e: unknown) => {
        if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
      });
      return undefined;
    }
  }

  async function recordFailure(
    entry: OutboxEntry,
    { now, reason, retryAt, dead }: { now: number; reason: string; retryAt: number; dead: boolean },
  ): Promise<void> {
    const change = dead
      ? deadUpdate(now, reason)
      : { expression: 'SET #dueAt = :retryAt, #lastError = :err', names: { '#dueAt': 'dueAt', '#lastError': 'lastError' }, values: { ':retryAt': num(retryAt), ':err': { S: truncateUtf8(reason) } } };
    try {
      // Also conditional on the attempt count: it works as a lease token, so a relay whose lease
      // ran out cannot overwrite the state set by the relay that claimed the entry after it.
      await update(entry.record.id, change, 'pending', entry.attempts);
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return; // delivered or re-claimed meanwhile
      throw new OutboxError(`recording an outbox delivery failure failed: ${describeError(err)}`, isRetriable(err), err);
    }
  }

  function deadUpdate(now: number, reason: string): Change {
    return {
      expression: 'SET #state = :dead, #deadShard = :deadShard, #deadAt = :now, #lastError = :err REMOVE #shard',
      names: { '#state': 'state', '#deadShard': 'deadShard', '#deadAt': 'deadAt', '#lastError': 'lastError', '#shard': 'shard' },
      values: { ':dead': { S: 'dead' }, ':deadShard': { S: DEAD_SHARD }, ':now': num(now), ':err': { S: truncateUtf8(reason) } },
    };
  }

  async function update(id: string, change: Change, state: 'pending' | 'dead', attempts: number | undefined): Promise<void> {
    const names: Record<string, string> = { ...change.names, '#state': 'state' };
    const values: Record<string, AttributeValue> = { ...change.values, ':expectedState': { S: state } };
    let condition = '#state = :expectedState';
    if (attempts !== undefined) {
      condition += ' AND #attempts = :expectedAttempts';
      names['#attempts'] = 'attempts';
      values[':expectedAttempts'] = num(attempts);
    }
    await client.send(
      new UpdateItemCommand({
        TableName,
        Key: { id: { S: id } },
        UpdateExpression: change.expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

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
        {
          TableName,
          IndexName: DEAD_INDEX,
          KeyConditionExpression: '#deadShard = :dead',
          ExpressionAttributeNames: { '#deadShard': 'deadShard' },
          ExpressionAttributeValues: { ':dead': { S: DEAD_SHARD } },
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

  function deadQuery(limit?: number): QueryCommandInput {
    return {
      TableName,
      IndexName: DEAD_INDEX,
      KeyConditionExpression: '#deadShard = :dead',
      ExpressionAttributeNames: { '#deadShard': 'deadShard' },
      ExpressionAttributeValues: { ':dead': { S: DEAD_SHARD } },
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
        const res = await query({ ...deadQuery(limit - entries.length), ExclusiveStartKey });
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
          await update(id, change, 'dead', undefined);
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
    await queryAll({ ...deadQuery(), ProjectionExpression: '#id', ExpressionAttributeNames: { '#deadShard': 'deadShard', '#id': 'id' } }, (items) => {
      for (const item of items) if (item.id?.S !== undefined) ids.push(item.id.S);
    });
    return ids;
  }

  async function query(input: QueryCommandInput) {
    return client.send(new QueryCommand(input));
  }

  async function queryAll(
    input: QueryCommandInput,
    onPage: (items: Record<string, AttributeValue>[], count: number) => void,
  ): Promise<void> {
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const res = await query({ ...input, ExclusiveStartKey });
      onPage(res.Items ?? [], res.Count ?? 0);
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  return {
    tableName: TableName,
    put,
    markDelivered,
    listDelivered,
    claimDue,
    recordFailure,
    stats,
    listDead,
    replayDead,
    close() {
      if (!opts.client) client.destroy();
    },
  };
}

interface Change {
  expression: string;
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

/** Round-robin over the per-shard lists (each oldest-due first), starting at `start`. */
function interleave<T>(lists: T[][], start: number): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let row = 0; row < longest; row++) {
    for (let k = 0; k < lists.length; k++) {
      const item = lists[(start + k) % lists.length]![row];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}
