/** Heartbeats: HTTP POST /v1/heartbeats → realtime tier, fire-and-forget. */
import { ingestDeps, ingestHandler } from '../lib/handlers/ingest';
import { loadConfig } from '../lib/platform/config';

export const handler = ingestHandler(ingestDeps(loadConfig(), 'ingest-heartbeats'));
