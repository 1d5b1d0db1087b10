import type { ForwardRecord, RecordStatus } from './record';
import type { Tier } from './tiers';

/** Where routed records go. Returns one status per record, never throws for delivery problems. */
export interface Sink {
  readonly tiers: readonly Tier[];
  write(records: readonly ForwardRecord[], deadline: number): Promise<RecordStatus[]>;
}

export function statusOf(r: ForwardRecord, status: RecordStatus['status'], reason?: string): RecordStatus {
  return {
    index: r.sourceRef.index,
    status,
    id: r.id,
    tier: r.tier,
    topic: r.topic,
    ...(reason !== undefined && { reason }),
    ...(r.sourceRef.itemId !== undefined && { itemId: r.sourceRef.itemId }),
  };
}
