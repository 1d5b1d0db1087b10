/** Critical events: HTTP POST /v1/events and SQS → DynamoDB outbox → critical tier (acks=all). */
import { createCriticalHandler } from '../lib/handlers/ingest-critical';

export const handler = createCriticalHandler();
