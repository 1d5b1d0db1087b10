import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeEvent, encodeHeartbeat, encodeLog } from '../../../clients/node/src/records';
import { resolveOptions } from '../../../clients/node/src/options';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('record encoding', () => {
  test('a log line is a JSON string line, a log object its JSON; neither contains a line break', () => {
    assert.equal(encodeLog('multi\nline "quoted"').toString(), '"multi\\nline \\"quoted\\""');
    assert.equal(encodeLog({ msg: 'a\nb', n: 1 }).toString(), '{"msg":"a\\nb","n":1}');
    assert.equal(encodeHeartbeat({ server: 's1' }).toString(), '{"server":"s1"}');
  });

  test('an event without an id gets a UUIDv7 in its line; the caller object is left alone', () => {
    const record = { type: 'kill', killer: 'p1' };
    const { id, line } = encodeEvent(record);
    assert.match(id, UUID_V7);
    assert.deepEqual(JSON.parse(line.toString()), { type: 'kill', killer: 'p1', id });
    assert.deepEqual(record, { type: 'kill', killer: 'p1' });
    const again = encodeEvent({ id: 'given-1', type: 'kill' });
    assert.equal(again.id, 'given-1');
    assert.equal(again.line.toString(), '{"id":"given-1","type":"kill"}');
  });

  test('invalid input throws a TypeError at once', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [() => encodeLog(42), () => encodeLog([1]), () => encodeLog(null), () => encodeHeartbeat('text'), () => encodeLog(cyclic), () => encodeEvent({ id: 7 }), () => encodeEvent({ id: 'x'.repeat(129) }), () => encodeEvent([])]) {
      assert.throws(bad, TypeError);
    }
  });
});

describe('options', () => {
  test('defaults: linger 5 ms, 32 KB batches, gzip from 8 KB, 10 000 held, retries until close()', () => {
    const o = resolveOptions({ endpoint: 'https://api.example/prod/', auth: { apiKey: 'k'.repeat(20) } });
    assert.deepEqual(
      { basePath: o.basePath, linger: o.lingerMs, bytes: o.maxBatchBytes, gzip: o.gzipAboveBytes, queue: o.maxQueue, retry: o.retry },
      { basePath: '/prod', linger: 5, bytes: 32_768, gzip: 8_192, queue: 10_000, retry: { initialMs: 100, maxMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY } },
    );
  });

  test('every invalid option is named in one TypeError', () => {
    assert.throws(
      () => resolveOptions({ endpoint: 'ftp://x/?q=1', auth: { hmac: { tenant: 'bad tenant', keyId: 'k', secret: '' } }, lingerMs: -1, maxQueue: 0, retry: { initialMs: 50, maxMs: 10 } }),
      (err: Error) =>
        err instanceof TypeError &&
        ['endpoint must be http', 'query string', 'auth.hmac.tenant', 'auth.hmac.secret', 'lingerMs', 'maxQueue', 'retry.maxMs'].every((s) => err.message.includes(s)),
    );
    assert.throws(() => resolveOptions({ endpoint: 'http://x', auth: { apiKey: 'short' } }), /auth.apiKey/);
  });
});
