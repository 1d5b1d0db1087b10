import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ForwardRecord } from '../../../lib/domain/record';
import type { Tier } from '../../../lib/domain/tiers';
import { fireAndForgetSink } from '../../../lib/sinks/fire-and-forget';
import { createLogger } from '../../../lib/platform/telemetry';
import { recordingProducer } from '../../helpers/stub-producer';

const log = createLogger({ level: 'error', sink: () => undefined });

function rec(i: number, tier: Tier): ForwardRecord {
  return { id: `e${i}`, tier, topic: `t.${tier}`, key: null, value: Buffer.from('v'), headers: {}, timestamp: 1, sourceRef: { source: 'http', index: i } };
}

test('one send per tier, compressed for logs and not for realtime, deadline passed through', async () => {
  const { producer, calls } = recordingProducer(() => ({ ok: true }));
  const deadline = Date.now() + 500;
  const statuses = await fireAndForgetSink({ producer, log }).write([rec(0, 'logs'), rec(1, 'realtime'), rec(2, 'logs')], deadline);
  assert.deepEqual(statuses.map((s) => s.status), ['forwarded', 'forwarded', 'forwarded']);
  assert.equal(calls.length, 2);
  const byTopic = Object.fromEntries(calls.map((c) => [c.batches[0]!.topic, c]));
  assert.equal(byTopic['t.logs']!.opts.compressed, true);
  assert.equal(byTopic['t.logs']!.batches[0]!.records.length, 2);
  assert.equal(byTopic['t.realtime']!.opts.compressed, false);
  assert.ok(calls.every((c) => c.opts.deadline === deadline));
});

test('a failed send drops that tier’s records with the reason and leaves the other tier alone', async () => {
  const { producer } = recordingProducer((b) =>
    b[0]!.topic === 't.logs' ? { ok: false, reason: 'connecting to Kafka: timed out', retriable: true } : { ok: true },
  );
  const statuses = await fireAndForgetSink({ producer, log }).write([rec(0, 'logs'), rec(1, 'realtime')], Date.now() + 500);
  const byIndex = Object.fromEntries(statuses.map((s) => [s.index, s]));
  assert.equal(byIndex[0]!.status, 'dropped');
  assert.match(byIndex[0]!.reason!, /timed out/);
  assert.equal(byIndex[1]!.status, 'forwarded');
});

test('refuses to serve the critical tier', () => {
  const { producer } = recordingProducer(() => ({ ok: true }));
  assert.throws(() => fireAndForgetSink({ producer, log, tiers: ['critical'] }), /at-most-once/);
});
