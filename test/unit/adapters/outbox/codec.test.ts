import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { OUTBOX_TTL_ATTRIBUTE, SHARDS } from '../../../../lib/adapters/outbox/table';
import { OutboxError } from '../../../../lib/platform/errors';
import { uuidv7 } from '../../../../lib/domain/ids';
import { randomBytes } from 'node:crypto';
import {
  MAX_PENDING_ITEM_BYTES,
  decodeDelivered,
  decodeEntry,
  encodeForStore,
  encodePending,
  encodeTombstone,
  itemSizeBytes,
  recordProblem,
  shardOf,
  truncateUtf8,
  type Item,
  type StoredItem,
} from '../../../../lib/adapters/outbox/codec';
import type { ForwardRecord } from '../../../../lib/domain/record';
import { TIERS } from '../../../../lib/domain/tiers';

const NOW = 1_700_000_000_123;

function rec(over: Partial<ForwardRecord> = {}): ForwardRecord {
  return {
    id: 'evt-1',
    tier: 'critical',
    topic: 'game.critical',
    key: 'player-7',
    value: Buffer.from('{"kill":true}'),
    headers: { 'ef-event-id': 'evt-1', 'ef-source': 'http' },
    timestamp: NOW - 5,
    sourceRef: { source: 'sqs', index: 3, itemId: 'msg-3' },
    ...over,
  };
}

/** What the SDK hands back: binaries as plain Uint8Array views into a larger buffer, not Buffers. */
function asStored(item: Item): StoredItem {
  const out: Record<string, { S?: string; N?: string; B?: Uint8Array }> = {};
  for (const [name, v] of Object.entries(item)) {
    if ('B' in v) {
      const backing = new Uint8Array(v.B.byteLength + 16);
      backing.set(v.B, 8);
      out[name] = { B: new Uint8Array(backing.buffer, 8, v.B.byteLength) };
    } else out[name] = { ...v };
  }
  return out;
}

describe('outbox codec', () => {
  test('a pending item round-trips to the same record, with the entry bookkeeping', () => {
    const record = rec();
    const item = encodePending(record, { now: NOW, dueAt: NOW + 30_000 });
    assert.equal(item.state && 'S' in item.state ? item.state.S : undefined, 'pending');
    assert.deepEqual(item.shard, { S: shardOf('evt-1') });
    const entry = decodeEntry(asStored(item));
    assert.deepEqual(entry, { record, createdAt: NOW, dueAt: NOW + 30_000, attempts: 0, state: 'pending' });
    assert.ok(Buffer.isBuffer(entry.record.value));
  });

  test('null key and missing itemId are absent attributes and come back as null / absent', () => {
    const record = rec({ key: null, sourceRef: { source: 'http', index: 0 } });
    const item = encodePending(record, { now: NOW, dueAt: NOW });
    assert.equal('key' in item, false);
    assert.equal('sourceItemId' in item, false);
    const back = decodeEntry(asStored(item)).record;
    assert.equal(back.key, null);
    assert.deepEqual(back.sourceRef, { source: 'http', index: 0 });
  });

  test('empty key, empty value and odd header names survive (headers are a JSON string)', () => {
    const record = rec({ key: '', value: Buffer.alloc(0), headers: { '': 'x', 'ünï/"q"': '', a: 'é\n' } });
    const item = encodePending(record, { now: NOW, dueAt: NOW });
    assert.equal(typeof (item.headers as { S: string }).S, 'string');
    assert.deepEqual(decodeEntry(asStored(item)).record, record);
  });

  test('property: any record round-trips', () => {
    const arbRecord = fc.record({
      id: fc.string({ minLength: 1, maxLength: 40 }),
      tier: fc.constantFrom(...TIERS),
      topic: fc.string({ minLength: 1, maxLength: 30 }),
      key: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      value: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      headers: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { noNullPrototype: true }),
      timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      sourceRef: fc.record(
        { source: fc.constantFrom('http', 'cloudwatch-logs', 'sqs', 'kinesis'), index: fc.nat(100_000), itemId: fc.string() },
        { requiredKeys: ['source', 'index'], noNullPrototype: true },
      ),
    }, { noNullPrototype: true }) as fc.Arbitrary<ForwardRecord>;
    fc.assert(
      fc.property(arbRecord, fc.nat(1e9), (record, delay) => {
        const entry = decodeEntry(asStored(encodePending(record, { now: NOW, dueAt: NOW + delay })));
        assert.deepEqual(entry.record, record);
        assert.equal(entry.dueAt, NOW + delay);
      }),
    );
  });

  test('lastError and the dead state are decoded', () => {
    const item = asStored({ ...encodePending(rec(), { now: NOW, dueAt: NOW }), state: { S: 'dead' }, lastError: { S: 'broker down' } });
    const entry = decodeEntry(item);
    assert.equal(entry.state, 'dead');
    assert.equal(entry.lastError, 'broker down');
  });

  test('a tombstone has no payload, no index keys, a TTL in epoch seconds, and where the broker put it', () => {
    const item = encodeTombstone({ id: 'evt-9', topic: 'game.critical', partition: 4, offset: 1234 }, { now: NOW, ttlSeconds: 3600 });
    assert.deepEqual(Object.keys(item).sort(), ['deliveredAt', OUTBOX_TTL_ATTRIBUTE, 'id', 'offset', 'partition', 'state', 'topic'].sort());
    assert.deepEqual(item[OUTBOX_TTL_ATTRIBUTE], { N: String(Math.floor(NOW / 1000) + 3600) });
    assert.deepEqual(item.state, { S: 'delivered' });
    assert.deepEqual(decodeDelivered(asStored(item)), { id: 'evt-9', deliveredAt: NOW, topic: 'game.critical', partition: 4, offset: 1234 });
  });

  test('a tombstone without a location (written before offsets were kept) decodes without one', () => {
    const { topic: _t, partition: _p, offset: _o, ...old } = encodeTombstone({ id: 'evt-old', topic: 't', partition: 0, offset: 0 }, { now: NOW, ttlSeconds: 60 });
    assert.deepEqual(decodeDelivered(asStored(old)), { id: 'evt-old', deliveredAt: NOW });
  });

  test('a value too large for a plain item is stored gzipped and comes back byte for byte', () => {
    const value = Buffer.from(JSON.stringify({ chat: 'gg '.repeat(200_000), n: 19.9 })); // ~600 KB, compressible
    const encoded = encodeForStore(rec({ value }), { now: NOW, dueAt: NOW });
    assert.ok('item' in encoded, 'a compressible 600 KB record is storable');
    assert.deepEqual(encoded.item.valueEncoding, { S: 'gzip' });
    assert.ok(itemSizeBytes(encoded.item) <= MAX_PENDING_ITEM_BYTES);
    assert.ok(decodeEntry(asStored(encoded.item)).record.value.equals(value));
  });

  test('a small value is stored as is', () => {
    const encoded = encodeForStore(rec(), { now: NOW, dueAt: NOW });
    assert.ok('item' in encoded);
    assert.equal(encoded.item.valueEncoding, undefined);
  });

  test('a value that cannot fit even compressed is refused with the limit in the reason', () => {
    const value = randomBytes(500_000); // incompressible
    const encoded = encodeForStore(rec({ value }), { now: NOW, dueAt: NOW });
    assert.ok('refused' in encoded);
    assert.match(encoded.refused, /500000 bytes.*409600 bytes/);
  });

  test('undecodable items are rejected with an OutboxError naming the id and the problem', () => {
    const good = encodePending(rec({ id: 'evt-bad' }), { now: NOW, dueAt: NOW });
    const { value: _value, ...noValue } = good;
    assert.throws(() => decodeEntry(asStored(noValue)), (err: unknown) => {
      assert.ok(err instanceof OutboxError);
      assert.equal(err.retriable, false);
      assert.match(err.message, /evt-bad.*value/);
      return true;
    });
    const tombstone = encodeTombstone({ id: 'evt-t', topic: 't', partition: 0, offset: 7 }, { now: NOW, ttlSeconds: 1 });
    assert.throws(() => decodeEntry(asStored(tombstone)), /evt-t.*state is 'delivered'/);
    assert.throws(() => decodeEntry(asStored({ ...good, valueEncoding: { S: 'zstd' } })), /unknown value encoding 'zstd'/);
    assert.throws(() => decodeEntry(asStored({ ...good, valueEncoding: { S: 'gzip' } })), /not valid gzip/);
    assert.throws(() => decodeEntry(asStored({ ...good, headers: { S: '[1]' } })), /headers/);
    assert.throws(() => decodeEntry(asStored({ ...good, tier: { S: 'gold' } })), /unknown tier 'gold'/);
  });

  test('recordProblem names what makes a record unstorable, and accepts good records', () => {
    assert.equal(recordProblem(rec()), undefined);
    assert.equal(recordProblem(rec({ key: null, value: Buffer.alloc(0), headers: {} })), undefined);
    const bad = (over: Record<string, unknown>) => recordProblem({ ...rec(), ...over } as ForwardRecord);
    assert.equal(bad({ id: '' }), 'record has no event id');
    assert.match(bad({ id: 'x'.repeat(2049) }) ?? '', /2048-byte key limit/);
    assert.equal(bad({ id: 'x'.repeat(2048) }), undefined);
    assert.equal(bad({ value: 'text' }), 'record value is not bytes');
    assert.equal(bad({ headers: { a: 1 } }), 'record headers are not an object of strings');
    assert.equal(bad({ tier: 'gold' }), 'record has no valid tier');
    assert.equal(bad({ timestamp: Number.NaN }), 'record timestamp is not a number');
  });

  test('itemSizeBytes counts names and values as DynamoDB does', () => {
    // names: id(2) v(1) n(1) e(1) = 5; values: 'abc' 3 + 4 bytes binary + number 12345 (5 digits → 3+1) + 'é' 2
    const item: Item = { id: { S: 'abc' }, v: { B: new Uint8Array(4) }, n: { N: '12345' }, e: { S: 'é' } };
    assert.equal(itemSizeBytes(item), 5 + 3 + 4 + 4 + 2);
  });

  test('truncateUtf8 cuts at a byte budget without splitting characters', () => {
    assert.equal(truncateUtf8('short', 10), 'short');
    const long = 'é'.repeat(600); // 1200 bytes
    const cut = truncateUtf8(long, 1024);
    assert.ok(Buffer.byteLength(cut, 'utf8') <= 1024);
    assert.ok(cut.endsWith('…'));
    assert.ok(!cut.includes('\ufffd'));
    assert.equal(cut.slice(0, -1), 'é'.repeat(cut.length - 1));
  });
});

describe('shardOf', () => {
  test('is stable: the same id always lands in the same pending-index partition', () => {
    // Pinned values: a change here moves new entries to other partitions than running relays expect.
    assert.equal(shardOf('evt-1'), shardOf('evt-1'));
    assert.deepEqual(
      ['evt-1', 'evt-2', '0190f5a4-7c3e-7000-8000-000000000000', ''].map((id) => shardOf(id)),
      PINNED,
    );
  });

  test('names partitions p00..p07', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(shardOf(`id-${i}`));
    assert.deepEqual([...seen].sort(), Array.from({ length: SHARDS }, (_, i) => `p0${i}`));
    assert.match(shardOf('x', 16), /^p(0\d|1[0-5])$/);
  });

  test('spreads time-ordered (UUIDv7) and sequential ids evenly', () => {
    for (const ids of [
      Array.from({ length: 80_000 }, (_, i) => uuidv7(NOW + Math.floor(i / 10))),
      Array.from({ length: 80_000 }, (_, i) => `evt-${i}`),
    ]) {
      const counts = new Map<string, number>();
      for (const id of ids) {
        const shard = shardOf(id);
        counts.set(shard, (counts.get(shard) ?? 0) + 1);
      }
      assert.equal(counts.size, SHARDS);
      for (const [shard, n] of counts) {
        assert.ok(Math.abs(n - 10_000) < 500, `${shard} got ${n} of 80000 (expected ~10000 ± 5%)`);
      }
    }
  });
});

// FNV-1a 32 of the UTF-8 bytes, mod 8 (checked independently in Python).
const PINNED = ['p04', 'p05', 'p06', 'p05'];
