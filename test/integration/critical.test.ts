/**
 * The critical tier end to end: real DynamoDB Local outbox, real Kafka, kcat counting what arrived.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyStructuredResultV2, SQSEvent } from 'aws-lambda';
import { startDynamoLocal, type DynamoLocal } from '../../tools/local-stack/dynamodb';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import type { OutboxStore } from '../../lib/outbox/store';
import { criticalFunction, relayFunction } from '../helpers/functions';
import type { IngestHandler } from '../../lib/handlers/ingest';
import { httpEvent, lambdaContext } from '../helpers/events';
import { consumeAll, duplicateIds } from '../helpers/kcat';
import { criticalEnv, drain, newOutboxTable, sharedDynamo, sleep } from '../helpers/critical';
import { RawTable } from '../helpers/dynamo';
import { lineCollector, provision, quiet, sharedKafka, uniquePrefix } from '../helpers/stack';

type Result = { index: number; status: string; id?: string; reason?: string };
const resultsOf = (res: APIGatewayProxyStructuredResultV2) => (JSON.parse(res.body as string) as { results: Result[] }).results;
const events = (n: number, type = 'kill') => Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type, key: `match-${i % 3}`, n: i }));
const post = (h: IngestHandler, body: object[], remainingMs = 10_000) =>
  h(httpEvent({ path: '/v1/events', body, contentType: 'application/json' }), lambdaContext({ remainingMs }));


const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('critical tier on a healthy stack', () => {
  let brokers: string[];
  let ddb: DynamoLocal;
  let ingest: IngestHandler;
  let relayStore: OutboxStore;
  let prefix: string;
  let table: string;
  const telemetry = lineCollector();

  before(async () => {
    [brokers, ddb] = [(await sharedKafka()).brokers, await sharedDynamo()];
    prefix = uniquePrefix('crit');
    await provision(brokers, prefix);
    table = await newOutboxTable(ddb.endpoint, 'crit');
    const critical = criticalFunction(criticalEnv(brokers, prefix, ddb.endpoint, table), { lineSink: telemetry.sink });
    const relayFn = relayFunction(criticalEnv(brokers, prefix, ddb.endpoint, table));
    [ingest, relayStore] = [critical.handler, relayFn.deps.store];
    cleanup.push(critical.deps.close, relayFn.deps.close);
  });

  test('events are persisted, sent with acks=all, and leave only tombstones behind', async () => {
    const batch = events(20);
    const res = await post(ingest, batch);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(new Set(resultsOf(res).map((r) => r.status)), new Set(['forwarded']));
    const arrived = await consumeAll(brokers, `${prefix}critical`);
    assert.deepEqual(arrived.map((m) => m.headers['ef-event-id']).sort(), batch.map((e) => e.id).sort());
    assert.ok(arrived.every((m) => m.headers['ef-source'] === 'http' && m.headers['ef-tenant'] === 'studio-test'));
    const stats = await relayStore.stats({ now: Date.now() });
    assert.equal(stats.pending, 0);
    const raw = RawTable.forEndpoint(ddb.endpoint, table);
    const item = await raw.get(batch[0]!.id);
    raw.close();
    assert.equal(item?.state?.S, 'delivered');
    assert.equal(item?.value, undefined, 'the payload does not outlive delivery');
    assert.ok(Number(item?.expiresAt?.N) > Date.now() / 1000);
    assert.equal(telemetry.metric('critical', 'Forwarded'), 20);
  });

  test('re-ingesting the same event ids creates no second entry and no second message', async () => {
    const batch = events(10);
    await post(ingest, batch);
    const again = await post(ingest, [...batch, ...events(1)]);
    assert.equal(again.statusCode, 200);
    const results = resultsOf(again);
    assert.deepEqual(results.slice(0, 10).map((r) => r.status), Array(10).fill('persisted'));
    assert.ok(results.slice(0, 10).every((r) => /duplicate event id/.test(r.reason!)));
    assert.equal(results[10]!.status, 'forwarded');
    const arrived = await consumeAll(brokers, `${prefix}critical`);
    for (const e of batch) assert.equal(arrived.filter((m) => m.headers['ef-event-id'] === e.id).length, 1);
    const raw = RawTable.forEndpoint(ddb.endpoint, table);
    const matching = (await raw.ids()).filter((id) => batch.some((e) => e.id === id));
    raw.close();
    assert.equal(matching.length, 10, 'one outbox item per event id');
  });

  test('events without an id get a time-ordered one before persisting', async () => {
    const res = await post(ingest, [{ type: 'purchase', sku: 'sword' }, { type: 'purchase', sku: 'shield' }]);
    const [a, b] = resultsOf(res);
    assert.match(a!.id!, /^[0-9a-f-]{14}7/);
    assert.ok(a!.id! < b!.id! || a!.id!.slice(0, 13) === b!.id!.slice(0, 13));
  });

  test('SQS: bad messages are rejected but not retried; good ones are persisted', async () => {
    const good = events(3);
    const sqs: SQSEvent = {
      Records: [...good.map((e) => JSON.stringify(e)), '{not json'].map((body, i) => ({
        messageId: `m-${i}`,
        receiptHandle: 'r',
        body,
        attributes: {} as SQSEvent['Records'][0]['attributes'],
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:critical',
        awsRegion: 'us-east-1',
      })),
    };
    const res = await ingest(sqs, lambdaContext());
    assert.deepEqual(res, { batchItemFailures: [] });
    const arrived = await consumeAll(brokers, `${prefix}critical`);
    for (const e of good) assert.ok(arrived.some((m) => m.headers['ef-event-id'] === e.id));
  });

  test('two relays at once: nothing lost, duplicates counted', async () => {
    const p = uniquePrefix('relays');
    await provision(brokers, p);
    const t = await newOutboxTable(ddb.endpoint, 'relays');
    // Ingest with a producer that always fails: everything stays pending for the relays.
    // A lease far longer than a batch takes: duplicates can then only come from a broken claim.
    const env = criticalEnv(brokers, p, ddb.endpoint, t, { RELAY_BATCH_SIZE: '25', OUTBOX_LEASE_MS: '30000' });
    const { handler: parked, deps: parkedDeps } = criticalFunction(env, quiet, ({ producer: real }) => ({
      producer: { ...real, instanceId: real.instanceId, send: async () => ({ ok: false, reason: 'parked for the test', retriable: true }) },
    }));
    cleanup.push(parkedDeps.close);
    const batch = events(300);
    for (let i = 0; i < 300; i += 100) {
      const res = await post(parked, batch.slice(i, i + 100));
      assert.deepEqual(new Set(resultsOf(res).map((r) => r.status)), new Set(['persisted']));
    }
    await sleep(1100); // grace
    const { handler: r1, deps: r1Deps } = relayFunction(env);
    const { handler: r2, deps: r2Deps } = relayFunction(env);
    cleanup.push(() => r1Deps.close(), () => r2Deps.close());
    const [a, b] = await Promise.all([r1(undefined, lambdaContext()), r2(undefined, lambdaContext())]);
    const arrived = await consumeAll(brokers, `${p}critical`);
    const dups = duplicateIds(arrived);
    process.stderr.write(`# two relays: relay A delivered ${a.delivered}, relay B ${b.delivered}, duplicates ${dups.size}\n`);
    const seen = new Set(arrived.map((m) => m.headers['ef-event-id']));
    for (const e of batch) assert.ok(seen.has(e.id), `event ${e.id} missing`);
    assert.equal(dups.size, 0, 'conditional claims keep two healthy relays from sending the same entry');
    assert.equal(a.delivered + b.delivered, 300);
    assert.ok(a.delivered > 0 && b.delivered > 0, 'both relays did work');
    assert.equal((await r1Deps.store.stats({ now: Date.now() })).pending, 0);
  });
});

describe('critical tier with the broker down', () => {
  let kafka: LocalKafka;
  let ddb: DynamoLocal;
  test('events are acknowledged (persisted), kept pending without dying while the broker is down, and delivered after', async () => {
    kafka = await startLocalKafka({ name: 'crit-outage', basePort: 19530, log: () => undefined });
    cleanup.push(() => kafka.stop());
    ddb = await sharedDynamo();
    const prefix = uniquePrefix('critdown');
    await provision(kafka.brokers, prefix, 1);
    const table = await newOutboxTable(ddb.endpoint, 'critdown');
    const env = criticalEnv(kafka.brokers, prefix, ddb.endpoint, table, { OUTBOX_MAX_ATTEMPTS: '5' });
    const { handler: ingest, deps: ingestDeps } = criticalFunction(env);
    const { handler: relay, deps: relayDeps } = relayFunction(env);
    cleanup.push(() => ingestDeps.close(), () => relayDeps.close());
    await post(ingest, events(1)); // connect while the broker is up

    await kafka.stopBroker(0);
    const batch = events(30);
    const res = await post(ingest, batch, 4_000);
    assert.equal(res.statusCode, 200, 'persisted events are acknowledged even with the broker down');
    assert.deepEqual(new Set(resultsOf(res).map((r) => r.status)), new Set(['persisted']));

    await sleep(1100);
    for (let i = 0; i < 3; i++) {
      const run = await relay(undefined, lambdaContext({ remainingMs: 4_000 }));
      assert.equal(run.delivered, 0);
      assert.equal(run.stats.dead, 0, 'a broker outage must not dead-letter entries');
      assert.ok(run.stats.pending >= 30);
      await sleep(1200);
    }
    await kafka.startBroker(0);
    await drain(relay, 60_000);
    const stats = await relayDeps.store.stats({ now: Date.now() });
    assert.deepEqual([stats.pending, stats.dead], [0, 0]);
    const arrived = await consumeAll(kafka.brokers, `${prefix}critical`);
    const seen = new Set(arrived.map((m) => m.headers['ef-event-id']));
    for (const e of batch) assert.ok(seen.has(e.id), `event ${e.id} missing`);
    process.stderr.write(`# broker outage: ${batch.length} events persisted while down, all delivered after recovery, duplicates ${duplicateIds(arrived).size}\n`);
  });
});

describe('critical tier with DynamoDB down', () => {
  test('callers get 503 / batchItemFailures and nothing unpersisted is acknowledged or sent', async () => {
    const brokers = (await sharedKafka()).brokers;
    const ddb = await startDynamoLocal({ name: 'crit-ddb-down', port: 18130, log: () => undefined });
    cleanup.push(() => ddb.stop());
    const prefix = uniquePrefix('ddbdown');
    await provision(brokers, prefix, 1);
    const table = await newOutboxTable(ddb.endpoint, 'ddbdown');
    const { handler: ingest, deps: ingestDeps } = criticalFunction(criticalEnv(brokers, prefix, ddb.endpoint, table));
    cleanup.push(() => ingestDeps.close());
    await ddb.kill();

    const res = await post(ingest, events(10), 8_000);
    assert.equal(res.statusCode, 503);
    assert.deepEqual(new Set(resultsOf(res).map((r) => r.status)), new Set(['retry']));

    const sqs = {
      Records: events(4).map((e, i) => ({ messageId: `m-${i}`, body: JSON.stringify(e), eventSource: 'aws:sqs' })),
    } as unknown as SQSEvent;
    const out = await ingest(sqs, lambdaContext({ remainingMs: 8_000 }));
    assert.deepEqual(out.batchItemFailures.map((f) => f.itemIdentifier), ['m-0', 'm-1', 'm-2', 'm-3']);
    assert.equal((await consumeAll(brokers, `${prefix}critical`)).length, 0, 'nothing is sent that was not persisted');
  });
});
