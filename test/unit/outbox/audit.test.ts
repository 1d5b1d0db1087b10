/**
 * The audit's classification against a fake topic: a log per topic and partition, read the way
 * KafkaConsumerClient.readRanges reads (clamped to what the partition holds).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OffsetRange } from '../../../lib/consume/types';
import { auditDeliveries, isClean, rangeReader, verifyOutboxWindow, type AuditedRecord, type AuditProgress, type RangeRead, type RangeReader } from '../../../lib/outbox/audit';
import type { DeliveredEntry } from '../../../lib/outbox/store';

const WINDOW = { from: 1_000, to: 2_000 };

/** topic → partition → event ids at offsets logStart, logStart + 1, ... */
type FakeLog = Record<string, Record<number, (string | undefined)[]>>;

/** A reader over a fake log; records every call. `logStart` removes the first offsets (retention). */
function fakeReader(log: FakeLog, opts: { logStart?: number; stopAfter?: number } = {}) {
  const calls: { topic: string; ranges: OffsetRange[] }[] = [];
  const read: RangeReader = async (topic, ranges) => {
    calls.push({ topic, ranges });
    const records: AuditedRecord[] = [];
    let complete = true;
    const read: OffsetRange[] = [];
    for (const { partition, start, end } of ranges) {
      const ids = log[topic]?.[partition] ?? [];
      const low = Math.min(opts.logStart ?? 0, ids.length);
      if (start < end && start < low) complete = false;
      const from = Math.max(start, low);
      const to = Math.max(from, Math.min(end, ids.length));
      read.push({ partition, start: from, end: to });
      for (let offset = from; offset < to; offset++) {
        // A read cut short by its time limit: only the first `stopAfter` offsets of each partition.
        if (opts.stopAfter !== undefined && offset - from >= opts.stopAfter) {
          complete = false;
          break;
        }
        const id = ids[offset];
        records.push({ partition, offset, headers: id === undefined ? {} : { 'ef-event-id': id } });
      }
    }
    return { records, complete, ranges: read } satisfies RangeRead;
  };
  return { read, calls };
}

const at = (id: string, partition: number, offset: number, topic = 'crit'): DeliveredEntry => ({ id, deliveredAt: 1_500, topic, partition, offset });
const unlocated = (id: string): DeliveredEntry => ({ id, deliveredAt: 1_500 });

describe('auditDeliveries', () => {
  test('every event at its acknowledged offset: clean, and only [min, max + 1) of each partition is read', async () => {
    const log: FakeLog = { crit: { 0: ['a0', 'a1', 'a2', 'a3', 'a4'], 1: ['b0', 'b1'] } };
    const { read, calls } = fakeReader(log);
    const report = await auditDeliveries([at('a1', 0, 1), at('a3', 0, 3), at('b0', 1, 0)], read, WINDOW);
    assert.deepEqual(calls, [{ topic: 'crit', ranges: [{ partition: 0, start: 1, end: 4 }, { partition: 1, start: 0, end: 1 }] }]);
    assert.deepEqual(report, {
      ...WINDOW,
      checked: 3,
      present: 3,
      misplaced: 0,
      missing: [],
      unverifiable: 0,
      unread: 0,
      partitionsRead: 2,
      messagesRead: 4,
      complete: true,
    });
    assert.ok(isClean(report));
  });

  test('acknowledged at an offset that holds another event, and nowhere else: missing, by id', async () => {
    const { read } = fakeReader({ crit: { 0: ['a0', 'a1', 'a2'] } });
    // The silently dropped "duplicate": the broker answered with the offset of a batch it already had.
    const report = await auditDeliveries([at('a0', 0, 0), at('ghost', 0, 1), at('a2', 0, 2)], read, WINDOW);
    assert.deepEqual(report.missing, ['ghost']);
    assert.equal(report.present, 2);
    assert.equal(report.complete, true);
    assert.ok(!isClean(report));
  });

  test('in Kafka but not at its recorded offset: misplaced, not missing', async () => {
    const { read } = fakeReader({ crit: { 0: ['a0', 'a1', 'x', 'a3'] } });
    const report = await auditDeliveries([at('a3', 0, 1), at('a1', 0, 3)], read, WINDOW);
    assert.equal(report.misplaced, 2);
    assert.deepEqual(report.missing, []);
    assert.equal(report.present, 0);
  });

  test('acknowledged past the end of the partition: missing (the reader clamps, the read is complete)', async () => {
    const { read, calls } = fakeReader({ crit: { 0: ['a0', 'a1'] } });
    const report = await auditDeliveries([at('a1', 0, 1), at('beyond', 0, 1_000)], read, WINDOW);
    assert.deepEqual(calls[0]!.ranges, [{ partition: 0, start: 1, end: 1_001 }]);
    assert.deepEqual(report.missing, ['beyond']);
    assert.equal(report.present, 1);
    assert.equal(report.messagesRead, 1);
  });

  test('a partition the topic does not have: missing', async () => {
    const { read } = fakeReader({ crit: { 0: ['a0'] } });
    const report = await auditDeliveries([at('a0', 0, 0), at('lost', 7, 0)], read, WINDOW);
    assert.deepEqual(report.missing, ['lost']);
  });

  test('tombstones without a location are checked by id against everything read; unfound ones are counted apart, not as missing', async () => {
    const { read, calls } = fakeReader({ crit: { 0: ['a0', 'a1', 'old'] } });
    const report = await auditDeliveries([at('a0', 0, 0), at('a1', 0, 2), unlocated('old'), unlocated('older')], read, WINDOW);
    assert.equal(calls.length, 1, 'only located entries decide what is read');
    // a1 is at offset 1, not 2: misplaced; 'old' is found by id; 'older' cannot be placed.
    assert.deepEqual({ present: report.present, misplaced: report.misplaced, unverifiable: report.unverifiable, missing: report.missing }, { present: 2, misplaced: 1, unverifiable: 1, missing: [] });
    assert.equal(report.checked, 4);
  });

  test('only tombstones without a location: nothing to read, all unverifiable, the read (of nothing) complete', async () => {
    const { read, calls } = fakeReader({});
    const report = await auditDeliveries([unlocated('a'), unlocated('b')], read, WINDOW);
    assert.equal(calls.length, 0);
    assert.equal(report.unverifiable, 2);
    assert.equal(report.partitionsRead, 0);
  });

  test('a read cut short is never clean: what it passed is judged, what it did not reach is unread', async () => {
    const { read } = fakeReader({ crit: { 0: ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'] } }, { stopAfter: 3 });
    const report = await auditDeliveries([at('a0', 0, 0), at('gone', 0, 1), at('a4', 0, 4), at('a5', 0, 5)], read, WINDOW);
    assert.equal(report.complete, false);
    assert.equal(report.present, 1);
    assert.deepEqual(report.missing, ['gone'], 'offset 1 was read and holds another event');
    assert.equal(report.unread, 2, 'offsets 4 and 5 were never reached');
    assert.equal(report.checked, report.present + report.misplaced + report.missing.length + report.unverifiable + report.unread);
    assert.ok(!isClean(report));
  });

  test('an incomplete read with nothing missing is still not clean', async () => {
    const { read } = fakeReader({ crit: { 0: ['a0', 'a1', 'a2'] } }, { stopAfter: 1 });
    const report = await auditDeliveries([at('a0', 0, 0), at('a2', 0, 2)], read, WINDOW);
    assert.deepEqual(report.missing, []);
    assert.equal(report.unread, 1);
    assert.ok(!isClean(report));
  });

  test('offsets removed before the read (below the log start) are unread, not missing, and the report is incomplete', async () => {
    const { read } = fakeReader({ crit: { 0: ['a0', 'a1', 'a2', 'a3'] } }, { logStart: 2 });
    const report = await auditDeliveries([at('a0', 0, 0), at('a3', 0, 3)], read, WINDOW);
    assert.equal(report.complete, false);
    assert.deepEqual(report.missing, []);
    assert.equal(report.unread, 1);
    assert.equal(report.present, 1);
  });

  test('one read per topic; an entry is judged against its own topic\'s offsets', async () => {
    const { read, calls } = fakeReader({ crit: { 0: ['c0', 'x', 'c2'] }, other: { 0: ['o0', 'o1'] } });
    const report = await auditDeliveries([at('c0', 0, 0), at('c2', 0, 2), at('o0', 0, 0, 'other'), at('x', 0, 1, 'other')], read, WINDOW);
    assert.deepEqual(calls.map((c) => c.topic).sort(), ['crit', 'other']);
    // x is at crit/0/1, but its tombstone says other/0/1 (which holds o1): in Kafka, not where recorded.
    assert.equal(report.present, 3);
    assert.equal(report.misplaced, 1);
    assert.equal(report.partitionsRead, 2);
  });

  test('records without an event id header match nothing', async () => {
    const { read } = fakeReader({ crit: { 0: [undefined, 'a1'] } });
    const report = await auditDeliveries([at('a0', 0, 0)], read, WINDOW);
    assert.deepEqual(report.missing, ['a0']);
  });
});

describe('verifyOutboxWindow and rangeReader', () => {
  test('lists the window\'s tombstones from the store, reports progress, then audits them', async () => {
    const asked: { from: number; to: number }[] = [];
    const store = { listDelivered: async (w: { from: number; to: number }) => (asked.push(w), [at('a0', 0, 0), unlocated('x')]) };
    const steps: AuditProgress[] = [];
    const report = await verifyOutboxWindow(store, fakeReader({ crit: { 0: ['a0'] } }).read, { ...WINDOW, onProgress: (p) => steps.push(p) });
    assert.deepEqual(asked, [WINDOW]);
    assert.deepEqual(steps.map((s) => s.step), ['listed', 'reading', 'read']);
    assert.deepEqual(steps[0], { step: 'listed', entries: 2, unlocated: 1 });
    assert.equal(report.present, 1);
    assert.equal(report.unverifiable, 1);
  });

  test('rangeReader asks for headers only, with the time left until the deadline (never negative)', async () => {
    const calls: unknown[] = [];
    const admin = {
      readRanges: async (topic: string, ranges: readonly OffsetRange[], opts?: object) => (calls.push({ topic, ranges, opts }), { records: [], complete: true, ranges: [...ranges] }),
    };
    let clock = 10_000;
    const read = rangeReader(admin, 15_000, () => clock);
    await read('crit', [{ partition: 0, start: 1, end: 2 }]);
    clock = 20_000;
    await read('crit', [{ partition: 1, start: 0, end: 1 }]);
    assert.deepEqual(calls, [
      { topic: 'crit', ranges: [{ partition: 0, start: 1, end: 2 }], opts: { timeoutMs: 5_000, headersOnly: true } },
      { topic: 'crit', ranges: [{ partition: 1, start: 0, end: 1 }], opts: { timeoutMs: 0, headersOnly: true } },
    ]);
  });
});
