/** MSK event source (critical tier) → audit sink, deduplicated by ef-event-id; failures in batchItemFailures. */
import { createAuditConsumer } from '../lib/lambda/msk-audit';

export const handler = createAuditConsumer();
