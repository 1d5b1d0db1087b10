/**
 * CloudWatch EMF documents for the consumer functions. lib/platform/telemetry.ts is shaped around the
 * ingest tiers (fixed metric names per tier); consumers report per topic and per game server.
 */
import type { ConsumedRecord } from './types';

export type EmfUnit = 'Count' | 'Milliseconds';

export interface EmfDocument {
  dimensions: Record<string, string>;
  metrics: Record<string, { value: number; unit: EmfUnit }>;
  /** Plain fields: searchable in Logs Insights, not metrics (no per-value cost). */
  properties?: Record<string, unknown>;
}

export function emfLine(namespace: string, doc: EmfDocument, now = Date.now()): string {
  const declare = Object.keys(doc.metrics).length > 0;
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: declare
        ? [
            {
              Namespace: namespace,
              Dimensions: [Object.keys(doc.dimensions)],
              Metrics: Object.entries(doc.metrics).map(([Name, m]) => ({ Name, Unit: m.unit })),
            },
          ]
        : [],
    },
    ...doc.dimensions,
    ...doc.properties,
    ...Object.fromEntries(Object.entries(doc.metrics).map(([k, m]) => [k, m.value])),
  });
}

/**
 * How far behind the consumer is, in time: the age of the newest record it just handled
 * (Lambda's event carries no high watermark, so offset lag itself comes from Lambda's own
 * OffsetLag metric of the event source mapping, or `npm run consumer-lag`).
 */
export function recordAges(records: readonly ConsumedRecord[], now = Date.now()): { newestMs: number; oldestMs: number } | undefined {
  if (!records.length) return undefined;
  let newest = -Infinity;
  let oldest = Infinity;
  for (const r of records) {
    newest = Math.max(newest, r.timestamp);
    oldest = Math.min(oldest, r.timestamp);
  }
  return { newestMs: Math.max(0, now - newest), oldestMs: Math.max(0, now - oldest) };
}
