/** The bounded hold, flush() and close(): nothing blocks, nothing is held past close(), every record is counted once. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EventDeliveryError, type ClientStats } from '../../../clients/node/src/index';
import { acceptAll, clientOf, idOf, startFakeServer, type FakeServer } from './fake-server';

let server: FakeServer;
let from: number;
before(async () => (server = await startFakeServer()));
after(() => server.close());
beforeEach(() => {
  from = server.received.length;
  server.setResponder(acceptAll);
});

const linesOn = (route: string) => server.received.slice(from).filter((r) => r.path === route).flatMap((r) => r.lines);
/** Every submitted record is in exactly one place. */
const balanced = (s: ClientStats) => s.submitted === s.sent + s.rejected + s.dropped + s.queued;
const failure = (p: Promise<unknown>) => p.then(() => 'delivered', (e: unknown) => (e instanceof EventDeliveryError ? e.code : String(e)));

describe('bounded queue', { timeout: 30_000 }, () => {
  test('when full, best-effort records are dropped and counted; a critical event displaces the oldest of them, else is refused', async () => {
    const client = clientOf(server, { maxQueue: 3, lingerMs: 50 });
    assert.deepEqual(['a', 'b', 'c', 'd'].map((m) => client.log(m)), [true, true, true, false]);
    assert.equal(client.heartbeat({ hb: 1 }), false);
    const events = [client.event({ id: 'e1' }), client.event({ id: 'e2' }), client.event({ id: 'e3' }), client.event({ id: 'e4' })];
    assert.equal(client.stats().queued, 3);
    assert.deepEqual(await Promise.all(events.map(failure)), ['delivered', 'delivered', 'delivered', 'queue_full']);
    await client.close();
    assert.deepEqual(linesOn('/v1/logs'), []);
    assert.deepEqual(linesOn('/v1/events').map((l) => idOf(l)), ['e1', 'e2', 'e3']);
    const s = client.stats();
    assert.deepEqual([s.routes.logs.droppedBy.queueFull, s.routes.heartbeats.droppedBy.queueFull, s.routes.events.droppedBy.queueFull], [4, 1, 1]);
    assert.ok(balanced(s));
  });

  test('records in flight count against the bound; the answer frees the room', async () => {
    server.setResponder(() => 'hold');
    const client = clientOf(server, { maxQueue: 4, maxInFlight: 1 });
    const held = Array.from({ length: 4 }, (_, i) => client.event({ id: `h${i}` }));
    await server.untilReceived(from + 1);
    assert.equal(await failure(client.event({ id: 'over' })), 'queue_full');
    assert.equal(client.log('over'), false);
    server.setResponder(acceptAll);
    server.release();
    assert.deepEqual(await Promise.all(held.map(failure)), ['delivered', 'delivered', 'delivered', 'delivered']);
    assert.ok(client.log('room again'));
    await client.close();
    assert.ok(balanced(client.stats()));
  });
});

describe('flush and close', { timeout: 30_000 }, () => {
  test('flush() sends what waits without the linger and resolves when every earlier record is settled', async () => {
    const client = clientOf(server, { lingerMs: 60_000 });
    for (let i = 0; i < 10; i++) client.log({ i });
    const event = client.event({ id: 'f1' });
    assert.deepEqual(await client.flush(), { complete: true, unsettled: 0 });
    assert.equal(await failure(event), 'delivered');
    assert.equal(linesOn('/v1/logs').length, 10);
    assert.equal(client.stats().queued, 0);
    await client.close();
  });

  test('close() drains retries within its timeout, then refuses new records', async () => {
    let n = 0;
    server.setResponder((r) => (++n <= 3 ? { status: 503, body: {} } : acceptAll(r)));
    const client = clientOf(server);
    const event = client.event({ id: 'c1' });
    assert.deepEqual(await client.close({ timeoutMs: 30_000 }), { complete: true, unsettled: 0 });
    assert.equal(await failure(event), 'delivered');
    assert.equal(client.log('late'), false);
    assert.equal(await failure(client.event({ id: 'late' })), 'closed');
    const s = client.stats();
    assert.deepEqual([s.routes.events.sent, s.routes.events.retried, s.droppedBy.closed], [1, 3, 2]);
    assert.ok(balanced(s));
  });

  test('close() that runs out of time drops what is left as closed and returns', async () => {
    server.setResponder((r) => (r.path === '/v1/events' ? { status: 503, body: {} } : acceptAll(r)));
    const client = clientOf(server, { retry: { initialMs: 5, maxMs: 5 } });
    const events = [client.event({ id: 'x1' }), client.event({ id: 'x2' })];
    client.log('goes through');
    const result = await client.close({ timeoutMs: 200 });
    assert.deepEqual(result, { complete: false, unsettled: 2 });
    assert.deepEqual(await Promise.all(events.map(failure)), ['closed', 'closed']);
    const s = client.stats();
    assert.deepEqual([s.routes.events.droppedBy.closed, s.routes.logs.sent, s.queued], [2, 1, 0]);
    assert.ok(balanced(s));
  });

  test('ignoring the promise of an event that fails raises no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const client = clientOf(server, { maxQueue: 1 });
      client.event({ id: 'kept' });
      client.event({ id: 'refused' }); // queue full: rejected, and nobody looks
      await client.close();
      client.event({ id: 'after-close' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});
