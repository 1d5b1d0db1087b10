/**
 * Three real brokers, the critical topic at replication.factor=3 and min.insync.replicas=2.
 * One broker killed mid-stream: acks=all delivery goes on. Two killed: sends fail, events stay
 * pending in the outbox and are delivered once the brokers are back.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import type { RelayDeps, RelayHandler } from '../../lib/handlers/outbox-relay';
import type { IngestBase, IngestHandler } from '../../lib/handlers/ingest';
import { criticalFunction, relayFunction } from '../helpers/functions';
import { httpEvent, lambdaContext } from '../helpers/events';
import { consumeAll, duplicateIds } from '../helpers/kcat';
import { criticalEnv, drain, newOutboxTable, sharedDynamo, sleep } from '../helpers/critical';
import { provision, uniquePrefix } from '../helpers/stack';

let kafka: LocalKafka;
let ingest: IngestHandler;
let relay: RelayHandler;
let ingestDeps: IngestBase | undefined;
let relayDeps: RelayDeps | undefined;
let prefix: string;
const sent: string[] = [];

type Result = { status: string; reason?: string };
const statuses = (res: APIGatewayProxyStructuredResultV2) => (JSON.parse(res.body as string) as { results: Result[] }).results;

async function postBatch(n = 10) {
  const batch = Array.from({ length: n }, () => ({ id: randomUUID(), type: 'purchase' }));
  const res = await ingest(httpEvent({ path: '/v1/events', body: batch, contentType: 'application/json' }), lambdaContext({ remainingMs: 12_000 }));
  assert.equal(res.statusCode, 200, 'every event is accepted: forwarded or persisted');
  sent.push(...batch.map((e) => e.id));
  return statuses(res);
}

before(async () => {
  kafka = await startLocalKafka({ name: 'repl', nodes: 3, basePort: 19540, log: () => undefined });
  prefix = uniquePrefix('repl');
  await provision(kafka.brokers, prefix, 3);
  const ddb = await sharedDynamo();
  const table = await newOutboxTable(ddb.endpoint, 'repl');
  const env = criticalEnv(kafka.brokers, prefix, ddb.endpoint, table, { KAFKA_REQUEST_TIMEOUT_MS: '3000' });
  ({ handler: ingest, deps: ingestDeps } = criticalFunction(env));
  ({ handler: relay, deps: relayDeps } = relayFunction(env));
});

after(async () => {
  await ingestDeps?.close();
  await relayDeps?.close();
  await kafka?.stop();
});

test('the critical topic has three replicas on every partition', async () => {
  const arrived = await postBatch(5);
  assert.ok(arrived.every((r) => r.status === 'forwarded'));
  // The topic's settings as the brokers report them (independent of our provisioning code).
  const { execFileSync } = await import('node:child_process');
  const meta = JSON.parse(execFileSync('kcat', ['-b', kafka.bootstrap, '-L', '-J', '-t', `${prefix}critical`]).toString()) as {
    topics: { partitions: { replicas: unknown[] }[] }[];
  };
  assert.ok(meta.topics[0]!.partitions.every((p) => p.replicas.length === 3));
});

test('one broker killed mid-stream: acks=all delivery continues; two killed: events wait in the outbox', async () => {
  for (let i = 0; i < 3; i++) assert.ok((await postBatch()).every((r) => r.status === 'forwarded'));

  await kafka.killBroker(2);
  // Leadership moves once the dead broker is fenced (~6 s here); from then on acks=all succeeds
  // again with two in-sync replicas. Until then, events are persisted and left to the relay.
  let forwardedAfterKill = 0;
  for (let i = 0; i < 30 && forwardedAfterKill < 30; i++) {
    forwardedAfterKill += (await postBatch()).filter((r) => r.status === 'forwarded').length;
    await sleep(300);
  }
  assert.ok(forwardedAfterKill >= 30, `delivery continued with one broker down (${forwardedAfterKill} forwarded directly)`);

  await kafka.killBroker(1);
  const down = await postBatch();
  assert.ok(down.every((r) => r.status === 'persisted'), 'with one broker left, acks=all cannot be met: nothing is forwarded');
  assert.ok(down.every((r) => /queued for relay/.test(r.reason!)));
  await sleep(1100);
  const stuck = await relay(undefined, lambdaContext({ remainingMs: 8_000 }));
  assert.equal(stuck.delivered, 0);
  assert.ok(stuck.stats.pending >= 10);
  assert.equal(stuck.stats.dead, 0);

  await kafka.startBroker(1);
  await kafka.startBroker(2);
  await drain(relay, 90_000);
  const arrived = await consumeAll(kafka.brokers, `${prefix}critical`);
  const ids = new Set(arrived.map((m) => m.headers['ef-event-id']));
  const missing = sent.filter((id) => !ids.has(id));
  process.stderr.write(`# 3 brokers: ${sent.length} events accepted, ${missing.length} missing, ${duplicateIds(arrived).size} duplicated\n`);
  assert.deepEqual(missing, []);
});
