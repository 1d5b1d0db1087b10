import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline } from '../../../lib/domain/pipeline';
import type { DecodedRecord, ForwardRecord } from '../../../lib/domain/record';
import { createRouter } from '../../../lib/domain/router';
import { statusOf, type Sink } from '../../../lib/domain/sink';
import { InvocationMetrics } from '../../../lib/platform/metrics';

/** The metrics a handler derives from the statuses. */
function metricsOf(statuses: Parameters<InvocationMetrics['addStatuses']>[0]): InvocationMetrics {
  const metrics = new InvocationMetrics();
  metrics.addStatuses(statuses);
  return metrics;
}

const topics = { logs: 'logs', realtime: 'rt', critical: 'crit' };
const router = createRouter({ rules: [], topics, tenant: 't' });

function rec(index: number, over: Partial<DecodedRecord> = {}): DecodedRecord {
  return { kind: 'log', value: Buffer.from(String(index)), timestamp: 1, sourceRef: { source: 'http', index }, ...over };
}

function recordingSink(tiers: Sink['tiers'], status: 'forwarded' | 'dropped' = 'forwarded') {
  const seen: ForwardRecord[] = [];
  const sink: Sink = {
    tiers,
    async write(records) {
      seen.push(...records);
      return records.map((r) => statusOf(r, status, status === 'dropped' ? 'broker down' : undefined));
    },
  };
  return { sink, seen };
}

test('one status per input record, in input order, rejects included', async () => {
  const { sink, seen } = recordingSink(['logs', 'realtime']);
  const statuses = await runPipeline(
    { records: [rec(0), rec(2, { kind: 'heartbeat' }), rec(3)], rejects: [{ index: 1, reason: 'record 1: invalid JSON' }] },
    { router, sinks: [sink] },
    Date.now() + 1000,
  );
  const metrics = metricsOf(statuses);
  assert.deepEqual(
    statuses.map((s) => [s.index, s.status]),
    [
      [0, 'forwarded'],
      [1, 'rejected'],
      [2, 'forwarded'],
      [3, 'forwarded'],
    ],
  );
  assert.equal(statuses[1]!.reason, 'record 1: invalid JSON');
  assert.equal(seen.length, 3);
  assert.equal(metrics.get('logs', 'forwarded'), 2);
  assert.equal(metrics.get('realtime', 'forwarded'), 1);
  assert.equal(metrics.get('unrouted', 'rejected'), 1);
});

test('a tier with no sink on this endpoint is rejected per record, others still go through', async () => {
  const { sink, seen } = recordingSink(['logs']);
  const statuses = await runPipeline(
    { records: [rec(0), rec(1, { tier: 'critical' })], rejects: [] },
    { router, sinks: [sink] },
    Date.now() + 1000,
  );
  assert.equal(statuses[0]!.status, 'forwarded');
  assert.equal(statuses[1]!.status, 'rejected');
  assert.match(statuses[1]!.reason!, /tier "critical" is not accepted/);
  assert.equal(seen.length, 1);
});

test('drops are counted per tier', async () => {
  const { sink } = recordingSink(['logs'], 'dropped');
  const metrics = metricsOf(await runPipeline({ records: [rec(0), rec(1)], rejects: [] }, { router, sinks: [sink] }, Date.now() + 1000));
  assert.equal(metrics.get('logs', 'dropped'), 2);
  assert.equal(metrics.get('logs', 'received'), 2);
});
