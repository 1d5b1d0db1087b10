import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { DeadlineExceeded } from '../../../../lib/platform/deadline';
import { classifySendError } from '../../../../lib/adapters/kafka/send-errors';

// kafkajs's own error classes, so the shapes (type, code, cause, retriable) are the real ones.
const load = createRequire(__filename);
type ErrorClass = new (message: unknown, details?: Record<string, unknown>) => Error;
const errors = load('kafkajs/src/errors') as Record<
  'KafkaJSProtocolError' | 'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSConnectionError' | 'KafkaJSNonRetriableError' | 'KafkaJSRequestTimeoutError',
  ErrorClass
>;
const { createErrorFromCode } = load('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error & { type: string } };

/** What kafkajs's retrier rejects with once its retries are used up (src/retry/index.js). */
const exhausted = (e: Error & { cause?: unknown }) => new errors.KafkaJSNumberOfRetriesExceeded(e, { retryCount: 5, retryTime: 2_000, cause: e.cause || e });
/** What kafkajs's retrier rejects with for an error it will not retry (src/retry/index.js). */
const nonRetriable = (e: Error & { cause?: unknown }) => new errors.KafkaJSNonRetriableError(e, { cause: e.cause || e });

const connectionRefused = () =>
  new errors.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' });
const requestTimeout = () =>
  new errors.KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', { broker: 'b-1:9092', correlationId: 7, createdAt: 1, sentAt: 1, pendingDuration: 0 });

const retriable: [string, () => Error][] = [
  ['connection refused', connectionRefused],
  ['a request timeout', requestTimeout],
  ['NOT_LEADER_OR_FOLLOWER (6)', () => createErrorFromCode(6)],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER (45)', () => createErrorFromCode(45)],
  ['UNKNOWN_PRODUCER_ID (59)', () => createErrorFromCode(59)],
  ['our DeadlineExceeded', () => new DeadlineExceeded('sending to Kafka: timed out after 2000 ms (invocation budget)')],
  ['exhausted retries after connection refused', () => exhausted(connectionRefused())],
  ['exhausted retries after a request timeout', () => exhausted(requestTimeout())],
  ['exhausted retries after NOT_LEADER_OR_FOLLOWER', () => exhausted(createErrorFromCode(6))],
  ['exhausted retries after OUT_OF_ORDER_SEQUENCE_NUMBER', () => exhausted(createErrorFromCode(45))],
  ['exhausted retries after UNKNOWN_PRODUCER_ID', () => exhausted(createErrorFromCode(59))],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER given up on by kafkajs as non-retriable', () => nonRetriable(createErrorFromCode(45))],
];

for (const [what, make] of retriable) {
  test(`${what} is retriable: the records can succeed on a later attempt`, () => {
    const err = make();
    const failure = classifySendError(err);
    assert.equal(failure.retriable, true, failure.reason);
    assert.ok(failure.reason.includes(err.message), `reason "${failure.reason}" keeps "${err.message}"`);
  });
}

const refusals: [string, number][] = [
  ['MESSAGE_TOO_LARGE', 10],
  ['RECORD_LIST_TOO_LARGE', 18],
  ['INVALID_RECORD', 87],
  ['TOPIC_AUTHORIZATION_FAILED', 29],
  ['INVALID_TIMESTAMP', 32],
];
const wrappings: [string, (e: Error) => Error][] = [
  ['bare', (e) => e],
  ['wrapped in KafkaJSNumberOfRetriesExceeded', exhausted],
  ['wrapped in KafkaJSNonRetriableError', nonRetriable],
];

for (const [type, code] of refusals) {
  for (const [how, wrap] of wrappings) {
    test(`${type} (${code}), ${how}, is permanent and names the type in the reason`, () => {
      const proto = createErrorFromCode(code);
      assert.equal(proto.type, type, 'kafkajs names the code as expected');

      const failure = classifySendError(wrap(proto));

      assert.equal(failure.retriable, false, failure.reason);
      assert.ok(failure.reason.startsWith(`${type}: `), failure.reason);
      assert.ok(failure.reason.includes(proto.message), failure.reason);
    });
  }
}

test('a refusal under two layers of kafkajs wrappers is still permanent', () => {
  const failure = classifySendError(exhausted(nonRetriable(createErrorFromCode(10))));
  assert.equal(failure.retriable, false);
  assert.match(failure.reason, /^MESSAGE_TOO_LARGE: /);
});

test('a thrown string is retriable, with the string as the reason', () => {
  assert.deepEqual(classifySendError('socket hang up'), { reason: 'socket hang up', retriable: true });
});

test('a rejection with no value at all (undefined or null) is classified retriable instead of throwing', () => {
  // Producer.send must never throw, and it hands whatever it caught to classifySendError.
  for (const nothing of [undefined, null]) {
    const failure = classifySendError(nothing);
    assert.equal(failure.retriable, true);
    assert.ok(failure.reason.length > 0);
  }
});
