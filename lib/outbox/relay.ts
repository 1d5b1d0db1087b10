import { errorMessage } from '../errors';
import { groupByTopic } from '../kafka/messages';
import type { Producer } from '../kafka/types';
import type { Logger } from '../telemetry';
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
  /** Attempts after which an entry failing permanently (e.g. too large, not authorized) becomes dead. */
  maxPermanentAttempts?: number;
  backoffMs?: (attempts: number) => number;
  now?: () => number;
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

/** 1 s, 2 s, 4 s … capped at 5 minutes: a broker outage costs few attempts per hour. */
export const defaultBackoff = (attempts: number) => Math.min(300_000, 1_000 * 2 ** Math.max(0, attempts - 1));

/**
 * Claims due entries, sends them with acks=all, tombstones what the broker acknowledged.
 * Runs until nothing is due or the deadline nears; on a failed send it records the failure
 * and stops, so an outage is retried on the next scheduled run, not hammered.
 */
export function outboxRelay(opts: RelayOptions) {
  const now = opts.now ?? Date.now;
  const backoff = opts.backoffMs ?? defaultBackoff;
  const maxPermanent = opts.maxPermanentAttempts ?? 3;

  return async function runOnce(deadline: number): Promise<RelayRun> {
    const run: RelayRun = { claimed: 0, delivered: 0, failed: 0, dead: 0, stoppedBecause: 'drained' };
    // Leave room for a whole send + tombstone round before the deadline.
    while (deadline - now() > Math.min(opts.leaseMs / 2, 5_000)) {
      const entries = await opts.store.claimDue({ now: now(), limit: opts.batchSize, leaseMs: opts.leaseMs });
      if (!entries.length) return run;
      run.claimed += entries.length;
      const sent = await opts.producer.send(groupByTopic(entries.map((e) => e.record)), { deadline, compressed: false });
      if (sent.ok) {
        await opts.store.markDelivered(entries.map((e) => e.record.id), { now: now() });
        run.delivered += entries.length;
        continue;
      }
      run.lastError = sent.reason;
      for (const entry of entries) {
        const dead = entry.attempts >= (sent.retriable ? opts.maxAttempts : maxPermanent);
        await recordFailure(entry, sent.reason, dead);
        if (dead) run.dead++;
        else run.failed++;
      }
      opts.log.warn('relay send failed; backing off', { entries: entries.length, reason: sent.reason, dead: run.dead });
      return { ...run, stoppedBecause: 'send-failed' };
    }
    return { ...run, stoppedBecause: 'deadline' };
  };

  async function recordFailure(entry: OutboxEntry, reason: string, dead: boolean) {
    try {
      await opts.store.recordFailure(entry, { now: now(), reason, retryAt: now() + backoff(entry.attempts), dead });
    } catch (err) {
      // The lease expires on its own, so the entry comes back even if this bookkeeping failed.
      opts.log.warn('could not record relay failure', { id: entry.record.id, error: errorMessage(err) });
    }
  }
}
