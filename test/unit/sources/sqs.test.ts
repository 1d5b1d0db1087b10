import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_LIMITS } from '../../../lib/domain/limits';
import { decodeSqs } from '../../../lib/sources/sqs';

/** A message in the shape of the Lambda developer guide's SQS example event. */
function message(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${Buffer.from(messageId).toString('base64')}wJnKyrHigUMZj6rYigCgxlaS3SLy0a...`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1545082649185' },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
    awsRegion: 'us-east-2',
  };
}

const MESSAGES: readonly [string, string][] = [
  ['059f36b4-87a3-44ab-83d2-661975830a7d', '{"type":"kill","killer":"p1","victim":"p2"}'],
  ['2e1424d4-f796-459a-8184-9c92662be6da', '{"type":"purchase","sku":"gem-pack","price":19.90}'],
  ['8a2f0c3e-1b7d-4e9a-9c55-3d6f1e2b4a77', '{"id":"client-chosen-1","type":"chat"}'],
];
const batch = (redelivery = 1): SQSEvent => ({
  Records: MESSAGES.map(([id, body]) => {
    const m = message(id, body);
    m.attributes.ApproximateReceiveCount = String(redelivery);
    return m;
  }),
});
const ids = (event: SQSEvent) => decodeSqs(event, DEFAULT_LIMITS).records.map((r) => r.id);
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('sqs: stable ids', () => {
  test('the same messages delivered twice get the same event ids', () => {
    const first = ids(batch(1));
    const redelivered = ids(batch(2));
    assert.deepEqual(redelivered, first);
    for (const id of first.slice(0, 2)) assert.match(id ?? '', UUID_V8);
  });

  test('different messages get different ids; a record that names its id keeps it', () => {
    const first = ids(batch());
    assert.equal(new Set(first).size, 3);
    assert.equal(first[2], 'client-chosen-1');
    const sameBodyOtherMessage = ids({ Records: [message('0c6b1f7e-5d4a-4b3c-8e2f-1a9d7c6b5e4f', MESSAGES[0]![1])] });
    assert.notEqual(sameBodyOtherMessage[0], first[0], 'the id follows the message, not its body');
  });

  test('messageId stays the itemId (batchItemFailures); a message without one gets no derived id', () => {
    const out = decodeSqs(batch(), DEFAULT_LIMITS);
    assert.deepEqual(out.records.map((r) => r.sourceRef.itemId), MESSAGES.map(([id]) => id));
    const anonymous = message('', '{"type":"kill"}');
    assert.equal(decodeSqs({ Records: [anonymous] }, DEFAULT_LIMITS).records[0]!.id, undefined, 'the router assigns a fresh uuidv7');
  });
});
