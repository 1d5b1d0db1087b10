import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudWatchLogsEvent, gzip, httpEvent, httpEventBody, lambdaContext, ndjson } from '../../helpers/events';

// The factories feed unit and integration tests alike; a wrong shape here would hide adapter bugs.
describe('test event factories', () => {
  test('httpEvent: API Gateway v2 shape, lower-cased headers, JSON array body', () => {
    const event = httpEvent({ path: '/v1/events', body: [{ id: 'a' }], headers: { Authorization: 'Bearer t', 'X-Tenant': 'eu' } });
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, 'POST /v1/events');
    assert.equal(event.rawPath, '/v1/events');
    assert.equal(event.requestContext.http.method, 'POST');
    assert.equal(event.requestContext.http.path, '/v1/events');
    assert.equal(event.headers['content-type'], 'application/json');
    assert.equal(event.headers.authorization, 'Bearer t');
    assert.equal(event.headers['x-tenant'], 'eu');
    assert.ok(Object.keys(event.headers).every((h) => h === h.toLowerCase()));
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.body, '[{"id":"a"}]');
    assert.equal(event.headers['content-length'], String(event.body?.length));
  });

  test('httpEvent: gzip bodies are base64 with Content-Encoding; empty bodies are absent', () => {
    const event = httpEvent({ path: '/v1/logs', body: 'hello\n', contentType: 'text/plain', gzip: true });
    assert.equal(event.isBase64Encoded, true);
    assert.equal(event.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(httpEventBody(event)).toString(), 'hello\n');
    const empty = httpEvent({ method: 'get', path: '/v1/logs', body: '' });
    assert.equal(empty.body, undefined);
    assert.equal(empty.requestContext.http.method, 'GET');
    assert.equal(httpEventBody(empty).length, 0);
    const raw = httpEvent({ path: '/x', body: Buffer.from([0xff, 0x00]), contentType: 'application/octet-stream' });
    assert.deepEqual(httpEventBody(raw), Buffer.from([0xff, 0x00]));
  });

  test('lambdaContext: remaining time counts down in real time', async () => {
    const ctx = lambdaContext({ remainingMs: 500, functionName: 'fn' });
    const first = ctx.getRemainingTimeInMillis();
    assert.ok(first <= 500 && first > 400, String(first));
    await sleep(60);
    const later = ctx.getRemainingTimeInMillis();
    assert.ok(later <= first - 50, `${later} vs ${first}`);
    assert.equal(ctx.functionName, 'fn');
    assert.match(ctx.invokedFunctionArn, /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:fn$/);
    assert.equal(lambdaContext({ remainingMs: 0 }).getRemainingTimeInMillis(), 0);
  });

  test('cloudWatchLogsEvent: base64(gzip(JSON)) with unique 56-digit ids', () => {
    const event = cloudWatchLogsEvent({ logGroup: '/g', logStream: 's', messages: ['a', 'b'], timestamp: 1000 });
    const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString());
    assert.equal(payload.messageType, 'DATA_MESSAGE');
    assert.deepEqual(
      payload.logEvents.map((e: { timestamp: number; message: string }) => [e.timestamp, e.message]),
      [
        [1000, 'a'],
        [1001, 'b'],
      ],
    );
    const ids = payload.logEvents.map((e: { id: string }) => e.id);
    assert.ok(ids.every((id: string) => /^\d{56}$/.test(id)));
    assert.notEqual(ids[0], ids[1]);
  });

  test('ndjson and gzip helpers', () => {
    assert.equal(ndjson([{ a: 1 }, 'raw line']), '{"a":1}\nraw line\n');
    assert.equal(gunzipSync(gzip('x')).toString(), 'x');
  });
});
