/**
 * The per-record semantics under failure: critical records are resent with the same id and the
 * same bytes when the server said retry, answered 5xx, or the connection failed; best-effort
 * records are never sent twice; rejected records never again.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EventDeliveryError, type Rejection } from '../../../clients/node/src/index';
import { acceptAll, answerWith, clientOf, counts, idOf, startFakeServer, type Answer, type FakeServer, type Received } from './fake-server';

let server: FakeServer;
let from: number;
before(async () => (server = await startFakeServer()));
after(() => server.close());
beforeEach(() => {
  from = server.received.length;
  server.setResponder(acceptAll);
});

const mine = () => server.received.slice(from);
const linesOn = (route: string, pick: (r: Received) => boolean = () => true) => mine().filter((r) => r.path === route && pick(r)).flatMap((r) => r.lines);
const failed = new Set<number>();

/** The first `n` requests of each route get `answer`, then the server recovers. */
function firstPerRoute(n: number, answer: (r: Received) => Answer) {
  const seen = new Map<string, number>();
  return (r: Received): Answer => {
    const k = (seen.get(r.path) ?? 0) + 1;
    seen.set(r.path, k);
    if (k > n) return acceptAll(r);
    failed.add(r.n);
    return answer(r);
  };
}

const unavailable = (): Answer => ({ status: 503, body: { error: { code: 'unavailable', message: 'tenant configuration could not be loaded' } } });

describe('client under failures', { timeout: 30_000 }, () => {
  test('503 then recovery: no critical event lost, retried with the same ids and bytes; no best-effort record sent twice', async () => {
    server.setResponder(firstPerRoute(2, unavailable));
    const client = clientOf(server, { maxBatchBytes: 400 });
    const delivered: Promise<string>[] = [];
    for (let i = 0; i < 40; i++) {
      client.log({ log: i });
      client.heartbeat({ hb: i });
      delivered.push(client.event({ type: 'kill', i }).then((r) => r.id));
    }
    const ids = await Promise.all(delivered);
    assert.deepEqual(await client.close(), { complete: true, unsettled: 0 });

    assert.ok(mine().every((r) => r.auth.ok), 'every attempt freshly signed: no replay refusal');
    const accepted = new Set(linesOn('/v1/events', (r) => !failed.has(r.n)).map((l) => idOf(l)));
    assert.deepEqual(ids.filter((id) => !accepted.has(id)), [], 'every event id in a request the server took');
    const bytesById = new Map<string, Set<string>>();
    for (const l of linesOn('/v1/events')) bytesById.set(idOf(l)!, (bytesById.get(idOf(l)!) ?? new Set()).add(l));
    assert.ok([...bytesById.values()].every((v) => v.size === 1), 'a retry sends the same line');
    const refusedEvents = linesOn('/v1/events', (r) => failed.has(r.n));
    assert.ok(refusedEvents.length > 0);

    for (const route of ['/v1/logs', '/v1/heartbeats']) {
      const lines = linesOn(route);
      assert.deepEqual([...counts(lines)].filter(([, n]) => n > 1), [], `${route}: no record twice`);
      const refused = linesOn(route, (r) => failed.has(r.n));
      assert.ok(refused.length > 0, `${route}: some records hit the 503`);
      assert.equal(lines.length, 40, `${route}: the 503'd ones were not resent, the others all arrived`);
    }
    const s = client.stats();
    assert.deepEqual([s.routes.events.sent, s.routes.events.dropped, s.routes.events.retried], [40, 0, refusedEvents.length]);
    for (const route of ['logs', 'heartbeats'] as const) {
      const c = s.routes[route];
      assert.deepEqual([c.retried, c.sent + c.droppedBy.sendFailed, c.droppedBy.sendFailed], [0, 40, linesOn(`/v1/${route}`, (r) => failed.has(r.n)).length]);
    }
  });

  test('207 with some `retry`: exactly those records are resent, with their ids; the persisted ones are not', async () => {
    server.setResponder(firstPerRoute(1, (r) => answerWith(r, (_, i) => (i % 2 ? 'retry' : 'persisted'))));
    const client = clientOf(server, { lingerMs: 20 });
    const receipts = await Promise.all(Array.from({ length: 10 }, (_, i) => client.event({ id: `ev-${i}`, i })));
    await client.close();
    assert.deepEqual(receipts.map((r) => r.id), Array.from({ length: 10 }, (_, i) => `ev-${i}`));
    const perId = counts(linesOn('/v1/events').map((l) => idOf(l)!));
    assert.deepEqual(Array.from({ length: 10 }, (_, i) => perId.get(`ev-${i}`)), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    assert.equal(client.stats().retried, 5);
  });

  test('connection cut after the server read the request: events resent (the server dedupes by id), logs not', async () => {
    server.setResponder(firstPerRoute(1, () => 'cut'));
    const client = clientOf(server);
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => client.event({ i }).then((r) => r.id)));
    for (let i = 0; i < 5; i++) client.log(`cut-${i}`);
    await client.close();
    const perId = counts(linesOn('/v1/events').map((l) => idOf(l)!));
    assert.ok(ids.every((id) => (perId.get(id) ?? 0) >= 1));
    assert.ok(linesOn('/v1/events', (r) => failed.has(r.n)).every((l) => perId.get(idOf(l)!) === 2), 'cut ones sent again');
    assert.deepEqual([...counts(linesOn('/v1/logs')).values()].filter((n) => n > 1), []);
    const logs = client.stats().routes.logs;
    assert.equal(logs.droppedBy.sendFailed, linesOn('/v1/logs', (r) => failed.has(r.n)).length);
    assert.ok(logs.droppedBy.sendFailed > 0);
  });

  test('no answer within requestTimeoutMs counts as a network error: the event is resent', async () => {
    server.setResponder(firstPerRoute(1, () => 'hold'));
    const client = clientOf(server, { requestTimeoutMs: 100 });
    const { id } = await client.event({ slow: true });
    await client.close();
    server.release();
    assert.equal(counts(linesOn('/v1/events').map((l) => idOf(l)!)).get(id), 2);
    assert.equal(client.stats().retried, 1);
  });

  test('retry.maxAttempts: after that many sends the event is given up, its promise rejected', async () => {
    server.setResponder((r) => (r.path === '/v1/events' ? unavailable() : acceptAll(r)));
    const client = clientOf(server, { retry: { initialMs: 1, maxMs: 5, maxAttempts: 3 } });
    const outcome = await client.event({ id: 'doomed' }).catch((e: unknown) => e);
    await client.close();
    assert.ok(outcome instanceof EventDeliveryError);
    assert.deepEqual([outcome.code, outcome.id], ['gave_up', 'doomed']);
    assert.match(outcome.reason, /3 sends; last: HTTP 503: tenant configuration could not be loaded/);
    assert.equal(linesOn('/v1/events').length, 3);
    const s = client.stats().routes.events;
    assert.deepEqual([s.sent, s.retried, s.dropped, s.droppedBy.gaveUp], [0, 2, 1, 1]);
  });

  test('rejected records: onRejected with the reason, the event promise rejected, never resent', async () => {
    server.setResponder((r) =>
      r.path === '/v1/logs' ? { status: 400, body: { error: { code: 'malformed_body', message: 'nope' } } } : answerWith(r, (l) => (idOf(l) === 'bad' ? 'rejected' : 'persisted')),
    );
    const rejections: Rejection[] = [];
    const client = clientOf(server, { lingerMs: 20, onRejected: (r) => void rejections.push(r) });
    const [good, bad] = await Promise.allSettled([client.event({ id: 'good' }), client.event({ id: 'bad', x: 1 })]);
    client.log('refused line');
    await client.close();
    assert.equal(good.status, 'fulfilled');
    assert.ok(bad.status === 'rejected' && bad.reason instanceof EventDeliveryError && bad.reason.code === 'rejected');
    assert.deepEqual(rejections, [
      { route: 'events', id: 'bad', record: '{"id":"bad","x":1}', reason: 'record 1: bad', code: 'bad_record', httpStatus: 207 },
      { route: 'logs', record: '"refused line"', reason: 'HTTP 400: nope', code: 'malformed_body', httpStatus: 400 },
    ]);
    assert.equal(linesOn('/v1/events').length, 2);
    assert.deepEqual([client.stats().rejected, client.stats().retried], [2, 0]);
  });

  test('wrong credentials (401) reject the batch and are not retried', async () => {
    const client = clientOf(server, { auth: { hmac: { tenant: 'acme', keyId: 'k2', secret: 'not-the-secret-not-the-secret-xx' } } });
    const outcome = await client.event({ n: 1 }).catch((e: unknown) => e);
    await client.close();
    assert.ok(outcome instanceof EventDeliveryError && outcome.code === 'rejected');
    assert.match(outcome.reason, /HTTP 401: bad signature/);
    assert.equal(mine().length, 1);
  });
});
