import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryDedupeStore } from '../../../lib/consume/dedupe';
import { atLeastOnce, atMostOnce } from '../../../lib/consume/runner';
import type { BatchConsumer, BatchHandler, ConsumedRecord } from '../../../lib/consume/types';
import { createLogger } from '../../../lib/platform/telemetry';

const log = createLogger({ level: 'error', sink: () => undefined });

const record = (offset: number, id = `e${offset}`): ConsumedRecord => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 0,
  key: null,
  value: Buffer.from(String(offset)),
  headers: { 'ef-event-id': id },
});

/**
 * One partition, polled like kafkajs with auto-commit off: each poll returns up to `pollSize`
 * records from the position (the last commit); `ops` records commits and handler calls in order.
 */
function fakeConsumer(log: ConsumedRecord[], pollSize = 10) {
  const ops: string[] = [];
  let position = 0;
  let committed = 0;
  let handler: BatchHandler | undefined;
  const consumer: BatchConsumer = {
    async run(h) {
      handler = h;
    },
    async stop() {},
  };
  return {
    consumer,
    ops,
    committed: () => committed,
    /** Polls until the log is consumed or `maxPolls` is reached. */
    async drain(maxPolls = 50) {
      for (let i = 0; i < maxPolls && position < log.length; i++) {
        const records = log.slice(position, position + pollSize);
        await handler!(
          { topic: 't', partition: 0, records, highWatermark: log.length },
          {
            async commit(next) {
              ops.push(`commit ${next}`);
              committed = position = next;
            },
            retryAfter: (ms) => void ops.push(`retry after ${ms}`),
            heartbeat: async () => undefined,
            isRunning: () => true,
          },
        );
      }
    },
  };
}

test('at-most-once commits a slice before any of its records is processed', async () => {
  const f = fakeConsumer(Array.from({ length: 7 }, (_, i) => record(i)), 10);
  const r = atMostOnce({ consumer: f.consumer, log, maxBatchRecords: 3, handle: async (rec) => void f.ops.push(`process ${rec.offset}`) });
  await r.start();
  await f.drain();
  assert.deepEqual(f.ops, ['commit 3', 'process 0', 'process 1', 'process 2', 'commit 6', 'process 3', 'process 4', 'process 5', 'commit 7', 'process 6']);
  assert.equal(r.stats.processed, 7);
});

test('at-most-once: a failing record is counted and skipped, never retried', async () => {
  const f = fakeConsumer([record(0), record(1), record(2)]);
  const seen: number[] = [];
  const r = atMostOnce({ consumer: f.consumer, log, handle: async (rec) => {
    seen.push(rec.offset);
    if (rec.offset === 1) throw new Error('boom');
  } });
  await r.start();
  await f.drain();
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(r.stats.failed, 1);
  assert.equal(f.committed(), 3);
});

test('at-most-once: when the commit fails nothing is processed', async () => {
  const processed: number[] = [];
  let onBatch: BatchHandler | undefined;
  const r = atMostOnce({ consumer: { run: async (h) => void (onBatch = h), stop: async () => undefined }, log, handle: async (rec) => void processed.push(rec.offset) });
  await r.start();
  await assert.rejects(
    onBatch!({ topic: 't', partition: 0, records: [record(0)], highWatermark: 1 }, {
      commit: async () => { throw new Error('REBALANCE_IN_PROGRESS'); },
      retryAfter: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
    }),
    /REBALANCE/,
  );
  assert.deepEqual(processed, []);
  assert.equal(r.stats.processed, 0);
});

test('at-least-once processes before committing; a failure commits what succeeded and retries from the failed record', async () => {
  const f = fakeConsumer(Array.from({ length: 5 }, (_, i) => record(i)));
  let failuresLeft = 2;
  const r = atLeastOnce({
    consumer: f.consumer,
    log,
    retryBackoffMs: { initial: 10, max: 15 },
    handle: async (rec) => {
      if (rec.offset === 2 && failuresLeft-- > 0) throw new Error('downstream unavailable');
      f.ops.push(`process ${rec.offset}`);
    },
  });
  await r.start();
  await f.drain();
  assert.deepEqual(f.ops, ['process 0', 'process 1', 'commit 2', 'retry after 10', 'retry after 15', 'process 2', 'process 3', 'process 4', 'commit 5']);
  assert.equal(r.stats.retries, 2);
  assert.equal(r.stats.processed, 5);
});

test('at-least-once with dedupe: a redelivered event id takes effect once', async () => {
  const dedupe = createMemoryDedupeStore();
  // e1 arrives twice (a redelivery / a producer duplicate), and an id-less record is processed as it comes.
  const log2 = [record(0, 'e0'), record(1, 'e1'), record(2, 'e1'), { ...record(3), headers: {} }];
  const f = fakeConsumer(log2);
  const effects: string[] = [];
  const r = atLeastOnce({ consumer: f.consumer, log, dedupe, handle: async (rec) => void effects.push(rec.headers['ef-event-id'] ?? `offset ${rec.offset}`) });
  await r.start();
  await f.drain();
  assert.deepEqual(effects, ['e0', 'e1', 'offset 3']);
  assert.equal(r.stats.duplicates, 1);
  assert.equal(f.committed(), 4);
});
