/** MSK event source (critical tier) → audit sink, deduplicated by ef-event-id; failures in batchItemFailures. */
import { auditDeps, auditHandler } from '../lib/handlers/audit-critical';
import { loadConsumerConfig } from '../lib/platform/config';

export const handler = auditHandler(auditDeps(loadConsumerConfig(process.env, { dedupe: true })));
