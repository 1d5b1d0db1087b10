import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MissingAck, recordAcks, stablePartitioner, type PartitionResponse } from '../../../../lib/adapters/kafka/acks';
import type { WireBatch, WireMessage } from '../../../../lib/adapters/kafka/messages';
import { HEADER } from '../../../../lib/domain/record';

function message(id: string, key: string | null = null): WireMessage {
  return { key, value: Buffer.from(id), headers: { [HEADER.eventId]: id }, timestamp: '1' };
}

/** Kafkajs's partition metadata; `leaderless` partitions have leader -1 (a broker down). */
function partitionMetadata(count: number, leaderless: readonly number[] = []) {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: leaderless.includes(partitionId) ? 5 : 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : partitionId % 3,
    replicas: [0, 1, 2],
    isr: leaderless.includes(partitionId) ? [] : [0, 1, 2],
    offlineReplicas: [],
  }));
}

function response(topicName: string, partition: number, baseOffset: string, errorCode = 0): PartitionResponse {
  return { topicName, partition, errorCode, baseOffset };
}

/** Two topics; partition 0 exists in both, so acks must be told apart by topic as well. */
function twoTopicSend() {
  const m = { a1: message('a1'), a2: message('a2'), a3: message('a3'), a4: message('a4'), b1: message('b1'), b2: message('b2') };
  const sent: WireBatch[] = [
    { topic: 'events.a', messages: [m.a1, m.a2, m.a3, m.a4] },
    { topic: 'events.b', messages: [m.b1, m.b2] },
  ];
  const partitions = new Map<WireMessage, number>([
    [m.a1, 0],
    [m.a2, 1],
    [m.a3, 0],
    [m.a4, 0],
    [m.b1, 0],
    [m.b2, 0],
  ]);
  return { sent, partitionOf: (msg: WireMessage) => partitions.get(msg) };
}

test('recordAcks gives each record its partition’s base offset plus its position there, in send order across topics', () => {
  const { sent, partitionOf } = twoTopicSend();
  const responses = [response('events.b', 0, '500'), response('events.a', 1, '20'), response('events.a', 0, '10')];

  assert.deepEqual(recordAcks(sent, responses, partitionOf), [
    { topic: 'events.a', partition: 0, offset: 10 },
    { topic: 'events.a', partition: 1, offset: 20 },
    { topic: 'events.a', partition: 0, offset: 11 },
    { topic: 'events.a', partition: 0, offset: 12 },
    { topic: 'events.b', partition: 0, offset: 500 },
    { topic: 'events.b', partition: 0, offset: 501 },
  ]);
});

test('recordAcks throws MissingAck when a partition written to is missing from the response', () => {
  const { sent, partitionOf } = twoTopicSend();
  const responses = [response('events.a', 0, '10'), response('events.a', 1, '20')]; // events.b/0 missing

  assert.throws(() => recordAcks(sent, responses, partitionOf), (err) => err instanceof MissingAck && /events\.b\/0/.test(err.message));
});

test('recordAcks throws MissingAck when a partition answered with an error code', () => {
  const { sent, partitionOf } = twoTopicSend();
  const responses = [response('events.a', 0, '10'), response('events.a', 1, '20', 6), response('events.b', 0, '500')];

  assert.throws(() => recordAcks(sent, responses, partitionOf), (err) => err instanceof MissingAck && /events\.a\/1/.test(err.message));
});

test('recordAcks throws MissingAck when a partition answered with base offset -1', () => {
  const { sent, partitionOf } = twoTopicSend();
  const responses = [response('events.a', 0, '10'), response('events.a', 1, '20'), response('events.b', 0, '-1')];

  assert.throws(() => recordAcks(sent, responses, partitionOf), (err) => err instanceof MissingAck && /events\.b\/0/.test(err.message));
});

test('recordAcks throws MissingAck for a message whose partition was never recorded', () => {
  const { sent, partitionOf } = twoTopicSend();
  const stray = message('stray');
  sent[1]!.messages.push(stray);
  const responses = [response('events.a', 0, '10'), response('events.a', 1, '20'), response('events.b', 0, '500')];

  assert.throws(() => recordAcks(sent, responses, partitionOf), (err) => err instanceof MissingAck && /no partition recorded/.test(err.message));
});

test('stablePartitioner sends keyed messages where the keyed partitioner says', () => {
  const seen: unknown[] = [];
  const partition = stablePartitioner(
    (args) => {
      seen.push(args.message.key);
      return 4;
    },
    HEADER.eventId,
    () => undefined,
  );

  assert.equal(partition({ topic: 't', partitionMetadata: partitionMetadata(6), message: message('e1', 'player-7') }), 4);
  assert.deepEqual(seen, ['player-7']);
});

test('stablePartitioner never asks the keyed partitioner about keyless messages', () => {
  const partition = stablePartitioner(
    () => {
      throw new Error('keyed partitioner called for a keyless message');
    },
    HEADER.eventId,
    () => undefined,
  );

  const p = partition({ topic: 't', partitionMetadata: partitionMetadata(6), message: message('e1') });
  assert.ok(Number.isInteger(p) && p >= 0 && p < 6, `partition ${p}`);
});

test('stablePartitioner puts a keyless message on the same partition every time, whichever partitions have a leader', () => {
  const partition = stablePartitioner(() => 0, HEADER.eventId, () => undefined);
  const layouts = [partitionMetadata(6), partitionMetadata(6, [1, 3]), partitionMetadata(6, [0, 2, 4, 5]), partitionMetadata(6)];

  for (let i = 0; i < 200; i++) {
    const msg = message(`evt-${i}`);
    const choices = layouts.map((partitionMetadata) => partition({ topic: 't', partitionMetadata, message: msg }));
    assert.equal(new Set(choices).size, 1, `evt-${i} moved: ${choices.join(',')}`);
  }
});

test('stablePartitioner puts two messages with the same event id on the same partition', () => {
  const partition = stablePartitioner(() => 0, HEADER.eventId, () => undefined);

  for (let i = 0; i < 50; i++) {
    const first = partition({ topic: 't', partitionMetadata: partitionMetadata(6), message: message(`evt-${i}`) });
    const again = partition({ topic: 't', partitionMetadata: partitionMetadata(6, [first]), message: message(`evt-${i}`) });
    assert.equal(again, first, `evt-${i}`);
  }
});

test('stablePartitioner spreads keyless event ids over all partitions', () => {
  const partition = stablePartitioner(() => 0, HEADER.eventId, () => undefined);
  const counts = new Array<number>(6).fill(0);

  for (let i = 0; i < 1000; i++) {
    const p = partition({ topic: 't', partitionMetadata: partitionMetadata(6), message: message(`0190f3c2-${i.toString(16).padStart(4, '0')}-7abc`) });
    assert.ok(Number.isInteger(p) && p >= 0 && p < 6, `partition ${p}`);
    counts[p]!++;
  }
  for (const [p, n] of counts.entries()) assert.ok(n > 0, `partition ${p} got no records: ${counts.join(',')}`);
});

test('stablePartitioner reports every choice, keyed or not, with the message it was made for', () => {
  const recorded: [WireMessage, number][] = [];
  const partition = stablePartitioner(() => 2, HEADER.eventId, (m, p) => recorded.push([m, p]));
  const keyed = message('e1', 'k');
  const keyless = message('e2');

  const returned = [keyed, keyless].map((m) => partition({ topic: 't', partitionMetadata: partitionMetadata(6), message: m }));

  assert.equal(recorded.length, 2);
  assert.equal(recorded[0]![0], keyed);
  assert.equal(recorded[1]![0], keyless);
  assert.deepEqual(recorded.map(([, p]) => p), returned);
});
