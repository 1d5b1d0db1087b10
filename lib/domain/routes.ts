import type { RecordKind } from './tiers';

/** An HTTP ingest route and the record kind it implies. */
export interface HttpRoute {
  path: string;
  kind: RecordKind;
}

/**
 * The route table: which function serves which POST path. serverless.yml's httpApi events, the
 * local server (npm start) and the bench follow it; test/deploy checks the template against it.
 */
export const INGEST_ROUTES = {
  'ingest-logs': { path: '/v1/logs', kind: 'log' },
  'ingest-heartbeats': { path: '/v1/heartbeats', kind: 'heartbeat' },
  'ingest-critical': { path: '/v1/events', kind: 'event' },
} as const satisfies Record<string, HttpRoute>;

export type IngestFunction = keyof typeof INGEST_ROUTES;
export const INGEST_FUNCTIONS = Object.keys(INGEST_ROUTES) as IngestFunction[];
