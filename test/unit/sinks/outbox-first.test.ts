import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Producer, RecordAck, TopicBatch } from '../../../lib/domain/kafka';
import type { ForwardRecord, RecordStatus } from '../../../lib/domain/record';
import { outboxFirstSink } from '../../../lib/sinks/outbox-first';
import { createLogger } from '../../../lib/platform/telemetry';
import { memoryOutbox, type MemoryOutbox } from '../../helpers/memory-outbox';
import { recordingProducer } from '../../helpers/stub-producer';

const log = createLogger({ level: 'error', sink: () => undefined });
const GRACE_MS = 60_000;
const NOW = 1_700_000_000_000;

function criticalRecord(id: string, topic = 'events.critical', index = 0): ForwardRecord {
  return { id, tier: 'critical', topic, key: null, value: Buffer.from(`{"id":"${id}"}`), headers: {}, timestamp: NOW, sourceRef: { source: 'http', index } };
}

/** Records alternating between two topics, so send order (grouped by topic) differs from input order. */
function interleaved(ids: string[]): ForwardRecord[] {
  return ids.map((id, i) => criticalRecord(id, i % 2 === 0 ? 'events.a' : 'events.b', i));
}

/** Where the fake broker puts records: one partition per topic, offsets counting from a per-topic base. */
const PLACEMENT: Record<string, { partition: number; base: number }> = {
  'events.a': { partition: 3, base: 100 },
  'events.b': { partition: 5, base: 900 },
  'events.critical': { partition: 0, base: 40 },
};

/** Acks for the batches as the producer received them, in batch order, and which record each belongs to. */
function acksFor(batches: readonly TopicBatch[]): { acks: RecordAck[]; byId: Map<string, RecordAck> } {
  const acks: RecordAck[] = [];
  const byId = new Map<string, RecordAck>();
  for (const { topic, records } of batches) {
    const { partition, base } = PLACEMENT[topic]!;
    records.forEach((r, n) => {
      const ack = { topic, partition, offset: base + n };
      acks.push(ack);
      byId.set(r.id, ack);
    });
  }
  return { acks, byId };
}

/** A broker that acknowledges every record it is sent, each at its PLACEMENT. */
function acknowledgingProducer() {
  return recordingProducer((batches) => ({ ok: true, acks: acksFor(batches).acks }));
}

/** The ids the producer was sent, over all calls, in send order. */
function sentIds(calls: ReturnType<typeof recordingProducer>['calls']): string[] {
  return calls.flatMap((c) => c.batches.flatMap((b) => b.records.map((r) => r.id)));
}

function sinkWith(store: MemoryOutbox, producer: Producer) {
  return outboxFirstSink({ store, producer, log, graceMs: GRACE_MS, now: () => NOW });
}

function byId(statuses: readonly RecordStatus[]): Map<string, RecordStatus> {
  return new Map(statuses.map((s) => [s.id!, s]));
}

const soon = () => Date.now() + 2_000;

test('acknowledged records are forwarded and each is tombstoned at its own partition and offset', async () => {
  const store = memoryOutbox();
  let placed = new Map<string, RecordAck>();
  const { producer, calls } = recordingProducer((batches) => {
    const { acks, byId } = acksFor(batches);
    placed = byId;
    return { ok: true, acks };
  });
  const records = interleaved(['a1', 'b1', 'a2', 'b2', 'a3']);

  const statuses = await sinkWith(store, producer).write(records, soon());

  assert.deepEqual(calls[0]!.batches.map((b) => [b.topic, b.records.map((r) => r.id)]), [
    ['events.a', ['a1', 'a2', 'a3']],
    ['events.b', ['b1', 'b2']],
  ]);
  assert.equal(statuses.length, records.length);
  for (const s of statuses) assert.equal(s.status, 'forwarded', `${s.id}: ${s.reason}`);
  for (const r of records) {
    const { topic, partition, offset } = store.tombstone(r.id) ?? {};
    assert.deepEqual({ topic, partition, offset }, placed.get(r.id), `tombstone of ${r.id}`);
  }
  assert.deepEqual(store.tombstone('b1'), { id: 'b1', deliveredAt: NOW, topic: 'events.b', partition: 5, offset: 900 });
});

test('every record is in the outbox before the send starts, and tombstoned only after the broker acknowledged it', async () => {
  const store = memoryOutbox();
  const atSend: { states: (string | undefined)[]; tombstoneWrites: number }[] = [];
  const { producer } = recordingProducer((batches) => {
    atSend.push({ states: batches.flatMap((b) => b.records.map((r) => store.stateOf(r.id))), tombstoneWrites: store.calls.markDelivered.length });
    return { ok: true, acks: acksFor(batches).acks };
  });
  const records = interleaved(['a1', 'b1', 'a2']);

  const statuses = await sinkWith(store, producer).write(records, soon());

  assert.deepEqual(atSend, [{ states: ['pending', 'pending', 'pending'], tombstoneWrites: 0 }]);
  assert.deepEqual(statuses.map((s) => s.status), ['forwarded', 'forwarded', 'forwarded']);
  for (const r of records) assert.equal(store.stateOf(r.id), 'delivered', r.id);
});

test('a retriable send failure leaves every record persisted, queued for relay, and nothing tombstoned', async () => {
  const store = memoryOutbox();
  const { producer } = recordingProducer(() => ({ ok: false, reason: 'connecting to Kafka: ECONNREFUSED', retriable: true }));
  const records = interleaved(['a1', 'b1', 'a2']);

  const statuses = await sinkWith(store, producer).write(records, soon());

  assert.equal(statuses.length, 3);
  for (const s of statuses) {
    assert.equal(s.status, 'persisted');
    assert.match(s.reason!, /queued for relay: connecting to Kafka: ECONNREFUSED/);
  }
  assert.equal(store.calls.markDelivered.length, 0);
  for (const r of records) assert.equal(store.stateOf(r.id), 'pending');
});

test('a permanent send failure leaves the records persisted and queued for the relay, not rejected', async () => {
  const store = memoryOutbox();
  const { producer } = recordingProducer(() => ({ ok: false, reason: 'MESSAGE_TOO_LARGE: too big', retriable: false }));
  const records = [criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)];

  const statuses = await sinkWith(store, producer).write(records, soon());

  assert.deepEqual(statuses.map((s) => s.status), ['persisted', 'persisted']);
  for (const s of statuses) assert.match(s.reason!, /queued for relay: MESSAGE_TOO_LARGE/);
  assert.equal(store.calls.markDelivered.length, 0);
  for (const r of records) assert.deepEqual({ state: store.stateOf(r.id), attempts: store.entry(r.id)!.attempts }, { state: 'pending', attempts: 0 });
});

test('a failed send carrying acks for a prefix forwards and tombstones that prefix and leaves the rest persisted', async () => {
  const store = memoryOutbox();
  let placed = new Map<string, RecordAck>();
  const { producer } = recordingProducer((batches) => {
    const { acks, byId } = acksFor(batches);
    placed = byId;
    // The first request (events.a, then the first events.b record) was acknowledged; the next failed.
    return { ok: false, reason: 'sending to Kafka: timed out', retriable: true, acks: acks.slice(0, 3) };
  });
  const records = interleaved(['a1', 'b1', 'a2', 'b2']); // sent as a1, a2, b1 | b2

  const statuses = byId(await sinkWith(store, producer).write(records, soon()));

  for (const id of ['a1', 'a2', 'b1']) {
    assert.equal(statuses.get(id)!.status, 'forwarded', id);
    const { topic, partition, offset } = store.tombstone(id)!;
    assert.deepEqual({ topic, partition, offset }, placed.get(id), `tombstone of ${id}`);
  }
  assert.equal(statuses.get('b2')!.status, 'persisted');
  assert.match(statuses.get('b2')!.reason!, /queued for relay: sending to Kafka: timed out/);
  assert.equal(store.stateOf('b2'), 'pending');
});

test('a send that reports success without offsets is not trusted: the records stay persisted, not forwarded', async () => {
  const store = memoryOutbox();
  const { producer } = recordingProducer(() => ({ ok: true }));
  const records = [criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)];

  const statuses = await sinkWith(store, producer).write(records, soon());

  assert.deepEqual(statuses.map((s) => s.status), ['persisted', 'persisted']);
  for (const s of statuses) assert.match(s.reason!, /acknowledged no offset/);
  assert.equal(store.calls.markDelivered.length, 0);
  assert.equal(store.stateOf('e1'), 'pending');
  assert.equal(store.stateOf('e2'), 'pending');
});

test('a successful send with acks for only some records forwards only those', async () => {
  const store = memoryOutbox();
  const { producer } = recordingProducer((batches) => ({ ok: true, acks: acksFor(batches).acks.slice(0, 1) }));
  const records = [criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)];

  const statuses = byId(await sinkWith(store, producer).write(records, soon()));

  assert.equal(statuses.get('e1')!.status, 'forwarded');
  assert.equal(statuses.get('e2')!.status, 'persisted');
  assert.equal(store.stateOf('e1'), 'delivered');
  assert.equal(store.stateOf('e2'), 'pending');
});

test('an event id already in the outbox is reported persisted as a duplicate and not sent again', async () => {
  const store = memoryOutbox();
  await store.put([criticalRecord('e1')], { now: NOW - 1_000, dueAt: NOW + 59_000 });
  const { producer, calls } = acknowledgingProducer();

  const statuses = byId(await sinkWith(store, producer).write([criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)], soon()));

  assert.equal(statuses.get('e1')!.status, 'persisted');
  assert.match(statuses.get('e1')!.reason!, /duplicate/);
  assert.equal(statuses.get('e2')!.status, 'forwarded');
  assert.deepEqual(sentIds(calls), ['e2']);
});

test('an event id delivered before (a tombstone) is reported persisted as a duplicate and not sent again', async () => {
  const store = memoryOutbox();
  await store.put([criticalRecord('e1')], { now: NOW - 1_000, dueAt: NOW + 59_000 });
  await store.markDelivered([{ id: 'e1', topic: 'events.critical', partition: 0, offset: 7 }], { now: NOW - 500 });
  const { producer, calls } = acknowledgingProducer();

  const [status] = await sinkWith(store, producer).write([criticalRecord('e1')], soon());

  assert.equal(status!.status, 'persisted');
  assert.match(status!.reason!, /duplicate/);
  assert.equal(calls.length, 0);
  assert.deepEqual(store.tombstone('e1'), { id: 'e1', deliveredAt: NOW - 500, topic: 'events.critical', partition: 0, offset: 7 });
});

test('a record the outbox refuses is rejected with the store’s reason and not sent', async () => {
  const store = memoryOutbox();
  store.refusePut.set('big', 'record of 600000 bytes does not fit an outbox item even compressed');
  const { producer, calls } = acknowledgingProducer();

  const statuses = byId(await sinkWith(store, producer).write([criticalRecord('big', undefined, 0), criticalRecord('ok', undefined, 1)], soon()));

  assert.equal(statuses.get('big')!.status, 'rejected');
  assert.equal(statuses.get('big')!.reason, 'record of 600000 bytes does not fit an outbox item even compressed');
  assert.equal(statuses.get('ok')!.status, 'forwarded');
  assert.deepEqual(sentIds(calls), ['ok']);
});

test('a record the outbox failed to store comes back as retry and is not sent', async () => {
  const store = memoryOutbox();
  store.failPut.set('e1', 'ProvisionedThroughputExceededException: throttled');
  const { producer, calls } = acknowledgingProducer();

  const statuses = byId(await sinkWith(store, producer).write([criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)], soon()));

  assert.equal(statuses.get('e1')!.status, 'retry');
  assert.match(statuses.get('e1')!.reason!, /throttled/);
  assert.equal(statuses.get('e2')!.status, 'forwarded');
  assert.deepEqual(sentIds(calls), ['e2']);
});

test('an outbox that cannot be reached at all turns every record into retry and sends nothing', async () => {
  const store = memoryOutbox();
  store.putThrows = new Error('connect ETIMEDOUT dynamodb');
  const { producer, calls } = acknowledgingProducer();

  const statuses = await sinkWith(store, producer).write([criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)], soon());

  assert.deepEqual(statuses.map((s) => s.status), ['retry', 'retry']);
  for (const s of statuses) assert.match(s.reason!, /ETIMEDOUT/);
  assert.equal(calls.length, 0);
});

test('a tombstone write that throws leaves the records forwarded (the relay resends them) and the sink returns', async () => {
  const store = memoryOutbox();
  store.markDeliveredMode = 'throw';
  const { producer } = acknowledgingProducer();
  const records = [criticalRecord('e1', undefined, 0), criticalRecord('e2', undefined, 1)];

  const statuses = await sinkWith(store, producer).write(records, soon());

  assert.deepEqual(statuses.map((s) => s.status), ['forwarded', 'forwarded']);
  assert.equal(store.calls.markDelivered.length, 1);
  assert.equal(store.stateOf('e1'), 'pending');
  assert.equal(store.stateOf('e2'), 'pending');
});

test('a tombstone write that never finishes does not keep the sink past its deadline', { timeout: 5_000 }, async () => {
  const store = memoryOutbox();
  store.markDeliveredMode = 'hang';
  const { producer } = acknowledgingProducer();
  const deadline = Date.now() + 100;

  const statuses = await sinkWith(store, producer).write([criticalRecord('e1')], deadline);

  assert.deepEqual(statuses.map((s) => s.status), ['forwarded']);
  assert.equal(store.calls.markDelivered[0]!.opts.deadline, deadline);
  assert.equal(store.stateOf('e1'), 'pending');
});

test('the outbox write is given the invocation deadline and a due time one grace period away', async () => {
  const store = memoryOutbox();
  const { producer } = acknowledgingProducer();
  const deadline = soon();

  await sinkWith(store, producer).write([criticalRecord('e1')], deadline);

  assert.deepEqual(store.calls.put[0]!.opts, { now: NOW, dueAt: NOW + GRACE_MS, deadline });
});

test('the send is given the invocation deadline and is not compressed', async () => {
  const store = memoryOutbox();
  const { producer, calls } = acknowledgingProducer();
  const deadline = soon();

  await sinkWith(store, producer).write([criticalRecord('e1')], deadline);

  assert.deepEqual(calls[0]!.opts, { deadline, compressed: false });
});
