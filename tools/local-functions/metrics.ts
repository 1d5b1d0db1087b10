/**
 * The live view's numbers, read from the EMF lines the functions write: the same documents
 * CloudWatch would turn into metrics, so what the view shows is what production dashboards show.
 */
import { TIERS, type Tier } from '../../lib/domain/tiers';

export const TIER_COLUMNS = ['received', 'forwarded', 'dropped', 'rejected', 'persisted', 'retry'] as const;
export type TierColumn = (typeof TIER_COLUMNS)[number];
export type TierCounts = Record<TierColumn, number>;

export interface RelayState {
  runs: number;
  /** Critical records the relay delivered (ingest had left them in the outbox). */
  delivered: number;
  sendFailures: number;
  /** Entries that became dead during this session. */
  died: number;
  /** Gauges from the last relay run. */
  pending: number;
  oldestPendingAgeMs: number;
  deadEntries: number;
  lastRunAt?: number;
  lastError?: string;
}

export interface Snapshot {
  at: number;
  tiers: Record<Tier, TierCounts>;
  relay: RelayState;
}

interface EmfDoc {
  _aws?: { CloudWatchMetrics?: { Metrics?: { Name?: string }[] }[] };
  FunctionName?: string;
  Tier?: string;
  [field: string]: unknown;
}

export class LiveMetrics {
  private readonly tiers = Object.fromEntries(TIERS.map((t) => [t, zero()])) as Record<Tier, TierCounts>;
  private readonly relay: RelayState = { runs: 0, delivered: 0, sendFailures: 0, died: 0, pending: 0, oldestPendingAgeMs: 0, deadEntries: 0 };

  /**
   * @param homeTier function name → the tier its rejects count against. Records rejected while
   *   decoding carry Tier "unrouted" in EMF (no tier is known before routing).
   * @param relayFunction the relay's function name: its metrics describe the outbox, not ingest.
   */
  constructor(
    private readonly homeTier: Readonly<Record<string, Tier>>,
    private readonly relayFunction: string,
  ) {}

  /** Feeds one telemetry line; returns true when it was an EMF document. */
  ingest(line: string): boolean {
    if (!line.startsWith('{"_aws"')) return false;
    let doc: EmfDoc;
    try {
      doc = JSON.parse(line) as EmfDoc;
    } catch {
      return false;
    }
    const names = (doc._aws?.CloudWatchMetrics ?? []).flatMap((m) => m.Metrics ?? []).flatMap((m) => (m.Name ? [m.Name] : []));
    const values = new Map(names.flatMap((n) => (typeof doc[n] === 'number' ? [[n, doc[n] as number] as const] : [])));
    if (doc.FunctionName === this.relayFunction) this.relayDoc(values);
    else this.ingestDoc(doc, values);
    return true;
  }

  /** The relay loop reports runs and failures that never reach EMF (the handler threw). */
  relayRun(at: number, error?: string): void {
    this.relay.runs++;
    this.relay.lastRunAt = at;
    if (error === undefined) delete this.relay.lastError;
    else this.relay.lastError = error;
  }

  snapshot(now = Date.now()): Snapshot {
    const tiers = Object.fromEntries(TIERS.map((t) => [t, { ...this.tiers[t] }])) as Record<Tier, TierCounts>;
    return { at: now, tiers, relay: { ...this.relay } };
  }

  private ingestDoc(doc: EmfDoc, values: Map<string, number>): void {
    const tier = doc.Tier === 'unrouted' ? this.homeTier[doc.FunctionName ?? ''] : (doc.Tier as Tier | undefined);
    const counts = tier !== undefined ? this.tiers[tier] : undefined;
    if (!counts) return;
    for (const column of TIER_COLUMNS) counts[column] += values.get(emfName(column)) ?? 0;
  }

  private relayDoc(values: Map<string, number>): void {
    const r = this.relay;
    r.delivered += values.get('Forwarded') ?? 0;
    r.sendFailures += values.get('SendFailures') ?? 0;
    r.died += values.get('Dead') ?? 0;
    r.pending = values.get('Pending') ?? r.pending;
    r.oldestPendingAgeMs = values.get('OldestPendingAgeMs') ?? r.oldestPendingAgeMs;
    r.deadEntries = values.get('DeadEntries') ?? r.deadEntries;
  }
}

function zero(): TierCounts {
  return { received: 0, forwarded: 0, dropped: 0, rejected: 0, persisted: 0, retry: 0 };
}

/** lib/platform/metrics.ts writes metric `forwarded` as EMF field `Forwarded`. */
function emfName(metric: string): string {
  return metric[0]!.toUpperCase() + metric.slice(1);
}
