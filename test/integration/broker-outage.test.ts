/**
 * A broker that is really stopped, and one that accepts connections but never answers:
 * best-effort invocations return within their budget, never throw, count drops, and
 * nothing sent before the outage is ever sent again.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import type { IngestBase, IngestHandler } from '../../lib/handlers/ingest';
import { logsFunction } from '../helpers/functions';
import { httpEvent, lambdaContext } from '../helpers/events';
import { consumeAll, duplicateIds } from '../helpers/kcat';
import { functionEnv, lineCollector, provision, uniquePrefix } from '../helpers/stack';

const statuses = (res: APIGatewayProxyStructuredResultV2) =>
  (JSON.parse(res.body as string) as { results: { status: string }[] }).results.map((r) => r.status);
const batch = (label: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${label}-${i}`, msg: `${label} ${i}` }));

/** Budget slack for timer granularity and a loaded 2-core CI machine; the bound itself is the invariant. */
const SLACK_MS = 1_500;

let kafka: LocalKafka;
let prefix: string;
let handler: IngestHandler;
let handlerDeps: IngestBase | undefined;
const telemetry = lineCollector();

before(async () => {
  kafka = await startLocalKafka({ name: 'outage', basePort: 19510, log: () => undefined });
  prefix = uniquePrefix('outage');
  await provision(kafka.brokers, prefix, 1);
  ({ handler, deps: handlerDeps } = logsFunction(functionEnv(kafka.brokers, prefix), { lineSink: telemetry.sink }));
});

after(async () => {
  await handlerDeps?.close();
  await kafka?.stop();
});

test('broker stopped: within budget, no throw, drops counted; after recovery no record appears twice', async () => {
  const send = (records: object[], remainingMs = 10_000) =>
    handler(httpEvent({ path: '/v1/logs', body: records, contentType: 'application/json' }), lambdaContext({ remainingMs }));

  const before = await send(batch('before', 50));
  assert.deepEqual(new Set(statuses(before)), new Set(['forwarded']));

  await kafka.stopBroker(0);
  assert.equal(await kafka.isUp(0), false);
  const budget = 3_000;
  const started = Date.now();
  const during = await send(batch('during', 50), budget);
  const elapsed = Date.now() - started;
  assert.equal(during.statusCode, 200, 'a best-effort invocation never fails because the broker is down');
  assert.deepEqual(new Set(statuses(during)), new Set(['dropped']));
  assert.ok(elapsed <= budget + SLACK_MS, `returned after ${elapsed} ms with a ${budget} ms budget`);
  assert.equal(telemetry.metric('logs', 'Dropped'), 50);

  await kafka.startBroker(0);
  const afterOutage = await send(batch('after', 50));
  assert.deepEqual(new Set(statuses(afterOutage)), new Set(['forwarded']));

  const arrived = await consumeAll(kafka.brokers, `${prefix}logs`);
  const ids = arrived.map((m) => m.headers['ef-event-id']!);
  assert.equal(duplicateIds(arrived).size, 0, 'nothing appears twice');
  assert.equal(ids.filter((id) => id.startsWith('before-')).length, 50);
  assert.equal(ids.filter((id) => id.startsWith('after-')).length, 50);
  assert.equal(ids.filter((id) => id.startsWith('during-')).length, 0, 'dropped records were never written');
});

test('a broker that accepts connections but never answers cannot hold an invocation past its budget', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s)); // accepts, reads nothing, answers nothing
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const { handler: stuck, deps: stuckDeps } = logsFunction(functionEnv([`127.0.0.1:${port}`], prefix), {
    lineSink: () => undefined,
  });
  try {
    for (const budget of [1_500, 2_500]) {
      const started = Date.now();
      const res = await stuck(httpEvent({ path: '/v1/logs', body: batch('silent', 10), contentType: 'application/json' }), lambdaContext({ remainingMs: budget }));
      const elapsed = Date.now() - started;
      assert.equal(res.statusCode, 200);
      assert.deepEqual(new Set(statuses(res)), new Set(['dropped']));
      assert.ok(elapsed <= budget + SLACK_MS, `returned after ${elapsed} ms with a ${budget} ms budget`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
    void stuckDeps.close();
  }
});
