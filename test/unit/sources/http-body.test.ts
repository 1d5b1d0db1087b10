import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RequestError } from '../../../lib/platform/errors';
import { DEFAULT_LIMITS } from '../../../lib/domain/limits';
import type { Limits } from '../../../lib/domain/limits';
import type { DecodedRecord } from '../../../lib/domain/record';
import type { RecordKind } from '../../../lib/domain/tiers';
import { decodeHttpBody } from '../../../lib/sources/http-body';
import { expectRequestError } from '../../helpers/request-error';
import { gzip, httpEvent, httpEventBody, ndjson } from '../../helpers/events';

const RECEIVED_AT = 1_714_560_000_000; // 2024-05-01T10:40:00Z
const NDJSON = 'application/x-ndjson';

interface Opts {
  contentType?: string;
  contentEncoding?: string;
  kind?: RecordKind;
  limits?: Partial<Limits>;
}

function decode(body: Buffer | string, opts: Opts = {}) {
  return decodeHttpBody(
    {
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      contentType: opts.contentType,
      contentEncoding: opts.contentEncoding,
      kind: opts.kind ?? 'event',
      receivedAt: RECEIVED_AT,
    },
    { ...DEFAULT_LIMITS, ...opts.limits },
  );
}

/** Assert decode throws a RequestError with this status and code; returns it for message checks. */
function decodeError(body: Buffer | string, opts: Opts, statusCode: number, code: string): RequestError {
  return expectRequestError(() => decode(body, opts), statusCode, code);
}

const text = (r: DecodedRecord | undefined) => r?.value.toString('utf8');
const json = (r: DecodedRecord | undefined): unknown => JSON.parse(text(r) ?? 'null');

describe('http body: content types', () => {
  test('application/json array of strings and objects', () => {
    const { records, rejects } = decode(JSON.stringify(['plain line', { type: 'kill', killer: 'p1' }, { n: 2 }]), {
      contentType: 'application/json',
      kind: 'log',
    });
    assert.deepEqual(rejects, []);
    assert.equal(records.length, 3);
    assert.equal(text(records[0]), 'plain line');
    assert.deepEqual(json(records[1]), { type: 'kill', killer: 'p1' });
    assert.equal(records[1]?.type, 'kill');
    assert.deepEqual(
      records.map((r) => [r.kind, r.timestamp, r.sourceRef.source, r.sourceRef.index]),
      [
        ['log', RECEIVED_AT, 'http', 0],
        ['log', RECEIVED_AT, 'http', 1],
        ['log', RECEIVED_AT, 'http', 2],
      ],
    );
  });

  test('{ "records": [...] } envelope', () => {
    const body = JSON.stringify({ records: [{ id: 'a' }, 'line'], meta: { sdk: '1.2' } });
    const { records, rejects } = decode(body, { contentType: 'application/json' });
    assert.deepEqual(rejects, []);
    assert.deepEqual(records.map((r) => r.id), ['a', undefined]);
    assert.equal(text(records[1]), 'line');
  });

  test('a single record object', () => {
    const { records } = decode(JSON.stringify({ id: 'solo', n: 5 }), { contentType: 'application/json' });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.id, 'solo');
    assert.deepEqual(json(records[0]), { id: 'solo', n: 5 });
  });

  for (const [records, got] of [['5', 'number'], ['null', 'null'], ['{"a":1}', 'object'], ['"x"', 'string'], ['true', 'boolean']] as const) {
    for (const contentType of ['application/json', undefined]) {
      test(`{"records": ${records}} is 400 malformed_body, not one record (${contentType ?? 'sniffed'})`, () => {
        const err = decodeError(`{"id":"solo","records":${records}}`, { contentType }, 400, 'malformed_body');
        assert.equal(err.message, `"records" in the request body must be an array of records, got ${got}; to send one record, leave out the "records" field`);
      });
    }
  }

  test('media type and charset are case-insensitive; utf-8 charset accepted', () => {
    const { records } = decode('[{"a":1}]', { contentType: 'Application/JSON; Charset="UTF-8"' });
    assert.equal(records.length, 1);
  });

  for (const contentType of ['application/x-ndjson', 'application/ndjson', 'application/jsonl']) {
    test(`${contentType}: object lines keep their exact bytes (no re-serialization)`, () => {
      const line = '{"b":1,  "a":"x"}'; // whitespace and key order would change if re-serialized
      const body = Buffer.from(`${line}\n"a log line"\n`, 'utf8');
      const { records, rejects } = decode(body, { contentType });
      assert.deepEqual(rejects, []);
      assert.equal(text(records[0]), line);
      assert.equal(records[0]?.value.buffer, body.buffer, 'value should be a slice of the body, not a copy');
      assert.equal(text(records[1]), 'a log line');
    });
  }

  test('NDJSON with non-ASCII UTF-8: fields and raw bytes stay exact', () => {
    const line = '{"id":"ünï-1","msg":"gg 🎮 wp","key":"Zoë"}';
    const { records, rejects } = decode(`"plain é"\n${line}\n`, { contentType: NDJSON });
    assert.deepEqual(rejects, []);
    assert.equal(text(records[0]), 'plain é');
    assert.deepEqual(records[1]?.value, Buffer.from(line, 'utf8'));
    assert.deepEqual([records[1]?.id, records[1]?.key], ['ünï-1', 'Zoë']);
  });

  test('NDJSON: CRLF, surrounding whitespace and blank lines; indexes count non-blank lines', () => {
    const body = '\r\n{"i":0}\r\n   \r\n\t{"i":1}  \r\n\n{"i":2}';
    const { records } = decode(body, { contentType: NDJSON });
    assert.deepEqual(records.map(text), ['{"i":0}', '{"i":1}', '{"i":2}']);
    assert.deepEqual(records.map((r) => r.sourceRef.index), [0, 1, 2]);
  });

  test('text/plain: each non-blank line is a log record; indentation kept, CR trimmed', () => {
    const body = 'first line\r\n\n  at stack (frame.js:1)\r\n\tlast {"not":"parsed"}';
    const { records, rejects } = decode(body, { contentType: 'text/plain; charset=utf-8', kind: 'log' });
    assert.deepEqual(rejects, []);
    assert.deepEqual(records.map(text), ['first line', '  at stack (frame.js:1)', '\tlast {"not":"parsed"}']);
    assert.deepEqual(records.map((r) => [r.kind, r.sourceRef.index, r.id]), [
      ['log', 0, undefined],
      ['log', 1, undefined],
      ['log', 2, undefined],
    ]);
  });

  describe('no Content-Type: sniffed', () => {
    test('"[" → JSON array', () => {
      const { records } = decode('  [{"a":1},"x"]');
      assert.deepEqual(records.map(text), ['{"a":1}', 'x']);
    });
    test('one object with a records array → envelope', () => {
      const { records } = decode('{"records":[{"a":1},{"a":2}]}');
      assert.deepEqual(records.map(json), [{ a: 1 }, { a: 2 }]);
    });
    test('a pretty-printed single object → one record', () => {
      const { records, rejects } = decode('{\n  "id": "p",\n  "n": 1\n}\n');
      assert.deepEqual(rejects, []);
      assert.equal(records.length, 1);
      assert.equal(records[0]?.id, 'p');
    });
    test('several lines → NDJSON', () => {
      const { records, rejects } = decode('{"a":1}\n{"a":2}\n"line"\n');
      assert.deepEqual(rejects, []);
      assert.deepEqual(records.map(text), ['{"a":1}', '{"a":2}', 'line']);
    });
  });

  test('gzip (and x-gzip) Content-Encoding; identity is a no-op', () => {
    const body = ndjson([{ a: 1 }, { a: 2 }]);
    assert.equal(decode(gzip(body), { contentType: NDJSON, contentEncoding: 'gzip' }).records.length, 2);
    assert.equal(decode(gzip(body), { contentType: NDJSON, contentEncoding: 'X-Gzip' }).records.length, 2);
    assert.equal(decode(body, { contentType: NDJSON, contentEncoding: 'identity' }).records.length, 2);
  });

  test('a UTF-8 BOM is ignored', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]);
    assert.equal(decode(body, { contentType: 'application/json' }).records.length, 1);
  });

  test('an httpEvent built by the test factory decodes from its wire form', () => {
    const event = httpEvent({ path: '/v1/logs', body: ndjson(['"l1"', '"l2"']), contentType: NDJSON, gzip: true });
    assert.equal(event.isBase64Encoded, true);
    assert.equal(event.headers['content-encoding'], 'gzip');
    const result = decode(httpEventBody(event), {
      contentType: event.headers['content-type'],
      contentEncoding: event.headers['content-encoding'],
    });
    assert.deepEqual(result.records.map(text), ['l1', 'l2']);
  });
});

describe('http body: values are the bytes as sent', () => {
  // Every one of these changes when parsed and re-serialised (19.90 → 19.9, 1e999999 → null, ...).
  const exact = [
    '{"price":19.90,"big":12345678901234567890,"hundred":1e2,"inf":1e999999,"neg":-0}',
    '{"s":"caf\\u00e9 \\/ \\uD83C\\uDFAE","raw":"café 🎮","lone":"\\ud800","b":"a\\\\b"}',
    '{ "b" : 1 ,\n  "a" : [ 1.0 , {"z":0,"y":0} ] , "a" : 2 }',
    '{"s":"],[{\\",}"}',
  ];

  for (const [name, body, contentType] of [
    ['JSON array', `[ ${exact.join(' ,\n ')} ]`, 'application/json'],
    ['{"records": [...]}', `{"meta":{"records":5},"records":\n[${exact.join(',')}],"sdk":"1.2"}`, 'application/json'],
    ['sniffed JSON array', `\n[${exact.join(',')}]`, undefined],
    ['sniffed envelope', `{"records":[${exact.join(',')}]}`, undefined],
    ['NDJSON', exact.map((l) => l.replaceAll('\n', ' ')).join('\n'), NDJSON],
  ] as const) {
    test(`${name}: each object's value is its text in the body, without surrounding whitespace`, () => {
      const data = Buffer.from(body, 'utf8');
      const { records, rejects } = decode(data, { contentType, kind: 'log' });
      assert.deepEqual(rejects, []);
      const expected = contentType === NDJSON ? exact.map((l) => l.replaceAll('\n', ' ')) : exact;
      assert.deepEqual(records.map(text), expected);
      for (const r of records) assert.equal(r.value.buffer, data.buffer, 'a slice of the body, not a copy');
    });
  }

  test('one record object: the whole body, without surrounding whitespace', () => {
    for (const object of exact) {
      const { records, rejects } = decode(`\r\n ${object}\n\n`, { contentType: 'application/json' });
      assert.deepEqual(rejects, []);
      assert.equal(text(records[0]), object);
    }
  });

  test('gzip and a UTF-8 BOM do not change the bytes', () => {
    const body = `[${exact.join(',')}]`;
    assert.deepEqual(decode(gzip(body), { contentType: 'application/json', contentEncoding: 'gzip' }).records.map(text), exact);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"records":[${exact.join(',')}]}`)]);
    assert.deepEqual(decode(bom, { contentType: 'application/json' }).records.map(text), exact);
  });

  test('reserved fields are read from the parsed object; the value keeps their escapes', () => {
    const object = '{"id":"\\u0065vt-1","type":"ki\\u006cl","key":"m\\/12","tier":"critical","n":1.50}';
    const { records } = decode(`[${object}]`, { contentType: 'application/json' });
    assert.deepEqual([records[0]?.id, records[0]?.type, records[0]?.key, records[0]?.tier], ['evt-1', 'kill', 'm/12', 'critical']);
    assert.equal(text(records[0]), object);
  });

  test('a JSON string element is a log line: its value is the decoded string in UTF-8', () => {
    const { records, rejects } = decode('["caf\\u00e9 \\/ \\uD83C\\uDFAE", "plain", "\\ud800"]', { contentType: 'application/json', kind: 'log' });
    assert.deepEqual(rejects, []);
    assert.deepEqual(records.map(text), ['café / 🎮', 'plain', '\ufffd']);
  });

  test('non-object, non-string elements are still rejected, and their neighbours keep their bytes', () => {
    const { records, rejects } = decode('[1e2, {"n":1e2}, [{"n":1}], null, {"n":-0}]', { contentType: 'application/json' });
    assert.deepEqual(records.map((r) => [r.sourceRef.index, text(r)]), [[1, '{"n":1e2}'], [4, '{"n":-0}']]);
    assert.deepEqual(rejects.map((r) => r.index), [0, 2, 3]);
  });

  test('the record size limit applies to the bytes as sent', () => {
    const object = '{"n":1.000000}'; // 14 bytes as sent, 7 re-serialised
    const limits = { maxRecordBytes: 13 };
    const { records, rejects } = decode(`[${object}, {"n":1.00000}]`, { contentType: 'application/json', limits });
    assert.deepEqual(records.map(text), ['{"n":1.00000}']);
    assert.deepEqual(rejects, [{ index: 0, reason: 'record 0: 14 bytes exceeds the 13-byte record limit' }]);
  });

  test('nesting: maxJsonDepth levels pass with their bytes, one more is rejected, neighbours unaffected', () => {
    const nested = (levels: number) => `${'{"a":['.repeat(levels / 2)}1.0${']}'.repeat(levels / 2)}`;
    const body = `[${nested(8)}, ${nested(10)}, {"ok":1.0}]`;
    const { records, rejects } = decode(body, { contentType: 'application/json', limits: { maxJsonDepth: 8 } });
    assert.deepEqual(records.map(text), [nested(8), '{"ok":1.0}']);
    assert.deepEqual(rejects, [{ index: 1, reason: 'record 1: nested deeper than 8 levels' }]);
  });

  test('invalid UTF-8 inside a string of an element is 400 for the JSON document', () => {
    const body = Buffer.concat([Buffer.from('{"records":[{"ok":"a"},{"bad":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]}')]);
    const err = decodeError(body, { contentType: 'application/json' }, 400, 'malformed_body');
    assert.match(err.message, /not valid UTF-8/);
  });

  test('more elements than maxRecords in a {"records"} envelope is 413, counting the elements', () => {
    const limits = { maxRecords: 3 };
    assert.equal(decode('{"records":[{},{},{}]}', { contentType: 'application/json', limits }).records.length, 3);
    const err = decodeError('{"records":[{},{},{},"x"]}', { contentType: 'application/json', limits }, 413, 'too_many_records');
    assert.match(err.message, /has 4 records; the limit is 3/);
  });
});

describe('http body: reserved fields', () => {
  test('valid reserved fields are lifted onto the record', () => {
    const body = ndjson([
      { id: 'e'.repeat(128), type: 't'.repeat(64), key: 'k'.repeat(256), tier: 'critical', timestamp: RECEIVED_AT - 86_400_000 + 0.9 },
      { id: 'iso', timestamp: '2024-05-01T12:00:00.250+02:00' },
      { id: 'date', timestamp: '2024-05-01' },
    ]);
    const { records, rejects } = decode(body, { contentType: NDJSON });
    assert.deepEqual(rejects, []);
    assert.equal(records[0]?.id?.length, 128);
    assert.equal(records[0]?.type?.length, 64);
    assert.equal(records[0]?.key?.length, 256);
    assert.equal(records[0]?.tier, 'critical');
    assert.equal(records[0]?.timestamp, RECEIVED_AT - 86_400_000);
    assert.equal(records[1]?.timestamp, Date.UTC(2024, 4, 1, 10, 0, 0, 250));
    assert.equal(records[2]?.timestamp, Date.UTC(2024, 4, 1));
  });

  const wrong: Array<[string, unknown, RegExp]> = [
    ['id', 42, /field "id" must be a non-empty string of at most 128 characters, got number 42/],
    ['id', '', /field "id" must be a non-empty string/],
    ['id', 'x'.repeat(129), /field "id" .*\(129 characters\)/],
    ['id', null, /field "id" .* got null/],
    ['type', 'y'.repeat(65), /field "type" must be a string of at most 64 characters/],
    ['type', ['kill'], /field "type" .* got array/],
    ['key', 7, /field "key" must be a string of at most 256 characters, got number 7/],
    ['tier', 'gold', /field "tier" must be one of logs, realtime, critical, got string "gold"/],
    ['timestamp', 'yesterday', /field "timestamp" must be epoch milliseconds .* got string "yesterday"/],
    ['timestamp', '2024-05-01T12:00:00', /field "timestamp"/], // no zone: ambiguous
    ['timestamp', -1, /field "timestamp" .* got number -1/],
    ['timestamp', true, /field "timestamp" .* got boolean true/],
  ];
  for (const [field, value, reason] of wrong) {
    test(`${field} = ${JSON.stringify(value)?.slice(0, 20)} rejects only that record`, () => {
      const body = ndjson([{ ok: 1 }, { [field]: value, payload: true }, { ok: 2 }]);
      const { records, rejects } = decode(body, { contentType: NDJSON });
      assert.deepEqual(records.map((r) => r.sourceRef.index), [0, 2]);
      assert.equal(rejects.length, 1);
      assert.equal(rejects[0]?.index, 1);
      assert.match(rejects[0]?.reason ?? '', /^record 1: /);
      assert.match(rejects[0]?.reason ?? '', reason);
    });
  }

  test('every bad field is named in one reason', () => {
    const { rejects } = decode(JSON.stringify([{ id: 1, tier: 'x', timestamp: 'never' }]), {
      contentType: 'application/json',
    });
    const reason = rejects[0]?.reason ?? '';
    assert.match(reason, /field "id"/);
    assert.match(reason, /field "tier"/);
    assert.match(reason, /field "timestamp"/);
  });

  test('non-object, non-string records are rejected with their JSON type', () => {
    const body = JSON.stringify([{ ok: true }, 1, true, null, [1, 2], '']);
    const { records, rejects } = decode(body, { contentType: 'application/json' });
    assert.equal(records.length, 1);
    assert.deepEqual(rejects, [
      { index: 1, reason: 'record 1: must be a JSON object or string, got number' },
      { index: 2, reason: 'record 2: must be a JSON object or string, got boolean' },
      { index: 3, reason: 'record 3: must be a JSON object or string, got null' },
      { index: 4, reason: 'record 4: must be a JSON object or string, got array' },
      { index: 5, reason: 'record 5: must not be an empty string' },
    ]);
  });
});

describe('http body: per-record rejects in NDJSON', () => {
  test('1 malformed line among 1,000: 999 decode, the reject names index and reason', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) lines.push(i === 17 ? '{"i":17, oops}' : JSON.stringify({ i }));
    const { records, rejects } = decode(ndjson(lines), { contentType: NDJSON });
    assert.equal(records.length, 999);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0]?.index, 17);
    assert.match(rejects[0]?.reason ?? '', /^record 17: invalid JSON: .+/);
    assert.ok(!records.some((r) => r.sourceRef.index === 17));
    assert.deepEqual(json(records[17]), { i: 18 });
  });

  test('invalid UTF-8 on one line rejects that line; valid multi-byte lines still decode', () => {
    const body = Buffer.concat([
      Buffer.from('{"name":"Zoë 🎮"}\n', 'utf8'),
      Buffer.from('{"bad":"'),
      Buffer.from([0xc3, 0x28]), // invalid 2-byte sequence
      Buffer.from('"}\n"ok"\n'),
    ]);
    const { records, rejects } = decode(body, { contentType: NDJSON });
    assert.deepEqual(rejects, [{ index: 1, reason: 'record 1: invalid UTF-8' }]);
    assert.deepEqual(json(records[0]), { name: 'Zoë 🎮' });
    assert.equal(text(records[1]), 'ok');
  });

  test('invalid UTF-8 on one text/plain line rejects only that line', () => {
    const body = Buffer.concat([Buffer.from('good\n'), Buffer.from([0x66, 0xff, 0x0a]), Buffer.from('fine\n')]);
    const { records, rejects } = decode(body, { contentType: 'text/plain' });
    assert.deepEqual(records.map(text), ['good', 'fine']);
    assert.deepEqual(rejects, [{ index: 1, reason: 'record 1: invalid UTF-8' }]);
  });
});

describe('http body: record size limit', () => {
  /** An object whose JSON is exactly `bytes` long. */
  const objectOf = (bytes: number) => JSON.stringify({ p: 'x'.repeat(bytes - 8) });

  test('exactly maxRecordBytes passes, one more byte is rejected (NDJSON, JSON array, text, string)', () => {
    const limits = { maxRecordBytes: 100 };
    assert.equal(objectOf(100).length, 100);
    const nd = decode(`${objectOf(100)}\n${objectOf(101)}\n`, { contentType: NDJSON, limits });
    assert.equal(nd.records.length, 1);
    assert.deepEqual(nd.rejects, [{ index: 1, reason: 'record 1: 101 bytes exceeds the 100-byte record limit' }]);

    const arr = decode(`[${objectOf(100)},${objectOf(101)}]`, { contentType: 'application/json', limits });
    assert.deepEqual([arr.records.length, arr.rejects[0]?.index], [1, 1]);

    const txt = decode(`${'a'.repeat(100)}\n${'a'.repeat(101)}\n`, { contentType: 'text/plain', limits });
    assert.deepEqual([txt.records.length, txt.rejects[0]?.reason], [1, 'record 1: 101 bytes exceeds the 100-byte record limit']);

    // a JSON string is measured by its UTF-8 bytes: 50 × 'é' = 100 bytes, 51 = 102
    const str = decode(ndjson([JSON.stringify('é'.repeat(50)), JSON.stringify('é'.repeat(51))]), { contentType: NDJSON, limits });
    assert.deepEqual([str.records.length, str.rejects[0]?.reason], [1, 'record 1: 102 bytes exceeds the 100-byte record limit']);
  });

  test('default limit: a 1,000,001-byte line is rejected with the limit in the reason', () => {
    const max = DEFAULT_LIMITS.maxRecordBytes;
    const { records, rejects } = decode(`${objectOf(max)}\n${objectOf(max + 1)}\n`, { contentType: NDJSON });
    assert.equal(records[0]?.value.length, max);
    assert.deepEqual(rejects, [{ index: 1, reason: `record 1: ${max + 1} bytes exceeds the ${max}-byte record limit` }]);
  });
});

describe('http body: whole-request errors', () => {
  test('body size boundary: maxBodyBytes passes, one byte more is 413 body_too_large', () => {
    const body = ndjson([{ a: 1 }, { a: 2 }]);
    const size = Buffer.byteLength(body);
    assert.equal(decode(body, { contentType: NDJSON, limits: { maxBodyBytes: size } }).records.length, 2);
    const err = decodeError(body, { contentType: NDJSON, limits: { maxBodyBytes: size - 1 } }, 413, 'body_too_large');
    assert.match(err.message, new RegExp(`${size} bytes; the limit is ${size - 1} bytes`));
  });

  test('decoded size boundary: gunzip to exactly maxDecodedBytes passes, one less is 413', () => {
    const body = ndjson(Array.from({ length: 50 }, (_, i) => ({ i })));
    const size = Buffer.byteLength(body);
    const gz = gzip(body);
    const opts = (maxDecodedBytes: number) => ({ contentType: NDJSON, contentEncoding: 'gzip', limits: { maxDecodedBytes } });
    assert.equal(decode(gz, opts(size)).records.length, 50);
    const err = decodeError(gz, opts(size - 1), 413, 'decoded_too_large');
    assert.match(err.message, new RegExp(`${size - 1}-byte decoded limit`));
  });

  test('an uncompressed body over maxDecodedBytes is 413 decoded_too_large', () => {
    decodeError('[1,2,3]', { contentType: 'application/json', limits: { maxDecodedBytes: 6 } }, 413, 'decoded_too_large');
  });

  test('gzip bomb: 50 MB of zeros (~50 KB gzipped) with a 6 MB cap is 413 without inflating it', () => {
    let bomb: Buffer | undefined = gzip(Buffer.alloc(50 * 1024 * 1024));
    assert.ok(bomb.length < 100 * 1024, `bomb is ${bomb.length} bytes`);
    const before = process.memoryUsage().arrayBuffers;
    const err = decodeError(
      bomb,
      { contentType: NDJSON, contentEncoding: 'gzip', limits: { maxDecodedBytes: 6 * 1024 * 1024 } },
      413,
      'decoded_too_large',
    );
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 20 * 1024 * 1024, `external memory grew by ${grown} bytes while rejecting the bomb`);
    assert.match(err.message, /6291456-byte decoded limit/);
    bomb = undefined;
  });

  test('truncated gzip is 400 malformed_body', () => {
    const gz = gzip(ndjson([{ a: 1 }, { a: 2 }]));
    const err = decodeError(gz.subarray(0, gz.length - 6), { contentType: NDJSON, contentEncoding: 'gzip' }, 400, 'malformed_body');
    assert.match(err.message, /not valid gzip: unexpected end of file/);
  });

  test('corrupt gzip is 400 malformed_body', () => {
    const gz = Buffer.from(gzip('{"a":1}'));
    gz.fill(0x55, 10, gz.length - 8);
    decodeError(gz, { contentType: NDJSON, contentEncoding: 'gzip' }, 400, 'malformed_body');
    decodeError('not gzip at all', { contentType: NDJSON, contentEncoding: 'gzip' }, 400, 'malformed_body');
  });

  test('a gzipped body sent without Content-Encoding gets a hint', () => {
    const err = decodeError(gzip('{"a":1}'), { contentType: NDJSON }, 400, 'malformed_body');
    assert.match(err.message, /looks gzip-compressed/);
  });

  for (const contentType of ['application/xml', 'multipart/form-data; boundary=x', 'application/vnd.api+json']) {
    test(`Content-Type ${contentType} is 415 unsupported_media_type`, () => {
      const err = decodeError('{}', { contentType }, 415, 'unsupported_media_type');
      assert.ok(err.message.includes(contentType), err.message);
    });
  }

  test('a charset other than utf-8 is 415', () => {
    const err = decodeError('[]', { contentType: 'application/json; charset=iso-8859-1' }, 415, 'unsupported_media_type');
    assert.match(err.message, /charset "iso-8859-1"/);
  });

  for (const contentEncoding of ['br', 'deflate', 'gzip, br']) {
    test(`Content-Encoding ${contentEncoding} is 415 unsupported_encoding`, () => {
      const err = decodeError('[]', { contentType: 'application/json', contentEncoding }, 415, 'unsupported_encoding');
      assert.ok(err.message.includes(`"${contentEncoding}"`), err.message);
    });
  }

  test('too many records: maxRecords passes, one more is 413 (JSON array and NDJSON)', () => {
    const five = Array.from({ length: 5 }, (_, i) => ({ i }));
    const six = [...five, { i: 5 }];
    const limits = { maxRecords: 5 };
    assert.equal(decode(JSON.stringify(five), { contentType: 'application/json', limits }).records.length, 5);
    assert.equal(decode(ndjson(five), { contentType: NDJSON, limits }).records.length, 5);
    const a = decodeError(JSON.stringify(six), { contentType: 'application/json', limits }, 413, 'too_many_records');
    assert.match(a.message, /has 6 records; the limit is 5/);
    const big = ndjson(Array.from({ length: 9 }, (_, i) => ({ i })));
    const n = decodeError(big, { contentType: NDJSON, limits }, 413, 'too_many_records');
    assert.match(n.message, /has 9 records; the limit is 5/);
  });

  const malformed: Array<[string, string | Buffer, string | undefined, RegExp]> = [
    ['empty body', '', 'application/json', /empty/],
    ['blank body', ' \n\r\n ', NDJSON, /blank/],
    ['invalid JSON document', '[{"a":1},', 'application/json', /not valid JSON: /],
    ['NDJSON sent as application/json', '{"a":1}\n{"a":2}\n', 'application/json', /application\/x-ndjson/],
    ['invalid UTF-8 in a JSON document', Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]), 'application/json', /not valid UTF-8/],
    ['a top-level number', '42', 'application/json', /got number/],
    ['a top-level string', '"just a string"', 'application/json', /got string/],
    ['a top-level null', 'null', 'application/json', /got null/],
    ['a sniffed array that does not parse', '[1, 2', undefined, /not valid JSON/],
  ];
  for (const [name, body, contentType, message] of malformed) {
    test(`${name} is 400 malformed_body`, () => {
      const err = decodeError(body, { contentType }, 400, 'malformed_body');
      assert.match(err.message, message);
    });
  }
});

describe('http body: prototype safety', () => {
  const hostile = '{"__proto__":{"polluted":"yes","tier":"critical"},"constructor":{"prototype":{"polluted":"yes"}},"id":"p1"}';

  for (const [name, body, contentType] of [
    ['NDJSON', `${hostile}\n`, NDJSON],
    ['JSON array', `[${hostile}]`, 'application/json'],
  ] as const) {
    test(`${name}: __proto__/constructor keys are ordinary payload and pollute nothing`, () => {
      const { records, rejects } = decode(body, { contentType });
      assert.deepEqual(rejects, []);
      assert.equal(records.length, 1);
      const r = records[0]!;
      assert.equal(r.id, 'p1');
      assert.equal(r.tier, undefined, 'tier must not come from a __proto__ key');
      assert.equal(Object.getPrototypeOf(r), Object.prototype);
      const round = JSON.parse(r.value.toString()) as Record<string, unknown>;
      assert.ok(Object.hasOwn(round, '__proto__'), 'the __proto__ key survives in the value');
      assert.ok(Object.hasOwn(round, 'constructor'));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
    });
  }

  test('a polluted Object.prototype cannot inject reserved fields', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.id = 'injected';
    proto.tier = 'critical';
    try {
      const { records } = decode('[{"a":1}]', { contentType: 'application/json' });
      assert.equal(Object.hasOwn(records[0]!, 'id'), false);
      assert.equal(Object.hasOwn(records[0]!, 'tier'), false);
    } finally {
      delete proto.id;
      delete proto.tier;
    }
  });
});

describe('http body: property', () => {
  const bytes = (line: string | Uint8Array) => (typeof line === 'string' ? Buffer.from(line, 'utf8') : Buffer.from(line));
  const reserved = fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.constant(null)),
      type: fc.oneof(fc.string({ maxLength: 70 }), fc.boolean()),
      key: fc.oneof(fc.string(), fc.double()),
      tier: fc.oneof(fc.constantFrom('logs', 'realtime', 'critical', 'gold'), fc.integer()),
      timestamp: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant('2024-05-01T00:00:00Z')),
      payload: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const line = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    reserved.map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\n', ' ')),
    fc.constantFrom('', '   ', '\r', '\t \r', '{"unterminated', '[1,2', 'NaN', '__proto__'),
    fc.uint8Array({ minLength: 1, maxLength: 24 }).map((a) => a.map((b) => (b === 0x0a ? 0x41 : b))),
  );
  const isBlank = (buf: Buffer) => buf.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);

  test('NDJSON never throws; every non-blank line is a record or a reject, indexes are a permutation', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), fc.boolean(), fc.boolean(), (lines, trailingNewline, sniffed) => {
        // A fixed first line keeps the body non-blank and free of a leading gzip magic / BOM.
        const parts = [Buffer.from('{"first":true}'), ...lines.map(bytes)];
        const body = Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from('\n'), p])));
        const full = trailingNewline ? Buffer.concat([body, Buffer.from('\n')]) : body;
        const expected = parts.filter((p) => !isBlank(p)).length;
        const { records, rejects } = decode(full, { contentType: sniffed ? undefined : NDJSON });
        assert.equal(records.length + rejects.length, expected);
        const indexes = [...records.map((r) => r.sourceRef.index), ...rejects.map((r) => r.index)].sort((a, b) => a - b);
        assert.deepEqual(indexes, Array.from({ length: expected }, (_, i) => i));
        for (const r of rejects) assert.ok(r.reason.startsWith(`record ${r.index}: `), r.reason);
        for (const r of records) assert.ok(r.value.length > 0);
      }),
      { numRuns: 200, seed: 20240501 },
    );
  });
});
