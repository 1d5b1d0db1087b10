/**
 * The shipped bundles, loaded the way Lambda loads a zip (require of dist/<fn>/index.js with the
 * function's environment), fed documented AWS events: each refuses a shape it does not serve by
 * failing the invocation, and an ingest function answers an ALB request in the ALB shape.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, test } from 'node:test';
import { buildAll, type BundleInfo } from '../../tools/build';
import { sampleEvents } from '../helpers/aws-events';
import { tenantsFile } from '../helpers/tenants';
import { root } from './helpers';

const ENV = {
  KAFKA_BROKERS: '127.0.0.1:9',
  KAFKA_CONNECT_TIMEOUT_MS: '100',
  AUTH_MODE: 'none',
  OUTBOX_TABLE: 'bundle-test',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  DEDUPE_STORE: 'memory',
  LOG_LEVEL: 'error',
};

/** Invokes the bundle's handler in a fresh Node process: its result, or the name of what it threw. */
function invokeBundle(file: string, event: unknown, env: Record<string, string>): { ok: unknown } | { error: string } {
  const script = `
    const { handler } = require(${JSON.stringify(path.join(root, file))});
    const context = { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 3000, logStreamName: 'local' };
    handler(JSON.parse(process.env.EVENT), context).then(
      (ok) => process.stdout.write('\\nRESULT ' + JSON.stringify({ ok: ok ?? null }) + '\\n'),
      (err) => process.stdout.write('\\nRESULT ' + JSON.stringify({ error: err.name }) + '\\n'),
    ).finally(() => setTimeout(() => process.exit(0), 50));`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, ...env, EVENT: JSON.stringify(event) }, encoding: 'utf8', timeout: 30_000 });
  // The function's own log and EMF lines share stdout; the result is the line marked RESULT.
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no result from ${file}: ${out.slice(0, 500)}`);
  return JSON.parse(line.slice('RESULT '.length)) as { ok: unknown } | { error: string };
}

let bundles: BundleInfo[];
before(async () => {
  bundles = await buildAll();
});

test('every bundle refuses an S3 event by failing the invocation (UnsupportedEventError)', () => {
  const s3 = sampleEvents().s3;
  for (const b of bundles) {
    const env = { ...ENV, AWS_LAMBDA_FUNCTION_NAME: b.fn, ...(b.fn === 'authorizer' && { TENANTS_SOURCE: tenantsFile() }) };
    assert.deepEqual(invokeBundle(b.file, s3, env), { error: 'UnsupportedEventError' }, b.fn);
  }
});

test('the shipped ingest-logs answers an ALB request in the ALB shape (broker unreachable: dropped, 200)', () => {
  const logs = bundles.find((b) => b.fn === 'ingest-logs')!;
  const res = invokeBundle(logs.file, sampleEvents().alb, { ...ENV, AWS_LAMBDA_FUNCTION_NAME: 'ingest-logs' });
  assert.ok('ok' in res, JSON.stringify(res));
  const answer = res.ok as { statusCode: number; statusDescription: string; body: string };
  assert.deepEqual([answer.statusCode, answer.statusDescription], [200, '200 OK']);
  assert.equal((JSON.parse(answer.body) as { dropped: number }).dropped, 1);
});
