import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../../../lib/adapters/kafka/client';
import { encodeRecord, KAFKAJS_RECORD_MODULE } from '../../../../lib/adapters/kafka/fast-record';

test('once the Kafka client is loaded, kafkajs encodes records with ours', () => {
  assert.equal(require(KAFKAJS_RECORD_MODULE), encodeRecord);
});
