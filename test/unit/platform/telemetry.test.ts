import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTelemetry, InvocationMetrics } from '../../../lib/platform/telemetry';

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
  assert.equal(entry.msg, 'shown');
  assert.equal(entry.level, 'warn');
  assert.equal(entry.tier, 'logs');
  assert.equal(entry.fn, 'fn');
});
