/**
 * The Node client (clients/node) against the real handlers npm start serves: the functions built
 * by tools/local-functions behind its HTTP bridge, the shared test broker and DynamoDB Local,
 * the committed dev tenant, and kcat counting what arrived. A small HTTP proxy in front answers
 * 503 for the first requests of each route, or forwards a request and then cuts the answer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type ClientOptions, type EdgeForwarderClient, type EventReceipt } from '../../clients/node/src/index';
import { INGEST_ROUTES } from '../../lib/domain/routes';
import { createLocalFunctions, FUNCTION_NAMES, type LocalFunctions } from '../../tools/local-functions/functions';
import { createHttpBridge } from '../../tools/local-functions/http-bridge';
import { criticalEnv, drain, newOutboxTable, sharedDynamo } from '../helpers/critical';
import { consumeAll, type ConsumedMessage } from '../helpers/kcat';
import { provision, sharedKafka, uniquePrefix } from '../helpers/stack';

// The dev tenant of config/tenants.local.json (public, local-only keys; README "Security").
const DEV_TENANTS = `file:${path.join(__dirname, '..', '..', 'config', 'tenants.local.json')}`;
const DEV_HMAC = { tenant: 'dev', keyId: 'dev-1', secret: 'dev-only-hmac-secret-not-for-production' };
const DEV_API_KEY = 'dev-only-api-key-not-a-secret';

type Fault = '503' | 'cut';

let brokers: string[];
let prefix: string;
let fns: LocalFunctions;
let bridge: http.Server;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
const clients: EdgeForwarderClient[] = [];

before(async () => {
  brokers = (await sharedKafka()).brokers;
  const dynamo = await sharedDynamo();
  prefix = uniquePrefix('client');
  await provision(brokers, prefix, 3);
  const table = await newOutboxTable(dynamo.endpoint, 'client');
  fns = createLocalFunctions(criticalEnv(brokers, prefix, dynamo.endpoint, table, { AUTH_MODE: 'required', TENANTS_SOURCE: DEV_TENANTS }), () => undefined);
  bridge = createHttpBridge({
    routes: {
      [INGEST_ROUTES['ingest-logs'].path]: { functionName: FUNCTION_NAMES.logs, handler: fns.logs },
      [INGEST_ROUTES['ingest-heartbeats'].path]: { functionName: FUNCTION_NAMES.heartbeats, handler: fns.heartbeats },
      [INGEST_ROUTES['ingest-critical'].path]: { functionName: FUNCTION_NAMES.critical, handler: fns.critical },
    },
    health: () => ({}),
    timeoutMs: 10_000,
    onError: (route, err) => console.error(`handler failed on ${route}:`, err),
  }).server;
  bridge.listen(0, '127.0.0.1');
  await once(bridge, 'listening');
  proxy = await startFaultProxy((bridge.address() as AddressInfo).port);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 1_000 })));
  for (const server of [proxy?.server, bridge]) {
    server?.closeAllConnections();
    server?.close();
  }
  await fns?.close();
});

function client(options: Partial<ClientOptions> = {}): EdgeForwarderClient {
  const c = createClient({ endpoint: proxy.url, auth: { hmac: DEV_HMAC }, retry: { initialMs: 20, maxMs: 500 }, ...options });
  clients.push(c);
  return c;
}

/** The records of one test run in one tier topic, with how often each arrived. */
async function arrivals(tier: 'logs' | 'realtime' | 'critical', run: string): Promise<{ messages: ConsumedMessage[]; perKey: Map<string, number> }> {
  const messages = (await consumeAll(brokers, `${prefix}${tier}`)).filter((m) => (JSON.parse(m.value ?? 'null') as { run?: string } | null)?.run === run);
  const perKey = new Map<string, number>();
  for (const m of messages) {
    const key = tier === 'critical' ? m.headers['ef-event-id']! : m.value!;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  return { messages, perKey };
}

const twice = (perKey: Map<string, number>) => [...perKey].filter(([, n]) => n > 1);

/** Submits `n` logs, heartbeats and `n / 2` events of `run`; resolves with the receipts once every event promise settled. */
async function traffic(c: EdgeForwarderClient, run: string, n: number): Promise<EventReceipt[]> {
  const events: Promise<EventReceipt>[] = [];
  for (let i = 0; i < n; i++) {
    c.log({ run, log: i });
    c.heartbeat({ run, hb: i, server: 'gs-1' });
    if (i % 2 === 0) events.push(c.event({ run, type: 'kill', key: `match-${i % 3}`, i }));
  }
  return Promise.all(events);
}

const idsOf = (receipts: readonly EventReceipt[]) => receipts.map((r) => r.id);

describe('the Node client against the local stack', () => {
  test('healthy: every record lands once in its tier topic as the dev tenant, events under the client ids', async () => {
    const c = client({ gzipAboveBytes: 1_024, maxBatchBytes: 8_192 });
    const ids = idsOf(await traffic(c, 'healthy', 300));
    assert.ok(c.log({ run: 'healthy', log: 'via hmac' }));
    const keyed = client({ auth: { apiKey: DEV_API_KEY } });
    keyed.log({ run: 'healthy', log: 'via api key' });
    assert.deepEqual(await c.close(), { complete: true, unsettled: 0 });
    assert.deepEqual(await keyed.close(), { complete: true, unsettled: 0 });
    await drain(fns.relay);

    const [logs, realtime, critical] = await Promise.all([arrivals('logs', 'healthy'), arrivals('realtime', 'healthy'), arrivals('critical', 'healthy')]);
    assert.equal(logs.perKey.size, 302);
    assert.equal(realtime.perKey.size, 300);
    assert.deepEqual([...critical.perKey.keys()].sort(), [...ids].sort());
    assert.deepEqual([twice(logs.perKey), twice(realtime.perKey), twice(critical.perKey)], [[], [], []]);
    assert.ok([...logs.messages, ...realtime.messages, ...critical.messages].every((m) => m.headers['ef-tenant'] === 'dev'));
    const s = c.stats();
    assert.deepEqual([s.submitted, s.sent, s.dropped, s.rejected, s.retried], [751, 751, 0, 0, 0]);
  });

  test('503 for the first requests of each route, then recovery: no critical event lost, no best-effort record sent twice', async () => {
    proxy.failFirst('503', 3);
    const c = client({ maxBatchBytes: 2_048 });
    const ids = idsOf(await traffic(c, 'outage', 200));
    assert.deepEqual(await c.close(), { complete: true, unsettled: 0 });
    await drain(fns.relay);

    const critical = await arrivals('critical', 'outage');
    assert.deepEqual(ids.filter((id) => !critical.perKey.has(id)), [], 'every event delivered');
    assert.deepEqual(twice(critical.perKey), [], 'the 503s never reached the handler: nothing to duplicate');
    const s = c.stats();
    assert.ok(s.routes.events.retried > 0, 'events were retried');
    assert.equal(s.routes.events.sent, ids.length);
    for (const [tier, route] of [['logs', 'logs'], ['realtime', 'heartbeats']] as const) {
      const { perKey } = await arrivals(tier, 'outage');
      const counters = s.routes[route];
      assert.deepEqual(twice(perKey), [], `${tier}: nothing twice`);
      assert.ok(counters.droppedBy.sendFailed > 0, `${route}: the outage cost records`);
      assert.deepEqual([counters.retried, counters.sent + counters.droppedBy.sendFailed, perKey.size], [0, 200, counters.sent]);
    }
    assert.equal(proxy.faults, 9);
  });

  test('answer lost after the handlers took the request: events resent with the same ids are stored once; logs are not resent', async () => {
    proxy.failFirst('cut', 1);
    const c = client();
    const receipts = await traffic(c, 'lost-answer', 40);
    const ids = idsOf(receipts);
    assert.deepEqual(await c.close(), { complete: true, unsettled: 0 });
    await drain(fns.relay);

    const critical = await arrivals('critical', 'lost-answer');
    assert.deepEqual([...critical.perKey.keys()].sort(), [...ids].sort());
    assert.deepEqual(twice(critical.perKey), [], 'the retry was recognised by its event id');
    const s = c.stats();
    const resent = receipts.filter((r) => r.status === 'persisted');
    assert.ok(s.routes.events.retried > 0);
    // A retry of a delivered id is answered `persisted` ("duplicate event id"); first sends on a healthy stack are `forwarded`.
    assert.equal(resent.length, s.routes.events.retried);
    const logs = await arrivals('logs', 'lost-answer');
    assert.deepEqual(twice(logs.perKey), []);
    // The handler wrote the cut batch; the client counted it as failed and did not send it again.
    assert.ok(s.routes.logs.droppedBy.sendFailed > 0);
    assert.equal(logs.perKey.size, 40);
  });
});

/**
 * An HTTP proxy to the bridge. failFirst(fault, n): the next n requests of each route get the
 * fault: '503' answers 503 without reaching the handler; 'cut' forwards, waits for the whole
 * answer, then destroys the client's connection instead of passing it on.
 */
async function startFaultProxy(targetPort: number) {
  let fault: Fault = '503';
  let budget = new Map<string, number>();
  let perRoute = 0;
  const state = { faults: 0 };
  const server = http.createServer((req, res) => {
    const route = req.url ?? '/';
    const used = budget.get(route) ?? 0;
    const faulty = used < perRoute;
    if (faulty) {
      budget.set(route, used + 1);
      state.faults++;
    }
    if (faulty && fault === '503') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unavailable', message: 'proxy: try again' } }));
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, path: route, method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        if (faulty) return void req.socket.destroy();
        res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get faults() {
      return state.faults;
    },
    failFirst(next: Fault, n: number) {
      fault = next;
      perRoute = n;
      budget = new Map();
      state.faults = 0;
    },
  };
}
