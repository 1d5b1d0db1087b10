/** Batching, gzip, signing and the counters, against a local fake of the ingest endpoints. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from '../../../clients/node/src/index';
import { SECRETS } from '../../helpers/tenants';
import { clientOf, counts, startFakeServer, type FakeServer } from './fake-server';

let server: FakeServer;
before(async () => (server = await startFakeServer()));
after(() => server.close());

describe('client delivery on a healthy server', { timeout: 30_000 }, () => {
  test('records are batched per route as NDJSON, every request signed; each record arrives once', async () => {
    const client = clientOf(server);
    const from = server.received.length;
    for (let i = 0; i < 200; i++) client.log(i % 2 ? `line ${i}` : { msg: 'obj', i });
    for (let i = 0; i < 50; i++) client.heartbeat({ server: 'gs-1', i });
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => client.event({ type: 'kill', i }).then((r) => r.id)));
    assert.deepEqual(await client.close(), { complete: true, unsettled: 0 });

    const mine = server.received.slice(from);
    assert.ok(mine.every((r) => r.auth.ok && r.auth.tenant === 'acme'), 'every request verified by the server verifier');
    assert.ok(mine.every((r) => r.headers['content-type'] === 'application/x-ndjson'));
    assert.ok(mine.length < 280, `batched: ${mine.length} requests for 280 records`);
    const logLines = mine.filter((r) => r.path === '/v1/logs').flatMap((r) => r.lines);
    assert.equal(logLines.length, 200);
    assert.equal(new Set(logLines).size, 200);
    assert.deepEqual(JSON.parse(logLines.find((l) => l.startsWith('"'))!), 'line 1');
    assert.equal(mine.filter((r) => r.path === '/v1/heartbeats').flatMap((r) => r.lines).length, 50);
    const eventIds = mine.filter((r) => r.path === '/v1/events').flatMap((r) => r.lines.map((l) => (JSON.parse(l) as { id: string }).id));
    assert.deepEqual([...eventIds].sort(), [...ids].sort());

    const s = client.stats();
    assert.deepEqual([s.submitted, s.sent, s.dropped, s.rejected, s.retried, s.queued], [280, 280, 0, 0, 0, 0]);
    assert.deepEqual([s.routes.logs.sent, s.routes.heartbeats.sent, s.routes.events.sent], [200, 50, 30]);
    assert.equal(s.requests, mine.length);
  });

  test('a batch never exceeds maxBatchBytes unless one record alone does; maxBatchRecords bounds its count', async () => {
    const client = clientOf(server, { maxBatchBytes: 1_000, maxBatchRecords: 7, gzipAboveBytes: 1_000_000 });
    const from = server.received.length;
    for (let i = 0; i < 100; i++) client.log({ pad: 'x'.repeat(90), i });
    client.log({ big: 'y'.repeat(3_000) });
    await client.close();
    const mine = server.received.slice(from);
    for (const r of mine) {
      assert.ok(r.raw.length <= 1_000 || r.lines.length === 1, `${r.raw.length} bytes in ${r.lines.length} records`);
      assert.ok(r.lines.length <= 7);
    }
    assert.equal(mine.flatMap((r) => r.lines).length, 101);
  });

  test('bodies from gzipAboveBytes on are gzipped (and signed as sent); smaller ones are not', async () => {
    const client = clientOf(server, { gzipAboveBytes: 2_000, maxBatchBytes: 100_000, lingerMs: 20 });
    const from = server.received.length;
    client.log('small');
    await client.flush();
    for (let i = 0; i < 100; i++) client.log({ filler: 'z'.repeat(50), i });
    await client.close();
    const [small, large] = server.received.slice(from);
    assert.equal(small!.headers['content-encoding'], undefined);
    assert.equal(large!.headers['content-encoding'], 'gzip');
    assert.ok(large!.auth.ok, 'signature over the gzipped bytes verifies');
    assert.equal(large!.lines.length, 100);
    assert.ok(large!.raw.length < 2_000, 'compressed');
  });

  test('a stage path in the endpoint is kept and signed; an API key goes as a bearer token', async () => {
    const staged = clientOf(server, { endpoint: `${server.url}/prod/` });
    const keyed = createClient({ endpoint: server.url, auth: { apiKey: SECRETS.acmeApiKey } });
    const from = server.received.length;
    await staged.event({ type: 'staged' });
    await keyed.event({ type: 'keyed' });
    await Promise.all([staged.close(), keyed.close()]);
    const [a, b] = server.received.slice(from);
    assert.equal(a!.path, '/prod/v1/events');
    assert.ok(a!.auth.ok);
    assert.equal(b!.headers.authorization, `Bearer ${SECRETS.acmeApiKey}`);
    assert.ok(b!.auth.ok);
  });

  test('the same body twice in a row is signed twice, differently: the replay check refuses neither', async () => {
    const client = clientOf(server, { lingerMs: 0 });
    const from = server.received.length;
    for (let i = 0; i < 5; i++) {
      client.heartbeat({ same: true });
      await client.flush();
    }
    await client.close();
    const mine = server.received.slice(from);
    assert.equal(mine.length, 5);
    assert.deepEqual(mine.map((r) => r.auth.ok), [true, true, true, true, true]);
    assert.equal(counts(mine.map((r) => String(r.headers.authorization))).size, 5);
    assert.equal(client.stats().sent, 5);
  });
});
