/**
 * The game-server client (clients/node) against the real ingest functions behind the local HTTP
 * bridge (what `npm start` serves), a real broker and DynamoDB Local, counted with kcat. In front
 * of the bridge, a proxy answers 503 to the first requests and then recovers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createClient } from '../../clients/node/src';
import { createHttpBridge } from '../../tools/local-functions/http-bridge';
import { criticalEnv, newOutboxTable, sharedDynamo } from '../helpers/critical';
import { criticalFunction, heartbeatsFunction, logsFunction } from '../helpers/functions';
import { consumeAll, duplicateIds } from '../helpers/kcat';
import { provision, sharedKafka, uniquePrefix } from '../helpers/stack';
import { SECRETS, tenantsFile } from '../helpers/tenants';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

let brokers: string[];
let prefix: string;
let endpoint: string;
let refuseNext = 0;

const listen = (server: http.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

before(async () => {
  brokers = (await sharedKafka()).brokers;
  const ddb = await sharedDynamo();
  prefix = uniquePrefix('client');
  await provision(brokers, prefix, 1);
  const table = await newOutboxTable(ddb.endpoint, 'client');
  const env = criticalEnv(brokers, prefix, ddb.endpoint, table, { AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile() });
  const fns = [logsFunction(env), heartbeatsFunction(env), criticalFunction(env)];
  for (const f of fns) cleanup.push(f.deps.close);
  const [logs, heartbeats, critical] = fns.map((f) => f.handler);
  const bridge = createHttpBridge({
    routes: {
      '/v1/logs': { functionName: 'ingest-logs', handler: logs! },
      '/v1/heartbeats': { functionName: 'ingest-heartbeats', handler: heartbeats! },
      '/v1/events': { functionName: 'ingest-critical', handler: critical! },
    },
    health: () => ({}),
    timeoutMs: 10_000,
    onError: (route, err) => process.stderr.write(`bridge ${route}: ${err}\n`),
  });
  const bridgePort = await listen(bridge.server);
  cleanup.push(() => new Promise((r) => bridge.server.close(r)));
  // The flaky front: 503 without forwarding while refuseNext > 0, then a plain forwarder.
  const front = http.createServer((req, res) => {
    if (refuseNext > 0) {
      refuseNext--;
      req.resume();
      return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Service Unavailable"}');
    }
    const upstream = http.request({ host: '127.0.0.1', port: bridgePort, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  cleanup.push(() => new Promise((r) => front.close(r)));
  endpoint = `http://127.0.0.1:${await listen(front)}`;
});

test('signed batches of logs, heartbeats and events land in their topics, each record once', async () => {
  const client = createClient({ endpoint, auth: { hmac: { tenant: 'acme', keyId: 'k2', secret: SECRETS.acmeHmac } } });
  for (let i = 0; i < 50; i++) client.log({ msg: `log ${i}` });
  for (let i = 0; i < 20; i++) client.heartbeat({ serverId: `srv-${i % 4}`, players: i });
  const receipts = await Promise.all(Array.from({ length: 30 }, (_, i) => client.event({ type: 'kill', n: i })));
  await client.close();
  const stats = client.stats();
  assert.deepEqual([stats.sent, stats.dropped, stats.rejected], [100, 0, 0], JSON.stringify(stats));
  const [logs, heartbeats, events] = await Promise.all(['logs', 'realtime', 'critical'].map((t) => consumeAll(brokers, `${prefix}${t}`)));
  assert.equal(logs!.length, 50);
  assert.equal(heartbeats!.length, 20);
  assert.deepEqual(new Set(events!.map((m) => m.headers['ef-event-id'])), new Set(receipts.map((r) => r.id)));
  assert.ok(events!.every((m) => m.headers['ef-tenant'] === 'acme'));
});

test('503 then recovery: no critical event lost, retried with the same ids; no best-effort record sent twice', async () => {
  const client = createClient({ endpoint, auth: { hmac: { tenant: 'acme', keyId: 'k2', secret: SECRETS.acmeHmac } }, retry: { initialMs: 20, maxMs: 200 } });
  const before = await Promise.all(['logs', 'critical'].map((t) => consumeAll(brokers, `${prefix}${t}`)));
  refuseNext = 4;
  for (let i = 0; i < 40; i++) client.log({ msg: `flaky log ${i}` });
  const receipts = await Promise.all(Array.from({ length: 25 }, (_, i) => client.event({ type: 'purchase', n: i })));
  await client.close();
  const stats = client.stats();
  assert.equal(refuseNext, 0, 'the front refused its share of requests');
  assert.ok(stats.retried > 0, 'critical records were retried');
  const [logs, events] = await Promise.all(['logs', 'critical'].map((t) => consumeAll(brokers, `${prefix}${t}`)));
  const newEvents = events!.slice(before[1]!.length);
  const newIds = new Set(newEvents.map((m) => m.headers['ef-event-id']));
  for (const r of receipts) assert.ok(newIds.has(r.id), `event ${r.id} arrived`);
  assert.equal(newEvents.length, receipts.length, 'each event once: a refused request never reached the function');
  const newLogs = logs!.slice(before[0]!.length);
  assert.equal(duplicateIds(newLogs).size, 0, 'no best-effort record twice');
  assert.equal(newLogs.length, stats.routes.logs.sent, 'what the client counts as sent is what arrived');
  assert.equal(stats.routes.logs.sent + stats.routes.logs.dropped, 40);
});
