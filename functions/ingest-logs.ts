/** Logs: HTTP POST /v1/logs and CloudWatch Logs subscriptions → logs tier, fire-and-forget. */
import { createIngestHandler } from '../lib/handlers/ingest';

export const handler = createIngestHandler({ routes: [{ path: '/v1/logs', kind: 'log' }] });
