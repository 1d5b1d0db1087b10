import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import type { RequestError } from '../../../lib/platform/errors';
import { DEFAULT_LIMITS } from '../../../lib/domain/limits';
import type { Limits } from '../../../lib/domain/limits';
import { expectRequestError } from '../../helpers/request-error';
import { cloudWatchLogsKey, decodeCloudWatchLogs, logEventId } from '../../../lib/sources/cloudwatch-logs';
import { cloudWatchLogsEvent, cloudWatchLogsPayload, encodeAwsLogs, gzip } from '../../helpers/events';

function decode(event: CloudWatchLogsEvent, limits: Partial<Limits> = {}) {
  return decodeCloudWatchLogs(event, { ...DEFAULT_LIMITS, ...limits });
}

function decodeError(event: unknown, limits: Partial<Limits>, statusCode: number, code: string): RequestError {
  return expectRequestError(() => decode(event as CloudWatchLogsEvent, limits), statusCode, code);
}

// The sample event of the Lambda console's "cloudwatch-logs" test template (AWS docs).
const AWS_SAMPLE: CloudWatchLogsEvent = {
  awslogs: {
    data:
      'H4sIAAAAAAAAAHWPwQqCQBCGX0Xm7EFtK+smZBEUgXoLCdMhFtKV3akI8d0bLYmibvPPN3wz00CJxmQnTO41whwWQRIctmEcB6sQbFC3CjW3XW8kxpOpP+OC22d1Wml1qZkQGtoMsScxaczKN3plG8zlaHIta5KqWsozoTYw3/djzwhpLwivWFGHGpAFe7DL68JlBUk+l7KSN7tCOEJ4M3/qOI49vMHj+zCKdlFqLaU2ZHV2a4Ct/an0/ivdX8oYc1UVX860fQDQiMdxRQEAAA==',
  },
};

describe('cloudwatch logs: data messages', () => {
  test('the AWS sample event decodes to one log record per log event', () => {
    // The sample's events are from 2015, outside the timestamp window: the Kafka timestamp is the
    // receive time (windowedTimestamp), the value keeps the event's own.
    const receivedFrom = Date.now();
    const { records, rejects } = decode(AWS_SAMPLE);
    const receivedTo = Date.now();
    assert.deepEqual(rejects, []);
    for (const r of records) assert.ok(r.timestamp >= receivedFrom && r.timestamp <= receivedTo, `${r.timestamp} is the receive time`);
    assert.deepEqual(
      records.map((r) => ({ kind: r.kind, id: r.id, key: r.key, sourceRef: r.sourceRef })),
      [
        {
          kind: 'log',
          id: logEventId('123456789123', 'testLogGroup', 'testLogStream', 'eventId1'),
          key: 'testLogGroup:testLogStream',
          sourceRef: { source: 'cloudwatch-logs', index: 0, itemId: 'eventId1' },
        },
        {
          kind: 'log',
          id: logEventId('123456789123', 'testLogGroup', 'testLogStream', 'eventId2'),
          key: 'testLogGroup:testLogStream',
          sourceRef: { source: 'cloudwatch-logs', index: 1, itemId: 'eventId2' },
        },
      ],
    );
    assert.equal(
      records[0]?.value.toString(),
      '{"logGroup":"testLogGroup","logStream":"testLogStream","owner":"123456789123","timestamp":1440442987000,"message":"[ERROR] First test message"}',
    );
  });

  test('values round-trip messages with quotes, newlines and non-ASCII; key joins group and stream with ":"', () => {
    const messages = ['START RequestId: 1', 'line "quoted"\n\tindented', 'Zoë 🎮 \\ \u0000', '{"level":"info"}'];
    const payload = cloudWatchLogsPayload({
      logGroup: '/aws/lambda/match-server',
      logStream: '2024/05/01/[$LATEST]abc',
      messages,
      timestamp: 1714560000000,
    });
    const { records, rejects } = decode(encodeAwsLogs(payload));
    assert.deepEqual(rejects, []);
    assert.equal(records.length, messages.length);
    records.forEach((r, i) => {
      assert.deepEqual(JSON.parse(r.value.toString('utf8')), {
        logGroup: '/aws/lambda/match-server',
        logStream: '2024/05/01/[$LATEST]abc',
        owner: payload.owner,
        timestamp: 1714560000000 + i,
        message: messages[i],
      });
      assert.equal(r.key, '/aws/lambda/match-server:2024/05/01/[$LATEST]abc');
      assert.equal(r.id, logEventId(payload.owner, payload.logGroup, payload.logStream, payload.logEvents[i]!.id));
      assert.equal(r.sourceRef.itemId, payload.logEvents[i]?.id);
    });
    assert.equal(cloudWatchLogsKey('g', 's'), 'g:s');
    assert.equal(payload.logEvents[0]?.id.length, 56);
  });

  test('CONTROL_MESSAGE yields no records and no rejects', () => {
    const result = decode(cloudWatchLogsEvent({ messages: [], control: true }));
    assert.deepEqual(result, { records: [], rejects: [] });
  });

  test('a log event with a wrong shape is a reject; siblings still decode', () => {
    const payload = cloudWatchLogsPayload({ messages: ['a', 'b', 'c', 'd', 'e'] }) as unknown as {
      logEvents: unknown[];
    };
    const events = payload.logEvents as Array<Record<string, unknown>>;
    events[1]!.message = 42;
    delete events[2]!.id;
    payload.logEvents[3] = 'not an object';
    const { records, rejects } = decode(encodeAwsLogs(payload));
    assert.deepEqual(records.map((r) => r.sourceRef.index), [0, 4]);
    assert.equal(rejects.length, 3);
    assert.deepEqual(rejects.map((r) => [r.index, r.itemId]), [
      [1, events[1]!.id],
      [2, undefined],
      [3, undefined],
    ]);
    assert.match(rejects[0]!.reason, /^record 1: field "message" must be a string, got 42$/);
    assert.match(rejects[1]!.reason, /^record 2: field "id" must be a non-empty string/);
    assert.match(rejects[2]!.reason, /^record 3: log event must be an object, got string$/);
  });

  test('record size boundary: a value of exactly maxRecordBytes passes, one byte more is rejected', () => {
    const probe = decode(cloudWatchLogsEvent({ messages: ['x'.repeat(100)] })).records[0]!;
    const max = probe.value.length;
    const event = cloudWatchLogsEvent({ messages: ['x'.repeat(100), 'x'.repeat(101)] });
    const { records, rejects } = decode(event, { maxRecordBytes: max });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.value.length, max);
    assert.equal(rejects[0]?.index, 1);
    assert.equal(rejects[0]?.reason, `record 1: ${max + 1} bytes exceeds the ${max}-byte record limit`);
    assert.ok(rejects[0]?.itemId);
  });
});

describe('cloudwatch logs: stable ids', () => {
  const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const payload = cloudWatchLogsPayload({ logGroup: '/ecs/game', logStream: 'task/1', messages: ['a', 'b', 'c'], timestamp: Date.now() });

  test('the same envelope delivered twice gives the same ids; each log event its own', () => {
    const first = decode(encodeAwsLogs(payload)).records.map((r) => r.id);
    const again = decode(encodeAwsLogs(structuredClone(payload))).records.map((r) => r.id);
    assert.deepEqual(first, again);
    assert.equal(new Set(first).size, 3);
    for (const id of first) assert.match(id ?? '', UUID_V8);
  });

  test('the id is the log event\'s identity: another event id, stream, group or account gives another id', () => {
    const idOf = (changes: Partial<typeof payload>, eventId?: string) => {
      const p = { ...structuredClone(payload), ...changes };
      if (eventId) p.logEvents[0]!.id = eventId;
      return decode(encodeAwsLogs(p)).records[0]!.id;
    };
    const base = idOf({});
    assert.equal(idOf({}), base);
    assert.notEqual(idOf({}, `${payload.logEvents[0]!.id.slice(0, -1)}9`), base);
    assert.notEqual(idOf({ logStream: 'task/2' }), base);
    assert.notEqual(idOf({ logGroup: '/ecs/other' }), base);
    assert.notEqual(idOf({ owner: '210987654321' }), base);
    // The message is not part of it: the id names the event, whatever it says.
    const edited = structuredClone(payload);
    edited.logEvents[0]!.message = 'changed';
    assert.equal(decode(encodeAwsLogs(edited)).records[0]!.id, base);
  });
});

describe('cloudwatch logs: envelope errors', () => {
  test('bad base64 is 400 malformed_event', () => {
    const err = decodeError({ awslogs: { data: 'not base64 at all!!' } }, {}, 400, 'malformed_event');
    assert.match(err.message, /not valid base64/);
    decodeError({ awslogs: { data: 'H4sIAAAAAAAAA' } }, {}, 400, 'malformed_event'); // bad length
  });

  test('base64 that is not gzip, and truncated gzip, are 400', () => {
    const notGzip = decodeError({ awslogs: { data: Buffer.from('{"a":1}').toString('base64') } }, {}, 400, 'malformed_event');
    assert.match(notGzip.message, /awslogs.data is not valid gzip/);
    const gz = gzip(JSON.stringify(cloudWatchLogsPayload({ messages: ['a', 'b'] })));
    const truncated = { awslogs: { data: gz.subarray(0, gz.length - 4).toString('base64') } };
    assert.match(decodeError(truncated, {}, 400, 'malformed_event').message, /unexpected end of file/);
  });

  test('a gzip bomb is 413 decoded_too_large', () => {
    const bomb = { awslogs: { data: gzip(Buffer.alloc(20 * 1024 * 1024, 0x20)).toString('base64') } };
    const err = decodeError(bomb, { maxDecodedBytes: 1024 * 1024 }, 413, 'decoded_too_large');
    assert.match(err.message, /1048576-byte decoded limit/);
  });

  test('awslogs.data over maxBodyBytes is 413 body_too_large', () => {
    const event = cloudWatchLogsEvent({ messages: ['x'.repeat(4000)] });
    decodeError(event, { maxBodyBytes: 10 }, 413, 'body_too_large');
  });

  test('not JSON, or JSON of the wrong shape, is 400', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ awslogs: { data: gzip('{"messageType":').toString('base64') } }, /not valid JSON/],
      [encodeAwsLogs([1, 2]), /must hold a JSON object, got array/],
      [encodeAwsLogs({ ...cloudWatchLogsPayload({ messages: ['a'] }), messageType: 'SOMETHING' }), /messageType must be/],
      [encodeAwsLogs({ ...cloudWatchLogsPayload({ messages: ['a'] }), logGroup: 7 }), /logGroup must be a non-empty string, got 7/],
      [encodeAwsLogs({ ...cloudWatchLogsPayload({ messages: ['a'] }), logEvents: {} }), /logEvents must be an array, got object/],
      [{}, /no awslogs.data/],
      [{ awslogs: {} }, /no awslogs.data/],
      [undefined, /no awslogs.data/],
    ];
    for (const [event, message] of cases) {
      assert.match(decodeError(event, {}, 400, 'malformed_event').message, message);
    }
  });

  test('too many log events: maxRecords passes, one more is 413', () => {
    const messages = Array.from({ length: 4 }, (_, i) => `m${i}`);
    assert.equal(decode(cloudWatchLogsEvent({ messages }), { maxRecords: 4 }).records.length, 4);
    const err = decodeError(cloudWatchLogsEvent({ messages }), { maxRecords: 3 }, 413, 'too_many_records');
    assert.match(err.message, /has 4 records; the limit is 3/);
  });
});
