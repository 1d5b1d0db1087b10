import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByTopic, SequenceStamper } from '../../../lib/kafka/messages';
import type { ForwardRecord } from '../../../lib/record';

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
