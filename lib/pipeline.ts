import type { DecodeResult, ForwardRecord, RecordStatus } from './record';
import type { Router } from './router';
import type { Sink } from './sinks/sink';
import type { InvocationMetrics } from './telemetry';

export interface PipelineDeps {
  router: Router;
  /** Each tier is served by at most one sink; a tier with no sink is not accepted here. */
  sinks: readonly Sink[];
}

/**
 * decode result → route → sinks → one status per input record, in input order.
 * Pure orchestration: every I/O happens behind the sinks.
 */
export async function runPipeline(
  decoded: DecodeResult,
  deps: PipelineDeps,
  deadline: number,
  metrics: InvocationMetrics,
): Promise<RecordStatus[]> {
  const statuses: RecordStatus[] = decoded.rejects.map((r) => ({
    index: r.index,
    status: 'rejected',
    reason: r.reason,
    ...(r.itemId !== undefined && { itemId: r.itemId }),
  }));
  metrics.add('unrouted', 'rejected', decoded.rejects.length);

  const perSink = new Map<Sink, ForwardRecord[]>();
  for (const record of decoded.records) {
    const routed = deps.router(record);
    metrics.add(routed.tier, 'received');
    const sink = deps.sinks.find((s) => s.tiers.includes(routed.tier));
    if (!sink) {
      metrics.add(routed.tier, 'rejected');
      statuses.push({
        index: routed.sourceRef.index,
        status: 'rejected',
        id: routed.id,
        tier: routed.tier,
        reason: `tier "${routed.tier}" is not accepted on this endpoint`,
        ...(routed.sourceRef.itemId !== undefined && { itemId: routed.sourceRef.itemId }),
      });
      continue;
    }
    const list = perSink.get(sink);
    if (list) list.push(routed);
    else perSink.set(sink, [routed]);
  }

  const written = await Promise.all([...perSink].map(([sink, records]) => sink.write(records, deadline)));
  for (const s of written.flat()) {
    if (s.tier) metrics.add(s.tier, s.status);
    statuses.push(s);
  }
  return statuses.sort((a, b) => a.index - b.index);
}
