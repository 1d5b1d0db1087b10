/**
 * The consumer runners against a real broker, in real processes that are SIGKILLed between
 * commit and processing. Side effects are appended to a file by the child; the assertions are on
 * that file. (DynamoDB dedupe: DynamoDB Local.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { createDynamoDedupeStore, ensureDedupeTable } from '../../lib/adapters/dedupe/dynamo-store';
import { sharedDynamo } from '../helpers/critical';
import { countBy, produce, sideEffects, spawnConsumer, waitUntil, type ConsumerChild } from '../helpers/consumers';
import { consumeAll } from '../helpers/kcat';
import { provision, sharedKafka, uniquePrefix } from '../helpers/stack';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
let brokers: string[];
let endpoint: string;
const dir = mkdtempSync(path.join(tmpdir(), 'ef-consumers-'));
const children: ConsumerChild[] = [];

before(async () => {
  [brokers, endpoint] = [(await sharedKafka()).brokers, (await sharedDynamo()).endpoint];
});
after(async () => {
  for (const c of children) await c.kill();
});

const ids = (label: string, n: number) => Array.from({ length: n }, (_, i) => `${label}-${i}`);

async function setup(label: string) {
  const prefix = uniquePrefix(label);
  await provision(brokers, prefix, 3);
  return { prefix, group: `g-${label}-${randomBytes(3).toString('hex')}`, file: path.join(dir, `${label}-${randomBytes(3).toString('hex')}.jsonl`) };
}

function consumer(env: Record<string, string>, fromBeginning = true): ConsumerChild {
  const c = spawnConsumer({ KAFKA_BROKERS: brokers.join(','), ...(fromBeginning && { EF_FROM_BEGINNING: '1' }), ...env });
  children.push(c);
  return c;
}

type Crash = { partition: number; next: number; ids: string[] };
const crashOf = (line: string) => JSON.parse(line.slice('CRASHPOINT '.length)) as Crash;

test('at-most-once: SIGKILL after the commit, before processing → those records are never processed, nothing twice', async () => {
  const { prefix, group, file } = await setup('amo');
  const topic = `${prefix}realtime`;
  const sent = ids('amo', 30);
  await produce(brokers, topic, sent);
  const env = { EF_SEMANTICS: 'at-most-once', EF_GROUP: group, EF_TOPIC: topic, EF_SIDE_EFFECTS: file };

  const first = consumer({ ...env, EF_CRASH_AT: 'after-commit' });
  const crash = crashOf(await first.waitFor('CRASHPOINT'));
  await first.kill();
  assert.equal(first.proc.signalCode, 'SIGKILL');
  assert.ok(crash.ids.length > 0, 'the killed consumer had committed a non-empty batch');
  assert.deepEqual(sideEffects(file), [], 'killed after the commit, before processing anything');

  const second = consumer(env);
  await second.waitFor('READY');
  // Markers behind the killed batch in every partition: once they are processed, the second
  // consumer has gone past the killed batch's offsets and would have reprocessed it by now.
  const markers = ids('amo-marker', 12);
  await produce(brokers, topic, markers);
  assert.ok((await consumeAll(brokers, topic)).some((m) => m.partition === crash.partition && m.headers['ef-event-id']!.startsWith('amo-marker')));
  await waitUntil(() => markers.every((m) => sideEffects(file).some((e) => e.id === m)), 60_000, 'the markers to be processed');

  const effects = sideEffects(file);
  const counts = countBy(effects, (e) => e.id);
  process.stderr.write(`# at-most-once: ${sent.length} sent, ${crash.ids.length} committed then killed, ${counts.size - markers.length} processed\n`);
  for (const id of crash.ids) assert.equal(counts.get(id), undefined, `${id} was committed before the kill, so it must never be processed`);
  for (const id of sent.filter((id) => !crash.ids.includes(id))) assert.equal(counts.get(id), 1, `${id} processed once`);
  assert.deepEqual([...counts.values()].filter((n) => n > 1), [], 'nothing is processed twice');
});

for (const dedupe of [true, false]) {
  test(`at-least-once${dedupe ? ' + DynamoDB dedupe' : ' without dedupe'}: SIGKILL after processing, before the commit → redelivered, ${dedupe ? 'takes effect once' : 'takes effect twice'}`, async () => {
    const { prefix, group, file } = await setup(dedupe ? 'alo-dd' : 'alo');
    const topic = `${prefix}critical`;
    const table = `dedupe-${randomBytes(4).toString('hex')}`;
    if (dedupe) await ensureDedupeTable({ endpoint, tableName: table });
    const sent = ids(dedupe ? 'alo-dd' : 'alo', 30);
    await produce(brokers, topic, sent);
    const env = {
      EF_SEMANTICS: 'at-least-once',
      EF_GROUP: group,
      EF_TOPIC: topic,
      EF_SIDE_EFFECTS: file,
      EF_DEDUPE: dedupe ? 'dynamodb' : 'none',
      DEDUPE_TABLE: table,
      DYNAMODB_ENDPOINT: endpoint,
    };

    const first = consumer({ ...env, EF_CRASH_AT: 'before-commit' });
    const crash = crashOf(await first.waitFor('CRASHPOINT'));
    await first.kill();
    assert.ok(crash.ids.length > 0);
    assert.deepEqual(sideEffects(file).map((e) => e.id).sort(), [...crash.ids].sort(), 'the killed consumer had processed exactly its batch');

    const second = consumer(env);
    await second.waitFor('READY');
    await waitUntil(() => new Set(sideEffects(file).map((e) => e.id)).size === sent.length && (!dedupe || (second.stats()?.duplicates ?? 0) >= crash.ids.length), 60_000, 'every record to take effect');
    // Let anything still in flight land before judging "exactly".
    await new Promise((r) => setTimeout(r, 1_500));

    const counts = countBy(sideEffects(file), (e) => e.id);
    process.stderr.write(
      `# at-least-once${dedupe ? ' + dedupe' : ''}: ${sent.length} sent, ${crash.ids.length} processed then killed before the commit, ` +
        `redelivered; duplicates skipped ${second.stats()?.duplicates ?? 0}, side effects ${[...counts.values()].reduce((a, b) => a + b, 0)}\n`,
    );
    for (const id of sent.filter((id) => !crash.ids.includes(id))) assert.equal(counts.get(id), 1, `${id} once`);
    for (const id of crash.ids) assert.equal(counts.get(id), dedupe ? 1 : 2, `${id}: redelivered after the kill`);
    if (dedupe) assert.equal(second.stats()!.duplicates, crash.ids.length, 'the redelivered batch was recognised by event id');

    // Nothing left behind: the group has committed everything.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bin/consumer-lag.ts', '--group', group, '--brokers', brokers.join(',')], { cwd: root });
    assert.match(stdout, new RegExp(`group ${group}: \\w+, \\d member\\(s\\), total lag 0`));
    assert.equal(stdout.trim().split('\n').filter((l) => l.includes(topic)).length, 3, stdout);
  });
}

test('a new group starts at the log end by default: heartbeats from before it started are not replayed', async () => {
  const { prefix, group, file } = await setup('latest');
  const topic = `${prefix}realtime`;
  await produce(brokers, topic, ids('old', 15));
  const c = consumer({ EF_SEMANTICS: 'at-most-once', EF_GROUP: group, EF_TOPIC: topic, EF_SIDE_EFFECTS: file }, false);
  await c.waitFor('READY'); // resolves after the first poll: the starting offsets are fixed by then
  const fresh = ids('new', 15);
  await produce(brokers, topic, fresh);
  await waitUntil(() => sideEffects(file).length >= fresh.length, 30_000, 'the new records');
  await new Promise((r) => setTimeout(r, 1_000));
  assert.deepEqual(sideEffects(file).map((e) => e.id).sort(), [...fresh].sort());
});

test('consumer-lag reports committed, end and lag per partition for a group that is behind', async () => {
  const { prefix, group, file } = await setup('lag');
  const topic = `${prefix}logs`;
  await produce(brokers, topic, ids('lag', 20));
  const c = consumer({ EF_SEMANTICS: 'at-most-once', EF_GROUP: group, EF_TOPIC: topic, EF_SIDE_EFFECTS: file, EF_CRASH_AT: 'after-commit' });
  const crash = crashOf(await c.waitFor('CRASHPOINT'));
  await c.kill();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bin/consumer-lag.ts', '--group', group, '--brokers', brokers.join(','), '--json'], { cwd: root });
  const lag = JSON.parse(stdout) as { partitions: { partition: number; committed: number; high: number; lag: number }[] };
  const total = lag.partitions.reduce((n, p) => n + p.lag, 0);
  assert.equal(total, 20 - crash.ids.length, `everything except the committed batch is behind:\n${stdout}`);
  const crashed = lag.partitions.find((p) => p.partition === crash.partition)!;
  assert.equal(crashed.committed, crash.next);
});

test('DynamoDB dedupe store: claim, busy lease, done, expired lease, release; scopes are independent', async () => {
  const tableName = `dedupe-${randomBytes(4).toString('hex')}`;
  await ensureDedupeTable({ endpoint, tableName });
  const a = createDynamoDedupeStore({ endpoint, tableName, scope: 'audit', ttlSeconds: 60 });
  const b = createDynamoDedupeStore({ endpoint, tableName, scope: 'billing', ttlSeconds: 60 });
  try {
    const now = Date.now();
    assert.equal(await a.claim('e1', { now, leaseMs: 1_000 }), 'claimed');
    assert.equal(await a.claim('e1', { now: now + 10, leaseMs: 1_000 }), 'busy');
    assert.equal(await b.claim('e1', { now: now + 10, leaseMs: 1_000 }), 'claimed', 'another scope dedupes on its own');
    assert.equal(await a.claim('e1', { now: now + 1_001, leaseMs: 1_000 }), 'claimed', 'an abandoned lease can be taken over');
    await a.complete('e1', { now: now + 1_002 });
    assert.equal(await a.claim('e1', { now: now + 1_003, leaseMs: 1_000 }), 'done');
    await a.release('e1');
    assert.equal(await a.claim('e1', { now: now + 1_004, leaseMs: 1_000 }), 'done', 'release never undoes done');
    assert.equal(await a.claim('e1', { now: now + 61_000 + 1_002, leaseMs: 1_000 }), 'claimed', 'past its TTL an id counts as new, even before DynamoDB deletes it');
    await a.claim('e2', { now, leaseMs: 60_000 });
    await a.release('e2');
    assert.equal(await a.claim('e2', { now: now + 1, leaseMs: 1_000 }), 'claimed');
  } finally {
    a.close();
    b.close();
  }
});
