import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { KinesisStreamEvent } from 'aws-lambda';
import { DEFAULT_LIMITS, type Limits } from '../../../lib/domain/limits';
import type { RecordKind } from '../../../lib/domain/tiers';
import { decodeCloudWatchLogs } from '../../../lib/sources/cloudwatch-logs';
import { decodeKinesis } from '../../../lib/sources/kinesis';
import { cloudWatchLogsPayload, encodeAwsLogs, gzip, ndjson } from '../../helpers/events';
import { AWS_KINESIS_SAMPLE, cloudWatchLogsKinesisData, kinesisEvent, STREAM_ARN } from '../../helpers/kinesis-events';

const decode = (event: KinesisStreamEvent, kind: RecordKind = 'event', limits: Partial<Limits> = {}) =>
  decodeKinesis(event, { ...DEFAULT_LIMITS, ...limits }, kind);
const values = (r: { records: { value: Buffer }[] }) => r.records.map((x) => x.value.toString('utf8'));
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Every index 0..n-1 exactly once across records and rejects, as the pipeline expects. */
const indexes = (r: ReturnType<typeof decode>) => [...r.records.map((x) => x.sourceRef.index), ...r.rejects.map((x) => x.index)].sort((a, b) => a - b);

describe('kinesis: the documented event (Lambda developer guide example)', () => {
  test('into ingest-logs: each text record is one log line, itemId = its sequence number', () => {
    const out = decode(AWS_KINESIS_SAMPLE, 'log');
    assert.deepEqual(out.rejects, []);
    assert.deepEqual(values(out), ['Hello, this is a test.', 'This is only a test.']);
    assert.deepEqual(
      out.records.map((r) => [r.kind, r.sourceRef]),
      [
        ['log', { source: 'kinesis', index: 0, itemId: '49590338271490256608559692538361571095921575989136588898' }],
        ['log', { source: 'kinesis', index: 1, itemId: '49590338271490256608559692540925702759324208523137515618' }],
      ],
    );
    for (const r of out.records) assert.match(r.id ?? '', UUID_V8);
  });

  test('into ingest-critical: text is not a JSON event, so each is a reject carrying its sequence number', () => {
    const out = decode(AWS_KINESIS_SAMPLE, 'event');
    assert.deepEqual(out.records, []);
    assert.deepEqual(out.rejects.map((r) => [r.index, r.itemId]), [
      [0, '49590338271490256608559692538361571095921575989136588898'],
      [1, '49590338271490256608559692540925702759324208523137515618'],
    ]);
    assert.match(out.rejects[0]!.reason, /^record 0: Kinesis record 0, line 0: invalid JSON/);
  });
});

describe('kinesis: record formats', () => {
  test('one JSON object: its bytes as sent, reserved fields honoured; a JSON string is a log line', () => {
    const sent = '{"id":"kill-7","type":"kill","key":"match-12","price":19.90,"big":12345678901234567890}';
    const out = decode(kinesisEvent([{ data: sent }, { data: '  {\n  "pretty": 1.0\n}\n' }, { data: '"plain line"' }]));
    assert.deepEqual(out.rejects, []);
    assert.deepEqual(values(out), [sent, '{\n  "pretty": 1.0\n}', 'plain line']);
    assert.deepEqual([out.records[0]!.id, out.records[0]!.type, out.records[0]!.key], ['kill-7', 'kill', 'match-12']);
  });

  test('an NDJSON batch: one record per non-blank line, one bad line rejected alone, indexes continue across Kinesis records', () => {
    const event = kinesisEvent([
      { data: ndjson([{ n: 1 }, '', { n: 2 }, '{"n":', '"line"']) },
      { data: ndjson([{ n: 3 }, { n: 4 }]) },
    ]);
    const [first, second] = event.Records.map((r) => r.kinesis.sequenceNumber);
    const out = decode(event);
    assert.deepEqual(values(out), ['{"n":1}', '{"n":2}', 'line', '{"n":3}', '{"n":4}']);
    assert.deepEqual(out.records.map((r) => [r.sourceRef.index, r.sourceRef.itemId]), [
      [0, first],
      [1, first],
      [3, first],
      [4, second],
      [5, second],
    ]);
    assert.equal(out.rejects.length, 1);
    assert.deepEqual([out.rejects[0]!.index, out.rejects[0]!.itemId], [2, first]);
    assert.match(out.rejects[0]!.reason, /^record 2: Kinesis record 0, line 2: invalid JSON/);
  });

  test('text lines become log records for the logs tier only (other kinds need JSON)', () => {
    const text = 'GET /match/12 200\n  at stack frame\n\n';
    assert.deepEqual(values(decode(kinesisEvent([{ data: text }]), 'log')), ['GET /match/12 200', '  at stack frame']);
    const asEvents = decode(kinesisEvent([{ data: text }]), 'event');
    assert.equal(asEvents.records.length, 0);
    assert.equal(asEvents.rejects.length, 2);
  });

  test('gzip-compressed data is decompressed first (NDJSON inside)', () => {
    const out = decode(kinesisEvent([{ data: gzip(ndjson([{ a: 1 }, { b: 2 }])) }]));
    assert.deepEqual(values(out), ['{"a":1}', '{"b":2}']);
  });
});

describe('kinesis: CloudWatch Logs subscription payloads through a stream', () => {
  const payload = cloudWatchLogsPayload({ logGroup: '/ecs/game-server', logStream: 'task/abc', messages: ['boot', 'ready'], timestamp: Date.now() });

  test('one log record per log event, keyed by group:stream, itemId = the Kinesis sequence number', () => {
    const event = kinesisEvent([{ data: cloudWatchLogsKinesisData(payload) }]);
    const out = decode(event, 'log');
    assert.deepEqual(out.rejects, []);
    assert.deepEqual(out.records.map((r) => [r.kind, r.key, r.sourceRef.index, r.sourceRef.itemId]), [
      ['log', '/ecs/game-server:task/abc', 0, event.Records[0]!.kinesis.sequenceNumber],
      ['log', '/ecs/game-server:task/abc', 1, event.Records[0]!.kinesis.sequenceNumber],
    ]);
    assert.deepEqual(out.records.map((r) => JSON.parse(r.value.toString()).message), ['boot', 'ready']);
  });

  test('the ids equal those of the same events delivered by a direct subscription', () => {
    const viaKinesis = decode(kinesisEvent([{ data: cloudWatchLogsKinesisData(payload) }]), 'log');
    const direct = decodeCloudWatchLogs(encodeAwsLogs(payload), DEFAULT_LIMITS);
    assert.deepEqual(viaKinesis.records.map((r) => r.id), direct.records.map((r) => r.id));
    assert.equal(new Set(direct.records.map((r) => r.id)).size, 2);
  });

  test('CONTROL_MESSAGE produces nothing; its neighbours decode and keep their indexes contiguous', () => {
    const control = cloudWatchLogsKinesisData(cloudWatchLogsPayload({ messages: [], control: true }));
    const out = decode(kinesisEvent([{ data: '"before"' }, { data: control }, { data: '"after"' }]), 'log');
    assert.deepEqual(out.rejects, []);
    assert.deepEqual(values(out), ['before', 'after']);
    assert.deepEqual(indexes(out), [0, 1]);
  });

  test('a malformed payload or a malformed log event is rejected on its own', () => {
    const bad = cloudWatchLogsKinesisData({ ...payload, logGroup: 7 });
    const oneBadEvent = structuredClone(payload) as unknown as { logEvents: Record<string, unknown>[] };
    oneBadEvent.logEvents[0]!.message = 42;
    const event = kinesisEvent([{ data: bad }, { data: cloudWatchLogsKinesisData(oneBadEvent) }]);
    const out = decode(event, 'log');
    assert.deepEqual(values(out).map((v) => JSON.parse(v).message), ['ready']);
    assert.deepEqual(out.rejects.map((r) => [r.index, r.itemId]), [
      [0, event.Records[0]!.kinesis.sequenceNumber],
      [1, event.Records[1]!.kinesis.sequenceNumber],
    ]);
    assert.match(out.rejects[0]!.reason, /^record 0: Kinesis record 0: logGroup must be a non-empty string, got 7$/);
    assert.match(out.rejects[1]!.reason, /^record 1: Kinesis record 1, log event 0: field "message" must be a string/);
  });
});

describe('kinesis: limits and broken records are per-record rejects, never the batch', () => {
  const good = { data: '{"ok":true}' };

  test('bad base64, empty data, blank data, KPL aggregation, no sequence number', () => {
    const event = kinesisEvent([good, good, good, good, good, good]);
    const r = event.Records;
    r[0]!.kinesis.data = 'not base64!!';
    r[1]!.kinesis.data = '';
    r[2]!.kinesis.data = Buffer.from(' \n\t ').toString('base64');
    r[3]!.kinesis.data = Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), Buffer.from('protobuf')]).toString('base64');
    delete (r[4]!.kinesis as { sequenceNumber?: string }).sequenceNumber;
    const out = decode(event);
    assert.deepEqual(values(out), ['{"ok":true}']);
    assert.equal(out.records[0]!.sourceRef.itemId, r[5]!.kinesis.sequenceNumber);
    const reasons = out.rejects.map((x) => x.reason);
    assert.match(reasons[0]!, /^record 0: Kinesis record 0: data is not valid base64/);
    assert.match(reasons[1]!, /^record 1: Kinesis record 1: data is empty/);
    assert.match(reasons[2]!, /^record 2: Kinesis record 2: data is blank/);
    assert.match(reasons[3]!, /^record 3: Kinesis record 3: data is a KPL aggregated record/);
    assert.match(reasons[4]!, /^record 4: Kinesis record 4: has no kinesis.sequenceNumber/);
    const seqs = r.map((x) => x.kinesis.sequenceNumber);
    assert.deepEqual(out.rejects.map((x) => x.itemId), [seqs[0], seqs[1], seqs[2], seqs[3], undefined], 'no sequence number, no itemId');
    assert.deepEqual(indexes(out), [0, 1, 2, 3, 4, 5]);
  });

  test('invalid UTF-8: only the line that has it', () => {
    const data = Buffer.concat([Buffer.from('{"a":1}\n"'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n{"b":2}\n')]);
    const out = decode(kinesisEvent([{ data }]));
    assert.deepEqual(values(out), ['{"a":1}', '{"b":2}']);
    assert.match(out.rejects[0]!.reason, /^record 1: Kinesis record 0, line 1: invalid UTF-8$/);
  });

  test('maxRecordBytes: exactly the limit passes, one byte more is rejected', () => {
    const out = decode(kinesisEvent([{ data: '{"x":"12345"}' }, { data: '{"x":"123456"}' }]), 'event', { maxRecordBytes: 13 });
    assert.deepEqual(values(out), ['{"x":"12345"}']);
    assert.match(out.rejects[0]!.reason, /^record 1: Kinesis record 1: 14 bytes exceeds the 13-byte record limit$/);
  });

  test('maxDecodedBytes: a gzip bomb is rejected without taking its neighbours down', () => {
    const bomb = gzip(Buffer.alloc(8 * 1024 * 1024, 0x20));
    const out = decode(kinesisEvent([good, { data: bomb }, good]), 'event', { maxDecodedBytes: 1024 * 1024 });
    assert.deepEqual(values(out), ['{"ok":true}', '{"ok":true}']);
    assert.match(out.rejects[0]!.reason, /^record 1: Kinesis record 1: data decompresses to more than the 1048576-byte decoded limit/);
    const plain = decode(kinesisEvent([{ data: '"' + 'x'.repeat(98) + '"' }]), 'event', { maxDecodedBytes: 99 });
    assert.match(plain.rejects[0]!.reason, /data is 100 bytes; the decoded limit is 99 bytes/);
    assert.equal(decode(kinesisEvent([{ data: '"' + 'x'.repeat(98) + '"' }]), 'event', { maxDecodedBytes: 100 }).records.length, 1);
  });

  test('maxBodyBytes bounds one Kinesis record\'s data', () => {
    const out = decode(kinesisEvent([{ data: '"0123456789"' }, { data: '"01234567890"' }]), 'event', { maxBodyBytes: 12 });
    assert.deepEqual(values(out), ['0123456789']);
    assert.match(out.rejects[0]!.reason, /^record 1: Kinesis record 1: data is ~13 bytes; the limit is 12 bytes/);
  });

  test('maxRecords: per Kinesis record\'s data, and per batch', () => {
    const three = ndjson(['"a"', '"b"', '"c"']);
    assert.equal(decode(kinesisEvent([{ data: three }]), 'event', { maxRecords: 3 }).records.length, 3);
    const over = decode(kinesisEvent([{ data: three }, { data: '"d"' }]), 'event', { maxRecords: 2 });
    assert.deepEqual(values(over), ['d']);
    assert.match(over.rejects[0]!.reason, /^record 0: Kinesis record 0: its data holds more than 2 records \(MAX_RECORDS\)$/);
    const batch = decode(kinesisEvent([{ data: '"a"' }, { data: '"b"' }, { data: '"c"' }]), 'event', { maxRecords: 2 });
    assert.deepEqual(values(batch), ['a', 'b']);
    assert.match(batch.rejects[0]!.reason, /^record 2: Kinesis record 2: over the limit of 2 records per batch/);
    assert.equal(batch.rejects[0]!.itemId, kinesisEvent([{ data: '' }, { data: '' }, { data: '' }]).Records[2]!.kinesis.sequenceNumber);
  });

  test('an event without Records decodes to nothing', () => {
    assert.deepEqual(decode({} as KinesisStreamEvent), { records: [], rejects: [] });
  });
});

describe('kinesis: stable ids', () => {
  const batch = () => kinesisEvent([{ data: ndjson([{ n: 1 }, { n: 2 }]) }, { data: '{"n":3}' }, { data: '{"id":"mine","n":4}' }]);

  test('the same Kinesis records decoded twice (a retried batch) get the same ids', () => {
    const a = decode(batch()).records.map((r) => r.id);
    const b = decode(batch()).records.map((r) => r.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, 4, 'every line and record has its own id');
    for (const id of a.slice(0, 3)) assert.match(id ?? '', UUID_V8);
    assert.equal(a[3], 'mine', 'a record that names its id keeps it');
  });

  test('other sequence number, shard or stream: other ids', () => {
    const ids = (opts: Parameters<typeof kinesisEvent>[1]) => decode(kinesisEvent([{ data: '{"n":1}' }], opts)).records[0]!.id;
    const base = ids({});
    assert.equal(ids({}), base);
    assert.notEqual(ids({ firstSequenceNumber: '49590338271490256608559692538361571095921575989136588899' }), base);
    assert.notEqual(ids({ shardId: 'shardId-000000000001' }), base);
    assert.notEqual(ids({ streamArn: `${STREAM_ARN}-2` }), base);
  });

  test('the documented sample keeps its ids whatever the time of decoding', () => {
    const first = decode(AWS_KINESIS_SAMPLE, 'log').records.map((r) => r.id);
    const again = decode(structuredClone(AWS_KINESIS_SAMPLE), 'log').records.map((r) => r.id);
    assert.deepEqual(first, again);
    assert.notEqual(first[0], first[1]);
  });
});

describe('kinesis: arbitrary data', () => {
  test('never throws; every outcome of the batch has its own index and the sequence number of its Kinesis record', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 6 }).map((lines) => ndjson(lines.map((v) => JSON.stringify(v)))),
      fc.jsonValue({ maxDepth: 4 }).map((v) => gzip(JSON.stringify(v) ?? 'null')),
      fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }).map((messages) => cloudWatchLogsKinesisData(cloudWatchLogsPayload({ messages }))),
    );
    fc.assert(
      fc.property(fc.array(data, { maxLength: 8 }), fc.constantFrom<RecordKind>('log', 'event'), (items, kind) => {
        const event = kinesisEvent(items.map((d) => ({ data: d })));
        const out = decode(event, kind, { maxRecords: 20 });
        const all = indexes(out);
        const sequenceNumbers = new Set(event.Records.map((r) => r.kinesis.sequenceNumber));
        return (
          all.every((index, i) => index === i) &&
          out.records.every((r) => sequenceNumbers.has(r.sourceRef.itemId!) && typeof r.id === 'string') &&
          out.rejects.every((r) => sequenceNumbers.has(r.itemId!) && r.reason.startsWith(`record ${r.index}: Kinesis record `))
        );
      }),
      { seed: 20_261_202, numRuns: 300 },
    );
  });
});
