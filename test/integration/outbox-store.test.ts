/**
 * The DynamoDB outbox against a real DynamoDB Local. Each test gets a table of its own (claims
 * and stats look at a whole table); the last test kills DynamoDB Local, so this file runs its
 * own instance rather than the shared test one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEAD_INDEX, OUTBOX_TTL_ATTRIBUTE, PENDING_INDEX } from '../../lib/adapters/outbox/table';
import { startDynamoLocal, type DynamoLocal } from '../../tools/local-stack/dynamodb';
import { OutboxError } from '../../lib/platform/errors';
import { createDynamoOutboxStore, type DynamoOutboxStore } from '../../lib/adapters/outbox/dynamo-store';
import { ensureOutboxTable } from '../../lib/adapters/outbox/ensure-table';
import type { ForwardRecord } from '../../lib/domain/record';
import { OUTBOX_TEST_DYNAMODB, RawTable, uniqueTableName } from '../helpers/dynamo';

const T0 = 1_750_000_000_000;
const LEASE = 60_000;

let ddb: DynamoLocal;
const cleanups: (() => void)[] = [];

before(async () => {
  ddb = await startDynamoLocal({ ...OUTBOX_TEST_DYNAMODB });
});

after(async () => {
  for (const close of cleanups) close();
  await ddb?.stop();
});

function rec(id: string, over: Partial<ForwardRecord> = {}): ForwardRecord {
  return {
    id,
    tier: 'critical',
    topic: 'game.critical',
    key: `player-${id}`,
    value: Buffer.from(`{"event":"kill","id":"${id}"}`),
    headers: { 'ef-event-id': id },
    timestamp: T0,
    sourceRef: { source: 'http', index: 0 },
    ...over,
  };
}

async function fresh(label: string, opts: { tombstoneTtlSeconds?: number } = {}): Promise<{ store: DynamoOutboxStore; raw: RawTable }> {
  const tableName = uniqueTableName(label);
  await ensureOutboxTable({ endpoint: ddb.endpoint, tableName });
  const store = createDynamoOutboxStore({ endpoint: ddb.endpoint, tableName, ...opts });
  const raw = RawTable.forEndpoint(ddb.endpoint, tableName);
  cleanups.push(() => store.close(), () => raw.close());
  return { store, raw };
}

const ids = (entries: { record: { id: string } }[]) => entries.map((e) => e.record.id).sort();
/** A delivery of `id` at `offset` of partition 0, as the critical producer reports it. */
const at = (id: string, offset: number) => ({ id, topic: 'game.critical', partition: 0, offset });

test('ensureOutboxTable creates the table once, with both indexes and TTL on expiresAt', async () => {
  const tableName = uniqueTableName('ensure');
  assert.deepEqual(await ensureOutboxTable({ endpoint: ddb.endpoint, tableName }), { created: true });
  assert.deepEqual(await ensureOutboxTable({ endpoint: ddb.endpoint, tableName }), { created: false });
  const raw = RawTable.forEndpoint(ddb.endpoint, tableName);
  cleanups.push(() => raw.close());
  const { table, ttl } = await raw.describe();
  assert.equal(table?.TableStatus, 'ACTIVE');
  assert.deepEqual(table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort(), [DEAD_INDEX, PENDING_INDEX].sort());
  assert.equal(ttl?.AttributeName, OUTBOX_TTL_ATTRIBUTE);
  assert.equal(ttl?.TimeToLiveStatus, 'ENABLED');
});

test('put: created, then exists for the same id, without overwriting the first write', async () => {
  const { store, raw } = await fresh('put');
  assert.deepEqual(await store.put([rec('a'), rec('b')], { now: T0, dueAt: T0 + 30_000 }), [
    { status: 'created' },
    { status: 'created' },
  ]);
  const retry = rec('a', { value: Buffer.from('a different payload') });
  assert.deepEqual(await store.put([retry], { now: T0 + 5, dueAt: T0 + 5 }), [{ status: 'exists' }]);
  // The same id twice in one batch: exactly one of them is written.
  const twice = await store.put([rec('c'), rec('c')], { now: T0, dueAt: T0 });
  assert.deepEqual(twice.map((o) => o.status).sort(), ['created', 'exists']);

  assert.deepEqual(await raw.ids(), ['a', 'b', 'c']);
  const a = await raw.get('a');
  assert.equal(Buffer.from(a?.value?.B ?? []).toString(), '{"event":"kill","id":"a"}');
  assert.equal(a?.state?.S, 'pending');
  assert.equal(a?.attempts?.N, '0');
  assert.equal(a?.createdAt?.N, String(T0));
  assert.equal(a?.dueAt?.N, String(T0 + 30_000));
  assert.match(a?.shard?.S ?? '', /^p0[0-7]$/);
});

test('markDelivered leaves a payload-free tombstone with expiresAt, out of the pending index', async () => {
  const { store, raw } = await fresh('delivered', { tombstoneTtlSeconds: 3600 });
  await store.put([rec('d1'), rec('d2'), rec('keep')], { now: T0, dueAt: T0 });
  assert.deepEqual(await raw.ids(PENDING_INDEX), ['d1', 'd2', 'keep']);

  const now = T0 + 1_234;
  await store.markDelivered([at('d1', 0), at('d2', 1), at('d1', 0)], { now }); // a repeated id must not break the batch
  const tomb = await raw.get('d1');
  assert.deepEqual(Object.keys(tomb ?? {}).sort(), ['deliveredAt', 'expiresAt', 'id', 'offset', 'partition', 'state', 'topic']);
  assert.equal(tomb?.state?.S, 'delivered');
  assert.equal(tomb?.expiresAt?.N, String(Math.floor(now / 1000) + 3600));
  assert.deepEqual(await raw.ids(PENDING_INDEX), ['keep']);

  assert.deepEqual(await store.put([rec('d1')], { now, dueAt: now }), [{ status: 'exists' }]);
  assert.equal((await raw.get('d1'))?.state?.S, 'delivered');
  assert.deepEqual(ids(await store.claimDue({ now: T0 + 10 * LEASE, limit: 10, leaseMs: LEASE })), ['keep']);
});

test('listDelivered returns the tombstones of a time window with their locations', async () => {
  const { store } = await fresh('listed');
  const records = Array.from({ length: 60 }, (_, i) => rec(`w${i}`));
  await store.put(records, { now: T0, dueAt: T0 });
  await store.markDelivered(records.slice(0, 20).map((r, i) => at(r.id, i)), { now: T0 + 100 });
  await store.markDelivered(records.slice(20, 50).map((r, i) => at(r.id, 100 + i)), { now: T0 + 200 });
  const window = await store.listDelivered({ from: T0 + 150, to: T0 + 201 });
  assert.deepEqual(window.map((d) => d.id).sort(), records.slice(20, 50).map((r) => r.id).sort());
  assert.deepEqual(window.find((d) => d.id === 'w25'), { id: 'w25', deliveredAt: T0 + 200, topic: 'game.critical', partition: 0, offset: 105 });
  assert.equal((await store.listDelivered({ from: T0, to: T0 + 1_000 })).length, 50, 'pending entries are not listed');
});

test('put: a large compressible record is stored and comes back whole; an incompressible one is refused', async () => {
  const { store } = await fresh('large');
  const big = rec('big', { value: Buffer.from(JSON.stringify({ log: 'x'.repeat(900_000) })) });
  const random = rec('random', { value: Buffer.from(Array.from({ length: 600_000 }, () => Math.floor(Math.random() * 256))) });
  const [stored, refused] = await store.put([big, random], { now: T0, dueAt: T0 });
  assert.deepEqual(stored, { status: 'created' });
  assert.equal(refused?.status, 'refused');
  assert.match((refused as { reason: string }).reason, /too large for the outbox.*600000 bytes/);
  const [entry] = await store.claimDue({ now: T0, limit: 5, leaseMs: LEASE });
  assert.equal(entry?.record.id, 'big');
  assert.ok(entry!.record.value.equals(big.value));
});

test('put: records not persisted by the deadline are reported failed, the ones persisted created', async () => {
  const { store } = await fresh('deadline');
  // Budgets grow until one cuts a 400-record put in the middle (how far a budget gets depends
  // on the machine); every run must report exactly what it stored.
  let mixed = false;
  for (let run = 0, budget = 100; run < 6 && !mixed; run++, budget *= 2) {
    const records = Array.from({ length: 400 }, (_, i) => rec(`dl${run}-${i}`));
    const outcomes = await store.put(records, { now: T0, dueAt: T0, deadline: Date.now() + budget });
    const created = outcomes.filter((o) => o.status === 'created').length;
    const failed = outcomes.filter((o) => o.status === 'failed');
    assert.equal(created + failed.length, 400);
    assert.ok(failed.every((o) => /budget/.test((o as { reason: string }).reason)));
    // What was reported created is really there; a retry creates at most the rest.
    const again = await store.put(records, { now: T0, dueAt: T0 });
    assert.ok(again.filter((o) => o.status === 'exists').length >= created);
    mixed = created > 0 && failed.length > 0;
  }
  assert.ok(mixed, 'some budget persisted part of the batch and reported the rest as not persisted');
});

test('markDelivered writes more than one batch (25 per call)', async () => {
  const { store, raw } = await fresh('delivered-many');
  const many = Array.from({ length: 130 }, (_, i) => rec(`m${i}`));
  await store.put(many, { now: T0, dueAt: T0 });
  await store.markDelivered(many.map((r, i) => at(r.id, i)), { now: T0 });
  assert.deepEqual(await raw.ids(PENDING_INDEX), []);
  assert.equal((await raw.scan()).filter((item) => item.state?.S === 'delivered').length, 130);
});

test('claimDue returns only due entries, leases them and counts the attempt', async () => {
  const { store } = await fresh('claim');
  await store.put([rec('early')], { now: T0, dueAt: T0 + 1_000 });
  await store.put([rec('late')], { now: T0, dueAt: T0 + 5_000 });

  const first = await store.claimDue({ now: T0 + 2_000, limit: 10, leaseMs: LEASE });
  assert.deepEqual(ids(first), ['early']);
  assert.equal(first[0]?.attempts, 1);
  assert.equal(first[0]?.dueAt, T0 + 2_000 + LEASE);
  assert.equal(first[0]?.createdAt, T0);
  assert.deepEqual(first[0]?.record, rec('early'));

  // Leased: not claimable again until the lease ends; 'late' is not due yet.
  assert.deepEqual(await store.claimDue({ now: T0 + 2_001, limit: 10, leaseMs: LEASE }), []);
  const again = await store.claimDue({ now: T0 + 2_000 + LEASE, limit: 10, leaseMs: LEASE });
  assert.deepEqual(ids(again), ['early', 'late']);
  assert.equal(again.find((e) => e.record.id === 'early')?.attempts, 2);
  assert.equal(again.find((e) => e.record.id === 'late')?.attempts, 1);
});

test('claimDue honours the limit', async () => {
  const { store } = await fresh('claim-limit');
  await store.put(Array.from({ length: 30 }, (_, i) => rec(`l${i}`)), { now: T0, dueAt: T0 });
  const got = await store.claimDue({ now: T0, limit: 7, leaseMs: LEASE });
  assert.equal(got.length, 7);
  const rest = await store.claimDue({ now: T0, limit: 100, leaseMs: LEASE });
  assert.equal(rest.length, 23);
  assert.equal(new Set([...ids(got), ...ids(rest)]).size, 30);
});

test('two concurrent claimDue calls on 200 due entries never return the same id twice', async () => {
  const { store } = await fresh('claim-race');
  const all = Array.from({ length: 200 }, (_, i) => rec(`r${String(i).padStart(3, '0')}`));
  const puts = await store.put(all, { now: T0, dueAt: T0 });
  assert.ok(puts.every((o) => o.status === 'created'));

  // Two relays, separate clients, same moment.
  const other = createDynamoOutboxStore({ endpoint: ddb.endpoint, tableName: store.tableName });
  cleanups.push(() => other.close());
  const [a, b] = await Promise.all([
    store.claimDue({ now: T0 + 1, limit: 200, leaseMs: LEASE }),
    other.claimDue({ now: T0 + 1, limit: 200, leaseMs: LEASE }),
  ]);
  const overlap = ids(a).filter((id) => new Set(ids(b)).has(id));
  assert.deepEqual(overlap, []);
  assert.equal(a.length + b.length, 200);
  assert.deepEqual([...ids(a), ...ids(b)].sort(), all.map((r) => r.id).sort());
  assert.ok([...a, ...b].every((e) => e.attempts === 1));
});

test('recordFailure backs off, keeps the last error, and moves to dead; a stale lease cannot', async () => {
  const { store } = await fresh('failure');
  await store.put([rec('f')], { now: T0, dueAt: T0 });
  const [claimed] = await store.claimDue({ now: T0, limit: 1, leaseMs: LEASE });
  assert.ok(claimed);

  await store.recordFailure(claimed, { now: T0 + 10, reason: 'broker down', retryAt: T0 + 10_000, dead: false });
  assert.deepEqual(await store.claimDue({ now: T0 + 9_999, limit: 5, leaseMs: LEASE }), []);
  const [second] = await store.claimDue({ now: T0 + 10_000, limit: 5, leaseMs: LEASE });
  assert.ok(second);
  assert.equal(second.attempts, 2);
  assert.equal(second.lastError, 'broker down');

  // The first relay's lease is over: its late failure report must not touch the new lease.
  await store.recordFailure(claimed, { now: T0 + 10_001, reason: 'late', retryAt: T0, dead: true });
  assert.deepEqual(await store.stats({ now: T0 + 10_001 }), { pending: 1, oldestPendingAgeMs: 10_001, dead: 0 });

  const huge = `timeout ${'x'.repeat(5000)}`;
  await store.recordFailure(second, { now: T0 + 20_000, reason: huge, retryAt: 0, dead: true });
  assert.deepEqual(await store.claimDue({ now: T0 + 10 * LEASE, limit: 5, leaseMs: LEASE }), []);
  const stats = await store.stats({ now: T0 + 20_000 });
  assert.deepEqual(stats, { pending: 0, oldestPendingAgeMs: 0, dead: 1 });
  const [dead] = await store.listDead({ limit: 10 });
  assert.equal(dead?.state, 'dead');
  assert.equal(dead?.attempts, 2);
  assert.deepEqual(dead?.record, rec('f'));
  assert.ok(dead?.lastError?.startsWith('timeout xxx'));
  assert.ok(Buffer.byteLength(dead?.lastError ?? '', 'utf8') <= 1024);
});

test('stats: pending count, age of the oldest pending by createdAt (not dueAt), dead count', async () => {
  const { store } = await fresh('stats');
  assert.deepEqual(await store.stats({ now: T0 }), { pending: 0, oldestPendingAgeMs: 0, dead: 0 });

  // 'oldest' is created first but, once claimed, is due last: the index order (dueAt) does not
  // tell which entry is oldest.
  await store.put([rec('oldest')], { now: T0, dueAt: T0 });
  await store.claimDue({ now: T0, limit: 1, leaseMs: 10 * LEASE });
  await store.put([rec('mid')], { now: T0 + 1_000, dueAt: T0 + 1_000 });
  await store.put(Array.from({ length: 20 }, (_, i) => rec(`new${i}`)), { now: T0 + 2_000, dueAt: T0 + 2_000 });
  await store.put([rec('gone')], { now: T0 - 5_000, dueAt: T0 });
  await store.markDelivered([at('gone', 0)], { now: T0 });

  const s = await store.stats({ now: T0 + 3_000 });
  assert.deepEqual(s, { pending: 22, oldestPendingAgeMs: 3_000, dead: 0 });

  const [mid] = await store.claimDue({ now: T0 + 1_500, limit: 1, leaseMs: LEASE });
  assert.equal(mid?.record.id, 'mid');
  await store.recordFailure(mid, { now: T0 + 1_500, reason: 'x', retryAt: 0, dead: true });
  assert.deepEqual(await store.stats({ now: T0 + 3_000 }), { pending: 21, oldestPendingAgeMs: 3_000, dead: 1 });
});

test('listDead and replayDead: dead → pending with attempts reset, due now', async () => {
  const { store } = await fresh('dead');
  const names = ['x1', 'x2', 'x3'];
  await store.put([...names.map((n) => rec(n)), rec('alive')], { now: T0, dueAt: T0 });
  const claimed = await store.claimDue({ now: T0, limit: 10, leaseMs: LEASE });
  for (const [i, name] of names.entries()) {
    const entry = claimed.find((e) => e.record.id === name);
    assert.ok(entry);
    await store.recordFailure(entry, { now: T0 + i, reason: `gave up on ${name}`, retryAt: 0, dead: true });
  }

  const listed = await store.listDead({ limit: 2 });
  assert.deepEqual(listed.map((e) => e.record.id), ['x1', 'x2']); // longest dead first
  assert.deepEqual(listed.map((e) => e.lastError), ['gave up on x1', 'gave up on x2']);
  assert.equal((await store.listDead({ limit: 10 })).length, 3);

  // Only dead entries are replayed: not pending ones, not unknown ids.
  assert.equal(await store.replayDead({ now: T0 + 100, ids: ['x2', 'alive', 'no-such-id'] }), 1);
  assert.equal(await store.replayDead({ now: T0 + 100 }), 2);
  assert.equal(await store.replayDead({ now: T0 + 100 }), 0);
  assert.deepEqual(await store.listDead({ limit: 10 }), []);
  assert.deepEqual(await store.stats({ now: T0 + 100 }), { pending: 4, oldestPendingAgeMs: 100, dead: 0 });

  const back = await store.claimDue({ now: T0 + 100, limit: 10, leaseMs: LEASE });
  assert.deepEqual(ids(back), names); // 'alive' is still leased
  assert.ok(back.every((e) => e.attempts === 1 && e.state === 'pending'));
  assert.deepEqual(back.find((e) => e.record.id === 'x3')?.record, rec('x3'));
});

test('an undecodable pending item is moved to dead instead of blocking or looping the relay', async () => {
  const { store, raw } = await fresh('corrupt');
  await store.put([rec('fine')], { now: T0, dueAt: T0 });
  // A hand-edited item: pending and due, but without its payload.
  await raw.putRaw({
    id: { S: 'broken' },
    state: { S: 'pending' },
    shard: { S: 'p03' },
    dueAt: { N: String(T0) },
    attempts: { N: '0' },
    createdAt: { N: String(T0) },
  });
  const got = await store.claimDue({ now: T0, limit: 10, leaseMs: LEASE });
  assert.deepEqual(ids(got), ['fine']);
  const broken = await raw.get('broken');
  assert.equal(broken?.state?.S, 'dead');
  assert.equal(broken?.shard, undefined);
  assert.match(broken?.lastError?.S ?? '', /broken cannot be decoded: missing string attribute 'tier'/);
  assert.deepEqual(await store.stats({ now: T0 }), { pending: 1, oldestPendingAgeMs: 0, dead: 1 });
});

test('a 500 KB record that does not compress is refused with a clear reason; its siblings are created', async () => {
  const { store, raw } = await fresh('size');
  const small = (id: string) => rec(id, { value: Buffer.alloc(1024, 's') });
  const noise = Buffer.from(Array.from({ length: 500 * 1024 }, () => Math.floor(Math.random() * 256)));
  const big = rec('big', { value: noise });
  const compressible = rec('compressible', { value: Buffer.alloc(500 * 1024, 'Z') });
  const malformed = rec('malformed', { value: 'not a buffer' as unknown as Buffer });
  const out = await store.put([small('s1'), big, small('s2'), malformed, compressible], { now: T0, dueAt: T0 });
  assert.deepEqual(out[0], { status: 'created' });
  assert.deepEqual(out[2], { status: 'created' });
  assert.deepEqual(out[3], { status: 'refused', reason: 'record value is not bytes' });
  assert.deepEqual(out[4], { status: 'created' }, 'a compressible record beyond the item limit is stored gzipped');
  assert.equal(out[1]?.status, 'refused');
  const reason = out[1]?.status === 'refused' ? out[1].reason : '';
  assert.match(reason, /too large/);
  assert.match(reason, /409600/);
  assert.ok(reason.length < 400 && !reason.includes(noise.subarray(0, 8).toString('hex')), 'the reason never carries the payload');
  assert.equal(await raw.get('big'), undefined);
  assert.deepEqual(await raw.ids(), ['compressible', 's1', 's2']);
});

// Last: it kills this file's DynamoDB Local.
test('with DynamoDB Local killed, put fails fast for every record and does not throw', async () => {
  const { store } = await fresh('outage');
  await store.put([rec('before')], { now: T0, dueAt: T0 });
  await ddb.kill();

  const records = Array.from({ length: 60 }, (_, i) => rec(`o${i}`));
  const started = Date.now();
  const out = await store.put(records, { now: T0, dueAt: T0 });
  const elapsed = Date.now() - started;
  assert.equal(out.length, 60);
  for (const o of out) {
    assert.equal(o.status, 'failed');
    if (o.status === 'failed') assert.match(o.reason, /ECONNREFUSED|unavailable|Timeout/i);
  }
  assert.ok(elapsed < 5_000, `put took ${elapsed} ms with DynamoDB down`);

  // The relay side reports the outage as a retriable OutboxError.
  for (const call of [
    () => store.claimDue({ now: T0, limit: 5, leaseMs: LEASE }),
    () => store.markDelivered([at('before', 0)], { now: T0 }),
    () => store.stats({ now: T0 }),
  ]) {
    await assert.rejects(call(), (err: unknown) => err instanceof OutboxError && err.retriable);
  }
});
