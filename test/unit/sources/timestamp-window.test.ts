/**
 * The record timestamp window (README "HTTP API", the timestamp rule): a record's own timestamp
 * becomes its Kafka timestamp only within [receivedAt - MAX_TIMESTAMP_PAST_MS, receivedAt +
 * MAX_TIMESTAMP_FUTURE_MS]; outside it the receive time does, and the payload keeps what was sent.
 * Same rule for every source, AWS-provided timestamps included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SQSEvent } from 'aws-lambda';
import { DEFAULT_LIMITS, type Limits } from '../../../lib/domain/limits';
import type { DecodedRecord } from '../../../lib/domain/record';
import { loadConfig } from '../../../lib/platform/config';
import { ConfigError } from '../../../lib/platform/errors';
import { decodeCloudWatchLogs } from '../../../lib/sources/cloudwatch-logs';
import { decodeHttpBody } from '../../../lib/sources/http-body';
import { windowedTimestamp } from '../../../lib/sources/record-fields';
import { decodeSqs } from '../../../lib/sources/sqs';
import { cloudWatchLogsEvent, ndjson } from '../../helpers/events';

const RECEIVED_AT = 1_714_560_000_000; // 2024-05-01T10:40:00Z
const PAST = DEFAULT_LIMITS.maxTimestampPastMs;
const FUTURE = DEFAULT_LIMITS.maxTimestampFutureMs;
const YEAR_9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const iso = (ms: number) => new Date(ms).toISOString();

/** The Kafka timestamps of NDJSON records, one per line, decoded as received at RECEIVED_AT. */
function timestampsOf(lines: readonly unknown[], limits: Partial<Limits> = {}): number[] {
  const { records, rejects } = decodeHttpBody(
    { body: Buffer.from(ndjson(lines)), contentType: 'application/x-ndjson', kind: 'log', receivedAt: RECEIVED_AT },
    { ...DEFAULT_LIMITS, ...limits },
  );
  assert.deepEqual(rejects, [], 'a timestamp outside the window is replaced, never a reject');
  return records.map((r) => r.timestamp);
}

function sqsEvent(bodies: readonly string[]): SQSEvent {
  return { Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body, eventSource: 'aws:sqs' })) } as unknown as SQSEvent;
}

/** Runs `decode` and asserts every record's timestamp is the receive time (the clock read during the call). */
function assertReceiveTime(decode: () => DecodedRecord[], expectedCount: number): DecodedRecord[] {
  const from = Date.now();
  const records = decode();
  const to = Date.now();
  assert.equal(records.length, expectedCount);
  for (const r of records) assert.ok(r.timestamp >= from && r.timestamp <= to, `${iso(r.timestamp)} is not the receive time`);
  return records;
}

describe('timestamp window: the edges', () => {
  const window = { maxTimestampPastMs: PAST, maxTimestampFutureMs: FUTURE };

  test('defaults are 7 days back and 1 hour ahead', () => {
    assert.equal(PAST, 7 * 24 * 3_600_000);
    assert.equal(FUTURE, 3_600_000);
  });

  test('exactly at either bound the claimed time is kept; 1 ms outside, the receive time is used', () => {
    assert.equal(windowedTimestamp(RECEIVED_AT - PAST, RECEIVED_AT, window), RECEIVED_AT - PAST);
    assert.equal(windowedTimestamp(RECEIVED_AT - PAST - 1, RECEIVED_AT, window), RECEIVED_AT);
    assert.equal(windowedTimestamp(RECEIVED_AT + FUTURE, RECEIVED_AT, window), RECEIVED_AT + FUTURE);
    assert.equal(windowedTimestamp(RECEIVED_AT + FUTURE + 1, RECEIVED_AT, window), RECEIVED_AT);
    assert.equal(windowedTimestamp(RECEIVED_AT, RECEIVED_AT, window), RECEIVED_AT);
  });

  test('epoch-ms numbers: the edges, 0, year 9999, and fractions (truncated before the check)', () => {
    assert.deepEqual(
      timestampsOf([
        { n: 0, timestamp: RECEIVED_AT - PAST },
        { n: 1, timestamp: RECEIVED_AT - PAST - 1 },
        { n: 2, timestamp: RECEIVED_AT + FUTURE },
        { n: 3, timestamp: RECEIVED_AT + FUTURE + 1 },
        { n: 4, timestamp: 0 },
        { n: 5, timestamp: YEAR_9999 },
        { n: 6, timestamp: RECEIVED_AT + FUTURE + 0.9 },
        { n: 7, timestamp: 1e300 },
      ]),
      [RECEIVED_AT - PAST, RECEIVED_AT, RECEIVED_AT + FUTURE, RECEIVED_AT, RECEIVED_AT, RECEIVED_AT, RECEIVED_AT + FUTURE, RECEIVED_AT],
    );
  });

  test('ISO-8601 strings: the edges (UTC and with an offset), 1970, 9999, a date only', () => {
    const atFutureBoundPlus2h = '2024-05-01T13:40:00+02:00'; // = 11:40Z = RECEIVED_AT + 1 h
    assert.deepEqual(
      timestampsOf([
        { timestamp: iso(RECEIVED_AT - PAST) },
        { timestamp: iso(RECEIVED_AT - PAST - 1) },
        { timestamp: atFutureBoundPlus2h },
        { timestamp: '2024-05-01T13:40:00.001+02:00' },
        { timestamp: '1970-01-01T00:00:00Z' },
        { timestamp: '9999-12-31T23:59:59.999Z' },
        { timestamp: '2024-04-30' },
      ]),
      [RECEIVED_AT - PAST, RECEIVED_AT, RECEIVED_AT + FUTURE, RECEIVED_AT, RECEIVED_AT, RECEIVED_AT, Date.UTC(2024, 3, 30)],
    );
  });

  test('no timestamp, a plain text line, a JSON string: the receive time', () => {
    assert.deepEqual(timestampsOf([{ msg: 'none' }, '"a JSON string line"']), [RECEIVED_AT, RECEIVED_AT]);
    const text = decodeHttpBody({ body: Buffer.from('plain line\n'), contentType: 'text/plain', kind: 'log', receivedAt: RECEIVED_AT }, DEFAULT_LIMITS);
    assert.deepEqual(text.records.map((r) => r.timestamp), [RECEIVED_AT]);
  });

  test('a replaced timestamp stays in the payload, byte for byte, and does not disturb its neighbours', () => {
    const lines = ['{"n":0,"timestamp":"9999-12-31T23:59:59Z"}', '{"n":1,"timestamp":0}', `{"n":2,"timestamp":${RECEIVED_AT - 5}}`];
    const { records, rejects } = decodeHttpBody(
      { body: Buffer.from(lines.join('\n')), contentType: 'application/x-ndjson', kind: 'log', receivedAt: RECEIVED_AT },
      DEFAULT_LIMITS,
    );
    assert.deepEqual(rejects, []);
    assert.deepEqual(records.map((r) => r.value.toString()), lines);
    assert.deepEqual(records.map((r) => r.timestamp), [RECEIVED_AT, RECEIVED_AT, RECEIVED_AT - 5]);
  });

  test('malformed timestamps are still rejected (the window applies to well-formed ones)', () => {
    const { records, rejects } = decodeHttpBody(
      { body: Buffer.from(ndjson([{ timestamp: -1 }, { timestamp: 'tomorrow' }, { timestamp: '2024-05-01T12:00:00' }])), contentType: 'application/x-ndjson', kind: 'log', receivedAt: RECEIVED_AT },
      DEFAULT_LIMITS,
    );
    assert.equal(records.length, 0);
    assert.deepEqual(rejects.map((r) => r.index), [0, 1, 2]);
    for (const r of rejects) assert.match(r.reason, /field "timestamp"/);
  });

  test('a narrower window from the limits applies (0 ms ahead: any future time is replaced)', () => {
    assert.deepEqual(
      timestampsOf([{ timestamp: RECEIVED_AT - 1000 }, { timestamp: RECEIVED_AT - 1001 }, { timestamp: RECEIVED_AT + 1 }], {
        maxTimestampPastMs: 1000,
        maxTimestampFutureMs: 0,
      }),
      [RECEIVED_AT - 1000, RECEIVED_AT, RECEIVED_AT],
    );
  });
});

describe('timestamp window: AWS sources', () => {
  const DAY = 86_400_000;

  test('CloudWatch Logs: an event 10 days old (CloudWatch takes up to 14) or 2 hours ahead gets the receive time, its value keeps its own', () => {
    for (const claimed of [Date.now() - 10 * DAY, Date.now() + 2 * 3_600_000]) {
      const records = assertReceiveTime(() => decodeCloudWatchLogs(cloudWatchLogsEvent({ messages: ['old', 'older'], timestamp: claimed }), DEFAULT_LIMITS).records, 2);
      assert.deepEqual(records.map((r) => JSON.parse(r.value.toString()).timestamp), [claimed, claimed + 1]);
    }
  });

  test('CloudWatch Logs: an event from yesterday keeps its timestamp', () => {
    const claimed = Date.now() - DAY;
    const { records } = decodeCloudWatchLogs(cloudWatchLogsEvent({ messages: ['x'], timestamp: claimed }), DEFAULT_LIMITS);
    assert.deepEqual(records.map((r) => r.timestamp), [claimed]);
  });

  test('SQS: 0 and year 9999 get the receive time, an hour-old event keeps its time, siblings all pass', () => {
    const hourAgo = Date.now() - 3_600_000;
    const bodies = [JSON.stringify({ id: 'a', timestamp: 0 }), JSON.stringify({ id: 'b', timestamp: '9999-12-31T00:00:00Z' }), JSON.stringify({ id: 'c', timestamp: hourAgo })];
    const from = Date.now();
    const { records, rejects } = decodeSqs(sqsEvent(bodies), DEFAULT_LIMITS);
    const to = Date.now();
    assert.deepEqual(rejects, []);
    assert.deepEqual(records.map((r) => r.id), ['a', 'b', 'c']);
    for (const r of records.slice(0, 2)) assert.ok(r.timestamp >= from && r.timestamp <= to, `${r.id}: ${iso(r.timestamp)}`);
    assert.equal(records[2]!.timestamp, hourAgo);
    assert.equal(records[1]!.value.toString(), bodies[1], 'the client value stays in the payload');
  });
});

describe('timestamp window: configuration', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

  test('MAX_TIMESTAMP_PAST_MS / MAX_TIMESTAMP_FUTURE_MS narrow the window', () => {
    assert.equal(loadConfig(base).limits.maxTimestampPastMs, PAST);
    assert.equal(loadConfig(base).limits.maxTimestampFutureMs, FUTURE);
    const c = loadConfig({ ...base, MAX_TIMESTAMP_PAST_MS: '86400000', MAX_TIMESTAMP_FUTURE_MS: '0' });
    assert.equal(c.limits.maxTimestampPastMs, 86_400_000);
    assert.equal(c.limits.maxTimestampFutureMs, 0);
  });

  test('widening beyond the defaults (the topics guard those), negatives and non-integers are refused, all at once', () => {
    try {
      loadConfig({ ...base, MAX_TIMESTAMP_PAST_MS: String(PAST + 1), MAX_TIMESTAMP_FUTURE_MS: '-1' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      assert.match(err.problems[0]!, new RegExp(`MAX_TIMESTAMP_PAST_MS must be an integer between 0 and ${PAST}`));
      assert.match(err.problems[1]!, new RegExp(`MAX_TIMESTAMP_FUTURE_MS must be an integer between 0 and ${FUTURE}`));
    }
    assert.throws(() => loadConfig({ ...base, MAX_TIMESTAMP_FUTURE_MS: '1.5' }), /MAX_TIMESTAMP_FUTURE_MS/);
    assert.equal(loadConfig({ ...base, MAX_TIMESTAMP_PAST_MS: String(PAST), MAX_TIMESTAMP_FUTURE_MS: String(FUTURE) }).limits.maxTimestampPastMs, PAST);
  });
});
