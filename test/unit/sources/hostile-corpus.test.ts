/**
 * A corpus of hostile inputs run through the real ingest handler (recording sink, no broker):
 * none may crash or hang it, every refusal carries a clear reason, and valid records sent
 * alongside a bad one still go through. Each case finishes well inside the test's timeout.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, CloudWatchLogsEvent, SQSEvent } from 'aws-lambda';
import { encodeAwsLogs, gzip, httpEvent, type HttpEventOptions } from '../../helpers/events';
import { parse, recordingHandler } from '../../helpers/fake-handler';
import { UnsupportedEventError } from '../../../lib/handlers/event-shapes';

const NDJSON = 'application/x-ndjson';
const JSON_CT = 'application/json';
const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }); // 64 MB of zeros in ~64 KB

interface HttpCase {
  name: string;
  event: HttpEventOptions | (() => APIGatewayProxyEventV2);
  status: number;
  /** Whole-request error message, or the per-record statuses in order. */
  expect: RegExp | string[];
  reason?: RegExp;
}

const logs = (body: HttpEventOptions['body'], contentType: string | null = NDJSON, extra: Partial<HttpEventOptions> = {}) =>
  ({ path: '/v1/logs', body, contentType, ...extra }) as HttpEventOptions;

const HTTP_CASES: HttpCase[] = [
  { name: 'malformed JSON document', event: logs('[{"a":1},', JSON_CT), status: 400, expect: /request body is not valid JSON/ },
  { name: 'NDJSON with a malformed line between good ones', event: logs('{"a":1}\n{"a":\n"ok"'), status: 207, expect: ['forwarded', 'rejected', 'forwarded'], reason: /record 1: invalid JSON/ },
  { name: 'invalid UTF-8 in an NDJSON line', event: logs(Buffer.concat([Buffer.from('"ok"\n"'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n"ok2"')])), status: 207, expect: ['forwarded', 'rejected', 'forwarded'], reason: /record 1: invalid UTF-8/ },
  { name: 'invalid UTF-8 in a JSON document', event: logs(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), JSON_CT), status: 400, expect: /not valid UTF-8/ },
  { name: 'overlong UTF-8 encoding of "/"', event: logs(Buffer.from([0x22, 0xc0, 0xaf, 0x22]), NDJSON), status: 400, expect: ['rejected'], reason: /invalid UTF-8/ },
  { name: 'deep nesting in a JSON array (JSON.stringify would overflow the stack)', event: logs(`[${deep(200_000)},"ok"]`, JSON_CT), status: 207, expect: ['rejected', 'forwarded'], reason: /nested deeper than 32 levels/ },
  { name: 'deep nesting in a {"records"} envelope', event: logs(`{"records":[${deep(200_000)},"ok"]}`, JSON_CT), status: 207, expect: ['rejected', 'forwarded'], reason: /nested deeper than 32 levels/ },
  { name: '{"records"} that is not an array', event: logs('{"id":"x","records":{"0":{"a":1}}}', JSON_CT), status: 400, expect: /"records" in the request body must be an array of records, got object/ },
  { name: 'sniffed {"records"} that is a number', event: logs('{"records":5}', null), status: 400, expect: /"records" .* must be an array of records, got number/ },
  { name: 'brackets, commas and quotes inside strings of a JSON array', event: logs('["],[{", {"s":"\\"]},{\\\\\\""}, "\\\\"]', JSON_CT), status: 200, expect: ['forwarded', 'forwarded', 'forwarded'] },
  { name: 'deep nesting on an NDJSON line', event: logs(`${deep(100_000)}\n"ok"`), status: 207, expect: ['rejected', 'forwarded'], reason: /nested deeper/ },
  { name: 'a body that is only opening brackets', event: logs('['.repeat(3_000_000), JSON_CT), status: 400, expect: /not valid JSON/ },
  { name: 'huge numbers: payload keeps them verbatim, a huge timestamp is refused', event: logs('{"n":1e400,"big":123456789012345678901234567890}\n{"timestamp":1e400}'), status: 207, expect: ['forwarded', 'rejected'], reason: /field "timestamp" must be epoch milliseconds/ },
  { name: '__proto__ / constructor / prototype keys are plain payload', event: logs('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}\n{"id":"x","__proto__":{"id":"y","tier":"critical"}}'), status: 200, expect: ['forwarded', 'forwarded'] },
  { name: 'wrong types for reserved fields and records', event: logs('{"id":42}\n{"tier":"gold"}\n{"key":{}}\nnull\ntrue\n42\n[1]\n{"type":["kill"]}\n"fine"'), status: 207, expect: ['rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'forwarded'] },
  { name: 'empty body', event: logs(undefined), status: 400, expect: /request body is empty/ },
  { name: 'whitespace-only body', event: logs(' \n\t\r\n'), status: 400, expect: /blank/ },
  { name: 'JSON null document', event: logs('null', JSON_CT), status: 400, expect: /got null/ },
  { name: 'unsupported content type', event: logs('<xml/>', 'application/xml'), status: 415, expect: /Content-Type "application\/xml" is not supported/ },
  { name: 'non-UTF-8 charset', event: logs('"a"', 'text/plain; charset=utf-16'), status: 415, expect: /charset "utf-16"/ },
  { name: 'content type with garbage parameters', event: logs('"a"', 'application/x-ndjson;;;=;charset'), status: 200, expect: ['forwarded'] },
  { name: 'unsupported content encoding', event: logs('"a"', NDJSON, { headers: { 'content-encoding': 'br' } }), status: 415, expect: /Content-Encoding "br"/ },
  { name: 'truncated gzip', event: logs(gzip('"a"\n"b"\n').subarray(0, 12), NDJSON, { headers: { 'content-encoding': 'gzip' } }), status: 400, expect: /not valid gzip/ },
  { name: 'gzip that is not gzip', event: logs(Buffer.from('definitely not gzip'), NDJSON, { headers: { 'content-encoding': 'gzip' } }), status: 400, expect: /not valid gzip/ },
  { name: 'gzip bomb (64 MB of zeros)', event: logs(bomb, NDJSON, { headers: { 'content-encoding': 'gzip' } }), status: 413, expect: /decompresses to more than the 6291456-byte decoded limit/ },
  { name: 'gzip bytes without Content-Encoding', event: logs(gzip('"a"')), status: 400, expect: /looks gzip-compressed/ },
  { name: 'invalid base64 body flagged base64', event: () => ({ ...httpEvent(logs('"a"')), body: '"a"*#!', isBase64Encoded: true }), status: 400, expect: /not valid base64/ },
  { name: 'NUL bytes and lone surrogates are data, not errors', event: logs('"a\\u0000b"\n"\\ud800"\n{"s":"\\udfff"}'), status: 200, expect: ['forwarded', 'forwarded', 'forwarded'] },
  { name: 'an over-long line among short ones', event: logs(`"a"\n"${'x'.repeat(1_100_000)}"\n"b"`), status: 207, expect: ['forwarded', 'rejected', 'forwarded'], reason: /exceeds the 1000000-byte record limit/ },
  { name: 'a 200 KB header value', event: logs('"a"', NDJSON, { headers: { 'x-junk': 'x'.repeat(200_000) } }), status: 431, expect: /request headers total/ },
  { name: 'a body that is not a string', event: () => ({ ...httpEvent(logs('"a"')), body: 42 }) as unknown as APIGatewayProxyEventV2, status: 400, expect: /not a string/ },
  { name: 'headers that are not strings', event: () => ({ ...httpEvent(logs('"a"')), headers: { 'content-type': 7, authorization: null } }) as unknown as APIGatewayProxyEventV2, status: 200, expect: ['forwarded'] },
];

/** Not HTTP events at all: answering them with an HTTP status would tell Lambda they were handled. */
const NOT_HTTP: [string, unknown][] = [
  ['an event with no requestContext at all', { rawPath: '/v1/logs', body: '"a"' }],
  ['an empty object as event', {}],
];

describe('hostile HTTP inputs', { timeout: 60_000 }, () => {
  const { handler } = recordingHandler({ AUTH_MODE: 'none' });
  for (const c of HTTP_CASES) {
    test(c.name, async () => {
      const event = typeof c.event === 'function' ? c.event() : httpEvent(c.event);
      const started = Date.now();
      const res = parse(await handler(event));
      assert.ok(Date.now() - started < 5_000, 'answered promptly');
      assert.equal(res.statusCode, c.status, JSON.stringify(res.body).slice(0, 300));
      if (c.expect instanceof RegExp) assert.match(res.body.error!.message, c.expect);
      else assert.deepEqual(res.body.results!.map((r) => r.status), c.expect);
      if (c.reason) assert.ok(res.body.results!.some((r) => r.reason && c.reason!.test(r.reason)), JSON.stringify(res.body.results));
      for (const r of res.body.results ?? []) if (r.status === 'rejected') assert.match(r.reason!, new RegExp(`^record ${r.index}: .+`));
    });
  }
  for (const [name, event] of NOT_HTTP) {
    test(`${name}: refused (thrown), not answered`, async () => {
      await assert.rejects(handler(event as APIGatewayProxyEventV2), UnsupportedEventError);
    });
  }
  test('numbers and escapes in JSON bodies reach the sink as sent, not re-serialised', async () => {
    const { handler: recording, sent } = recordingHandler({ AUTH_MODE: 'none' });
    const objects = ['{"n":19.90,"big":12345678901234567890,"e":1e2,"inf":1e999999,"z":-0}', '{"s":"\\u00e9\\/\\uD83C\\uDFAE","t":"\\ud800"}'];
    for (const body of [`[${objects.join(',')}]`, `{"records":[\n${objects.join(',\n')}\n]}`, objects[0]!]) {
      sent.length = 0;
      const res = parse(await recording(httpEvent(logs(body, JSON_CT))));
      assert.equal(res.statusCode, 200, JSON.stringify(res.body));
      assert.deepEqual(sent.map((r) => r.value.toString()), body === objects[0] ? [objects[0]] : objects);
    }
  });
  test('nothing was polluted', () => {
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('hostile CloudWatch Logs envelopes: dropped with a logged reason, never thrown (a throw would retry and duplicate)', () => {
  const good = { messageType: 'DATA_MESSAGE', owner: '1', logGroup: 'g', logStream: 's', subscriptionFilters: [] };
  const cases: [string, CloudWatchLogsEvent, RegExp | number][] = [
    ['bad base64', { awslogs: { data: 'not*base64!' } }, /not valid base64/],
    ['base64 of non-gzip', { awslogs: { data: Buffer.from('hello').toString('base64') } }, /not valid gzip/],
    ['truncated gzip', { awslogs: { data: gzip('{"messageType":"DATA_MESSAGE"}').subarray(0, 15).toString('base64').replace(/=+$/, '').padEnd(20, 'A') } }, /not valid gzip/],
    ['gzip of non-JSON', { awslogs: { data: gzip('{{{{').toString('base64') } }, /not valid JSON/],
    ['gzip bomb', { awslogs: { data: bomb.toString('base64') } }, /decompresses to more than/],
    ['data not a string', { awslogs: { data: 42 } } as unknown as CloudWatchLogsEvent, /no awslogs.data string/],
    ['unknown messageType', encodeAwsLogs({ ...good, messageType: 'EVIL' }), /messageType must be/],
    ['logEvents not an array', encodeAwsLogs({ ...good, logEvents: { 0: {} } }), /logEvents must be an array/],
    ['one bad event among good ones', encodeAwsLogs({ ...good, logEvents: [{ id: '1', timestamp: 1, message: 'a' }, { id: 2, timestamp: 'x' }, { id: '3', timestamp: 3, message: 'c' }] }), 2],
    ['deeply nested log event', { awslogs: { data: gzip(JSON.stringify({ ...good, logEvents: [] }).replace('[]', `[${deep(100_000)}]`)).toString('base64') } }, 0],
  ];
  for (const [name, event, expected] of cases) {
    test(name, async () => {
      const { handler, sent, lines } = recordingHandler({ AUTH_MODE: 'none' });
      assert.equal(await handler(event), undefined);
      if (typeof expected === 'number') return assert.equal(sent.length, expected);
      assert.equal(sent.length, 0);
      assert.ok(lines.some((l) => l.includes('CloudWatch Logs envelope dropped') && expected.test(l)), lines.join('\n'));
    });
  }
});

describe('hostile SQS messages: rejected per message (not retried), siblings go through', () => {
  test('a batch of bad bodies around one good one', async () => {
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'none' });
    const bodies: unknown[] = ['{"kind":"ok","id":"good-1"}', 'not json', '', undefined, 42, '[1,2]', 'null', deep(1000), '{"id":""}', '"\\ud800"', `{"x":"${'y'.repeat(1_100_000)}"}`];
    const Records = bodies.map((body, i) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs' }));
    const out = await handler({ Records: [...Records, null] } as unknown as SQSEvent);
    assert.deepEqual(out.batchItemFailures, [], 'rejects are final: redelivering them would fail again');
    // The good object and the JSON string (a log line; its lone surrogate becomes U+FFFD in UTF-8).
    assert.deepEqual(sent.map((r) => r.sourceRef.itemId), ['m0', 'm9']);
    assert.equal(sent[1]!.value.toString(), '\ufffd');
  });
});
