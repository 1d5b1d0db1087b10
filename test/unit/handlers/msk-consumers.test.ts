/** The MSK-event Lambda consumers, fed real-shaped events (test/helpers/msk-events.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryDedupeStore } from '../../../lib/consume/dedupe';
import { auditDeps, auditHandler, type AuditDeps } from '../../../lib/handlers/audit-critical';
import { realtimeDeps, realtimeHandler } from '../../../lib/handlers/consume-realtime';
import { UnsupportedEventError } from '../../../lib/handlers/event-shapes';
import { loadConsumerConfig } from '../../../lib/platform/config';
import type { Env } from '../../../lib/platform/env';
import type { LineSink } from '../../../lib/platform/telemetry';
import { lambdaContext } from '../../helpers/events';
import { forwardedHeaders, mskEvent } from '../../helpers/msk-events';

const env = { AWS_LAMBDA_FUNCTION_NAME: 'consumer-test', LOG_LEVEL: 'error' };
const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const emf = (lines: string[]) => parse(lines).filter((l) => '_aws' in l);
const quiet: LineSink = () => undefined;

const realtimeConsumer = (e: Env, lineSink: LineSink) => realtimeHandler(realtimeDeps(loadConsumerConfig(e), { lineSink }));

/** audit-critical with ids kept in memory, and the parts a test replaces. */
function auditConsumer(e: Env, lineSink: LineSink, parts: Partial<AuditDeps> = {}) {
  const deps = auditDeps(loadConsumerConfig({ DEDUPE_STORE: 'memory', ...e }, { dedupe: true }), { lineSink });
  return auditHandler({ ...deps, ...parts });
}

test('realtime: heartbeats per server (key, else serverId in the value) as EMF metrics with age', async () => {
  const lines: string[] = [];
  const handler = realtimeConsumer(env, (l) => void lines.push(l));
  const now = Date.now();
  await handler(
    mskEvent([
      { topic: 'edge.realtime', partition: 0, key: 'server-1', value: { players: 3 }, timestamp: now - 4_000 },
      { topic: 'edge.realtime', partition: 1, key: 'server-1', value: { players: 4 }, timestamp: now - 1_000 },
      { topic: 'edge.realtime', partition: 1, key: null, value: { serverId: 'server-2' }, timestamp: now - 2_000 },
    ]),
    lambdaContext(),
  );
  const docs = emf(lines);
  const totals = docs.find((d) => d.Topic === 'edge.realtime')!;
  assert.equal(totals.Records, 3);
  assert.equal(totals.Servers, 2);
  assert.ok((totals.NewestRecordAgeMs as number) >= 1_000 && (totals.NewestRecordAgeMs as number) < 3_000);
  assert.ok((totals.OldestRecordAgeMs as number) >= 4_000);
  const s1 = docs.find((d) => d.ServerId === 'server-1')!;
  assert.equal(s1.Heartbeats, 2);
  assert.equal(s1.lastSeen, now - 1_000);
  const declared = (s1._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!;
  assert.deepEqual(declared.Dimensions, [['FunctionName', 'ServerId']]);
  assert.deepEqual(declared.Metrics.map((m) => m.Name), ['Heartbeats', 'LastSeenAgeMs']);
  assert.equal(docs.find((d) => d.ServerId === 'server-2')!.Heartbeats, 1);
});

test('realtime: SERVER_METRICS=off keeps per-server values as log fields, without a metric per server', async () => {
  const lines: string[] = [];
  const handler = realtimeConsumer({ ...env, SERVER_METRICS: 'off' }, (l) => void lines.push(l));
  await handler(mskEvent([{ topic: 'edge.realtime', key: 'server-9', value: '{}' }]));
  const doc = emf(lines).find((d) => d.ServerId === 'server-9')!;
  assert.equal(doc.Heartbeats, 1);
  assert.deepEqual((doc._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics, []);
});

test('realtime: per-server metrics are bounded (SERVER_METRICS_MAX busiest, SERVER_METRICS_PATTERN); the rest are log fields', async () => {
  const lines: string[] = [];
  const handler = realtimeConsumer({ ...env, SERVER_METRICS_MAX: '2' }, (l) => void lines.push(l));
  // One request's worth of client-chosen keys: 1,000 servers, server-7 and server-9 the busiest.
  const records = Array.from({ length: 1_000 }, (_, i) => ({ topic: 'edge.realtime', key: `server-${i}`, value: '{}' }));
  records.push({ topic: 'edge.realtime', key: 'server-7', value: '{}' }, { topic: 'edge.realtime', key: 'server-7', value: '{}' }, { topic: 'edge.realtime', key: 'server-9', value: '{}' });
  await handler(mskEvent(records));
  const perServer = emf(lines).filter((d) => 'ServerId' in d);
  assert.equal(perServer.length, 1_000, 'every server is still reported');
  const declared = perServer.filter((d) => (d._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics.length > 0).map((d) => d.ServerId);
  assert.deepEqual(declared.sort(), ['server-7', 'server-9']);

  const matching: string[] = [];
  const only = realtimeConsumer({ ...env, SERVER_METRICS_PATTERN: 'eu-[0-9]+' }, (l) => void matching.push(l));
  await only(mskEvent([{ topic: 'edge.realtime', key: 'eu-1', value: '{}' }, { topic: 'edge.realtime', key: 'attacker-eu-1x', value: '{}' }]));
  const named = emf(matching).filter((d) => 'ServerId' in d && (d._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics.length > 0).map((d) => d.ServerId);
  assert.deepEqual(named, ['eu-1'], 'the pattern is anchored');
  assert.throws(() => loadConsumerConfig({ ...env, SERVER_METRICS_PATTERN: '(' }), /SERVER_METRICS_PATTERN/);
});

test('realtime never fails an MSK batch: undecodable records are logged and counted; an event that is not MSK is refused', async () => {
  const lines: string[] = [];
  const handler = realtimeConsumer(env, (l) => void lines.push(l));
  await assert.rejects(handler({ nope: true } as never), UnsupportedEventError);
  assert.ok(parse(lines).some((l) => l.level === 'ERROR' && /unsupported event/.test(String(l.message))));
  assert.equal(emf(lines).find((d) => 'UnsupportedEvents' in d)?.UnsupportedEvents, 1);
  const event = mskEvent([{ topic: 'edge.realtime', key: 's', value: 'x' }, { topic: 'edge.realtime', key: 's', value: 'y' }]);
  (event.records['edge.realtime-0']![1] as unknown as { offset: unknown }).offset = 'NaN';
  await handler(event);
  const totals = emf(lines).find((d) => d.Topic === 'edge.realtime')!;
  assert.equal(totals.Records, 1);
  assert.equal(totals.Undecodable, 1);
});

test('audit: each event once, even when the batch is delivered again; one audit line per event', async () => {
  const lines: string[] = [];
  const dedupe = createMemoryDedupeStore();
  const handler = auditConsumer(env, (l) => void lines.push(l), { dedupe });
  const event = mskEvent([
    { topic: 'edge.critical', partition: 0, key: 'match-1', value: { type: 'kill' }, headers: forwardedHeaders({ eventId: 'e-1', seq: 0 }) },
    { topic: 'edge.critical', partition: 1, key: 'match-2', value: { type: 'purchase' }, headers: forwardedHeaders({ eventId: 'e-2', seq: 1 }) },
    // the same event id again (a relay re-send after a crash): a different record, the same event
    { topic: 'edge.critical', partition: 1, key: 'match-2', value: { type: 'purchase' }, headers: forwardedHeaders({ eventId: 'e-2', seq: 0, producer: 'relay-1' }) },
  ]);
  assert.deepEqual(await handler(event, lambdaContext()), { batchItemFailures: [] });
  assert.deepEqual(await handler(event, lambdaContext()), { batchItemFailures: [] }, 'redelivered batch');
  const audits = parse(lines).filter((l) => 'audit' in l).map((l) => l.audit as Record<string, unknown>);
  assert.deepEqual(audits.map((a) => a.eventId).sort(), ['e-1', 'e-2']);
  assert.deepEqual(audits.find((a) => a.eventId === 'e-1'), {
    eventId: 'e-1', topic: 'edge.critical', partition: 0, offset: 100, timestamp: audits[0]!.timestamp,
    tenant: 'studio-test', source: 'http', key: 'match-1', value: '{"type":"kill"}',
  });
  const metrics = emf(lines).filter((d) => d.Topic === 'edge.critical');
  assert.deepEqual(metrics.map((m) => [m.Received, m.Audited, m.Duplicates]), [[3, 2, 1], [3, 0, 3]]);
});

test('audit: a failed record is reported as {partition: "<topic>-<partition>", offset}; its partition stops there, others go on', async () => {
  const written: string[] = [];
  const handler = auditConsumer(env, quiet, {
    sink: {
      async write(r) {
        if (r.headers['ef-event-id'] === 'bad') throw new Error('audit store unavailable');
        written.push(r.headers['ef-event-id']!);
      },
    },
  });
  const h = (id: string) => forwardedHeaders({ eventId: id });
  const res = await handler(
    mskEvent([
      { topic: 'edge.critical', partition: 3, value: 'a', headers: h('p3-a') },
      { topic: 'edge.critical', partition: 3, value: 'b', headers: h('bad') },
      { topic: 'edge.critical', partition: 3, value: 'c', headers: h('p3-c') },
      { topic: 'edge.critical', partition: 4, value: 'd', headers: h('p4-d') },
      { topic: 'edge.critical', partition: 4, value: 'e', headers: h('p4-e') },
    ]),
    lambdaContext(),
  );
  assert.deepEqual(res, { batchItemFailures: [{ itemIdentifier: { partition: 'edge.critical-3', offset: 101 } }] });
  assert.deepEqual(written.sort(), ['p3-a', 'p4-d', 'p4-e'], 'p3-c waits for the retry, in order behind the failed one');
});

test('audit: records not started before the deadline are handed back instead of timing out', async () => {
  const handler = auditConsumer({ ...env, SEND_MARGIN_MS: '1000' }, quiet);
  const res = await handler(mskEvent([{ value: 'a', headers: forwardedHeaders({ eventId: 'late' }) }]), lambdaContext({ remainingMs: 500 }));
  assert.deepEqual(res, { batchItemFailures: [{ itemIdentifier: { partition: 'edge.critical-0', offset: 100 } }] });
});

test('audit needs a dedupe table unless told to keep ids in memory', () => {
  assert.throws(() => loadConsumerConfig(env, { dedupe: true }), /DEDUPE_TABLE is required/);
  assert.doesNotThrow(() => auditDeps(loadConsumerConfig({ ...env, DEDUPE_STORE: 'memory' }, { dedupe: true })));
});
