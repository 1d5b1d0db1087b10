import type { DecodeResult, ForwardRecord, RecordStatus } from './record';
import type { RecordKind, Tier } from './tiers';
import type { Router } from './router';
import type { Sink } from './sink';

export interface PipelineDeps {
  router: Router;
  /** Each tier is served by at most one sink; a tier with no sink is not accepted here. */
  sinks: readonly Sink[];
  /** The authenticated tenant's limits; absent = anything routable is allowed (AUTH_MODE=none, AWS-internal sources). */
  policy?: RecordPolicy;
}

/** What a tenant may write: checked per record after routing, so nothing else ever reaches a sink. */
export interface RecordPolicy {
  tenant: string;
  tiers: ReadonlySet<Tier>;
  kinds: ReadonlySet<RecordKind>;
  /** Every topic this tenant writes must start with this. */
  topicPrefix: string;
}

/** Why the policy forbids this record, or undefined if it is allowed. */
export function forbidden(policy: RecordPolicy, kind: RecordKind, routed: ForwardRecord): string | undefined {
  const who = `tenant "${policy.tenant}"`;
  if (!policy.kinds.has(kind)) return `${who} may not send ${kind} records`;
  if (!policy.tiers.has(routed.tier)) return `${who} may not write to the ${routed.tier} tier`;
  if (!routed.topic.startsWith(policy.topicPrefix)) return `topic "${routed.topic}" is outside ${who}'s prefix "${policy.topicPrefix}"`;
  return undefined;
}

/**
 * decode result → route → sinks → one status per input record, in input order.
 * Pure orchestration: every I/O happens behind the sinks; metrics are derived from the statuses.
 */
export async function runPipeline(decoded: DecodeResult, deps: PipelineDeps, deadline: number): Promise<RecordStatus[]> {
  const statuses: RecordStatus[] = decoded.rejects.map((r) => ({
    index: r.index,
    status: 'rejected',
    reason: r.reason,
    ...(r.itemId !== undefined && { itemId: r.itemId }),
  }));

  const perSink = new Map<Sink, ForwardRecord[]>();
  for (const record of decoded.records) {
    const routed = deps.router(record);
    const denied = deps.policy && forbidden(deps.policy, record.kind, routed);
    if (denied) {
      statuses.push({
        index: routed.sourceRef.index,
        status: 'rejected',
        code: 'forbidden',
        id: routed.id,
        tier: routed.tier,
        reason: `record ${routed.sourceRef.index}: forbidden: ${denied}`,
        ...(routed.sourceRef.itemId !== undefined && { itemId: routed.sourceRef.itemId }),
      });
      continue;
    }
    const sink = deps.sinks.find((s) => s.tiers.includes(routed.tier));
    if (!sink) {
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
  statuses.push(...written.flat());
  return statuses.sort((a, b) => a.index - b.index);
}
