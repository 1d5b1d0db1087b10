import type { KinesisStreamBatchResponse, SQSBatchResponse } from 'aws-lambda';
import type { RecordStatus } from '../domain/record';

/**
 * Only records the outbox could not take are handed back for redelivery (SQS: message ids;
 * Kinesis: sequence numbers, once each even when one Kinesis record held many lines). Rejected
 * records are not: the same bytes would be rejected again (they are logged and counted
 * instead), and best-effort records are never retried.
 */
export function batchItemFailures(statuses: readonly RecordStatus[]): SQSBatchResponse & KinesisStreamBatchResponse {
  const ids = new Set(statuses.filter((s) => s.status === 'retry' && s.itemId !== undefined).map((s) => s.itemId!));
  return { batchItemFailures: [...ids].map((itemIdentifier) => ({ itemIdentifier })) };
}
