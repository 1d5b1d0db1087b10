import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLossReport, lossReport, parseDuration, type LossInput } from '../../../lib/consume/loss';

const msg = (producer: string, seq: number, extra: Partial<LossInput> & { id?: string } = {}): LossInput => ({
  topic: extra.topic ?? 'edge.realtime',
  timestamp: extra.timestamp ?? 1_000 + seq,
  headers: { 'ef-producer': producer, 'ef-seq': String(seq), 'ef-event-id': extra.id ?? `${producer}:${seq}` },
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const window = { from: 0, to: 10_000 };

test('gaps between the lowest and highest sequence number are counted as missing', () => {
  const seqs = range(0, 99).filter((s) => ![10, 11, 12, 50].includes(s));
  const report = lossReport(seqs.map((s) => msg('p1', s)), window);
  const [t] = report.topics;
  const [p] = t!.producers;
  assert.equal(p!.records, 96);
  assert.equal(p!.expected, 100);
  assert.equal(p!.missing, 4);
  assert.deepEqual(p!.gaps, [[10, 12], [50, 50]]);
  assert.equal(p!.lossRate, 0.04);
  assert.equal(t!.missing, 4);
  assert.equal(t!.duplicateSeqs, 0);
});

test('arrival order does not matter: partitions interleave a producer\'s sequence', () => {
  const seqs = range(0, 49).reverse();
  const report = lossReport(seqs.map((s) => msg('p1', s)), window);
  assert.equal(report.topics[0]!.missing, 0);
});

test('a window starting mid-stream does not count the sequence numbers before the first one seen', () => {
  const report = lossReport(range(5_000, 5_099).map((s) => msg('p1', s)), window);
  const p = report.topics[0]!.producers[0]!;
  assert.equal(p.firstSeq, 5_000);
  assert.equal(p.expected, 100);
  assert.equal(p.missing, 0);
});

test('a restarted producer (new id, from 0) is its own row; topics are separate', () => {
  const input = [...range(0, 9).map((s) => msg('old', s)), ...range(0, 4).map((s) => msg('new', s, { timestamp: 5_000 + s })), msg('x', 3, { topic: 'edge.logs' })];
  const report = lossReport(input, window);
  assert.deepEqual(report.topics.map((t) => t.topic), ['edge.logs', 'edge.realtime']);
  const rt = report.topics[1]!;
  assert.deepEqual(rt.producers.map((p) => [p.producer, p.records, p.missing]), [['old', 10, 0], ['new', 5, 0]]);
});

test('duplicates: the same producer+seq twice, and the same event id twice (also across producers)', () => {
  const input = [
    ...range(0, 9).map((s) => msg('p1', s)),
    msg('p1', 3), // replayed record: same seq, same id
    msg('p1', 4),
    msg('relay', 0, { id: 'p1:7' }), // re-sent by another producer: new seq, same event id
  ];
  const t = lossReport(input, window).topics[0]!;
  assert.equal(t.duplicateSeqs, 2);
  assert.equal(t.duplicateEventIds, 3);
  assert.equal(t.missing, 0, 'a duplicate is not a gap');
  assert.equal(t.producers.find((p) => p.producer === 'p1')!.records, 12);
});

test('records without ef-producer / a valid ef-seq are counted apart', () => {
  const input: LossInput[] = [msg('p1', 0), { topic: 'edge.realtime', timestamp: 1, headers: { 'ef-seq': '1' } }, { topic: 'edge.realtime', timestamp: 1, headers: { 'ef-producer': 'p1', 'ef-seq': 'x' } }];
  const t = lossReport(input, window).topics[0]!;
  assert.equal(t.records, 3);
  assert.equal(t.unsequenced, 2);
});

test('the text report names producers, ranges, missing counts and gaps', () => {
  const input = [0, 1, 2, 5, 6, 9].map((s) => msg('edge-forwarder-0a1b2c3d4e5f', s));
  const text = formatLossReport(lossReport(input, { from: Date.UTC(2024, 4, 1, 12), to: Date.UTC(2024, 4, 1, 12, 10) }));
  assert.match(text, /loss report 2024-05-01T12:00:00Z → 2024-05-01T12:10:00Z/);
  assert.match(text, /edge\.realtime: 6 records, 1 producer instance\(s\), missing 4 of 10 \(est\. loss 40\.00%\)/);
  assert.match(text, /edge-forwarder-0a1b2c3d4e5f\s+6\s+0-9\s+4\s+40\.00%\s+0\s+3-4,7-8/);
  assert.match(formatLossReport(lossReport([], window)), /no records in this window/);
});

test('durations', () => {
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('ten minutes'), undefined);
});
