import { planTopics, type TopicPlan } from './tiers';
import type { TopicAdmin } from './kafka';
import type { Logger } from '../platform/telemetry';

/**
 * The topic-level configs MSK Serverless lets a client set. It fixes the rest itself, and what it
 * fixes is what the critical tier asks for: replication factor 3, min.insync.replicas 2, unclean
 * leader election off. https://docs.aws.amazon.com/msk/latest/developerguide/serverless-config.html
 */
export const MSK_SERVERLESS_TOPIC_CONFIGS: readonly string[] = Object.freeze([
  'cleanup.policy',
  'compression.type',
  'max.message.bytes',
  'message.timestamp.difference.max.ms',
  'message.timestamp.type',
  'retention.bytes',
  'retention.ms',
]);

const BEFORE = 'message.timestamp.before.max.ms';
const AFTER = 'message.timestamp.after.max.ms';
const DIFFERENCE = 'message.timestamp.difference.max.ms';

/**
 * The plan as MSK Serverless accepts it: cluster-default replication, only the settable configs.
 * KIP-937's timestamp guards (before/after) are not settable there; the older symmetric
 * message.timestamp.difference.max.ms is (brokers since 3.6 apply it to whichever of the two is
 * unset, older ones have nothing else). It gets the wider of the pair, so it refuses nothing the
 * pair would let through, but lets future timestamps pass as far ahead as past ones may lie (the
 * sources still never write one).
 */
export function forMskServerless(plan: TopicPlan): TopicPlan {
  const warnings = [...plan.warnings];
  const specs = plan.specs.map((spec) => {
    const configs = Object.fromEntries(Object.entries(spec.configs).filter(([k]) => MSK_SERVERLESS_TOPIC_CONFIGS.includes(k)));
    const before = spec.configs[BEFORE];
    const after = spec.configs[AFTER];
    const translated = before !== undefined && after !== undefined && !(DIFFERENCE in configs);
    if (translated) {
      configs[DIFFERENCE] = String(Math.max(Number(before), Number(after)));
      warnings.push(`${spec.name}: ${BEFORE} and ${AFTER} are not settable on MSK Serverless; ${DIFFERENCE}=${configs[DIFFERENCE]} guards both directions instead`);
    }
    const fixed = Object.keys(spec.configs).filter((k) => !(k in configs) && !(translated && (k === BEFORE || k === AFTER)));
    if (fixed.length) warnings.push(`${spec.name}: ${fixed.join(', ')} left to MSK Serverless (fixed there: replication 3, min.insync.replicas 2, no unclean election)`);
    return { ...spec, replicationFactor: -1, configs };
  });
  return { specs, warnings };
}

/**
 * Applies the topic definition to whatever cluster `admin` talks to. `mskServerless`: the cluster
 * is MSK Serverless (replication and durability settings are the service's, see above).
 */
export async function provisionTopics(
  admin: TopicAdmin,
  opts: { prefix: string; partitions?: number; log: Logger; mskServerless?: boolean },
) {
  const brokers = opts.mskServerless ? Number.MAX_SAFE_INTEGER : await admin.brokerCount();
  const partitions = opts.partitions ? { partitions: opts.partitions } : {};
  const planned = planTopics({ prefix: opts.prefix, brokers, ...partitions });
  const plan = opts.mskServerless ? forMskServerless(planned) : planned;
  for (const w of plan.warnings) opts.log.warn(w);
  const results = await admin.ensureTopics(plan.specs);
  for (const r of results) opts.log.info(`topic ${r.topic}: ${r.action}`);
  return { brokers: opts.mskServerless ? undefined : brokers, results, warnings: plan.warnings };
}
