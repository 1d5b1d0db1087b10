import { errorMessage } from '../platform/errors';
import { groupByTopic } from '../domain/kafka';
import type { Producer } from '../domain/kafka';
import type { OutboxStore } from '../outbox/store';
import type { ForwardRecord, RecordStatus } from '../domain/record';
import type { Logger } from '../platform/telemetry';
import { statusOf, type Sink } from '../domain/sink';

export interface OutboxFirstDeps {
  store: OutboxStore;
  producer: Producer;
  log: Logger;
  /** How long the relay leaves a fresh entry to its ingest invocation; must exceed the function timeout. */
  graceMs: number;
  now?: () => number;
}

/**
 * At-least-once: persist → send (acks=all) → tombstone. A record is reported as accepted
 * (`persisted` / `forwarded`) only once it is durably in the outbox, and `forwarded` only when
 * the broker acknowledged its partition batch with an offset; whatever happens after persisting,
 * the relay delivers it. Every step is bounded by the deadline: what the deadline cuts off is
 * the relay's. A record the outbox could not take comes back as `retry`, one it can never take
 * as `rejected`.
 */
export function outboxFirstSink(deps: OutboxFirstDeps): Sink {
  const now = deps.now ?? Date.now;
  return {
    tiers: ['critical'],
    async write(records, deadline) {
      const statuses: RecordStatus[] = [];
      const fresh: ForwardRecord[] = [];
      const at = now();
      let outcomes: Awaited<ReturnType<OutboxStore['put']>>;
      try {
        outcomes = await deps.store.put(records, { now: at, dueAt: at + deps.graceMs, deadline });
      } catch (err) {
        // Some puts may have landed; a client retry of the same ids is idempotent, so asking for one is safe.
        deps.log.error('outbox unavailable', { records: records.length, error: errorMessage(err) });
        return records.map((r) => statusOf(r, 'retry', `outbox unavailable: ${errorMessage(err)}`));
      }
      records.forEach((r, i) => {
        const o = outcomes[i]!;
        if (o.status === 'created') fresh.push(r);
        else if (o.status === 'exists') statuses.push(statusOf(r, 'persisted', 'duplicate event id: already accepted'));
        else if (o.status === 'refused') statuses.push(statusOf(r, 'rejected', o.reason));
        else statuses.push(statusOf(r, 'retry', `outbox write failed: ${o.reason}`));
      });
      if (!fresh.length) return statuses;

      const batches = groupByTopic(fresh);
      const sent = await deps.producer.send(batches, { deadline, compressed: false });
      // The producer's acks follow the order of the batches it was given, not of `fresh`.
      const ordered = batches.flatMap((b) => b.records);
      const acks = sent.acks ?? [];
      const delivered = ordered.slice(0, acks.length);
      const deferred = ordered.slice(acks.length);
      if (!sent.ok) deps.log.warn('critical send deferred to the relay', { records: deferred.length, reason: sent.reason });
      if (delivered.length) {
        try {
          await deps.store.markDelivered(delivered.map((r, i) => ({ id: r.id, ...acks[i]! })), { now: now(), deadline });
        } catch (err) {
          // Delivered but still pending: the relay will send these again (a bounded, counted duplicate).
          deps.log.warn('delivered entries not cleared; relay will resend', { records: delivered.length, error: errorMessage(err) });
        }
      }
      const why = sent.ok ? 'the broker acknowledged no offset' : sent.reason;
      return statuses.concat(
        delivered.map((r) => statusOf(r, 'forwarded')),
        deferred.map((r) => statusOf(r, 'persisted', `queued for relay: ${why}`)),
      );
    },
  };
}
