/**
 * The audit against a real broker and a real outbox (DynamoDB Local): events forwarded by the
 * critical path leave tombstones with the offsets the broker acknowledged, and
 * `npm run outbox -- verify` (run as an operator would) finds them there; a tombstone whose
 * offset holds another event, or lies past the end of the partition, is named as missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadConfig } from '../../lib/platform/config';
import type { Env } from '../../lib/platform/env';
import { KafkaConsumerClient } from '../../lib/adapters/kafka/consumer-admin';
import type { IngestBase, IngestHandler } from '../../lib/handlers/ingest';
import { AuditIncompleteError, verifyDeps, verifyHandler } from '../../lib/handlers/outbox-verify';
import { criticalFunction } from '../helpers/functions';
import { createDynamoOutboxStore, type DynamoOutboxStore } from '../../lib/adapters/outbox/dynamo-store';
import { criticalEnv, newOutboxTable, sharedDynamo } from '../helpers/critical';
import { httpEvent, lambdaContext } from '../helpers/events';
import { consumeAll, type ConsumedMessage } from '../helpers/kcat';
import { lineCollector, provision, quietLog, sharedKafka, uniquePrefix } from '../helpers/stack';

const run = promisify(execFile);
const EVENTS = 12;
/** In every payload: it must never show up in what verify prints. */
const PAYLOAD_MARKER = `payload-${randomUUID()}`;

let brokers: string[];
let topic: string;
let env: Env;
let store: DynamoOutboxStore;
let ingest: IngestHandler;
let ingestDeps: IngestBase;
let arrived: ConsumedMessage[];

async function verify(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../bin/outbox.ts'), 'verify', ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const row = (stdout: string, label: string) => Number(new RegExp(`^${label}\\s+(\\d+)`, 'm').exec(stdout)?.[1]);

before(async () => {
  brokers = (await sharedKafka()).brokers;
  const endpoint = (await sharedDynamo()).endpoint;
  const prefix = uniquePrefix('verify');
  await provision(brokers, prefix);
  topic = `${prefix}critical`;
  const table = await newOutboxTable(endpoint, 'verify');
  env = criticalEnv(brokers, prefix, endpoint, table);
  store = createDynamoOutboxStore({ endpoint, tableName: table });
  ({ handler: ingest, deps: ingestDeps } = criticalFunction(env));

  const events = Array.from({ length: EVENTS }, (_, i) => ({ id: randomUUID(), type: 'purchase', key: `player-${i % 4}`, note: PAYLOAD_MARKER }));
  const res = (await ingest(httpEvent({ path: '/v1/events', body: events, contentType: 'application/json' }), lambdaContext())) as APIGatewayProxyStructuredResultV2;
  const statuses = (JSON.parse(res.body as string) as { results: { status: string }[] }).results.map((r) => r.status);
  assert.deepEqual(statuses, Array(EVENTS).fill('forwarded'), 'the critical path forwarded everything itself');
  arrived = await consumeAll(brokers, topic);
  assert.equal(arrived.length, EVENTS);
});

after(async () => {
  store.close();
  await ingestDeps.close();
});

test('tombstones record where the broker put each event (checked with kcat)', async () => {
  const delivered = await store.listDelivered({ from: 0, to: Date.now() + 1 });
  assert.equal(delivered.length, EVENTS);
  for (const d of delivered) {
    const m = arrived.find((a) => a.headers['ef-event-id'] === d.id);
    assert.deepEqual({ topic: d.topic, partition: d.partition, offset: d.offset }, { topic, partition: m?.partition, offset: m?.offset }, d.id);
  }
});

test('readRanges: exactly [start, end) of the partitions asked, clamped to what they hold; headersOnly drops payloads', async () => {
  const client = new KafkaConsumerClient(loadConfig(env).kafka, quietLog);
  try {
    const counts = [0, 1, 2].map((p) => arrived.filter((m) => m.partition === p).length);
    const p = counts.findIndex((n) => n >= 2);
    const q = counts.findIndex((n, i) => i !== p && n >= 1);
    assert.ok(p >= 0 && q >= 0, `events spread over partitions: ${counts}`);
    const read = await client.readRanges(topic, [{ partition: p, start: 1, end: 2 }, { partition: q, start: 0, end: 1_000 }, { partition: 99, start: 0, end: 5 }], { headersOnly: true, timeoutMs: 30_000 });
    assert.equal(read.complete, true);
    assert.deepEqual(read.ranges, [{ partition: p, start: 1, end: 2 }, { partition: q, start: 0, end: counts[q] }, { partition: 99, start: 0, end: 0 }]);
    const expected = arrived.filter((m) => (m.partition === p && m.offset === 1) || m.partition === q);
    assert.deepEqual(
      read.records.map((r) => [r.partition, r.offset, r.headers['ef-event-id']]),
      expected.map((m) => [m.partition, m.offset, m.headers['ef-event-id']]).sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1])),
    );
    assert.ok(read.records.every((r) => r.value === null && r.key === null), 'no payloads kept');
    // With payloads, and out of time before it starts: whatever came back, never complete.
    const full = await client.readRanges(topic, [{ partition: q, start: 0, end: counts[q]! }]);
    assert.ok(full.records.every((r) => r.value?.toString().includes(PAYLOAD_MARKER)));
    assert.equal((await client.readRanges(topic, [{ partition: q, start: 0, end: counts[q]! }], { timeoutMs: 0 })).complete, false);
  } finally {
    await client.disconnect();
  }
});

test('verify: every forwarded event is at its acknowledged offset → exit 0', async () => {
  const r = await verify('--since', '10m');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(row(r.stdout, 'checked'), EVENTS);
  assert.equal(row(r.stdout, 'present'), EVENTS);
  assert.equal(row(r.stdout, 'missing'), 0);
  assert.match(r.stdout, /result\s+clean/);
  assert.match(r.stderr, new RegExp(`${EVENTS} tombstones in the window`), 'progress on stderr');
  assert.ok(!(r.stdout + r.stderr).includes(PAYLOAD_MARKER), 'no payload is printed');
  // A window that ends before the events were delivered checks nothing (and is clean).
  const earlier = await verify('--since', '2d', '--until', '1d');
  assert.equal(earlier.code, 0, earlier.stdout + earlier.stderr);
  assert.equal(row(earlier.stdout, 'checked'), 0);
  assert.equal((await verify('--since', '60')).code, 64, 'a duration needs its unit');
});

test('verify: a tombstone at an offset holding another event, and one past the partition end → exit 3, both named', async () => {
  const other = arrived[0]!;
  const ghost = `never-sent-${randomUUID()}`;
  await store.markDelivered([{ id: ghost, topic, partition: other.partition, offset: other.offset }], { now: Date.now() });
  const first = await verify('--since', '10m');
  assert.equal(first.code, 3, first.stdout + first.stderr);
  assert.equal(row(first.stdout, 'present'), EVENTS, 'the event really at that offset still counts as present');
  assert.equal(row(first.stdout, 'missing'), 1);
  assert.match(first.stdout, new RegExp(`^  ${ghost}$`, 'm'));

  const end = Math.max(...arrived.filter((m) => m.partition === 0).map((m) => m.offset), -1) + 1;
  const beyond = `past-the-end-${randomUUID()}`;
  await store.markDelivered([{ id: beyond, topic, partition: 0, offset: end + 5 }], { now: Date.now() });
  const second = await verify('--since', '10m');
  assert.equal(second.code, 3, second.stdout + second.stderr);
  assert.equal(row(second.stdout, 'missing'), 2);
  assert.match(second.stdout, new RegExp(`^  ${beyond}$`, 'm'));
  assert.match(second.stdout, new RegExp(`^  ${ghost}$`, 'm'));
  assert.match(second.stdout, /MISSING/);
});

test('the scheduled handler: metrics for the real window, and an unfinished read fails loudly', async () => {
  const telemetry = lineCollector();
  const handler = verifyHandler(verifyDeps(loadConfig(env), { lineSink: telemetry.sink }));
  const report = await handler(undefined, lambdaContext({ remainingMs: 60_000 }));
  assert.equal(report.complete, true);
  assert.equal(report.present, EVENTS);
  assert.equal(report.missing.length, 2, 'the two fabricated tombstones of the previous test');
  assert.equal(telemetry.metric('critical', 'AuditChecked'), EVENTS + 2);
  assert.equal(telemetry.metric('critical', 'AuditMissing'), 2);
  assert.equal(telemetry.metric('critical', 'AuditIncomplete'), 0);

  // No time left for the read (the invocation's last 10 s are kept for cleanup): incomplete, thrown.
  const late = lineCollector();
  const hurried = verifyHandler(verifyDeps(loadConfig(env), { lineSink: late.sink }));
  await assert.rejects(hurried(undefined, lambdaContext({ remainingMs: 5_000 })), AuditIncompleteError);
  assert.equal(late.metric('critical', 'AuditIncomplete'), 1);
});
