/**
 * The tiers, as code: what each promises (README "Tiers"), how its producer behaves and how
 * its topic is configured. The local stack, the tests, the functions and the provisioning custom
 * resource (infra/serverless/topics.js) all read this one definition.
 */
import { DEFAULT_LIMITS } from './limits';

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

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;

/**
 * The brokers refuse a record whose timestamp is further than this from their clock (KIP-937,
 * Kafka 3.6+; INVALID_TIMESTAMP). The sources never write one: they keep a record's own timestamp
 * only inside DEFAULT_LIMITS' window (MAX_TIMESTAMP_* may narrow it, never widen it) and use the
 * receive time otherwise, so this is the guard for any other producer. Wider than the window:
 * past by a day, because the relay sends a critical record after it was received (up to ~1.5 h of
 * backoff by default, far longer only with a raised OUTBOX_MAX_ATTEMPTS); future by 5 minutes of
 * clock skew between the functions and the brokers.
 */
export const TOPIC_TIMESTAMP_GUARDS: Readonly<Record<string, string>> = Object.freeze({
  'message.timestamp.before.max.ms': String(DEFAULT_LIMITS.maxTimestampPastMs + DAY),
  'message.timestamp.after.max.ms': String(DEFAULT_LIMITS.maxTimestampFutureMs + 5 * MINUTE),
});

interface TierTopic {
  replicationFactor: number;
  configs: Record<string, string>;
}

// retention.bytes is per partition and a disk guard, not the retention: the time limit should
// come first. A partition holds up to retention.bytes plus one segment (segment.bytes, 1 GiB).
// Sized for the default cluster (infra/msk.yml: 3 brokers of 100 GiB) with the default 6
// partitions: 6 × (2 × 5 + 2 × 2 + 3 × 5) GiB = 174 GiB of 300 GiB. Scale them with the disks.
export const TIER_TOPICS: Readonly<Record<Tier, TierTopic>> = Object.freeze({
  logs: {
    replicationFactor: 2,
    configs: { 'retention.ms': String(24 * HOUR), 'retention.bytes': String(4 * GIB), 'cleanup.policy': 'delete', ...TOPIC_TIMESTAMP_GUARDS },
  },
  realtime: {
    replicationFactor: 2,
    configs: { 'retention.ms': String(1 * HOUR), 'retention.bytes': String(1 * GIB), 'cleanup.policy': 'delete', ...TOPIC_TIMESTAMP_GUARDS },
  },
  critical: {
    replicationFactor: 3,
    configs: {
      'retention.ms': String(7 * DAY),
      // Last resort only: past it, events no consumer has read yet are deleted (consumer lag alarms first).
      'retention.bytes': String(4 * GIB),
      'cleanup.policy': 'delete',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
      ...TOPIC_TIMESTAMP_GUARDS,
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
