import { errorMessage } from '../platform/errors';
import { groupByTopic } from '../domain/kafka';
import type { Producer } from '../domain/kafka';
import type { Logger } from '../platform/telemetry';
import type { OutboxEntry, OutboxStore } from './store';

export interface RelayOptions {
  store: OutboxStore;
  producer: Producer;
  log: Logger;
  /** Entries claimed per round trip. */
  batchSize: number;
  /** How long a claim keeps other relays away; must exceed the time one batch takes. */
  leaseMs: number;
  /** Attempts after which an entry that keeps failing becomes dead (retriable failures). */
  maxAttempts: number;
  now?: () => number;
}

interface Failure {
  entry: OutboxEntry;
  reason: string;
  retriable: boolean;
}

export interface RelayRun {
  claimed: number;
  delivered: number;
  failed: number;
  dead: number;
  /** Why the run ended: nothing due, the time budget, or the broker failing (back off until next run). */
  stoppedBecause: 'drained' | 'deadline' | 'send-failed';
  lastError?: string;
}

/** Attempts after which an entry failing permanently (e.g. too large, not authorized) becomes dead. */
export const MAX_PERMANENT_ATTEMPTS = 3;

/** 1 s, 2 s, 4 s … capped at 5 minutes: a broker outage costs few attempts per hour. */
export const relayBackoffMs = (attempts: number) => Math.min(300_000, 1_000 * 2 ** Math.max(0, attempts - 1));

/**
 * Claims due entries, sends them with acks=all, tombstones what the broker acknowledged with an
 * offset. Runs until nothing is due or the deadline nears; on a failed send it records the
 * failure and stops, so an outage is retried on the next scheduled run, not hammered.
 */
export function outboxRelay(opts: RelayOptions) {
  const now = opts.now ?? Date.now;

  return async function runOnce(deadline: number): Promise<RelayRun> {
    const run: RelayRun = { claimed: 0, delivered: 0, failed: 0, dead: 0, stoppedBecause: 'drained' };
    // Leave room for a whole send + tombstone round before the deadline.
    while (deadline - now() > Math.min(opts.leaseMs / 2, 5_000)) {
      const entries = await opts.store.claimDue({ now: now(), limit: opts.batchSize, leaseMs: opts.leaseMs });
      if (!entries.length) return run;
      run.claimed += entries.length;
      const { delivered, failures } = await deliver(entries, deadline);
      run.delivered += delivered;
      if (!failures.length) continue;
      run.lastError = failures[0]!.reason;
      for (const { entry, reason, retriable } of failures) {
        const dead = entry.attempts >= (retriable ? opts.maxAttempts : MAX_PERMANENT_ATTEMPTS);
        await recordFailure(entry, reason, dead);
        if (dead) run.dead++;
        else run.failed++;
      }
      opts.log.warn('relay send failed; backing off', { entries: failures.length, reason: run.lastError, dead: run.dead });
      return { ...run, stoppedBecause: 'send-failed' };
    }
    return { ...run, stoppedBecause: 'deadline' };
  };

  /**
   * Sends entries and tombstones those acknowledged. A permanent refusal names no record, so a
   * refused batch is halved until the refused records stand alone: one bad record must not take
   * its batch mates to the dead-letter state with it.
   */
  async function deliver(entries: OutboxEntry[], deadline: number): Promise<{ delivered: number; failures: Failure[] }> {
    const batches = groupByTopic(entries.map((e) => e.record));
    const ordered = batches.flatMap((b) => b.records);
    const byId = new Map(entries.map((e) => [e.record.id, e]));
    const sent = await opts.producer.send(batches, { deadline, compressed: false });
    const acks = sent.acks ?? [];
    if (acks.length) {
      const deliveries = acks.map((ack, i) => ({ id: ordered[i]!.id, ...ack }));
      try {
        await opts.store.markDelivered(deliveries, { now: now(), deadline });
      } catch (err) {
        // The broker has them; their lease ends and a later run sends them again (a counted duplicate).
        opts.log.warn('delivered entries not cleared; they will be resent', { entries: deliveries.length, error: errorMessage(err) });
      }
    }
    const rest = ordered.slice(acks.length).map((r) => byId.get(r.id)!);
    if (!rest.length) return { delivered: acks.length, failures: [] };
    const reason = sent.ok ? 'the broker acknowledged no offset' : sent.reason;
    const retriable = sent.ok || sent.retriable;
    if (retriable || rest.length === 1 || deadline - now() < 1_000) {
      return { delivered: acks.length, failures: rest.map((entry) => ({ entry, reason, retriable })) };
    }
    const half = Math.ceil(rest.length / 2);
    const [a, b] = [await deliver(rest.slice(0, half), deadline), await deliver(rest.slice(half), deadline)];
    return { delivered: acks.length + a.delivered + b.delivered, failures: [...a.failures, ...b.failures] };
  }

  async function recordFailure(entry: OutboxEntry, reason: string, dead: boolean) {
    try {
      await opts.store.recordFailure(entry, { now: now(), reason, retryAt: now() + relayBackoffMs(entry.attempts), dead });
    } catch (err) {
      // The lease expires on its own, so the entry comes back even if this bookkeeping failed.
      opts.log.warn('could not record relay failure', { id: entry.record.id, error: errorMessage(err) });
    }
  }
}
