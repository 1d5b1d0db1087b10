/**
 * Loss estimation from sequence gaps (pure: messages in, report out).
 *
 * Every forwarded record carries ef-producer (one producer instance, i.e. one Lambda container's
 * producer) and ef-seq (0, 1, 2, ... per producer instance and topic). Under acks=0 no producer
 * callback ever hears about a lost write; the consumer can still count the holes:
 *
 *   missing  = sequence numbers between the lowest and highest seen that never arrived
 *   expected = highest - lowest + 1;   loss rate = missing / expected
 *
 * Deliberately conservative:
 * - A window that starts mid-stream begins at the lowest sequence number seen, so records before
 *   the window are never counted as lost; likewise losses after the last seen record are
 *   invisible (the tail of a producer that then went away).
 * - Sequence numbers count per topic across partitions, so gaps are found on the set of numbers,
 *   not on arrival order (partitions interleave freely).
 * - A restarted container has a new producer id and starts at 0 again: a separate row.
 * Duplicates: the same producer+seq seen twice (a replay, or a retried send), and the same event
 * id seen twice (also across producers: a client retry, or the outbox relay re-sending).
 */
import { HEADER } from '../domain/record';

export interface LossInput {
  topic: string;
  timestamp: number;
  headers: Readonly<Record<string, string>>;
}

export interface ProducerLoss {
  producer: string;
  /** Records seen from this producer (duplicates included). */
  records: number;
  firstSeq: number;
  lastSeq: number;
  expected: number;
  missing: number;
  lossRate: number;
  /** Extra copies of a producer+seq already seen. */
  duplicates: number;
  /** Missing ranges [from, to], inclusive; at most MAX_GAPS listed. */
  gaps: [number, number][];
  gapRanges: number;
  firstSeen: number;
  lastSeen: number;
}

export interface TopicLoss {
  topic: string;
  records: number;
  /** Records without ef-producer / a valid ef-seq (written by something else). */
  unsequenced: number;
  producers: ProducerLoss[];
  expected: number;
  missing: number;
  lossRate: number;
  duplicateSeqs: number;
  /** Extra copies of an ef-event-id already seen in this topic. */
  duplicateEventIds: number;
}

export interface LossReport {
  from: number;
  to: number;
  topics: TopicLoss[];
}

export const MAX_GAPS = 20;

export function lossReport(messages: Iterable<LossInput>, window: { from: number; to: number }): LossReport {
  const topics = new Map<string, { records: number; unsequenced: number; bySeq: Map<string, { seqs: number[]; first: number; last: number }>; ids: Map<string, number> }>();
  for (const m of messages) {
    let t = topics.get(m.topic);
    if (!t) topics.set(m.topic, (t = { records: 0, unsequenced: 0, bySeq: new Map(), ids: new Map() }));
    t.records++;
    const id = m.headers[HEADER.eventId];
    if (id) t.ids.set(id, (t.ids.get(id) ?? 0) + 1);
    const producer = m.headers[HEADER.producer];
    const seq = parseSeq(m.headers[HEADER.sequence]);
    if (!producer || seq === undefined) {
      t.unsequenced++;
      continue;
    }
    let p = t.bySeq.get(producer);
    if (!p) t.bySeq.set(producer, (p = { seqs: [], first: m.timestamp, last: m.timestamp }));
    p.seqs.push(seq);
    p.first = Math.min(p.first, m.timestamp);
    p.last = Math.max(p.last, m.timestamp);
  }

  const out: TopicLoss[] = [];
  for (const [topic, t] of [...topics].sort(([a], [b]) => a.localeCompare(b))) {
    const producers = [...t.bySeq].map(([producer, p]) => producerLoss(producer, p.seqs, p.first, p.last));
    producers.sort((a, b) => a.firstSeen - b.firstSeen || a.producer.localeCompare(b.producer));
    const expected = sum(producers.map((p) => p.expected));
    const missing = sum(producers.map((p) => p.missing));
    out.push({
      topic,
      records: t.records,
      unsequenced: t.unsequenced,
      producers,
      expected,
      missing,
      lossRate: expected ? missing / expected : 0,
      duplicateSeqs: sum(producers.map((p) => p.duplicates)),
      duplicateEventIds: sum([...t.ids.values()].map((n) => n - 1)),
    });
  }
  return { from: window.from, to: window.to, topics: out };
}

function producerLoss(producer: string, seqs: number[], firstSeen: number, lastSeen: number): ProducerLoss {
  seqs.sort((a, b) => a - b);
  const gaps: [number, number][] = [];
  let duplicates = 0;
  let missing = 0;
  let gapRanges = 0;
  for (let i = 1; i < seqs.length; i++) {
    const step = seqs[i]! - seqs[i - 1]!;
    if (step === 0) duplicates++;
    else if (step > 1) {
      missing += step - 1;
      gapRanges++;
      if (gaps.length < MAX_GAPS) gaps.push([seqs[i - 1]! + 1, seqs[i]! - 1]);
    }
  }
  const firstSeq = seqs[0]!;
  const lastSeq = seqs[seqs.length - 1]!;
  const expected = lastSeq - firstSeq + 1;
  return {
    producer,
    records: seqs.length,
    firstSeq,
    lastSeq,
    expected,
    missing,
    lossRate: missing / expected,
    duplicates,
    gaps,
    gapRanges,
    firstSeen,
    lastSeen,
  };
}

function parseSeq(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The report as an operator reads it in a terminal. */
export function formatLossReport(report: LossReport): string {
  const lines: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pct = (r: number) => `${(r * 100).toFixed(r > 0 && r < 0.001 ? 3 : 2)}%`;
  const n = (x: number) => x.toLocaleString('en-US');
  lines.push(`loss report ${iso(report.from)} → ${iso(report.to)}`);
  if (!report.topics.length) lines.push('  no records in this window');
  for (const t of report.topics) {
    lines.push('');
    lines.push(
      `${t.topic}: ${n(t.records)} records, ${t.producers.length} producer instance(s), ` +
        `missing ${n(t.missing)} of ${n(t.expected)} (est. loss ${pct(t.lossRate)}), ` +
        `duplicates: ${n(t.duplicateSeqs)} by producer+seq, ${n(t.duplicateEventIds)} by event id` +
        (t.unsequenced ? `, ${n(t.unsequenced)} without ef-seq` : ''),
    );
    const rows = [['producer', 'records', 'seq range', 'missing', 'loss', 'dup', 'gaps']];
    for (const p of t.producers) {
      const shown = p.gaps.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
      rows.push([
        p.producer,
        n(p.records),
        `${p.firstSeq}-${p.lastSeq}`,
        n(p.missing),
        pct(p.lossRate),
        n(p.duplicates),
        p.gapRanges > p.gaps.length ? `${shown},… (${p.gapRanges} ranges)` : shown || '-',
      ]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) lines.push('  ' + r.map((cell, c) => (c === 0 || c === 6 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
  }
  return lines.join('\n');
}

/** "90s", "10m", "2h", "1d" (or plain ms) → milliseconds; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}
