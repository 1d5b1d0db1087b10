import type { SQSBatchResponse } from 'aws-lambda';
import type { RecordStatus } from '../domain/record';

/**
 * Only records the outbox could not take are handed back for redelivery. Rejected records are
 * not: the same bytes would be rejected again (they are logged and counted instead), and
 * best-effort records are never retried.
 */
export function batchItemFailures(statuses: readonly RecordStatus[]): SQSBatchResponse {
  return {
    batchItemFailures: statuses
      .filter((s) => s.status === 'retry' && s.itemId !== undefined)
      .map((s) => ({ itemIdentifier: s.itemId! })),
  };
}
