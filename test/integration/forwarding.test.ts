/**
 * Fire-and-forget forwarding against a real Kafka broker, checked by an independent consumer (kcat).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGzip } from 'node:zlib';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { IngestBase, IngestHandler } from '../../lib/handlers/ingest';
import { logsFunction } from '../helpers/functions';
import { cloudWatchLogsEvent, gzip, httpEvent, lambdaContext, ndjson } from '../helpers/events';
import { consumeAll, duplicateIds } from '../helpers/kcat';
import { functionEnv, lineCollector, provision, sharedKafka, uniquePrefix } from '../helpers/stack';

type Body = { accepted: number; rejected: number; forwarded: number; dropped: number; results: { index: number; status: string; id?: string; reason?: string }[] };
const bodyOf = (res: APIGatewayProxyStructuredResultV2) => JSON.parse(res.body as string) as Body;

/** A gzip stream of `mb` megabytes of spaces, compressed chunk by chunk. */
async function gzipBomb(mb: number): Promise<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const z = createGzip({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((resolve) => z.on('end', resolve));
  for (let i = 0; i < mb; i++) if (!z.write(chunk)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  return Buffer.concat(out);
}

let brokers: string[];
let prefix: string;
let logs: IngestHandler;
let logsDeps: IngestBase | undefined;
const telemetry = lineCollector();

before(async () => {
  brokers = (await sharedKafka()).brokers;
  prefix = uniquePrefix('fwd');
  await provision(brokers, prefix);
  ({ handler: logs, deps: logsDeps } = logsFunction(functionEnv(brokers, prefix), { lineSink: telemetry.sink }));
});

after(async () => {
  await logsDeps?.close();
});

describe('HTTP → Kafka', () => {
  test('a mixed batch lands in the right topics with the right keys and headers', async () => {
    const records = [
      'plain log line',
      { id: 'evt-a', type: 'error', key: 'server-1', msg: 'boom' },
      { tier: 'realtime', key: 'player-9', hp: 80 },
      { tier: 'critical', type: 'kill', killer: 'p1' }, // not accepted on the logs endpoint
      { key: 'server-2', msg: 'second' },
    ];
    const res = await logs(httpEvent({ path: '/v1/logs', body: records, contentType: 'application/json' }), lambdaContext({ remainingMs: 5000 }));
    assert.equal(res.statusCode, 207);
    const body = bodyOf(res);
    assert.deepEqual(body.results.map((r) => r.status), ['forwarded', 'forwarded', 'forwarded', 'rejected', 'forwarded']);
    assert.match(body.results[3]!.reason!, /tier "critical" is not accepted/);

    const logTopic = await consumeAll(brokers, `${prefix}logs`);
    const rtTopic = await consumeAll(brokers, `${prefix}realtime`);
    const critTopic = await consumeAll(brokers, `${prefix}critical`);
    assert.equal(logTopic.length, 3);
    assert.equal(rtTopic.length, 1);
    assert.equal(critTopic.length, 0, 'a rejected record must never reach Kafka');

    const byId = new Map(logTopic.map((m) => [m.headers['ef-event-id'], m]));
    const a = byId.get('evt-a')!;
    assert.equal(a.key, 'server-1');
    assert.deepEqual(JSON.parse(a.value!), records[1]);
    assert.equal(a.headers['ef-source'], 'http');
    assert.equal(a.headers['ef-tenant'], 'studio-test');
    assert.deepEqual(Object.keys(a.headers).sort(), ['ef-event-id', 'ef-producer', 'ef-seq', 'ef-source', 'ef-tenant']);
    assert.equal(a.headers['ef-producer'], logsDeps!.kafka.producer('best-effort').instanceId);
    const plain = byId.get(body.results[0]!.id!)!;
    assert.equal(plain.value, 'plain log line');
    assert.equal(plain.key, null);
    assert.deepEqual(logTopic.map((m) => Number(m.headers['ef-seq'])).sort(), [0, 1, 2]);
    assert.equal(rtTopic[0]!.key, 'player-9');
    assert.equal(rtTopic[0]!.headers['ef-event-id'], body.results[2]!.id);
    assert.equal(telemetry.metric('logs', 'Forwarded') >= 3, true);
    assert.equal(telemetry.metric('critical', 'Rejected') >= 1, true);
  });

  test('one malformed NDJSON line among 1,000: rejected with its index, the other 999 arrive', async () => {
    const p = uniquePrefix('ndjson');
    await provision(brokers, p);
    const { handler, deps: handlerDeps } = logsFunction(functionEnv(brokers, p));
    try {
      const lines = Array.from({ length: 1000 }, (_, i) => (i === 417 ? '{"msg": broken' : JSON.stringify({ n: i, msg: 'x'.repeat(150) })));
      const res = await handler(httpEvent({ path: '/v1/logs', body: ndjson(lines), contentType: 'application/x-ndjson' }), lambdaContext());
      assert.equal(res.statusCode, 207);
      const body = bodyOf(res);
      assert.equal(body.forwarded, 999);
      assert.equal(body.rejected, 1);
      assert.equal(body.results[417]!.status, 'rejected');
      assert.match(body.results[417]!.reason!, /417/);
      const arrived = await consumeAll(brokers, `${p}logs`);
      assert.equal(arrived.length, 999);
      const ns = new Set(arrived.map((m) => JSON.parse(m.value!).n as number));
      assert.equal(ns.has(417), false);
      assert.equal(ns.size, 999);
    } finally {
      await handlerDeps.close();
    }
  });

  test('gzip bodies are accepted; a gzip bomb and an oversized body are refused with 413', async () => {
    const ok = await logs(httpEvent({ path: '/v1/logs', body: gzip(Buffer.from(ndjson(['{"z":1}', '{"z":2}']))), contentType: 'application/x-ndjson', headers: { 'content-encoding': 'gzip' } }), lambdaContext());
    assert.equal(ok.statusCode, 200);
    assert.equal(bodyOf(ok).forwarded, 2);

    const bomb = await gzipBomb(256); // 256 MB of spaces, ~250 KB compressed, built without holding 256 MB
    const peakBefore = process.resourceUsage().maxRSS;
    const refused = await logs(httpEvent({ path: '/v1/logs', body: bomb, contentType: 'application/x-ndjson', headers: { 'content-encoding': 'gzip' } }), lambdaContext());
    assert.equal(refused.statusCode, 413);
    assert.match(refused.body as string, /decoded_too_large/);
    const peakGrewMb = (process.resourceUsage().maxRSS - peakBefore) / 1024;
    assert.ok(peakGrewMb < 128, `decoding a 256 MB bomb must stay near the 6 MB cap; peak RSS grew ${peakGrewMb.toFixed(0)} MB`);

    const huge = Buffer.alloc(6 * 1024 * 1024 + 1, 0x61);
    const tooBig = await logs(httpEvent({ path: '/v1/logs', body: huge, contentType: 'text/plain' }), lambdaContext());
    assert.equal(tooBig.statusCode, 413);
    assert.match(tooBig.body as string, /body_too_large/);
  });

  test('unknown routes, wrong methods and content types get 404 / 405 / 415', async () => {
    assert.equal((await logs(httpEvent({ path: '/v1/nope', body: ['x'] }), lambdaContext())).statusCode, 404);
    assert.equal((await logs(httpEvent({ method: 'GET', path: '/v1/logs', body: ['x'] }), lambdaContext())).statusCode, 405);
    assert.equal((await logs(httpEvent({ path: '/v1/logs', body: '<xml/>', contentType: 'application/xml' }), lambdaContext())).statusCode, 415);
  });

  test('the producer connection is reused across invocations', async () => {
    const producer = logsDeps!.kafka.producer('best-effort');
    const before = producer.connects();
    for (let i = 0; i < 20; i++) {
      const res = await logs(httpEvent({ path: '/v1/logs', body: [`line ${i}`], contentType: 'application/json' }), lambdaContext());
      assert.equal(res.statusCode, 200);
    }
    assert.ok(before <= 1);
    assert.equal(producer.connects(), 1, 'twenty invocations, one connect');
  });
});

describe('CloudWatch Logs subscription → Kafka', () => {
  test('log events land in the logs topic keyed by group and stream; CONTROL_MESSAGE is ignored', async () => {
    const p = uniquePrefix('cwl');
    await provision(brokers, p);
    const { handler, deps: handlerDeps } = logsFunction(functionEnv(brokers, p));
    try {
      await handler(cloudWatchLogsEvent({ control: true, messages: [] }), lambdaContext());
      await handler(
        cloudWatchLogsEvent({ logGroup: '/aws/lambda/game', logStream: '2026/11/22/[$LATEST]abc', messages: ['start', 'kill p1 p2', 'end'] }),
        lambdaContext(),
      );
      const arrived = await consumeAll(brokers, `${p}logs`);
      assert.equal(arrived.length, 3);
      const values = arrived.map((m) => JSON.parse(m.value!) as { message: string; logGroup: string });
      assert.deepEqual(values.map((v) => v.message).sort(), ['end', 'kill p1 p2', 'start']);
      assert.ok(values.every((v) => v.logGroup === '/aws/lambda/game'));
      assert.ok(arrived.every((m) => m.key!.includes('/aws/lambda/game') && m.key!.includes('[$LATEST]abc')));
      assert.ok(arrived.every((m) => m.headers['ef-source'] === 'cloudwatch-logs'));
      assert.equal(duplicateIds(arrived).size, 0);
    } finally {
      await handlerDeps.close();
    }
  });
});
