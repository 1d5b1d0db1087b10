import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvocationMetrics } from '../../../lib/platform/metrics';
import { createTelemetry } from '../../../lib/platform/telemetry';

test('metrics flush as one CloudWatch EMF document per tier', () => {
  const lines: string[] = [];
  const t = createTelemetry({ namespace: 'NS', functionName: 'fn', level: 'info', sink: (l) => lines.push(l) });
  const m = new InvocationMetrics();
  m.add('logs', 'received', 3);
  m.add('logs', 'forwarded', 2);
  m.add('logs', 'dropped', 1);
  m.add('realtime', 'forwarded', 5);
  t.flush(m);
  assert.equal(lines.length, 2);
  const logs = JSON.parse(lines[0]!);
  assert.equal(logs.Tier, 'logs');
  assert.equal(logs.FunctionName, 'fn');
  assert.deepEqual([logs.Received, logs.Forwarded, logs.Dropped], [3, 2, 1]);
  const directive = logs._aws.CloudWatchMetrics[0];
  assert.equal(directive.Namespace, 'NS');
  assert.deepEqual(directive.Dimensions, [['FunctionName', 'Tier']]);
  assert.deepEqual(directive.Metrics.map((x: { Name: string }) => x.Name), ['Received', 'Forwarded', 'Dropped']);
  assert.equal(typeof logs._aws.Timestamp, 'number');
});

test('logs are JSON lines filtered by level', () => {
  const lines: string[] = [];
  const t = createTelemetry({ namespace: 'NS', functionName: 'fn', level: 'warn', sink: (l) => lines.push(l) });
  t.log.info('hidden');
  t.log.warn('shown', { tier: 'logs' });
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.message, 'shown');
  assert.equal(entry.level, 'WARN');
  assert.equal(entry.tier, 'logs');
  assert.equal(entry.function_name, 'fn');
  assert.ok(!Number.isNaN(Date.parse(entry.timestamp)), 'an ISO timestamp');
});

test('every line of an invocation carries its request id: logs and metrics alike', () => {
  const lines: string[] = [];
  const t = createTelemetry({ namespace: 'NS', functionName: 'fn', level: 'info', sink: (l) => lines.push(l) });
  t.log.info('before any invocation');
  t.startInvocation('req-1');
  t.log.info('inside');
  t.emit({ dimensions: { FunctionName: 'fn', Topic: 't' }, metrics: { Records: { value: 1, unit: 'Count' } } });
  const m = new InvocationMetrics();
  m.add('logs', 'forwarded');
  t.flush(m);
  t.startInvocation('req-2');
  t.log.warn('next');
  const ids = lines.map((l) => (JSON.parse(l) as { requestId?: string }).requestId);
  assert.deepEqual(ids, [undefined, 'req-1', 'req-1', 'req-1', 'req-2']);
});

test('metrics derived from statuses: received and status per tier, unrouted rejects apart', () => {
  const m = new InvocationMetrics();
  m.addStatuses([
    { index: 0, status: 'forwarded', tier: 'logs' },
    { index: 1, status: 'dropped', tier: 'logs' },
    { index: 2, status: 'rejected', tier: 'critical' },
    { index: 3, status: 'rejected' },
  ]);
  assert.deepEqual(
    [m.get('logs', 'received'), m.get('logs', 'forwarded'), m.get('logs', 'dropped'), m.get('critical', 'received'), m.get('critical', 'rejected'), m.get('unrouted', 'rejected'), m.get('unrouted', 'received')],
    [2, 1, 1, 1, 1, 1, 0],
  );
});

test('the X-Ray trace id of the invocation and the tenant, once known, are on the following lines', () => {
  const lines: string[] = [];
  const t = createTelemetry({ namespace: 'NS', functionName: 'fn', level: 'info', sink: (l) => lines.push(l) });
  const saved = process.env._X_AMZN_TRACE_ID;
  process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
  try {
    t.startInvocation('req-9');
    t.log.info('before auth');
    t.setTenant('acme');
    t.log.info('after auth');
    t.startInvocation('req-10');
    t.log.info('next invocation');
  } finally {
    if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = saved;
  }
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(parsed.map((p) => [p.requestId, p.xray_trace_id, p.tenant]), [
    ['req-9', '1-5759e988-bd862e3fe1be46a994272793', undefined],
    ['req-9', '1-5759e988-bd862e3fe1be46a994272793', 'acme'],
    ['req-10', '1-5759e988-bd862e3fe1be46a994272793', undefined],
  ]);
});
