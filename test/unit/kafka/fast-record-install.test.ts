import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../../lib/kafka/client';
import { encodeRecord } from '../../../lib/kafka/fast-record';
import { KAFKAJS_RECORD_MODULE } from '../../../lib/kafka/fast-record-install';

test('once the Kafka client is loaded, kafkajs encodes records with ours', () => {
  assert.equal(require(KAFKAJS_RECORD_MODULE), encodeRecord);
});
