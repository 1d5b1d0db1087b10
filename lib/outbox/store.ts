import type { ForwardRecord } from '../domain/record';

/**
 * The outbox as the critical path and the relay see it. The DynamoDB implementation is in
 * lib/adapters/outbox/dynamo-store.ts; tests may use small fakes.
 *
 * Life of an entry:
 *   put → pending (due at createdAt + grace) ─claim→ pending (due at now + lease, attempts+1)
 *       ─delivered→ tombstone (no payload, expires via TTL: keeps re-ingest idempotent)
 *       ─failure→ pending (due after backoff) … after maxAttempts → dead (kept until replayed)
 */
export interface OutboxEntry {
  record: ForwardRecord;
  createdAt: number;
  /** When the relay may (re)send it: creation + grace, or the end of a lease / backoff. */
  dueAt: number;
  attempts: number;
  state: 'pending' | 'dead';
  lastError?: string;
}

export type PutOutcome =
  | { status: 'created' }
  /** The id is already in the outbox (pending, dead or delivered): a client retry; nothing is written. */
  | { status: 'exists' }
  /** Not stored, and storing it again may succeed (outbox unavailable, throttled, deadline reached). */
  | { status: 'failed'; reason: string }
  /** Can never be stored (e.g. larger than an item can hold even compressed): retrying is pointless. */
  | { status: 'refused'; reason: string };

/** A delivered entry: where the broker acknowledged it. */
export interface Delivery {
  id: string;
  topic: string;
  partition: number;
  offset: number;
}

/** A tombstone as the audit reads it; entries delivered before offsets were recorded have none. */
export interface DeliveredEntry {
  id: string;
  deliveredAt: number;
  topic?: string;
  partition?: number;
  offset?: number;
}

export interface OutboxStats {
  pending: number;
  /** Age of the oldest pending entry (relay lag), 0 when none. */
  oldestPendingAgeMs: number;
  dead: number;
}

export interface OutboxStore {
  /**
   * Conditional write per event id; one outcome per record, in order. Never throws for a
   * per-record failure. Writes not finished by `deadline` come back `failed` (they may still land:
   * a retry of the same id is idempotent).
   */
  put(records: readonly ForwardRecord[], opts: { now: number; dueAt: number; deadline?: number }): Promise<PutOutcome[]>;
  /**
   * Replaces delivered entries with tombstones that keep where the broker put them (retrying
   * unprocessed items); throws OutboxError if it cannot, or DeadlineExceeded past `deadline`.
   */
  markDelivered(deliveries: readonly Delivery[], opts: { now: number; deadline?: number }): Promise<void>;
  /** Tombstones with deliveredAt in [from, to): what the audit checks against the topic. */
  listDelivered(opts: { from: number; to: number }): Promise<DeliveredEntry[]>;
  /**
   * Claims up to `limit` due pending entries (conditional update, so two relays never claim the
   * same entry), pushing their due time to now + leaseMs and counting the attempt.
   */
  claimDue(opts: { now: number; limit: number; leaseMs: number }): Promise<OutboxEntry[]>;
  /** Records a failed delivery: back to pending due at `retryAt`, or dead when attempts are used up. */
  recordFailure(entry: OutboxEntry, opts: { now: number; reason: string; retryAt: number; dead: boolean }): Promise<void>;
  stats(opts: { now: number }): Promise<OutboxStats>;
  listDead(opts: { limit: number }): Promise<OutboxEntry[]>;
  /** Dead → pending (attempts reset, due now); returns how many were replayed. */
  replayDead(opts: { now: number; ids?: readonly string[] }): Promise<number>;
}
