/** MSK event source (critical tier) → audit sink, deduplicated by ef-event-id; failures in batchItemFailures. */
import { createAuditConsumer } from '../lib/handlers/audit-critical';

export const handler = createAuditConsumer();
