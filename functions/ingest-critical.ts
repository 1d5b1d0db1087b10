/** Critical events: HTTP POST /v1/events and SQS → DynamoDB outbox → critical tier (acks=all). */
import { criticalDeps, criticalHandler } from '../lib/handlers/ingest-critical';
import { loadConfig } from '../lib/platform/config';

export const handler = criticalHandler(criticalDeps(loadConfig()));
