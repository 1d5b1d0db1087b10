import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByTopic } from '../../../../lib/domain/kafka';
import { approxRecordBytes, SequenceStamper, splitIntoRequests } from '../../../../lib/adapters/kafka/messages';
import type { ForwardRecord } from '../../../../lib/domain/record';

function rec(topic: string, i: number): ForwardRecord {
  return {
    id: `id-${i}`,
    tier: 'logs',
    topic,
    key: i % 2 ? `k${i}` : null,
    value: Buffer.from(`v${i}`),
    headers: { 'ef-event-id': `id-${i}` },
    timestamp: 1000 + i,
    sourceRef: { source: 'http', index: i },
  };
}

test('sequence numbers count per topic and continue across sends', () => {
  const s = new SequenceStamper('prod-1');
  const first = s.toWire(groupByTopic([rec('a', 0), rec('b', 1), rec('a', 2)]));
  const second = s.toWire(groupByTopic([rec('a', 3), rec('b', 4)]));
  const seqs = (batches: ReturnType<SequenceStamper['toWire']>, topic: string) =>
    batches.filter((b) => b.topic === topic).flatMap((b) => b.messages.map((m) => m.headers['ef-seq']));
  assert.deepEqual(seqs(first, 'a'), ['0', '1']);
  assert.deepEqual(seqs(first, 'b'), ['0']);
  assert.deepEqual(seqs(second, 'a'), ['2']);
  assert.deepEqual(seqs(second, 'b'), ['1']);
  assert.equal(first[0]!.messages[0]!.headers['ef-producer'], 'prod-1');
});

test('wire messages keep key, value, timestamp and the record headers without mutating the record', () => {
  const r = rec('a', 1);
  const [batch] = new SequenceStamper('p').toWire([{ topic: 'a', records: [r] }]);
  const m = batch!.messages[0]!;
  assert.equal(m.key, 'k1');
  assert.equal(m.value, r.value);
  assert.equal(m.timestamp, '1001');
  assert.equal(m.headers['ef-event-id'], 'id-1');
  assert.deepEqual(Object.keys(r.headers), ['ef-event-id']);
});

test('groupByTopic keeps per-topic order', () => {
  const groups = groupByTopic([rec('a', 0), rec('b', 1), rec('a', 2)]);
  assert.deepEqual(
    groups.map((g) => [g.topic, g.records.map((r) => r.id)]),
    [
      ['a', ['id-0', 'id-2']],
      ['b', ['id-1']],
    ],
  );
});

test('splitIntoRequests keeps every request under the byte limit, in order, losing nothing', () => {
  const records = Array.from({ length: 100 }, (_, i) => ({ ...rec(i % 3 ? 'a' : 'b', i), value: Buffer.alloc(1000) }));
  const requests = splitIntoRequests(groupByTopic(records), 10_000);
  assert.ok(requests.length > 1);
  for (const req of requests) {
    const bytes = req.flatMap((b) => b.records).reduce((n, r) => n + approxRecordBytes(r), 0);
    assert.ok(bytes <= 10_000, `request of ${bytes} bytes`);
  }
  const flat = requests.flatMap((req) => req.flatMap((b) => b.records.map((r) => `${b.topic}:${r.id}`)));
  const expected = groupByTopic(records).flatMap((b) => b.records.map((r) => `${b.topic}:${r.id}`));
  assert.deepEqual(flat, expected);
});

test('a record larger than the limit travels alone rather than being dropped', () => {
  const big = { ...rec('a', 0), value: Buffer.alloc(50_000) };
  const requests = splitIntoRequests([{ topic: 'a', records: [rec('a', 1), big, rec('a', 2)] }], 10_000);
  assert.deepEqual(requests.map((r) => r.flatMap((b) => b.records.map((x) => x.id))), [['id-1'], ['id-0'], ['id-2']]);
});
