import { errorMessage } from '../errors';
import { groupByTopic } from '../kafka/messages';
import { withDeadline } from '../kafka/deadline';
import type { Producer } from '../kafka/types';
import type { OutboxStore } from '../outbox/store';
import type { ForwardRecord, RecordStatus } from '../record';
import type { Logger } from '../telemetry';
import { statusOf, type Sink } from './sink';

export interface OutboxFirstDeps {
  store: OutboxStore;
  producer: Producer;
  log: Logger;
  /** How long the relay leaves a fresh entry to its ingest invocation; must exceed the function timeout. */
  graceMs: number;
  now?: () => number;
}

/**
 * At-least-once: persist → send (acks=all, idempotent) → tombstone. A record is reported as
 * accepted (`persisted` / `forwarded`) only once it is durably in the outbox; whatever happens
 * after that, the relay delivers it. A record the outbox could not take comes back as `retry`.
 */
export function outboxFirstSink(deps: OutboxFirstDeps): Sink {
  const now = deps.now ?? Date.now;
  return {
    tiers: ['critical'],
    async write(records, deadline) {
      const statuses: RecordStatus[] = [];
      const fresh: ForwardRecord[] = [];
      const at = now();
      let outcomes;
      try {
        outcomes = await withDeadline(deps.store.put(records, { now: at, dueAt: at + deps.graceMs }), deadline, 'persisting to the outbox');
      } catch (err) {
        // Some puts may have landed; a client retry of the same ids is idempotent, so asking for one is safe.
        deps.log.error('outbox unavailable', { records: records.length, error: errorMessage(err) });
        return records.map((r) => statusOf(r, 'retry', `outbox unavailable: ${errorMessage(err)}`));
      }
      records.forEach((r, i) => {
        const o = outcomes[i]!;
        if (o.status === 'created') fresh.push(r);
        else if (o.status === 'exists') statuses.push(statusOf(r, 'persisted', 'duplicate event id: already accepted'));
        else statuses.push(statusOf(r, 'retry', `outbox write failed: ${o.reason}`));
      });
      if (!fresh.length) return statuses;

      const sent = await deps.producer.send(groupByTopic(fresh), { deadline, compressed: false });
      if (!sent.ok) {
        deps.log.warn('critical send deferred to the relay', { records: fresh.length, reason: sent.reason });
        return statuses.concat(fresh.map((r) => statusOf(r, 'persisted', `queued for relay: ${sent.reason}`)));
      }
      try {
        await deps.store.markDelivered(fresh.map((r) => r.id), { now: now() });
      } catch (err) {
        // Delivered but still pending: the relay will send these again (a bounded, counted duplicate).
        deps.log.warn('delivered entries not cleared; relay will resend', { records: fresh.length, error: errorMessage(err) });
      }
      return statuses.concat(fresh.map((r) => statusOf(r, 'forwarded')));
    },
  };
}
