import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { stableEventId, uuidv7 } from '../../../lib/domain/ids';

test('uuidv7 has the RFC 9562 layout, version 7 and the RFC variant', () => {
  for (let i = 0; i < 1000; i++) assert.match(uuidv7(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('the first 48 bits are the timestamp, so ids sort by time', () => {
  const at = Date.UTC(2026, 10, 22, 4, 0, 0);
  const id = uuidv7(at);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  assert.ok(uuidv7(at) < uuidv7(at + 1));
});

test('ids made in the same millisecond are still distinct', () => {
  const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_700_000_000_000)));
  assert.equal(ids.size, 10_000);
});

test('stableEventId: RFC 9562 version 8 layout, the RFC variant, 36 ASCII characters', () => {
  for (let i = 0; i < 1000; i++) {
    const id = stableEventId(['sqs', `message-${i}`]);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

test('stableEventId: the same identity always gives the same id, another identity another id', () => {
  const id = stableEventId(['kinesis', 'arn:aws:kinesis:eu-west-1:123456789012:stream/s', 'shardId-000000000000', '4959', '0']);
  assert.equal(stableEventId(['kinesis', 'arn:aws:kinesis:eu-west-1:123456789012:stream/s', 'shardId-000000000000', '4959', '0']), id);
  const ids = new Set(Array.from({ length: 10_000 }, (_, i) => stableEventId(['kinesis', 'arn', 'shard', '4959', String(i)])));
  assert.equal(ids.size, 10_000);
  assert.ok(!ids.has(id));
});

test('stableEventId: parts cannot run into each other', () => {
  assert.notEqual(stableEventId(['a:b', 'c']), stableEventId(['a', 'b:c']));
  assert.notEqual(stableEventId(['ab', 'c']), stableEventId(['a', 'bc']));
  assert.notEqual(stableEventId(['a', '']), stableEventId(['a']));
});

test('stableEventId: a pinned value (changing the derivation would change every redelivered id)', () => {
  const name = JSON.stringify(['sqs', '059f36b4-87a3-44ab-83d2-661975830a7d']);
  const hash = createHash('sha256').update(Buffer.from('5c0b3f6e4d2a4e8f9a1b7c3d2e4f6a8b', 'hex')).update(name).digest('hex');
  const id = stableEventId(['sqs', '059f36b4-87a3-44ab-83d2-661975830a7d']);
  // All bits but the version nibble and the two variant bits are the hash's first 128 bits.
  assert.equal(id.replaceAll('-', '').slice(0, 12), hash.slice(0, 12));
  assert.equal(id.replaceAll('-', '').slice(13, 16), hash.slice(13, 16));
  assert.equal(id.replaceAll('-', '').slice(17, 32), hash.slice(17, 32));
  assert.equal(id, '6ed47c0f-c95b-84bf-8889-175bdea3a186');
});
