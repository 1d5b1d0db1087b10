/**
 * Deduplication by event id (the ef-event-id header), so at-least-once delivery takes effect
 * once. A claim works like a short lease:
 *
 *   claim(id) ─'claimed'→ process → complete(id)   (remembered as done until the TTL ends)
 *             ─'done'→ skip: processed before (a redelivery or a producer-side duplicate)
 *             ─'busy'→ another worker holds the lease (or one crashed mid-way): retry later
 *   process fails → release(id), so the retry can claim it again
 *
 * A crash after complete and before the offset commit — the usual at-least-once redelivery —
 * is absorbed completely. A crash between the side effect and complete re-runs that one record
 * once its lease ends: keep side effects idempotent where you can, or make the lease longer
 * than any realistic processing time so that window stays small.
 *
 * DynamoDB implementation: lib/adapters/dedupe/dynamo-store.ts. The in-memory one below is for
 * local runs and tests: it forgets on restart.
 */
export type ClaimResult = 'claimed' | 'done' | 'busy';

export interface DedupeStore {
  claim(id: string, opts: { now: number; leaseMs: number }): Promise<ClaimResult>;
  complete(id: string, opts: { now: number }): Promise<void>;
  release(id: string): Promise<void>;
}

interface Entry {
  state: 'busy' | 'done';
  /** busy: lease end; done: when it is forgotten. */
  until: number;
}

/** An LRU of recently seen ids, bounded in count and age. */
export function createMemoryDedupeStore(opts: { capacity?: number; ttlMs?: number } = {}): DedupeStore & { size(): number } {
  const capacity = opts.capacity ?? 100_000;
  const ttlMs = opts.ttlMs ?? 24 * 3_600_000;
  const entries = new Map<string, Entry>(); // insertion order = recency order

  const touch = (id: string, entry: Entry) => {
    entries.delete(id);
    entries.set(id, entry);
    while (entries.size > capacity) entries.delete(entries.keys().next().value!);
  };

  return {
    async claim(id, { now, leaseMs }) {
      const e = entries.get(id);
      if (e && e.until > now) {
        touch(id, e);
        return e.state;
      }
      touch(id, { state: 'busy', until: now + leaseMs });
      return 'claimed';
    },
    async complete(id, { now }) {
      touch(id, { state: 'done', until: now + ttlMs });
    },
    async release(id) {
      if (entries.get(id)?.state === 'busy') entries.delete(id);
    },
    size: () => entries.size,
  };
}

/**
 * Runs `handle` unless `id` was processed before: 'processed' or 'duplicate'. Throws when the
 * record must be retried (handler failed, the id is busy elsewhere, or the store is unreachable).
 */
export async function processOnce(
  id: string,
  dedupe: DedupeStore,
  leaseMs: number,
  handle: () => Promise<void>,
): Promise<'processed' | 'duplicate'> {
  const claim = await dedupe.claim(id, { now: Date.now(), leaseMs });
  if (claim === 'done') return 'duplicate';
  if (claim === 'busy') throw new Error(`event id ${id} is claimed by another worker (its lease is not over)`);
  try {
    await handle();
  } catch (err) {
    await dedupe.release(id).catch(() => undefined); // else the retry waits out the lease
    throw err;
  }
  // The side effect happened: try hard to record that, or the record re-runs after its lease.
  for (let attempt = 1; ; attempt++) {
    try {
      await dedupe.complete(id, { now: Date.now() });
      return 'processed';
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
