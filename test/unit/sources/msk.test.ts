import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMskEvent, isMskEvent, itemIdentifier, topicOfPartitionKey } from '../../../lib/sources/msk';
import { forwardedHeaders, headerBytes, mskEvent } from '../../helpers/msk-events';

test('decodes base64 keys and values, byte-array headers, and keeps the records-map key', () => {
  const event = mskEvent([
    { topic: 'edge.critical', partition: 2, key: 'match-7', value: { type: 'kill', killer: 'p1' }, headers: forwardedHeaders({ eventId: 'e-1', seq: 41 }) },
    { topic: 'edge.critical', partition: 2, key: null, value: 'plain' },
  ]);
  assert.deepEqual(Object.keys(event.records), ['edge.critical-2']);
  const { records, rejects } = decodeMskEvent(event);
  assert.deepEqual(rejects, []);
  assert.equal(records.length, 2);
  const [a, b] = records;
  assert.equal(a!.partitionKey, 'edge.critical-2');
  assert.equal(a!.partition, 2);
  assert.deepEqual([a!.offset, b!.offset], [100, 101]);
  assert.equal(a!.key!.toString(), 'match-7');
  assert.deepEqual(JSON.parse(a!.value!.toString()), { type: 'kill', killer: 'p1' });
  assert.equal(a!.headers['ef-event-id'], 'e-1');
  assert.equal(a!.headers['ef-seq'], '41');
  assert.equal(b!.key, null, 'an absent key is a null key');
  assert.equal(b!.value!.toString(), 'plain');
});

test('header bytes as Java signed bytes (negative for UTF-8 >= 0x80) and as 0..255 decode alike', () => {
  const name = 'Łódź 🎮';
  assert.ok(headerBytes(name).some((b) => b < 0), 'the fixture really uses negative bytes');
  for (const unsignedHeaderBytes of [false, true]) {
    const { records } = decodeMskEvent(mskEvent([{ value: 'x', headers: { 'ef-tenant': name } }], { unsignedHeaderBytes }));
    assert.equal(records[0]!.headers['ef-tenant'], name);
  }
});

test('a tombstone (no value), numeric-string partitions and self-managed Kafka events', () => {
  const event = mskEvent([{ topic: 't', partition: 0, key: 'k' }], { selfManaged: true });
  (event.records['t-0']![0] as unknown as { partition: unknown }).partition = '0';
  assert.equal(isMskEvent(event), true);
  const { records } = decodeMskEvent(event);
  assert.equal(records[0]!.value, null);
  assert.equal(records[0]!.partition, 0);
});

test('a malformed record is rejected with its position; the others decode', () => {
  const event = mskEvent([{ value: 'ok-1' }, { value: 'bad' }, { value: 'ok-2' }]);
  const list = event.records['edge.critical-0']!;
  (list[1] as unknown as { value: string }).value = 'not base64!';
  const { records, rejects } = decodeMskEvent(event);
  assert.deepEqual(records.map((r) => r.value!.toString()), ['ok-1', 'ok-2']);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.offset, 101);
  assert.match(rejects[0]!.reason, /edge\.critical-0\[1\]: value is not base64/);

  const badHeader = mskEvent([{ value: 'v', headers: { a: 'b' } }]);
  (badHeader.records['edge.critical-0']![0] as unknown as { headers: unknown }).headers = [{ a: [300] }];
  assert.match(decodeMskEvent(badHeader).rejects[0]!.reason, /header "a" is not a byte array/);
});

test('anything that is not an MSK event is refused as a whole', () => {
  assert.throws(() => decodeMskEvent({ Records: [] }), /not an MSK/);
  assert.throws(() => decodeMskEvent(null), /not an MSK/);
});

test('itemIdentifier has the Kafka partial-batch-response shape; partition keys map back to topics', () => {
  const { records } = decodeMskEvent(mskEvent([{ topic: 'edge.my-topic', partition: 11, offset: 42, value: 'v' }]));
  assert.deepEqual(itemIdentifier(records[0]!), { partition: 'edge.my-topic-11', offset: 42 });
  assert.equal(topicOfPartitionKey('edge.my-topic-11'), 'edge.my-topic');
});
