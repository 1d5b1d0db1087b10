import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Producer, RecordAck, SendOptions, SendResult, TopicBatch } from '../../../lib/domain/kafka';
import { MAX_PERMANENT_ATTEMPTS, outboxRelay, relayBackoffMs, type RelayOptions } from '../../../lib/outbox/relay';
import type { ForwardRecord } from '../../../lib/domain/record';
import { createLogger } from '../../../lib/platform/telemetry';
import { memoryOutbox, type MemoryOutbox } from '../../helpers/memory-outbox';
import { stubProducer } from '../../helpers/stub-producer';

const log = createLogger({ level: 'error', sink: () => undefined });
const LEASE_MS = 30_000;
/** Far enough ahead that the relay's "room for one more round" check never ends a run. */
const BUDGET_MS = 10 * 60_000;

function criticalRecord(id: string, topic = 'events.critical', index = 0): ForwardRecord {
  return { id, tier: 'critical', topic, key: null, value: Buffer.from(`{"id":"${id}"}`), headers: {}, timestamp: 1, sourceRef: { source: 'http', index } };
}

/** A clock the test moves by hand; starts at the real time so store deadlines stay meaningful. */
function clock() {
  let t = Date.now();
  return {
    now: () => t,
    set: (to: number) => {
      t = Math.max(t, to);
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/**
 * A broker that places every record on a partition of its topic at the next free offset and
 * remembers where each id went; `decide` may refuse a send (optionally acknowledging a prefix).
 */
function fakeProducer(decide: (batches: readonly TopicBatch[]) => { fail?: { reason: string; retriable: boolean }; ackPrefix?: number } = () => ({})) {
  const calls: { ids: string[]; opts: SendOptions }[] = [];
  const placed = new Map<string, RecordAck>();
  const nextOffset = new Map<string, number>();
  const producer = stubProducer(async (batches, opts): Promise<SendResult> => {
    calls.push({ ids: batches.flatMap((b) => b.records.map((r) => r.id)), opts });
    const { fail, ackPrefix } = decide(batches);
    const total = batches.reduce((n, b) => n + b.records.length, 0);
    const acked = fail ? (ackPrefix ?? 0) : (ackPrefix ?? total);
    const acks: RecordAck[] = [];
    for (const { topic, records } of batches) {
      const partition = topic === 'events.b' ? 4 : 1;
      for (const r of records) {
        if (acks.length >= acked) break;
        const key = `${topic}/${partition}`;
        const offset = nextOffset.get(key) ?? (topic === 'events.b' ? 5_000 : 100);
        nextOffset.set(key, offset + 1);
        const ack = { topic, partition, offset };
        placed.set(r.id, ack);
        acks.push(ack);
      }
    }
    if (fail) return { ok: false, ...fail, ...(acks.length && { acks }) };
    return acks.length ? { ok: true, acks } : { ok: true };
  });
  return { producer, calls, placed };
}

async function seed(store: MemoryOutbox, records: ForwardRecord[], dueAt: number) {
  const outcomes = await store.put(records, { now: dueAt - 60_000, dueAt });
  assert.ok(outcomes.every((o) => o.status === 'created'));
}

function relay(store: MemoryOutbox, producer: Producer, now: () => number, overrides: Partial<RelayOptions> = {}) {
  return outboxRelay({ store, producer, log, batchSize: 25, leaseMs: LEASE_MS, maxAttempts: 5, now, ...overrides });
}

function location(store: MemoryOutbox, id: string) {
  const t = store.tombstone(id);
  return t && { topic: t.topic, partition: t.partition, offset: t.offset };
}

const retriableOutage = () => ({ fail: { reason: 'connecting to Kafka: ECONNREFUSED', retriable: true } });

test('delivers due entries and tombstones each at the offset the broker acknowledged for it', async () => {
  const c = clock();
  const store = memoryOutbox();
  const ids = ['a1', 'b1', 'a2', 'b2', 'a3'];
  await seed(store, ids.map((id, i) => criticalRecord(id, i % 2 ? 'events.b' : 'events.a', i)), c.now());
  const { producer, placed } = fakeProducer();

  const run = await relay(store, producer, c.now)(c.now() + BUDGET_MS);

  assert.equal(run.claimed, 5);
  assert.equal(run.delivered, 5);
  assert.equal(run.stoppedBecause, 'drained');
  for (const id of ids) {
    assert.equal(store.stateOf(id), 'delivered', id);
    assert.deepEqual(location(store, id), placed.get(id), `tombstone of ${id}`);
  }
});

test('leaves entries that are not yet due alone', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('due')], c.now());
  await seed(store, [criticalRecord('later')], c.now() + 10_000);
  const { producer, calls } = fakeProducer();

  const run = await relay(store, producer, c.now)(c.now() + BUDGET_MS);

  assert.equal(run.delivered, 1);
  assert.deepEqual(calls.map((k) => k.ids), [['due']]);
  assert.equal(store.stateOf('later'), 'pending');
  assert.equal(store.entry('later')!.attempts, 0);
});

test('keeps claiming batches until nothing is due, then stops as drained', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, ['e1', 'e2', 'e3', 'e4', 'e5'].map((id) => criticalRecord(id)), c.now());
  const { producer, calls } = fakeProducer();

  const run = await relay(store, producer, c.now, { batchSize: 2 })(c.now() + BUDGET_MS);

  assert.deepEqual(calls.map((k) => k.ids.length), [2, 2, 1]);
  assert.deepEqual({ claimed: run.claimed, delivered: run.delivered, stoppedBecause: run.stoppedBecause }, { claimed: 5, delivered: 5, stoppedBecause: 'drained' });
});

test('an empty outbox makes a drained run that sends nothing', async () => {
  const c = clock();
  const store = memoryOutbox();
  const { producer, calls } = fakeProducer();

  const run = await relay(store, producer, c.now)(c.now() + BUDGET_MS);

  assert.deepEqual(run, { claimed: 0, delivered: 0, failed: 0, dead: 0, stoppedBecause: 'drained' });
  assert.equal(calls.length, 0);
});

test('stops with deadline, claiming nothing, when too little of the budget is left for a round', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('e1')], c.now());
  const { producer, calls } = fakeProducer();

  const run = await relay(store, producer, c.now)(c.now() + 1_000);

  assert.equal(run.stoppedBecause, 'deadline');
  assert.equal(run.claimed, 0);
  assert.equal(calls.length, 0);
  assert.equal(store.entry('e1')!.attempts, 0);
});

test('a retriable send failure stops the run as send-failed and puts the entries back pending after a backoff', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('e1'), criticalRecord('e2')], c.now());
  const { producer, calls } = fakeProducer(retriableOutage);
  const runOnce = relay(store, producer, c.now);

  const run = await runOnce(c.now() + BUDGET_MS);

  assert.equal(run.stoppedBecause, 'send-failed');
  assert.equal(run.failed, 2);
  assert.equal(run.dead, 0);
  assert.match(run.lastError!, /ECONNREFUSED/);
  for (const id of ['e1', 'e2']) {
    const e = store.entry(id)!;
    assert.deepEqual({ state: e.state, attempts: e.attempts, dueAt: e.dueAt }, { state: 'pending', attempts: 1, dueAt: c.now() + relayBackoffMs(1) });
    assert.match(e.lastError!, /ECONNREFUSED/);
  }
  const again = await runOnce(c.now() + BUDGET_MS);
  assert.equal(again.claimed, 0, 'nothing is due again before the backoff has passed');
  assert.equal(calls.length, 1);
});

test('a failed send stops the run even when more entries are due (an outage is not hammered)', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, ['e1', 'e2', 'e3', 'e4'].map((id) => criticalRecord(id)), c.now());
  const { producer, calls } = fakeProducer(retriableOutage);

  const run = await relay(store, producer, c.now, { batchSize: 2 })(c.now() + BUDGET_MS);

  assert.equal(run.stoppedBecause, 'send-failed');
  assert.equal(calls.length, 1);
  assert.equal(store.entry('e3')!.attempts, 0);
  assert.equal(store.entry('e4')!.attempts, 0);
});

test('an entry failing retriably becomes dead exactly when its attempts reach maxAttempts, not before', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('e1')], c.now());
  const { producer, calls } = fakeProducer(retriableOutage);
  const runOnce = relay(store, producer, c.now, { maxAttempts: 5 });

  for (let attempt = 1; attempt <= 5; attempt++) {
    c.set(store.entry('e1')!.dueAt); // just due again: the backoff has passed
    const run = await runOnce(c.now() + BUDGET_MS);
    const e = store.entry('e1')!;
    assert.equal(e.attempts, attempt);
    if (attempt < 5) {
      assert.equal(e.state, 'pending', `still pending after attempt ${attempt}`);
      assert.equal(run.dead, 0);
      assert.equal(e.dueAt, c.now() + relayBackoffMs(attempt));
    } else {
      assert.equal(e.state, 'dead', 'dead after attempt 5');
      assert.equal(run.dead, 1);
    }
  }
  c.advance(24 * 3_600_000);
  const after = await runOnce(c.now() + BUDGET_MS);
  assert.equal(after.claimed, 0, 'a dead entry is not claimed again');
  assert.equal(calls.length, 5);
  assert.deepEqual((await store.listDead({ limit: 10 })).map((e) => e.record.id), ['e1']);
});

test('one permanently refused record in a batch of 8 is isolated: the other 7 are delivered in the same run', async () => {
  const c = clock();
  const store = memoryOutbox();
  const ids = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'];
  await seed(store, ids.map((id, i) => criticalRecord(id, i % 2 ? 'events.b' : 'events.a', i)), c.now());
  const { producer, calls, placed } = fakeProducer((batches) =>
    batches.some((b) => b.records.some((r) => r.id === 'e5')) ? { fail: { reason: 'MESSAGE_TOO_LARGE: too big', retriable: false } } : {},
  );

  const run = await relay(store, producer, c.now, { maxAttempts: 10 })(c.now() + BUDGET_MS);

  assert.equal(run.delivered, 7);
  assert.equal(run.failed, 1);
  assert.equal(run.dead, 0);
  assert.equal(run.stoppedBecause, 'send-failed');
  for (const id of ids.filter((i) => i !== 'e5')) {
    assert.equal(store.stateOf(id), 'delivered', id);
    assert.deepEqual(location(store, id), placed.get(id), `tombstone of ${id}`);
  }
  const bad = store.entry('e5')!;
  assert.deepEqual({ state: bad.state, attempts: bad.attempts }, { state: 'pending', attempts: 1 });
  assert.match(bad.lastError!, /MESSAGE_TOO_LARGE/);
  assert.ok(calls.some((k) => k.ids.length === 1 && k.ids[0] === 'e5'), 'the bad record was tried on its own');
});

test('a permanently refused record is dead after MAX_PERMANENT_ATTEMPTS, before maxAttempts, and not at once', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('bad'), criticalRecord('good')], c.now());
  const { producer } = fakeProducer((batches) =>
    batches.some((b) => b.records.some((r) => r.id === 'bad')) ? { fail: { reason: 'INVALID_RECORD: refused', retriable: false } } : {},
  );
  const runOnce = relay(store, producer, c.now, { maxAttempts: 10 });
  assert.ok(MAX_PERMANENT_ATTEMPTS > 1 && MAX_PERMANENT_ATTEMPTS < 10);

  for (let attempt = 1; attempt <= MAX_PERMANENT_ATTEMPTS; attempt++) {
    c.set(store.entry('bad')!.dueAt);
    const run = await runOnce(c.now() + BUDGET_MS);
    const last = attempt === MAX_PERMANENT_ATTEMPTS;
    assert.equal(store.entry('bad')!.attempts, attempt);
    assert.equal(store.entry('bad')!.state, last ? 'dead' : 'pending', `after attempt ${attempt}`);
    assert.equal(run.dead, last ? 1 : 0);
  }
  assert.equal(store.stateOf('good'), 'delivered');
});

test('a failed send carrying acks for a prefix tombstones the prefix and records a failure for the rest', async () => {
  const c = clock();
  const store = memoryOutbox();
  const ids = ['a1', 'b1', 'a2', 'b2']; // sent grouped: a1, a2, b1, b2
  await seed(store, ids.map((id, i) => criticalRecord(id, i % 2 ? 'events.b' : 'events.a', i)), c.now());
  const { producer, placed } = fakeProducer(() => ({ fail: { reason: 'sending to Kafka: timed out', retriable: true }, ackPrefix: 3 }));

  const run = await relay(store, producer, c.now)(c.now() + BUDGET_MS);

  assert.deepEqual({ delivered: run.delivered, failed: run.failed, stoppedBecause: run.stoppedBecause }, { delivered: 3, failed: 1, stoppedBecause: 'send-failed' });
  for (const id of ['a1', 'a2', 'b1']) assert.deepEqual(location(store, id), placed.get(id), `tombstone of ${id}`);
  const rest = store.entry('b2')!;
  assert.deepEqual({ state: rest.state, attempts: rest.attempts }, { state: 'pending', attempts: 1 });
  assert.match(rest.lastError!, /timed out/);
});

test('a send that reports success without offsets is a failure: the entries stay pending', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('e1')], c.now());
  const { producer } = fakeProducer(() => ({ ackPrefix: 0 }));

  const run = await relay(store, producer, c.now)(c.now() + BUDGET_MS);

  assert.equal(run.delivered, 0);
  assert.equal(run.stoppedBecause, 'send-failed');
  assert.equal(store.stateOf('e1'), 'pending');
  assert.match(store.entry('e1')!.lastError!, /acknowledged no offset/);
});

test('sends and tombstone writes get the run’s deadline', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('e1')], c.now());
  const { producer, calls } = fakeProducer();
  const deadline = c.now() + BUDGET_MS;

  await relay(store, producer, c.now)(deadline);

  assert.deepEqual(calls[0]!.opts, { deadline, compressed: false });
  assert.equal(store.calls.markDelivered[0]!.opts.deadline, deadline);
});

test('a claimed entry is another relay’s only once the lease has run out, and the first relay’s late failure does not undo the delivery', async () => {
  const c = clock();
  const store = memoryOutbox();
  await seed(store, [criticalRecord('e1')], c.now());
  let sendStarted!: () => void;
  const started = new Promise<void>((resolve) => (sendStarted = resolve));
  let finishStalledSend!: (result: SendResult) => void;
  const stalled = stubProducer(() => {
    sendStarted();
    return new Promise<SendResult>((resolve) => (finishStalledSend = resolve));
  });
  const { producer: healthy, calls: healthyCalls, placed } = fakeProducer();
  const claimedAt = c.now();

  const first = relay(store, stalled, c.now)(c.now() + BUDGET_MS);
  await started;
  assert.equal(store.entry('e1')!.dueAt, claimedAt + LEASE_MS, 'leased for leaseMs');

  c.advance(LEASE_MS - 1);
  const early = await relay(store, healthy, c.now)(c.now() + BUDGET_MS);
  assert.equal(early.claimed, 0, 'still leased to the first relay');
  assert.equal(healthyCalls.length, 0);

  c.advance(1);
  const second = await relay(store, healthy, c.now)(c.now() + BUDGET_MS);
  assert.deepEqual({ claimed: second.claimed, delivered: second.delivered }, { claimed: 1, delivered: 1 });
  assert.deepEqual(location(store, 'e1'), placed.get('e1'));

  finishStalledSend({ ok: false, reason: 'sending to Kafka: timed out', retriable: true });
  await first;
  assert.deepEqual(store.calls.recordFailure.map((f) => ({ id: f.id, attempts: f.attempts })), [{ id: 'e1', attempts: 1 }], 'the first relay reports with the attempt count it claimed (its lease token)');
  assert.equal(store.stateOf('e1'), 'delivered');
});
