import type { Tier } from './record';

/** Producer behaviour per tier: the table in DESIGN.md section 1, as code. */
export interface TierDelivery {
  guarantee: 'at-most-once' | 'at-least-once';
  acks: 0 | -1;
  /** logs trade a little CPU for bandwidth; realtime stays uncompressed for latency. */
  compressed: boolean;
}

export const TIER_DELIVERY: Readonly<Record<Tier, TierDelivery>> = Object.freeze({
  logs: { guarantee: 'at-most-once', acks: 0, compressed: true },
  realtime: { guarantee: 'at-most-once', acks: 0, compressed: false },
  critical: { guarantee: 'at-least-once', acks: -1, compressed: false },
});

export function topicName(prefix: string, tier: Tier): string {
  return `${prefix}${tier}`;
}
