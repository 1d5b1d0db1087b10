/**
 * Every input limit at its boundary, end to end: set through its environment variable, exactly
 * the limit passes, one more is refused with the documented status or per-record reason.
 * (The decoders' own boundary tests are in http-body / cloudwatch-logs tests.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SQSEvent } from 'aws-lambda';
import { gzip, httpEvent } from '../../helpers/events';
import { parse, recordingHandler } from '../../helpers/fake-handler';

const send = async (env: Record<string, string>, opts: Parameters<typeof httpEvent>[0]) =>
  parse(await recordingHandler({ AUTH_MODE: 'none', ...env }).handler(httpEvent(opts)));
const ndjson = (lines: string[]) => ({ path: '/v1/logs', contentType: 'application/x-ndjson', body: lines.join('\n') });
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

describe('limits at their boundary (env var → status)', () => {
  test('MAX_BODY_BYTES: 413 body_too_large', async () => {
    const body = '"abcdefgh"'; // 10 bytes
    assert.equal((await send({ MAX_BODY_BYTES: '10' }, ndjson([body]))).statusCode, 200);
    const res = await send({ MAX_BODY_BYTES: '9' }, ndjson([body]));
    assert.deepEqual([res.statusCode, res.body.error?.code], [413, 'body_too_large']);
  });

  test('MAX_DECODED_BYTES: gunzipped size, 413 decoded_too_large', async () => {
    const plain = '"' + 'x'.repeat(98) + '"'; // 100 bytes
    const zipped = { path: '/v1/logs', contentType: 'application/x-ndjson', body: gzip(plain), headers: { 'content-encoding': 'gzip' } };
    assert.equal((await send({ MAX_DECODED_BYTES: '100' }, zipped)).statusCode, 200);
    const res = await send({ MAX_DECODED_BYTES: '99' }, zipped);
    assert.deepEqual([res.statusCode, res.body.error?.code], [413, 'decoded_too_large']);
  });

  test('MAX_RECORDS: 413 too_many_records', async () => {
    assert.equal((await send({ MAX_RECORDS: '3' }, ndjson(['"a"', '"b"', '"c"']))).statusCode, 200);
    const res = await send({ MAX_RECORDS: '2' }, ndjson(['"a"', '"b"', '"c"']));
    assert.deepEqual([res.statusCode, res.body.error?.code], [413, 'too_many_records']);
  });

  test('MAX_RECORD_BYTES: per-record reject, siblings pass', async () => {
    const res = await send({ MAX_RECORD_BYTES: '5' }, ndjson(['{"a":1}', '"12345"', '"123456"']));
    assert.deepEqual(res.body.results!.map((r) => r.status), ['rejected', 'forwarded', 'rejected']);
    assert.match(res.body.results![2]!.reason!, /record 2: 6 bytes exceeds the 5-byte record limit/);
  });

  test('MAX_HEADERS: counted over every request header, 431', async () => {
    const base = httpEvent(ndjson(['"a"']));
    const count = Object.keys(base.headers).length;
    const extra = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, '1']));
    const at = (max: number, n: number) => send({ MAX_HEADERS: String(max) }, { ...ndjson(['"a"']), headers: extra(n) });
    assert.equal((await at(count + 2, 2)).statusCode, 200);
    const res = await at(count + 1, 2);
    assert.deepEqual([res.statusCode, res.body.error?.code], [431, 'headers_too_large']);
  });

  test('MAX_HEADER_BYTES: sum of names and values, 431', async () => {
    const base = httpEvent(ndjson(['"a"']));
    const bytes = Object.entries(base.headers).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    // x-amzn-trace-id is random but fixed-length, so the total is the same for every event.
    assert.equal((await send({ MAX_HEADER_BYTES: String(bytes) }, ndjson(['"a"']))).statusCode, 200);
    const res = await send({ MAX_HEADER_BYTES: String(bytes - 1) }, ndjson(['"a"']));
    assert.deepEqual([res.statusCode, res.body.error?.code], [431, 'headers_too_large']);
  });

  test('MAX_JSON_DEPTH: per record (NDJSON, JSON array, SQS), siblings pass', async () => {
    const nd = await send({ MAX_JSON_DEPTH: '4' }, ndjson([nested(4), nested(5), '"plain"']));
    assert.deepEqual(nd.body.results!.map((r) => r.status), ['forwarded', 'rejected', 'forwarded']);
    assert.match(nd.body.results![1]!.reason!, /record 1: nested deeper than 4 levels/);

    const arr = await send({ MAX_JSON_DEPTH: '4' }, { path: '/v1/logs', contentType: 'application/json', body: `[${nested(4)},${nested(5)}]` });
    assert.deepEqual(arr.body.results!.map((r) => r.status), ['forwarded', 'rejected']);

    const { handler, sent } = recordingHandler({ AUTH_MODE: 'none', MAX_JSON_DEPTH: '4' });
    const sqs = (body: string, i: number) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs' });
    const out = await handler({ Records: [sqs(nested(4), 0), sqs(nested(5), 1)] } as unknown as SQSEvent);
    assert.deepEqual(out.batchItemFailures, [], 'a too-deep message is rejected, never redelivered');
    assert.equal(sent.length, 1);
  });

  test('string lengths: id ≤ 128, type ≤ 64, key ≤ 256 characters', async () => {
    const rec = (f: string, n: number) => JSON.stringify({ [f]: 'x'.repeat(n) });
    const res = await send({}, ndjson([rec('id', 128), rec('id', 129), rec('type', 64), rec('type', 65), rec('key', 256), rec('key', 257)]));
    assert.deepEqual(res.body.results!.map((r) => r.status), ['forwarded', 'rejected', 'forwarded', 'rejected', 'forwarded', 'rejected']);
  });

  test('the default depth (32) is generous for real events and stops the stack-overflow case', async () => {
    const res = await send({}, { path: '/v1/logs', contentType: 'application/json', body: `[${nested(32)},${nested(100_000)},"ok"]` });
    assert.deepEqual(res.body.results!.map((r) => r.status), ['forwarded', 'rejected', 'forwarded']);
  });
});
