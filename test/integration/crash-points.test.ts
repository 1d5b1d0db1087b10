/**
 * SIGKILL at named points of the critical path, and at random instants, with real processes,
 * a real outbox and a real broker. Then the relay runs; an independent consumer (kcat) must
 * find every acknowledged (and every persisted) event id at least once. Duplicates are printed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { DynamoLocal } from '../../tools/local-stack/dynamodb';
import type { RelayDeps } from '../../lib/handlers/outbox-relay';
import { relayFunction } from '../helpers/functions';
import { createDynamoOutboxStore } from '../../lib/adapters/outbox/dynamo-store';
import { consumeAll, duplicateIds } from '../helpers/kcat';
import { criticalEnv, drain, newOutboxTable, sharedDynamo, sleep, spawnChild, type CrashPoint } from '../helpers/critical';
import type { Env } from '../../lib/platform/env';
import { provision, sharedKafka, uniquePrefix } from '../helpers/stack';

let brokers: string[];
let ddb: DynamoLocal;
const relays: RelayDeps[] = [];

before(async () => {
  [brokers, ddb] = [(await sharedKafka()).brokers, await sharedDynamo()];
});
after(async () => {
  for (const r of relays) await r.close();
});

async function freshStack(label: string) {
  const prefix = uniquePrefix(label);
  await provision(brokers, prefix, 3);
  const table = await newOutboxTable(ddb.endpoint, label);
  const env = criticalEnv(brokers, prefix, ddb.endpoint, table);
  const { handler: relay, deps: relayDeps } = relayFunction(env);
  relays.push(relayDeps);
  return { prefix, table, env, relay, relayStore: relayDeps.store };
}


async function deliveredIds(prefix: string) {
  const arrived = await consumeAll(brokers, `${prefix}critical`);
  return { ids: new Set(arrived.map((m) => m.headers['ef-event-id']!)), duplicates: duplicateIds(arrived) };
}

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type: 'kill', key: `match-${i % 4}` }));

for (const [point, expectInKafkaBeforeRelay] of [
  ['after-persist', false],
  ['after-ack', true],
] as [CrashPoint, boolean][]) {
  test(`ingest killed ${point}: the relay delivers every persisted event`, async () => {
    const { prefix, env, relay, relayStore } = await freshStack(point);
    const batch = events(20);
    const child = spawnChild('ingest', env, { crashAt: point, events: batch });
    await child.waitFor(`CRASHPOINT ${point}`);
    await child.kill();
    assert.equal(child.proc.signalCode, 'SIGKILL');

    const before = await deliveredIds(prefix);
    assert.equal(before.ids.size, expectInKafkaBeforeRelay ? 20 : 0);
    assert.equal((await relayStore.stats({ now: Date.now() })).pending, 20, 'all 20 are still pending in the outbox');

    await sleep(1100); // the grace period protects a live ingest from the relay
    await drain(relay);
    const { ids, duplicates } = await deliveredIds(prefix);
    for (const e of batch) assert.ok(ids.has(e.id), `event ${e.id} lost`);
    process.stderr.write(`# crash ${point}: 20 persisted, 20 delivered, ${duplicates.size} duplicated\n`);
    assert.equal(duplicates.size, expectInKafkaBeforeRelay ? 20 : 0);
  });
}

test('relay killed after send, before tombstones: another relay run re-delivers once the lease ends', async () => {
  const { prefix, table, env, relay, relayStore } = await freshStack('relaykill');
  const batch = events(20);
  const store = createDynamoOutboxStore({ endpoint: ddb.endpoint, tableName: table });
  const route = (e: { id: string }, index: number) => ({
    id: e.id,
    tier: 'critical' as const,
    topic: `${prefix}critical`,
    key: null,
    value: Buffer.from(JSON.stringify(e)),
    headers: { 'ef-event-id': e.id },
    timestamp: Date.now(),
    sourceRef: { source: 'http' as const, index },
  });
  const puts = await store.put(batch.map(route), { now: Date.now(), dueAt: Date.now() });
  store.close();
  assert.ok(puts.every((p) => p.status === 'created'));

  const child = spawnChild('relay', env, { crashAt: 'relay-after-send' });
  await child.waitFor('CRASHPOINT relay-after-send');
  await child.kill();
  assert.equal((await deliveredIds(prefix)).ids.size, 20, 'the killed relay had sent them');
  assert.equal((await relayStore.stats({ now: Date.now() })).pending, 20, 'but not cleared them');

  await sleep(1100); // lease
  await drain(relay);
  const { ids, duplicates } = await deliveredIds(prefix);
  for (const e of batch) assert.ok(ids.has(e.id));
  process.stderr.write(`# crash relay-after-send: 20 pending, 20 delivered, ${duplicates.size} duplicated\n`);
  assert.equal(duplicates.size, 20);
});

test('random SIGKILLs of ingest and relay while events flow: no acknowledged event is missing', async () => {
  const { prefix, env, relay } = await freshStack('random');
  const acked = new Set<string>();
  const iterations = 10;
  let seed = 20261122;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31); // reproducible
  for (let i = 0; i < iterations; i++) {
    const ingest = spawnChild('ingest-loop', env as Env);
    const relayChild = i % 2 ? spawnChild('relay-loop', env as Env) : undefined;
    await ingest.waitFor('READY');
    await sleep(200 + Math.floor(random() * 1500));
    await Promise.all([ingest.kill(), relayChild?.kill()]);
    for (const line of ingest.lines.filter((l) => l.startsWith('ACK '))) {
      for (const id of line.slice(4).split(',').filter(Boolean)) acked.add(id);
    }
  }
  assert.ok(acked.size > 0, 'the children acknowledged events before being killed');
  await sleep(1100);
  await drain(relay);
  const { ids, duplicates } = await deliveredIds(prefix);
  const missing = [...acked].filter((id) => !ids.has(id));
  process.stderr.write(
    `# random crashes: ${iterations} kills, ${acked.size} events acknowledged, ${ids.size} distinct delivered, ` +
      `${missing.length} missing, ${duplicates.size} duplicated\n`,
  );
  assert.deepEqual(missing, []);
});
