/** Heartbeats: HTTP POST /v1/heartbeats → realtime tier, fire-and-forget. */
import { createIngestHandler } from '../lib/handlers/ingest';

export const handler = createIngestHandler({ routes: [{ path: '/v1/heartbeats', kind: 'heartbeat' }] });
