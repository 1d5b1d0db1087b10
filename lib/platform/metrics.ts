/**
 * CloudWatch metrics as Embedded Metric Format lines: the one EMF writer (emfLine), and the
 * per-invocation counters the ingest and outbox functions derive from their record statuses.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { RecordStatus, RecordStatusKind } from '../domain/record';
import type { Tier } from '../domain/tiers';

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

export type MetricName = 'received' | RecordStatusKind | 'sendFailures' | 'dead';
/**
 * Point-in-time values: of the outbox, reported by the relay; of one audit run (outbox-verify:
 * tombstones checked, ids missing from Kafka, 1 when the read was incomplete). Gauges are written
 * even when 0, so "nothing missing" is a data point, not an absence.
 */
export type GaugeName = 'pending' | 'oldestPendingAgeMs' | 'deadEntries' | 'auditChecked' | 'auditMissing' | 'auditIncomplete';
const GAUGE_UNITS: Record<GaugeName, EmfUnit> = {
  pending: 'Count',
  oldestPendingAgeMs: 'Milliseconds',
  deadEntries: 'Count',
  auditChecked: 'Count',
  auditMissing: 'Count',
  auditIncomplete: 'Count',
};

type TierOrUnrouted = Tier | 'unrouted';

/** Per-invocation counters and gauges, written as one EMF document per tier. */
export class InvocationMetrics {
  private readonly counts = new Map<TierOrUnrouted, Map<MetricName | GaugeName, number>>();

  add(tier: TierOrUnrouted, metric: MetricName, n = 1): void {
    if (n === 0) return;
    const perTier = this.tier(tier);
    perTier.set(metric, (perTier.get(metric) ?? 0) + n);
  }

  /**
   * Counts what the pipeline reported: every routed record is `received` in its tier, then
   * counted under its status; a record refused before routing counts as `unrouted` `rejected`.
   */
  addStatuses(statuses: readonly RecordStatus[]): void {
    for (const s of statuses) {
      if (s.tier) this.add(s.tier, 'received');
      this.add(s.tier ?? 'unrouted', s.status);
    }
  }

  gauge(tier: Tier, name: GaugeName, value: number): void {
    this.tier(tier).set(name, value);
  }

  get(tier: TierOrUnrouted, metric: MetricName | GaugeName): number {
    return this.counts.get(tier)?.get(metric) ?? 0;
  }

  private tier(tier: TierOrUnrouted) {
    let perTier = this.counts.get(tier);
    if (!perTier) this.counts.set(tier, (perTier = new Map()));
    return perTier;
  }

  toEmf(namespace: string, functionName: string, properties?: Record<string, unknown>, now = Date.now()): string[] {
    return [...this.counts].map(([tier, metrics]) =>
      emfLine(
        namespace,
        {
          dimensions: { FunctionName: functionName, Tier: tier },
          metrics: Object.fromEntries([...metrics].map(([name, value]) => [emfName(name), { value, unit: GAUGE_UNITS[name as GaugeName] ?? 'Count' }])),
          ...(properties && { properties }),
        },
        now,
      ),
    );
  }
}

function emfName(metric: string): string {
  return metric[0]!.toUpperCase() + metric.slice(1);
}
