/**
 * Redeliveries keep their event ids (issue 12 item 4) and Kinesis batches reach the tiers, end to
 * end: real Kafka (kcat counts what arrived), DynamoDB Local outbox, the functions as Lambda runs
 * them, fed SQS and Kinesis events in the documented shapes.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { SQSEvent } from 'aws-lambda';
import type { IngestHandler } from '../../lib/handlers/ingest';
import { criticalEnv, newOutboxTable, sharedDynamo } from '../helpers/critical';
import { RawTable } from '../helpers/dynamo';
import { cloudWatchLogsPayload, lambdaContext, ndjson } from '../helpers/events';
import { criticalFunction, logsFunction } from '../helpers/functions';
import { consumeAll } from '../helpers/kcat';
import { cloudWatchLogsKinesisData, kinesisEvent } from '../helpers/kinesis-events';
import { functionEnv, provision, sharedKafka, uniquePrefix } from '../helpers/stack';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** Five SQS messages without ids, in the documented shape; the same message ids on every delivery. */
function sqsBatch(receiveCount: number): SQSEvent {
  return {
    Records: Array.from({ length: 5 }, (_, i) => ({
      messageId: `4f6a2c1e-0b3d-4e5f-9a8b-7c6d5e4f3a2${i}`,
      receiptHandle: `AQEB${receiveCount}${i}wJnKyrHigUMZj6rYigCgxlaS3SLy0a...`,
      body: JSON.stringify({ type: 'purchase', key: `player-${i}`, sku: 'gem-pack', price: 4.99 }),
      attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1545082649185' },
      messageAttributes: {},
      md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:edge-forwarder-ci-critical',
      awsRegion: 'eu-west-1',
    })),
  };
}

describe('critical: a redelivered SQS message or Kinesis batch is stored and sent once', () => {
  let brokers: string[];
  let endpoint: string;
  let prefix: string;
  let table: string;
  let ingest: IngestHandler;

  before(async () => {
    [brokers, endpoint] = [(await sharedKafka()).brokers, (await sharedDynamo()).endpoint];
    prefix = uniquePrefix('ids');
    await provision(brokers, prefix, 1);
    table = await newOutboxTable(endpoint, 'ids');
    const fn = criticalFunction(criticalEnv(brokers, prefix, endpoint, table));
    ingest = fn.handler;
    cleanup.push(fn.deps.close);
  });

  test('SQS: 5 messages without an id delivered twice are 5 event ids, 5 outbox entries, 5 messages', async () => {
    assert.deepEqual(await ingest(sqsBatch(1), lambdaContext()), { batchItemFailures: [] });
    assert.deepEqual(await ingest(sqsBatch(2), lambdaContext()), { batchItemFailures: [] }, 'the redelivery is acknowledged');
    const arrived = (await consumeAll(brokers, `${prefix}critical`)).filter((m) => m.headers['ef-source'] === 'sqs');
    const ids = arrived.map((m) => m.headers['ef-event-id']!);
    assert.equal(arrived.length, 5, `one message per SQS message, got ${arrived.length}`);
    assert.equal(new Set(ids).size, 5);
    const raw = RawTable.forEndpoint(endpoint, table);
    const stored = (await raw.ids()).filter((id) => ids.includes(id));
    raw.close();
    assert.equal(stored.length, 5, 'one outbox entry per message');
  });

  test('Kinesis: a batch read twice (NDJSON lines, one JSON record) is sent once per record, none failed', async () => {
    const batch = () =>
      kinesisEvent([{ data: ndjson([{ type: 'kill', key: 'match-1', n: 1 }, { type: 'kill', key: 'match-1', n: 2 }]) }, { data: '{"type":"chat","key":"match-2","n":3}' }], {
        shardId: 'shardId-000000000003',
      });
    assert.deepEqual(await ingest(batch(), lambdaContext()), { batchItemFailures: [] });
    assert.deepEqual(await ingest(batch(), lambdaContext()), { batchItemFailures: [] });
    const arrived = (await consumeAll(brokers, `${prefix}critical`)).filter((m) => m.headers['ef-source'] === 'kinesis');
    assert.deepEqual(arrived.map((m) => JSON.parse(m.value ?? 'null').n).sort(), [1, 2, 3], 'each record once');
    assert.equal(new Set(arrived.map((m) => m.headers['ef-event-id'])).size, 3);
  });

  test('Kinesis with the outbox unreachable: every Kinesis record comes back once, by sequence number; nothing is sent', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const down = uniquePrefix('idsdown');
    await provision(brokers, down, 1);
    const fn = criticalFunction(criticalEnv(brokers, down, `http://127.0.0.1:${closedPort}`, table));
    cleanup.push(fn.deps.close);
    const event = kinesisEvent([{ data: ndjson([{ type: 'kill', n: 1 }, { type: 'kill', n: 2 }]) }, { data: '{"type":"kill","n":3}' }, { data: 'not json' }]);
    const out = await fn.handler(event, lambdaContext({ remainingMs: 8_000 }));
    assert.deepEqual(
      out.batchItemFailures.map((f) => f.itemIdentifier),
      event.Records.slice(0, 2).map((r) => r.kinesis.sequenceNumber),
      'the two records with events to persist, once each; the rejected one is not retried',
    );
    assert.equal((await consumeAll(brokers, `${down}critical`)).length, 0, 'nothing unpersisted is sent');
  });
});

describe('logs: a Kinesis batch (text, NDJSON, a CloudWatch Logs payload) reaches the logs tier, never failed', () => {
  test('every record arrives once with ef-source kinesis; CloudWatch Logs events keyed by group:stream', async () => {
    const brokers = (await sharedKafka()).brokers;
    const prefix = uniquePrefix('kinlogs');
    await provision(brokers, prefix, 1);
    const fn = logsFunction(functionEnv(brokers, prefix));
    cleanup.push(fn.deps.close);
    const cwl = cloudWatchLogsPayload({ logGroup: '/ecs/game-server', logStream: 'task/7', messages: ['boot', 'ready'], timestamp: Date.now() });
    const event = kinesisEvent([
      { data: 'player joined\nplayer left\n' },
      { data: ndjson([{ msg: 'structured', level: 'info' }]) },
      { data: cloudWatchLogsKinesisData(cwl) },
      { data: cloudWatchLogsKinesisData(cloudWatchLogsPayload({ messages: [], control: true })) },
    ]);
    const out = await fn.handler(event, lambdaContext());
    assert.deepEqual(out, { batchItemFailures: [] });
    const arrived = await consumeAll(brokers, `${prefix}logs`);
    assert.ok(arrived.every((m) => m.headers['ef-source'] === 'kinesis'));
    const values = arrived.map((m) => m.value ?? '');
    assert.deepEqual(values.slice(0, 3), ['player joined', 'player left', '{"msg":"structured","level":"info"}']);
    assert.deepEqual(values.slice(3).map((v) => JSON.parse(v).message), ['boot', 'ready']);
    assert.deepEqual(arrived.slice(3).map((m) => m.key), ['/ecs/game-server:task/7', '/ecs/game-server:task/7']);
    assert.equal(new Set(arrived.map((m) => m.headers['ef-event-id'])).size, 5);
  });
});
