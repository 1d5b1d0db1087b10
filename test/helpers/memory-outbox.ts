/**
 * An in-memory OutboxStore for pure-logic tests of the sink and the relay (no DynamoDB). It keeps
 * the contract of lib/adapters/outbox/dynamo-store.ts where the logic under test depends on it:
 *   - put is a conditional write per id: a known id (pending, dead or tombstoned) is `exists`;
 *   - markDelivered replaces entries with tombstones that keep topic/partition/offset, and
 *     rejects with DeadlineExceeded once `deadline` has passed;
 *   - claimDue takes pending entries due at `now`, oldest due first, up to `limit`, pushing them
 *     to now + leaseMs and counting the attempt;
 *   - recordFailure is conditional on state pending and the attempt count the caller claimed
 *     (the lease token), and silently does nothing otherwise, like the real one.
 * Hooks let a test make single ids fail or be refused, or make markDelivered throw or hang.
 */
import { DeadlineExceeded } from '../../lib/platform/deadline';
import type { DeliveredEntry, Delivery, OutboxEntry, OutboxStats, OutboxStore, PutOutcome } from '../../lib/outbox/store';
import type { ForwardRecord } from '../../lib/domain/record';

type Stored =
  | { state: 'pending' | 'dead'; entry: OutboxEntry; deadAt?: number }
  | { state: 'delivered'; tombstone: DeliveredEntry };

export interface MemoryOutbox extends OutboxStore {
  /** put: ids answered `failed` with this reason (nothing stored). */
  readonly failPut: Map<string, string>;
  /** put: ids answered `refused` with this reason (nothing stored). */
  readonly refusePut: Map<string, string>;
  /** put: when set, the whole call rejects with this error (the outbox unreachable as a whole). */
  putThrows: Error | undefined;
  /**
   * markDelivered: 'ok' writes tombstones; 'throw' rejects with an error, writing nothing;
   * 'hang' never finishes the write: it rejects with DeadlineExceeded at `deadline`, and never
   * settles when no deadline is given.
   */
  markDeliveredMode: 'ok' | 'throw' | 'hang';
  /** Every call's arguments, in order. */
  readonly calls: {
    put: { ids: string[]; opts: { now: number; dueAt: number; deadline?: number } }[];
    markDelivered: { deliveries: Delivery[]; opts: { now: number; deadline?: number } }[];
    claimDue: { now: number; limit: number; leaseMs: number }[];
    recordFailure: { id: string; attempts: number; opts: { now: number; reason: string; retryAt: number; dead: boolean } }[];
  };
  /** State of an id: 'pending' | 'dead' | 'delivered', or undefined when unknown. */
  stateOf(id: string): Stored['state'] | undefined;
  /** A copy of a pending or dead entry (undefined for tombstones and unknown ids). */
  entry(id: string): OutboxEntry | undefined;
  /** A copy of a tombstone (undefined unless delivered). */
  tombstone(id: string): DeliveredEntry | undefined;
  /** Every known id, in insertion order. */
  ids(): string[];
}

const copyEntry = (e: OutboxEntry): OutboxEntry => ({ ...e });

export function memoryOutbox(): MemoryOutbox {
  const items = new Map<string, Stored>();
  const calls: MemoryOutbox['calls'] = { put: [], markDelivered: [], claimDue: [], recordFailure: [] };

  const store: MemoryOutbox = {
    failPut: new Map(),
    refusePut: new Map(),
    putThrows: undefined,
    markDeliveredMode: 'ok',
    calls,

    async put(records: readonly ForwardRecord[], opts) {
      calls.put.push({ ids: records.map((r) => r.id), opts: { ...opts } });
      if (store.putThrows) throw store.putThrows;
      return records.map((record): PutOutcome => {
        const refused = store.refusePut.get(record.id);
        if (refused !== undefined) return { status: 'refused', reason: refused };
        const failed = store.failPut.get(record.id);
        if (failed !== undefined) return { status: 'failed', reason: failed };
        if (items.has(record.id)) return { status: 'exists' };
        if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
          return { status: 'failed', reason: 'not persisted: the invocation budget ran out first' };
        }
        items.set(record.id, {
          state: 'pending',
          entry: { record, createdAt: opts.now, dueAt: opts.dueAt, attempts: 0, state: 'pending' },
        });
        return { status: 'created' };
      });
    },

    async markDelivered(deliveries, opts) {
      calls.markDelivered.push({ deliveries: deliveries.map((d) => ({ ...d })), opts: { ...opts } });
      const { deadline } = opts;
      if (store.markDeliveredMode === 'throw') throw new Error('tombstone write failed (injected)');
      if (store.markDeliveredMode === 'hang') {
        return new Promise<void>((_, reject) => {
          if (deadline === undefined) return; // never settles: the caller gave the store no way out
          setTimeout(() => reject(new DeadlineExceeded('marking outbox entries delivered: deadline reached (injected hang)')), Math.max(0, deadline - Date.now()));
        });
      }
      if (deadline !== undefined && Date.now() >= deadline) throw new DeadlineExceeded('marking outbox entries delivered: no time left');
      // Unconditional, like the real BatchWriteItem of tombstones.
      for (const d of deliveries) {
        items.set(d.id, { state: 'delivered', tombstone: { id: d.id, deliveredAt: opts.now, topic: d.topic, partition: d.partition, offset: d.offset } });
      }
    },

    async listDelivered({ from, to }) {
      const out: DeliveredEntry[] = [];
      for (const item of items.values()) {
        if (item.state === 'delivered' && item.tombstone.deliveredAt >= from && item.tombstone.deliveredAt < to) out.push({ ...item.tombstone });
      }
      return out.sort((a, b) => a.deliveredAt - b.deliveredAt);
    },

    async claimDue({ now, limit, leaseMs }) {
      calls.claimDue.push({ now, limit, leaseMs });
      if (limit <= 0) return [];
      const due = [...items.values()]
        .flatMap((item) => (item.state === 'pending' && item.entry.dueAt <= now ? [item.entry] : []))
        .sort((a, b) => a.dueAt - b.dueAt) // stable: insertion order among equals
        .slice(0, limit);
      return due.map((e) => {
        e.dueAt = now + leaseMs;
        e.attempts += 1;
        return copyEntry(e);
      });
    },

    async recordFailure(entry, opts) {
      calls.recordFailure.push({ id: entry.record.id, attempts: entry.attempts, opts: { ...opts } });
      const item = items.get(entry.record.id);
      // Conditional on state and attempts (the lease token): delivered or re-claimed meanwhile → no-op.
      if (item?.state !== 'pending' || item.entry.attempts !== entry.attempts) return;
      item.entry.lastError = opts.reason;
      if (opts.dead) {
        items.set(entry.record.id, { state: 'dead', entry: { ...item.entry, state: 'dead' }, deadAt: opts.now });
      } else {
        item.entry.dueAt = opts.retryAt;
      }
    },

    async stats({ now }): Promise<OutboxStats> {
      let pending = 0;
      let dead = 0;
      let oldest = Infinity;
      for (const item of items.values()) {
        if (item.state === 'pending') {
          pending++;
          oldest = Math.min(oldest, item.entry.createdAt);
        } else if (item.state === 'dead') dead++;
      }
      return { pending, oldestPendingAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0, dead };
    },

    async listDead({ limit }) {
      if (limit <= 0) return [];
      return [...items.values()]
        .flatMap((item) => (item.state === 'dead' ? [item] : []))
        .sort((a, b) => (a.deadAt ?? 0) - (b.deadAt ?? 0)) // longest dead first
        .slice(0, limit)
        .map((item) => copyEntry(item.entry));
    },

    async replayDead({ now, ids }) {
      const targets = ids ? [...new Set(ids)] : [...items.keys()];
      let replayed = 0;
      for (const id of targets) {
        const item = items.get(id);
        if (item?.state !== 'dead') continue;
        // Like the real store: attempts reset, due now, lastError kept for the record.
        items.set(id, { state: 'pending', entry: { ...item.entry, state: 'pending', dueAt: now, attempts: 0 } });
        replayed++;
      }
      return replayed;
    },

    stateOf(id) {
      return items.get(id)?.state;
    },
    entry(id) {
      const item = items.get(id);
      return item && item.state !== 'delivered' ? copyEntry(item.entry) : undefined;
    },
    tombstone(id) {
      const item = items.get(id);
      return item?.state === 'delivered' ? { ...item.tombstone } : undefined;
    },
    ids() {
      return [...items.keys()];
    },
  };
  return store;
}
