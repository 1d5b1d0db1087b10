import type { RouteName } from './routes';

/** Why a record was dropped: every record ends sent, rejected or dropped, exactly once. */
export interface DropCounts {
  /** The queue was full when it was submitted (or a critical event displaced it). */
  queueFull: number;
  /** Best effort: its request failed (network, timeout, 5xx); never resent. */
  sendFailed: number;
  /** Best effort: the server said `dropped` (its broker was down or slow). */
  server: number;
  /** Critical: `retry.maxAttempts` sends without success. */
  gaveUp: number;
  /** Submitted after close(), or still held when close() gave up waiting. */
  closed: number;
}

export interface Counters {
  submitted: number;
  /** The server took it: `forwarded` or `persisted`. */
  sent: number;
  rejected: number;
  dropped: number;
  droppedBy: DropCounts;
  /** Re-sends of critical records (one per record per retry). */
  retried: number;
  /** HTTP requests made. */
  requests: number;
}

export interface ClientStats extends Counters {
  /** Records held now: waiting for their batch, in flight, or waiting to retry. */
  queued: number;
  routes: Record<RouteName, Counters>;
}

export function emptyCounters(): Counters {
  return {
    submitted: 0,
    sent: 0,
    rejected: 0,
    dropped: 0,
    droppedBy: { queueFull: 0, sendFailed: 0, server: 0, gaveUp: 0, closed: 0 },
    retried: 0,
    requests: 0,
  };
}

export function addCounters(into: Counters, c: Readonly<Counters>): Counters {
  into.submitted += c.submitted;
  into.sent += c.sent;
  into.rejected += c.rejected;
  into.dropped += c.dropped;
  into.retried += c.retried;
  into.requests += c.requests;
  for (const k of Object.keys(into.droppedBy) as (keyof DropCounts)[]) into.droppedBy[k] += c.droppedBy[k];
  return into;
}

export function copyCounters(c: Readonly<Counters>): Counters {
  return addCounters(emptyCounters(), c);
}
