/**
 * provision-topics as a CloudFormation custom resource: every request ends in a PUT of SUCCESS or
 * FAILED to the ResponseURL (here a local HTTP server standing in for the pre-signed S3 URL),
 * including configuration errors and timeouts; Delete never touches topics.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { TopicAdmin } from '../../lib/domain/kafka';
import type { TopicSpec } from '../../lib/domain/tiers';
import { runCustomResource, type CustomResourceEvent, type CustomResourceResponse } from '../../lib/handlers/custom-resource';
import { provisionDeps, provisionTopicsHandler } from '../../lib/handlers/provision-topics';
import { loadConfig } from '../../lib/platform/config';
import type { Env } from '../../lib/platform/env';

/** provision-topics as functions/provision-topics.ts builds it, with the topic admin replaced. */
const provisionFunction = (env: Env, parts: { admin?: () => TopicAdmin } = {}) =>
  provisionTopicsHandler(() => ({ ...provisionDeps(loadConfig(env), { lineSink: () => undefined }), ...parts }));

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: Record<string, any>;
}
let received: Received[] = [];
let failNext = 0;
const server = createServer((req, res) => {
  let data = '';
  req.on('data', (c) => (data += c));
  req.on('end', () => {
    if (failNext > 0) {
      failNext--;
      res.writeHead(500).end();
      return;
    }
    received.push({ method: req.method!, headers: req.headers, body: JSON.parse(data) });
    res.writeHead(200).end();
  });
});
let url = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned?X-Amz-Signature=abc`;
});
after(() => server.close());

const event = (over: Partial<CustomResourceEvent> = {}): CustomResourceEvent => ({
  RequestType: 'Create',
  ResponseURL: url,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/edge-forwarder-ci/1',
  RequestId: 'req-1',
  LogicalResourceId: 'KafkaTopics',
  ResourceType: 'Custom::KafkaTopics',
  ResourceProperties: { ServiceToken: 'arn:...', TopicPrefix: 'edge.ci.', Partitions: '3', MskServerless: 'false' },
  ...over,
});
const context = (remainingMs = 60_000) => ({ getRemainingTimeInMillis: () => remainingMs, logStreamName: 'stream-1' }) as never;

function fakeAdmin(opts: { brokers?: number; fail?: string } = {}) {
  const ensured: TopicSpec[][] = [];
  const admin: TopicAdmin & { disconnected: boolean } = {
    disconnected: false,
    async brokerCount() {
      if (opts.fail) throw new Error(opts.fail);
      return opts.brokers ?? 3;
    },
    async ensureTopics(specs) {
      ensured.push([...specs]);
      return specs.map((s) => ({ topic: s.name, action: 'created' as const }));
    },
    async disconnect() {
      admin.disconnected = true;
    },
  };
  return { admin, ensured };
}
const env = { KAFKA_BROKERS: '127.0.0.1:1', TOPIC_PREFIX: 'edge.ci.', LOG_LEVEL: 'error' };

test('Create: provisions the tier topics and PUTs SUCCESS with the topic names', async () => {
  received = [];
  const { admin, ensured } = fakeAdmin();
  const handler = provisionFunction(env, { admin: () => admin });
  const res = (await handler(event(), context())) as CustomResourceResponse;
  assert.equal(received.length, 1);
  const [r] = received;
  assert.equal(r!.method, 'PUT');
  assert.equal(r!.headers['content-type'], '', 'empty content type, as the pre-signed URL expects');
  assert.equal(r!.body.Status, 'SUCCESS');
  assert.equal(r!.body.PhysicalResourceId, 'kafka-topics:edge.ci.');
  assert.equal(r!.body.RequestId, 'req-1');
  assert.equal(r!.body.LogicalResourceId, 'KafkaTopics');
  assert.equal(r!.body.Data.Topics, 'edge.ci.logs,edge.ci.realtime,edge.ci.critical');
  assert.deepEqual(res, r!.body);
  assert.deepEqual(ensured[0]!.map((s) => [s.name, s.partitions, s.replicationFactor]), [
    ['edge.ci.logs', 3, 2],
    ['edge.ci.realtime', 3, 2],
    ['edge.ci.critical', 3, 3],
  ]);
  assert.equal(ensured[0]![2]!.configs['min.insync.replicas'], '2');
  assert.ok(admin.disconnected);
});

test('MSK Serverless: cluster-default replication and only the configs MSK Serverless accepts', async () => {
  received = [];
  const { admin, ensured } = fakeAdmin();
  const handler = provisionFunction(env, { admin: () => admin });
  await handler(event({ ResourceProperties: { TopicPrefix: 'edge.ci.', MskServerless: 'true' } }), context());
  assert.equal(received[0]!.body.Status, 'SUCCESS');
  const critical = ensured[0]!.find((s) => s.name === 'edge.ci.critical')!;
  assert.equal(critical.replicationFactor, -1);
  assert.deepEqual(Object.keys(critical.configs).sort(), ['cleanup.policy', 'message.timestamp.difference.max.ms', 'retention.bytes', 'retention.ms']);
});

test('a broker error becomes FAILED with the reason, not a hanging stack', async () => {
  received = [];
  const { admin } = fakeAdmin({ fail: 'Connection error: ECONNREFUSED' });
  const handler = provisionFunction(env, { admin: () => admin });
  const res = (await handler(event({ RequestType: 'Update', PhysicalResourceId: 'kafka-topics:edge.ci.' }), context())) as CustomResourceResponse;
  assert.equal(res.Status, 'FAILED');
  assert.match(received[0]!.body.Reason, /ECONNREFUSED.*stream-1/);
  assert.equal(received[0]!.body.PhysicalResourceId, 'kafka-topics:edge.ci.', 'an Update keeps its physical id');
});

test('a configuration error (no brokers, no cluster ARN) also answers FAILED', async () => {
  received = [];
  const handler = provisionFunction({ TOPIC_PREFIX: 'edge.ci.' });
  const res = (await handler(event(), context())) as CustomResourceResponse;
  assert.equal(res.Status, 'FAILED');
  assert.match(received[0]!.body.Reason, /KAFKA_BROKERS|MSK_CLUSTER_ARN/);
});

test('a TopicPrefix that differs from the function environment is refused', async () => {
  received = [];
  const { admin, ensured } = fakeAdmin();
  const handler = provisionFunction(env, { admin: () => admin });
  await handler(event({ ResourceProperties: { TopicPrefix: 'other.' } }), context());
  assert.equal(received[0]!.body.Status, 'FAILED');
  assert.equal(ensured.length, 0);
});

test('Delete answers SUCCESS without touching the cluster (topics hold data)', async () => {
  received = [];
  const handler = provisionFunction({}, { admin: () => assert.fail('no admin on Delete') });
  const res = (await handler(event({ RequestType: 'Delete', PhysicalResourceId: 'kafka-topics:edge.ci.' }), context())) as CustomResourceResponse;
  assert.equal(res.Status, 'SUCCESS');
  assert.equal(received[0]!.body.PhysicalResourceId, 'kafka-topics:edge.ci.');
});

test('work that outlives the Lambda budget is answered FAILED before the deadline', async () => {
  received = [];
  const t0 = Date.now();
  const res = await runCustomResource(event(), {
    work: () => new Promise(() => undefined),
    context: context(5_300),
    responseMarginMs: 5_000,
  });
  assert.ok(Date.now() - t0 < 2_000);
  assert.equal(res.Status, 'FAILED');
  assert.match(res.Reason!, /no result within 300 ms/);
  assert.equal(received.length, 1);
});

test('the response PUT is retried when it fails', async () => {
  received = [];
  failNext = 1;
  const res = await runCustomResource(event(), { work: async () => ({ physicalResourceId: 'x' }) });
  assert.equal(res.Status, 'SUCCESS');
  assert.equal(received.length, 1);
});

test('direct invocation (no ResponseURL) returns the provisioning result', async () => {
  received = [];
  const { admin } = fakeAdmin({ brokers: 1 });
  const handler = provisionFunction(env, { admin: () => admin });
  const res = (await handler({ partitions: 2 })) as { results: unknown[]; warnings: string[] };
  assert.equal(res.results.length, 3);
  assert.ok(res.warnings.some((w) => /clamped/.test(w)));
  assert.equal(received.length, 0);
});
