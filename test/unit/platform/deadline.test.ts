import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { DeadlineExceeded, waitDrained, withDeadline } from '../../../lib/platform/deadline';

test('withDeadline passes results through and rejects at the deadline', async () => {
  assert.equal(await withDeadline(Promise.resolve(7), Date.now() + 1000, 'x'), 7);
  const never = new Promise<never>(() => undefined);
  await assert.rejects(withDeadline(never, Date.now() + 20, 'connecting'), (e: Error) => e instanceof DeadlineExceeded && /connecting/.test(e.message));
  await assert.rejects(withDeadline(Promise.resolve(1), Date.now() - 1, 'late'), /no time left/);
});

test('a late rejection of the losing promise is swallowed (no unhandled rejection)', async () => {
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30));
  await assert.rejects(withDeadline(late, Date.now() + 5, 'x'));
  await new Promise((r) => setTimeout(r, 60));
  process.off('unhandledRejection', onUnhandled);
  assert.equal(unhandled, 0);
});

test('waitDrained waits for a socket whose userland buffer is full, and fails if it closes first', async () => {
  const received: Buffer[] = [];
  let paused!: net.Socket;
  const server = net.createServer((s) => {
    paused = s;
    s.pause(); // stop reading so the client's buffer fills
    s.on('data', (d) => received.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  client.write(Buffer.alloc(32 * 1024 * 1024, 1));
  assert.ok(client.writableLength > 0, 'a 32 MB write to a paused reader must leave bytes in userland');
  let drained = false;
  const wait = waitDrained([client]).then(() => (drained = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(drained, false);
  paused.resume();
  await wait;
  assert.equal(client.writableLength, 0);

  client.write(Buffer.alloc(32 * 1024 * 1024, 2));
  paused.pause();
  const failing = waitDrained([client]);
  client.destroy();
  await assert.rejects(failing, /closed with \d+ bytes unsent/);
  paused.destroy();
  server.close();
});

test('waitDrained also returns when the buffer empties without a drain event (TLS sockets do that)', async () => {
  // A TLS socket keeps a small write (below the high-water mark) in userland while it encrypts,
  // then empties it silently: 'drain' only follows a write() that returned false.
  const socket = Object.assign(new EventEmitter(), { writableLength: 200, destroyed: false }) as unknown as net.Socket;
  setTimeout(() => Object.assign(socket, { writableLength: 0 }), 20);
  await withDeadline(waitDrained([socket]), Date.now() + 1_000, 'draining');
  assert.equal(socket.listenerCount('drain') + socket.listenerCount('close'), 0, 'listeners removed');
});
