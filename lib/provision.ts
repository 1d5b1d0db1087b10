import { planTopics } from '../infra/topics';
import type { TopicAdmin } from './kafka/types';
import type { Logger } from './telemetry';

/** Applies the topic definition to whatever cluster `admin` talks to. */
export async function provisionTopics(admin: TopicAdmin, opts: { prefix: string; partitions?: number; log: Logger }) {
  const brokers = await admin.brokerCount();
  const plan = planTopics({ prefix: opts.prefix, brokers, ...(opts.partitions && { partitions: opts.partitions }) });
  for (const w of plan.warnings) opts.log.warn(w);
  const results = await admin.ensureTopics(plan.specs);
  for (const r of results) opts.log.info(`topic ${r.topic}: ${r.action}`);
  return { brokers, results, warnings: plan.warnings };
}
