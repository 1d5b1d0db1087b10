/**
 * The tiers, as code: what each promises (README "Tiers"), how its producer behaves and how
 * its topic is configured. The local stack, the tests, the functions and the provisioning custom
 * resource (infra/serverless/topics.js) all read this one definition.
 */
/** The tiers, in order of how much the product promises about them. */
export const TIERS = ['logs', 'realtime', 'critical'] as const;
export type Tier = (typeof TIERS)[number];

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** What a record is, as its sender described it; the router maps kinds (and event types) to tiers. */
export const KINDS = ['log', 'heartbeat', 'event'] as const;
export type RecordKind = (typeof KINDS)[number];

/** Producer behaviour per tier. */
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

/** Every tier's topic under one prefix. */
export function tierTopics(prefix: string): Record<Tier, string> {
  return Object.fromEntries(TIERS.map((t) => [t, topicName(prefix, t)])) as Record<Tier, string>;
}

/** A topic as provisioned: partitions, replication and topic-level configs. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Readonly<Record<string, string>>;
}

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
