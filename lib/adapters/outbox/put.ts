/** Persisting records: one conditional PutItem per event id, bounded by the caller's deadline. */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ForwardRecord } from '../../domain/record';
import { forEachLimit } from '../../platform/concurrency';
import { DeadlineExceeded, withDeadline } from '../../platform/deadline';
import type { OutboxStore, PutOutcome } from '../../outbox/store';
import { describeError, errorName } from '../aws/dynamodb';
import { encodeForStore, recordProblem } from './codec';
import type { OutboxTableAccess } from './table-access';

export function outboxPut(table: OutboxTableAccess): Pick<OutboxStore, 'put'> {
  const { client, tableName: TableName, shards, concurrency } = table;

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

  return { put };
}
