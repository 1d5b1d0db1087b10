/**
 * The last minutes of the live metrics, for the dashboard's charts: snapshots of the cumulative
 * counters taken at a steady pace, turned into per-second rates between neighbours. Rates are
 * computed here rather than in the page so that a page opened late still gets the whole history.
 */
import { TIERS, type Tier } from '../../lib/domain/tiers';
import { TIER_COLUMNS, type Snapshot, type TierColumn } from './metrics';

export interface RateSeries {
  /** End of each interval (epoch ms); rates[i] is over (at[i-1], at[i]]. */
  at: number[];
  /** Records per second, per tier and column, one value per interval. */
  tiers: Record<Tier, Record<TierColumn, number[]>>;
  /** Outbox gauges as the relay last reported them, at the end of each interval. */
  pending: number[];
  deadEntries: number[];
}

export class MetricsHistory {
  private readonly snapshots: Snapshot[] = [];

  /** @param intervals how many rate intervals to keep (one more snapshot than that). */
  constructor(private readonly intervals: number) {}

  add(snap: Snapshot): void {
    this.snapshots.push(snap);
    if (this.snapshots.length > this.intervals + 1) this.snapshots.shift();
  }

  series(): RateSeries {
    const tiers = Object.fromEntries(
      TIERS.map((t) => [t, Object.fromEntries(TIER_COLUMNS.map((c) => [c, [] as number[]]))]),
    ) as RateSeries['tiers'];
    const out: RateSeries = { at: [], tiers, pending: [], deadEntries: [] };
    for (let i = 1; i < this.snapshots.length; i++) {
      const [prev, cur] = [this.snapshots[i - 1]!, this.snapshots[i]!];
      const secs = (cur.at - prev.at) / 1000;
      if (secs <= 0) continue;
      out.at.push(cur.at);
      for (const t of TIERS) {
        for (const c of TIER_COLUMNS) tiers[t][c].push(round1((cur.tiers[t][c] - prev.tiers[t][c]) / secs));
      }
      out.pending.push(cur.relay.pending);
      out.deadEntries.push(cur.relay.deadEntries);
    }
    return out;
  }

  /** Per-second rates over the last `span` intervals (what the terminal view shows as /s). */
  recentRates(span: number): Record<Tier, Record<TierColumn, number>> {
    const last = this.snapshots[this.snapshots.length - 1];
    const first = this.snapshots[Math.max(0, this.snapshots.length - 1 - span)];
    const secs = last && first ? (last.at - first.at) / 1000 : 0;
    const rate = (t: Tier, c: TierColumn) => (secs > 0 ? round1((last!.tiers[t][c] - first!.tiers[t][c]) / secs) : 0);
    return Object.fromEntries(TIERS.map((t) => [t, Object.fromEntries(TIER_COLUMNS.map((c) => [c, rate(t, c)]))])) as Record<
      Tier,
      Record<TierColumn, number>
    >;
  }
}

/** One decimal is all a chart or a "/s" cell shows; it keeps metrics.json small. */
const round1 = (x: number) => Math.round(x * 10) / 10;
