/** The relay's side: claiming due entries under a lease, and recording a failed delivery. */
import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { OutboxError } from '../../platform/errors';
import type { OutboxEntry, OutboxStore } from '../../outbox/store';
import { describeError, dynamoError, errorName, isRetriable, num } from '../aws/dynamodb';
import { decodeEntry, truncateUtf8 } from './codec';
import { deadUpdate } from './dead-letters';
import { PENDING_INDEX } from './table';
import { query, updateEntryIf, type OutboxTableAccess } from './table-access';

export function outboxLeases(table: OutboxTableAccess): Pick<OutboxStore, 'claimDue' | 'recordFailure'> {
  const { client, tableName: TableName, shards, shardNames, concurrency } = table;

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
    const res = await query(table, {
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
      await updateEntryIf(table, id, deadUpdate(now, describeError(err)), 'pending', undefined).catch((e: unknown) => {
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
      await updateEntryIf(table, entry.record.id, change, 'pending', entry.attempts);
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') return; // delivered or re-claimed meanwhile
      throw new OutboxError(`recording an outbox delivery failure failed: ${describeError(err)}`, isRetriable(err), err);
    }
  }

  return { claimDue, recordFailure };
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
