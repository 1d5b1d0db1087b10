import { groupByTopic } from '../domain/kafka';
import type { Producer } from '../domain/kafka';
import type { ForwardRecord, RecordStatus } from '../domain/record';
import type { Tier } from '../domain/tiers';
import type { Logger } from '../platform/telemetry';
import { TIER_DELIVERY } from '../domain/tiers';
import { statusOf, type Sink } from '../domain/sink';

/**
 * At-most-once: one acks=0 send per tier (compression is per tier), awaited only until the bytes
 * left the process, never retried. Anything not handed to the socket by the deadline is dropped.
 */
export function fireAndForgetSink(deps: { producer: Producer; log: Logger; tiers?: readonly Tier[] }): Sink {
  const tiers = deps.tiers ?? (['logs', 'realtime'] as const);
  if (tiers.some((t) => TIER_DELIVERY[t].guarantee !== 'at-most-once')) {
    throw new Error('fireAndForgetSink only serves at-most-once tiers');
  }
  return {
    tiers,
    async write(records, deadline) {
      const byTier = new Map<Tier, ForwardRecord[]>();
      for (const r of records) {
        const list = byTier.get(r.tier);
        if (list) list.push(r);
        else byTier.set(r.tier, [r]);
      }
      const results = await Promise.all(
        [...byTier].map(async ([tier, list]): Promise<RecordStatus[]> => {
          const result = await deps.producer.send(groupByTopic(list), { deadline, compressed: TIER_DELIVERY[tier].compressed });
          if (result.ok) return list.map((r) => statusOf(r, 'forwarded'));
          deps.log.warn('best-effort records dropped', { tier, records: list.length, reason: result.reason });
          return list.map((r) => statusOf(r, 'dropped', result.reason));
        }),
      );
      return results.flat();
    },
  };
}
