/**
 * The one results table: every figure next to its same-run baseline, the ratio, and the issue's
 * target (printed for reading, never asserted).
 */
import type { BaselineResult, BaselineSet } from './baselines';
import type { ColdStartResult } from './cold-start';
import { FIRE_AND_FORGET_FUNCTIONS } from './cold-start';
import type { CriticalResult, RelayResult } from './critical';
import type { DynamoBaseline } from './dynamo-baseline';
import { isMainScenario, type FfResult } from './fire-and-forget';
import type { MemoryResult } from './memory';
import { fmtInt, fmtMs, fmtRatio, mean, round } from './stats';

export const TARGETS = {
  kcatRatio: 0.5,
  p99TenThousandMs: 50,
  bundleKb: 400,
  moduleLoadMs: 60,
  criticalP99Ms: 100,
  relayEventsPerSec: 5_000,
  peakRssMb: 128,
} as const;

export interface Row {
  section: string;
  measurement: string;
  result: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true / false against the target, undefined when there is none. */
  ok?: boolean;
}

export interface BaselineSummary {
  tool: BaselineResult['tool'];
  compression: BaselineResult['compression'];
  recordsPerSec: number;
  runs: number[];
  /** Summed over the runs. */
  records: number;
  arrived: number;
}

/** acks=0 loss is silent: say so when the topic grew by less than what was sent. */
const arrivedNote = (arrived: number, sent: number) => (arrived < sent ? ` (${((100 * arrived) / sent).toFixed(1)}% arrived)` : '');

/** Mean over the baseline runs (before and after our runs) of each baseline. */
export function summarizeBaselines(runs: BaselineSet[]): Record<keyof BaselineSet, BaselineSummary> | undefined {
  if (!runs.length) return undefined;
  const keys = Object.keys(runs[0]!) as (keyof BaselineSet)[];
  return Object.fromEntries(
    keys.map((k) => {
      const rates = runs.map((r) => r[k].recordsPerSec);
      const summary: BaselineSummary = {
        tool: runs[0]![k].tool,
        compression: runs[0]![k].compression,
        recordsPerSec: round(mean(rates)),
        runs: rates,
        records: runs.reduce((n, r) => n + r[k].records, 0),
        arrived: runs.reduce((n, r) => n + r[k].arrived, 0),
      };
      return [k, summary];
    }),
  ) as Record<keyof BaselineSet, BaselineSummary>;
}

export interface ReportInput {
  baselineRuns: BaselineSet[];
  baselineRecords: number;
  fireAndForget: FfResult[];
  dynamoBaseline?: DynamoBaseline;
  critical: CriticalResult[];
  relay?: RelayResult;
  coldStart: ColdStartResult[];
  memory: MemoryResult[];
  scaling: FfResult[];
}

const ffLabel = (r: FfResult) =>
  `${r.kind === 'heartbeat' ? 'heartbeats' : 'logs'}, ${r.encoding} body → ${r.kind === 'heartbeat' ? 'realtime (no compr.)' : 'logs (gzip)'}`;

export function buildRows(input: ReportInput): Row[] {
  const rows: Row[] = [];
  const base = summarizeBaselines(input.baselineRuns);
  const push = (r: Omit<Row, 'baseline' | 'ratio' | 'target'> & Partial<Row>) =>
    rows.push({ baseline: '', ratio: '', target: '', ...r });

  if (base) {
    const n = fmtInt(input.baselineRecords);
    for (const b of Object.values(base)) {
      push({
        section: 'baseline',
        measurement: `${b.tool} acks=0, ${b.compression === 'gzip' ? 'gzip' : 'no compression'} (${n} × 200 B)`,
        result: `${fmtInt(b.recordsPerSec)} rec/s` + arrivedNote(b.arrived, b.records),
        baseline: b.runs.length > 1 ? `runs: ${b.runs.map(fmtInt).join(' / ')}` : '',
      });
    }
  }

  for (const r of input.fireAndForget.filter(isMainScenario)) {
    const kcat = base && (r.kafkaCompression === 'gzip' ? base.kcatGzip : base.kcatPlain);
    const perf = base && (r.kafkaCompression === 'gzip' ? base.perfGzip : base.perfPlain);
    const vsKcat = kcat ? r.recordsPerSec / kcat.recordsPerSec : NaN;
    const vsPerf = perf ? r.recordsPerSec / perf.recordsPerSec : NaN;
    push({
      section: 'fire-and-forget',
      measurement: `${ffLabel(r)}, ${fmtInt(r.batch)} lines`,
      result: `${fmtInt(r.recordsPerSec)} rec/s` + (r.dropped ? ` (${fmtInt(r.dropped)} dropped)` : '') + arrivedNote(r.arrived, r.records),
      baseline: kcat && perf ? `kcat ${fmtInt(kcat.recordsPerSec)} · perf ${fmtInt(perf.recordsPerSec)}` : '',
      ratio: kcat && perf ? `${fmtRatio(vsKcat)} kcat · ${fmtRatio(vsPerf)} perf` : '',
      target: `≥ ${TARGETS.kcatRatio.toFixed(2)}× kcat`,
      ...(kcat && { ok: vsKcat >= TARGETS.kcatRatio }),
    });
  }

  const latencyOrder = (r: FfResult) => `${r.kind}:${r.encoding === 'plain' ? 0 : 1}:${String(r.batch).padStart(6, '0')}`;
  const latencyRows = input.fireAndForget.filter((x) => x.batch >= 1_000).sort((a, b) => latencyOrder(a).localeCompare(latencyOrder(b)));
  for (const r of latencyRows) {
    const l = r.latencyMs;
    const tenK = r.batch >= 10_000;
    push({
      section: 'latency',
      measurement: `${ffLabel(r)}, ${fmtInt(r.batch)} lines (n=${l.n})`,
      result: `p50 ${fmtMs(l.p50)} · p99 ${fmtMs(l.p99)} · max ${fmtMs(l.max)} ms`,
      target: tenK ? `p99 ≤ ${TARGETS.p99TenThousandMs} ms` : '',
      ...(tenK && { ok: l.p99 <= TARGETS.p99TenThousandMs }),
    });
  }

  const ddb = input.dynamoBaseline;
  if (ddb) {
    push({
      section: 'critical',
      measurement: `DynamoDB Local alone (raw client, ${fmtInt(ddb.ops)} ops each)`,
      result: `PutItem p50 ${fmtMs(ddb.putItemP50Ms)} ms · ${fmtInt(ddb.putItemsPerSec)} puts/s`,
      baseline: `claim UpdateItem ${fmtInt(ddb.claimUpdatesPerSec)}/s · BatchWrite ${fmtInt(ddb.batchWriteItemsPerSec)} items/s`,
    });
  }
  for (const r of input.critical) {
    const big = r.batch >= 100;
    push({
      section: 'critical',
      measurement: `${r.batch} events/invocation, outbox + acks=all (n=${r.latencyMs.n})`,
      result: `p50 ${fmtMs(r.latencyMs.p50)} · p99 ${fmtMs(r.latencyMs.p99)} ms · ${fmtInt(r.eventsPerSec)} ev/s`,
      baseline:
        (ddb ? `raw PutItem p50 ${fmtMs(ddb.putItemP50Ms)} ms` : '') +
        (r.persisted || r.retry ? ` (${fmtInt(r.persisted)} left to relay, ${fmtInt(r.retry)} retry)` : ''),
      ratio: ddb ? `${fmtRatio(r.eventsPerSec / ddb.putItemsPerSec)} raw puts/s` : '',
      target: big ? `p99 ≤ ${TARGETS.criticalP99Ms} ms` : '',
      ...(big && { ok: r.latencyMs.p99 <= TARGETS.criticalP99Ms }),
    });
  }
  if (input.relay) {
    const r = input.relay;
    push({
      section: 'critical',
      measurement: `relay drain of ${fmtInt(r.backlog)} pending (batch ${r.batchSize}; seeding took ${r.seedSeconds.toFixed(1)} s)`,
      result: `${fmtInt(r.eventsPerSec)} ev/s (${r.drainSeconds.toFixed(1)} s)`,
      baseline: ddb ? `raw claim UpdateItem ${fmtInt(ddb.claimUpdatesPerSec)}/s` : '',
      ratio: ddb ? `${fmtRatio(r.eventsPerSec / ddb.claimUpdatesPerSec)} raw claims/s` : '',
      target: `≥ ${fmtInt(TARGETS.relayEventsPerSec)} ev/s`,
      ok: r.eventsPerSec >= TARGETS.relayEventsPerSec,
    });
  }

  for (const c of input.coldStart) {
    const ff = FIRE_AND_FORGET_FUNCTIONS.includes(c.fn);
    const sizeKb = c.bundleBytes / 1024;
    push({
      section: 'cold start',
      measurement: c.fn,
      result: c.loadError
        ? `${sizeKb.toFixed(0)} KB · does not load with the bench env`
        : `${sizeKb.toFixed(0)} KB · load ${fmtMs(c.moduleLoadMs)} ms` +
          (c.firstInvokeMs !== undefined ? ` · 1st call ${fmtMs(c.firstInvokeMs)} ms` : ''),
      baseline: `bare node ${fmtMs(c.bareNodeMs)} ms` + (c.loadError ? '' : ` · require() in-process ${fmtMs(c.requireMs)} ms`),
      target: ff ? `≤ ${TARGETS.bundleKb} KB, ≤ ${TARGETS.moduleLoadMs} ms` : '',
      ...(ff && { ok: sizeKb <= TARGETS.bundleKb && c.moduleLoadMs <= TARGETS.moduleLoadMs }),
    });
  }

  for (const m of input.memory) {
    push({
      section: 'memory',
      measurement: `${m.scenario} (${(m.decodedBytes / 1e6).toFixed(2)} MB decoded)`,
      result: `peak RSS ${m.peakRssMb.toFixed(0)} MB (128 MB flags: ${m.peakRssMbWith128Flags.toFixed(0)})`,
      baseline: `loaded ${m.rssAfterLoadMb.toFixed(0)} · event ${m.rssBeforeInvokeMb.toFixed(0)} · 1st call ${m.peakAfterEachMb[0]?.toFixed(0)} MB`,
      target: `≤ ${TARGETS.peakRssMb} MB`,
      ok: m.peakRssMb <= TARGETS.peakRssMb,
    });
  }

  for (const s of input.scaling) {
    const size = s.lineBytes >= 1024 ? `${s.lineBytes / 1024} KB` : `${s.lineBytes} B`;
    push({
      section: 'scaling',
      measurement: `heartbeats plain, ${size} records × ${fmtInt(s.batch)} (${(s.bodyBytes / 1e6).toFixed(2)} MB)`,
      result: `${s.usPerRecord.toFixed(1)} µs/rec · ${s.mbPerSec.toFixed(1)} MB/s`,
      baseline: `${fmtInt(s.recordsPerSec)} rec/s · p50 ${fmtMs(s.latencyMs.p50)} ms`,
    });
  }
  return rows;
}

export function formatTable(rows: Row[]): string {
  const header: Row = { section: 'area', measurement: 'measurement', result: 'result', baseline: 'same-run baseline / context', ratio: 'ratio', target: 'target' };
  const cols = ['section', 'measurement', 'result', 'baseline', 'ratio', 'target'] as const;
  const cell = (r: Row, c: (typeof cols)[number]) => (c === 'target' && r.ok !== undefined ? `${r.target} ${r.ok ? '✓' : '✗'}` : r[c]);
  const widths = cols.map((c) => Math.max(...[header, ...rows].map((r) => cell(r, c).length)));
  const line = (r: Row) => cols.map((c, i) => cell(r, c).padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  ')];
  let section = '';
  for (const r of rows) {
    if (section && r.section !== section) out.push('');
    section = r.section;
    out.push(line(r));
  }
  return out.join('\n');
}
