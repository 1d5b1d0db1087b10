import type { RecordKind, Tier } from './tiers';

export type SourceName = 'http' | 'cloudwatch-logs' | 'sqs' | 'kinesis';

/** Where a record came from, so a status can be mapped back to the caller's item. */
export interface SourceRef {
  source: SourceName;
  /** Position in the caller's batch (HTTP body record index, CloudWatch log event index, ...). */
  index: number;
  /** Source-native item id where one exists (SQS messageId, Kinesis sequence number, CWL event id). */
  itemId?: string;
}

/** A record decoded from a source envelope, not yet routed. */
export interface DecodedRecord {
  kind: RecordKind;
  /** Event type for events (`kill`, `purchase`, ...), log level or stream for logs; used by routing rules. */
  type?: string;
  /**
   * Stable event id: the sender's (client retries reuse it), else one the decoder derived from the
   * source's identity of the item (SQS messageId, Kinesis sequence number, CloudWatch Logs event
   * id; lib/domain/ids.ts stableEventId) so a redelivery keeps it. Absent only for HTTP records
   * sent without one: the router then assigns a fresh uuidv7.
   */
  id?: string;
  /** Explicit partition key from the sender. */
  key?: string;
  /** Explicit tier requested by the sender; honoured only if the route allows it. */
  tier?: Tier;
  /** The record's payload exactly as it will be written to Kafka. */
  value: Buffer;
  /** Epoch milliseconds. */
  timestamp: number;
  sourceRef: SourceRef;
}

/** A routed record: the only shape that crosses from the router into the sinks. */
export interface ForwardRecord {
  id: string;
  tier: Tier;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
  sourceRef: SourceRef;
}

/**
 * Per-record outcome, the currency flowing back to the adapter.
 * - forwarded: handed to the broker (acks=0) or acknowledged by it (acks=all)
 * - dropped:   best-effort record not delivered (broker down, budget exhausted); never retried
 * - rejected:  bad input or not allowed; retrying the same record will fail again
 * - persisted: critical record durably in the outbox; the relay will deliver it
 * - retry:     critical record NOT persisted; the caller must retry it
 */
export type RecordStatusKind = 'forwarded' | 'dropped' | 'rejected' | 'persisted' | 'retry';

export interface RecordStatus {
  index: number;
  status: RecordStatusKind;
  id?: string;
  tier?: Tier;
  topic?: string;
  reason?: string;
  /** Set on rejects the sender is not allowed to make (HTTP 403 class), e.g. a tier its tenant lacks. */
  code?: 'forbidden';
  itemId?: string;
}

/** A record that could not be decoded; carries its position and why. */
export interface RecordReject {
  index: number;
  reason: string;
  itemId?: string;
}

/** The result of decoding one source envelope: good records plus per-record rejects. */
export interface DecodeResult {
  records: DecodedRecord[];
  rejects: RecordReject[];
}

/** Header names carried by every forwarded record. */
export const HEADER = {
  eventId: 'ef-event-id',
  source: 'ef-source',
  tenant: 'ef-tenant',
  producer: 'ef-producer',
  sequence: 'ef-seq',
} as const;
