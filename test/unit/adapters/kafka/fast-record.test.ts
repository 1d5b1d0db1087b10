import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeRecord, KAFKAJS_RECORD_MODULE, type RecordInput } from '../../../../lib/adapters/kafka/fast-record';

// kafkajs's own encoder: nothing in this file loads kafkajs through lib/adapters/kafka/kafkajs.ts,
// so the substitution is not installed and this is the original.
const kafkajsRecord = require(KAFKAJS_RECORD_MODULE) as (r: RecordInput) => { buffer: Buffer };

const bytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
);
// kafkajs itself throws on null header values, so headers are strings or buffers.
const headerValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)));
const record = fc.record({
  offsetDelta: fc.integer({ min: 0, max: 100_000 }),
  timestampDelta: fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 2 ** 45 })),
  key: bytes,
  value: bytes,
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })), { maxKeys: 7 }),
});

test('encodeRecord produces exactly kafkajs’s bytes for arbitrary records', () => {
  assert.notEqual(kafkajsRecord, encodeRecord, 'the reference is kafkajs’s encoder, not ours');
  fc.assert(
    fc.property(record, (r) => {
      assert.deepEqual(encodeRecord(r).buffer, kafkajsRecord(r).buffer);
    }),
    { numRuns: 2000, seed: 20261122 },
  );
});

test('a typical forwarded record (five headers, 200-byte value) matches too', () => {
  const r: RecordInput = {
    offsetDelta: 9_999,
    timestampDelta: 1234,
    key: 'server-7',
    value: Buffer.alloc(200, 0x61),
    headers: { 'ef-event-id': '01a201bd-4363-7ad2-8f75-ca6ad649480d', 'ef-source': 'http', 'ef-tenant': 'dev', 'ef-producer': 'edge-forwarder-90ea1b3830e7', 'ef-seq': '9999' },
  };
  const ours = encodeRecord(r);
  assert.deepEqual(ours.buffer, kafkajsRecord(r).buffer);
  assert.ok(Buffer.isBuffer(ours.buf), 'kafkajs’s writeEncoderArray checks for a Buffer `buf`');
});
