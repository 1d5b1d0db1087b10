/** An ingest handler with a recording sink instead of Kafka: for adapter tests that need no broker. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Env } from '../../lib/platform/env';
import { ingestBase, ingestHandler, type IngestHandler } from '../../lib/handlers/ingest';
import { loadConfig } from '../../lib/platform/config';
import type { ForwardRecord } from '../../lib/domain/record';
import { statusOf } from '../../lib/domain/sink';
import { INGEST_ROUTES, type HttpRoute } from '../../lib/domain/routes';

export interface RecordingHandler {
  handler: IngestHandler;
  /** Everything that reached the sink, i.e. would have been sent to Kafka. */
  sent: ForwardRecord[];
  lines: string[];
}

export const ALL_ROUTES: readonly HttpRoute[] = Object.values(INGEST_ROUTES);

export function recordingHandler(env: Env, routes: readonly HttpRoute[] = ALL_ROUTES): RecordingHandler {
  const sent: ForwardRecord[] = [];
  const lines: string[] = [];
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9', LOG_LEVEL: 'debug', AWS_LAMBDA_FUNCTION_NAME: 'test-fn', ...env });
  const handler = ingestHandler({
    ...ingestBase(config, 'ingest-logs', { lineSink: (l) => void lines.push(l) }),
    routes,
    sinks: [
      {
        tiers: ['logs', 'realtime', 'critical'],
        async write(records) {
          sent.push(...records);
          return records.map((r) => statusOf(r, 'forwarded'));
        },
      },
    ],
  });
  return { handler, sent, lines };
}

export interface ParsedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: {
    error?: { code: string; message: string };
    results?: { index: number; status: string; reason?: string; code?: string; tier?: string }[];
    [k: string]: unknown;
  };
}

export function parse(res: APIGatewayProxyStructuredResultV2): ParsedResponse {
  return {
    statusCode: res.statusCode ?? 0,
    headers: (res.headers ?? {}) as Record<string, string>,
    body: JSON.parse(String(res.body)) as ParsedResponse['body'],
  };
}
