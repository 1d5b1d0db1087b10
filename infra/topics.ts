/**
 * The one topic definition: tier topics and their settings (DESIGN.md section 1), used by the
 * local stack, the tests and the provisioning function on MSK.
 */
import type { TopicSpec } from '../lib/kafka/types';
import { TIERS, type Tier } from '../lib/record';
import { topicName } from '../lib/tiers';

const HOUR = 3_600_000;

interface TierTopic {
  replicationFactor: number;
  configs: Record<string, string>;
}

export const TIER_TOPICS: Readonly<Record<Tier, TierTopic>> = Object.freeze({
  logs: {
    replicationFactor: 2,
    configs: { 'retention.ms': String(24 * HOUR), 'cleanup.policy': 'delete' },
  },
  realtime: {
    replicationFactor: 2,
    configs: { 'retention.ms': String(1 * HOUR), 'cleanup.policy': 'delete' },
  },
  critical: {
    replicationFactor: 3,
    configs: {
      'retention.ms': String(7 * 24 * HOUR),
      'cleanup.policy': 'delete',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
    },
  },
});

export interface TopicPlan {
  specs: TopicSpec[];
  /** Human-readable notes on settings that had to be weakened for this cluster (e.g. one broker). */
  warnings: string[];
}

/**
 * Topic specs for a cluster of `brokers` brokers. On fewer brokers than a tier wants, the
 * replication factor (and min.insync.replicas with it) is clamped, with a warning: fine for a
 * laptop, never what production should run.
 */
export function planTopics(opts: { prefix: string; brokers: number; partitions?: number }): TopicPlan {
  const warnings: string[] = [];
  const specs = TIERS.map((tier): TopicSpec => {
    const want = TIER_TOPICS[tier];
    const name = topicName(opts.prefix, tier);
    const replicationFactor = Math.min(want.replicationFactor, opts.brokers);
    const configs = { ...want.configs };
    if (replicationFactor < want.replicationFactor) {
      warnings.push(`${name}: replication.factor clamped ${want.replicationFactor} → ${replicationFactor} (only ${opts.brokers} broker(s))`);
    }
    const minIsr = configs['min.insync.replicas'];
    if (minIsr && Number(minIsr) > replicationFactor) {
      configs['min.insync.replicas'] = String(replicationFactor);
      warnings.push(`${name}: min.insync.replicas clamped ${minIsr} → ${replicationFactor}`);
    }
    return { name, partitions: opts.partitions ?? 6, replicationFactor, configs };
  });
  return { specs, warnings };
}
