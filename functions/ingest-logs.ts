/** Logs: HTTP POST /v1/logs and CloudWatch Logs subscriptions → logs tier, fire-and-forget. */
import { ingestDeps, ingestHandler } from '../lib/handlers/ingest';
import { loadConfig } from '../lib/platform/config';

export const handler = ingestHandler(ingestDeps(loadConfig(), 'ingest-logs'));
