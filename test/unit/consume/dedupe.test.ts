import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryDedupeStore, processOnce } from '../../../lib/consume/dedupe';

test('claim → complete: the id is done until the TTL ends', async () => {
  const d = createMemoryDedupeStore({ ttlMs: 1_000 });
  assert.equal(await d.claim('a', { now: 0, leaseMs: 100 }), 'claimed');
  assert.equal(await d.claim('a', { now: 50, leaseMs: 100 }), 'busy', 'a live lease keeps others out');
  await d.complete('a', { now: 60 });
  assert.equal(await d.claim('a', { now: 500, leaseMs: 100 }), 'done');
  assert.equal(await d.claim('a', { now: 1_061, leaseMs: 100 }), 'claimed', 'forgotten after the TTL');
});

test('an abandoned lease (a crashed worker) can be claimed once it ends; release frees it at once', async () => {
  const d = createMemoryDedupeStore();
  await d.claim('a', { now: 0, leaseMs: 100 });
  assert.equal(await d.claim('a', { now: 101, leaseMs: 100 }), 'claimed');
  await d.release('a');
  assert.equal(await d.claim('a', { now: 102, leaseMs: 100 }), 'claimed');
  await d.complete('a', { now: 103 });
  await d.release('a'); // release never undoes a completion
  assert.equal(await d.claim('a', { now: 104, leaseMs: 100 }), 'done');
});

test('the LRU is bounded: the least recently used id is forgotten first', async () => {
  const d = createMemoryDedupeStore({ capacity: 2 });
  for (const id of ['a', 'b']) await d.complete(id, { now: 0 });
  assert.equal(await d.claim('a', { now: 1, leaseMs: 10 }), 'done'); // touches a
  await d.complete('c', { now: 2 }); // evicts b
  assert.equal(d.size(), 2);
  assert.equal(await d.claim('b', { now: 3, leaseMs: 10 }), 'claimed');
});

test('processOnce: runs once, skips the duplicate, releases on failure so a retry can run', async () => {
  const d = createMemoryDedupeStore();
  let runs = 0;
  const ok = async () => void runs++;
  assert.equal(await processOnce('x', d, 1_000, ok), 'processed');
  assert.equal(await processOnce('x', d, 1_000, ok), 'duplicate');
  assert.equal(runs, 1);
  await assert.rejects(processOnce('y', d, 1_000, async () => { throw new Error('down'); }), /down/);
  assert.equal(await processOnce('y', d, 1_000, ok), 'processed');
  await d.claim('z', { now: Date.now(), leaseMs: 60_000 });
  await assert.rejects(processOnce('z', d, 1_000, ok), /claimed by another worker/);
  assert.equal(runs, 2);
});

test('processOnce retries a failed completion, and fails the record if it never succeeds', async () => {
  const d = createMemoryDedupeStore();
  let completeFailures = 2;
  const flaky = { ...d, complete: async (id: string, o: { now: number }) => (completeFailures-- > 0 ? Promise.reject(new Error('throttled')) : d.complete(id, o)) };
  assert.equal(await processOnce('a', flaky, 1_000, async () => undefined), 'processed');
  assert.equal(await d.claim('a', { now: Date.now(), leaseMs: 1 }), 'done');
  const broken = { ...d, complete: async () => Promise.reject(new Error('unreachable')) };
  await assert.rejects(processOnce('b', broken, 1_000, async () => undefined), /unreachable/);
});
