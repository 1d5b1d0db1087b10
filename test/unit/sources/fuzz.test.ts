/**
 * Property-based fuzzing of every decoder and of the whole handler. Seeded and bounded, so a
 * failure reproduces: fast-check prints the seed and the shrunk counterexample.
 * Properties: nothing but RequestError ever escapes a decoder; every input record comes back
 * exactly once (a record or a reject); valid records sent among garbage are never lost; an object
 * record's value is byte for byte the text the client sent; the handler never answers
 * "internal_error" (which would mean something threw unexpectedly).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { CloudWatchLogsEvent, SQSEvent } from 'aws-lambda';
import { ReplayCache } from '../../../lib/auth/replay';
import { parseAuthorization, signRequest } from '../../../lib/auth/signature';
import { verifyRequest } from '../../../lib/auth/verifier';
import { RequestError } from '../../../lib/platform/errors';
import { DEFAULT_LIMITS } from '../../../lib/domain/limits';
import type { DecodeResult } from '../../../lib/domain/record';
import { decodeCloudWatchLogs } from '../../../lib/sources/cloudwatch-logs';
import { decodeHttpBody } from '../../../lib/sources/http-body';
import { decodeSqs } from '../../../lib/sources/sqs';
import { httpEvent } from '../../helpers/events';
import { jsonSpace, jsonStringText, jsonValueText, recordObjectText } from '../../helpers/json-text';
import { recordingHandler } from '../../helpers/fake-handler';
import { SECRETS, tenantIndex } from '../../helpers/tenants';
import { UnsupportedEventError, eventShape } from '../../../lib/handlers/event-shapes';

const RUNS = { seed: 20_261_122, numRuns: 300 } as const;
const limits = { ...DEFAULT_LIMITS, maxRecordBytes: 4096, maxJsonDepth: 8 };
const CONTENT_TYPES = [undefined, 'application/json', 'application/x-ndjson', 'text/plain', 'application/jsonl', 'text/html', 'application/json; charset=latin1'];

/** Runs fn; a RequestError is an acceptable outcome (returns undefined), anything else fails the property. */
function decodeOrRefuse(fn: () => DecodeResult): DecodeResult | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RequestError) return undefined;
    throw err;
  }
}

function indexesArePermutation(result: DecodeResult): boolean {
  const idx = [...result.records.map((r) => r.sourceRef.index), ...result.rejects.map((r) => r.index)].sort((a, b) => a - b);
  return idx.every((v, i) => v === i);
}

const validRecord = fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), msg: fc.string({ maxLength: 50 }) });
const garbage = fc.oneof(fc.jsonValue({ maxDepth: 12 }), fc.constantFrom(null, [], 0, true, { id: 5 }, { tier: 'x' }, { timestamp: -1 }));

describe('decoder fuzzing', () => {
  test('HTTP bodies: arbitrary bytes, content types and encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(...CONTENT_TYPES), fc.boolean(), (bytes, contentType, zipped) => {
        const body = zipped && bytes.length % 3 === 0 ? gzipSync(bytes) : Buffer.from(bytes);
        const out = decodeOrRefuse(() =>
          decodeHttpBody({ body, kind: 'log', receivedAt: 1, ...(contentType && { contentType }), ...(zipped && { contentEncoding: 'gzip' }) }, limits),
        );
        return out === undefined || indexesArePermutation(out);
      }),
      RUNS,
    );
  });

  test('JSON arrays: valid records among garbage all come through, one outcome per item', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validRecord.map((r) => ({ ok: true, v: r })), garbage.map((g) => ({ ok: false, v: g }))), { maxLength: 40 }), (items) => {
        const body = Buffer.from(JSON.stringify(items.map((i) => i.v)));
        const out = decodeOrRefuse(() => decodeHttpBody({ body, kind: 'event', receivedAt: 1, contentType: 'application/json' }, limits));
        if (!out) return items.length === 1 && !items[0]!.ok; // a lone non-record value is a whole-body 400
        const accepted = new Map(out.records.map((r) => [r.sourceRef.index, r.value.toString()]));
        // JSON.stringify wrote the body, so its output for an item is the item's text as sent.
        return indexesArePermutation(out) && items.every((it, i) => !it.ok || accepted.get(i) === JSON.stringify(it.v));
      }),
      RUNS,
    );
  });

  test('JSON written as text (numbers, escapes, unicode): every object value is the element text, byte for byte', () => {
    fc.assert(
      fc.property(textBody(), fc.boolean(), fc.boolean(), ({ body, elements, format }, zipped, sniffed) => {
        const contentType = format === 'ndjson' ? 'application/x-ndjson' : sniffed ? undefined : 'application/json';
        const data = Buffer.from(body, 'utf8');
        const out = decodeHttpBody({ body: zipped ? gzipSync(data) : data, kind: 'log', receivedAt: 1, ...(contentType && { contentType }), ...(zipped && { contentEncoding: 'gzip' }) }, limits);
        assert.equal(out.records.length + out.rejects.length, elements.length);
        assert.ok(indexesArePermutation(out));
        for (const r of out.records) assert.deepEqual(r.value, expectedValue(elements[r.sourceRef.index]!), `record ${r.sourceRef.index} of ${format}`);
        for (const r of out.rejects) assert.equal(expectedValue(elements[r.index]!), undefined, r.reason);
      }),
      RUNS,
    );
  });

  test('invalid UTF-8 inside a string: a JSON document is a 400, an NDJSON line is rejected alone', () => {
    const invalid = fc.constantFrom([0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]);
    fc.assert(
      fc.property(fc.array(recordObjectText(2, true), { minLength: 1, maxLength: 6 }), fc.nat(), invalid, (objects, at, bad) => {
        const pos = at % objects.length;
        const line = (o: string, i: number) => (i === pos ? Buffer.concat([Buffer.from('{"bad":"'), Buffer.from(bad), Buffer.from('"}')]) : Buffer.from(o));
        const arrayBody = Buffer.concat([Buffer.from('{"records":['), ...objects.flatMap((o, i) => [...(i ? [Buffer.from(',')] : []), line(o, i)]), Buffer.from(']}')]);
        assert.throws(() => decodeHttpBody({ body: arrayBody, kind: 'log', receivedAt: 1, contentType: 'application/json' }, limits), (err: unknown) => err instanceof RequestError && err.code === 'malformed_body' && /not valid UTF-8/.test(err.message));
        const ndjsonBody = Buffer.concat(objects.flatMap((o, i) => [line(o, i), Buffer.from('\n')]));
        const out = decodeHttpBody({ body: ndjsonBody, kind: 'log', receivedAt: 1, contentType: 'application/x-ndjson' }, limits);
        assert.deepEqual(out.rejects, [{ index: pos, reason: `record ${pos}: invalid UTF-8` }]);
        assert.deepEqual(out.records.map((r) => r.value.toString()), objects.filter((_, i) => i !== pos));
      }),
      RUNS,
    );
  });

  test('more elements than maxRecords is a 413 for arrays and {"records"} envelopes, never a partial decode', () => {
    fc.assert(
      fc.property(fc.array(recordObjectText(2), { maxLength: 12 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), (objects, maxRecords, wrapped) => {
        const array = `[${objects.join(',')}]`;
        const body = Buffer.from(wrapped ? `{"records":${array}}` : array);
        const decode = () => decodeHttpBody({ body, kind: 'log', receivedAt: 1, contentType: 'application/json' }, { ...limits, maxRecords });
        if (objects.length <= maxRecords) return decode().records.length === objects.length;
        assert.throws(decode, (err: unknown) => err instanceof RequestError && err.statusCode === 413 && err.message.includes(`has ${objects.length} records; the limit is ${maxRecords}`));
        return true;
      }),
      RUNS,
    );
  });

  test('NDJSON: valid lines among arbitrary (even binary) lines all come through', () => {
    const junkLine = fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/[\n]/g, ' '));
    fc.assert(
      fc.property(fc.array(fc.oneof(validRecord.map((r) => ({ ok: true, line: JSON.stringify(r) })), junkLine.map((l) => ({ ok: false, line: l }))), { maxLength: 40 }), (lines) => {
        const out = decodeOrRefuse(() => decodeHttpBody({ body: Buffer.from(lines.map((l) => l.line).join('\n')), kind: 'log', receivedAt: 1, contentType: 'application/x-ndjson' }, limits));
        if (!out) return lines.every((l) => l.line.trim() === '');
        const values = new Set(out.records.map((r) => r.value.toString()));
        return indexesArePermutation(out) && lines.every((l) => !l.ok || values.has(l.line));
      }),
      RUNS,
    );
  });

  test('CloudWatch Logs: arbitrary awslogs.data, and gzip of arbitrary JSON', () => {
    const data = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
      fc.jsonValue({ maxDepth: 6 }).map((v) => gzipSync(JSON.stringify(v) ?? 'null').toString('base64')),
      fc.array(fc.oneof(fc.record({ id: fc.string(), timestamp: fc.integer(), message: fc.string() }), garbage), { maxLength: 10 }).map((logEvents) =>
        gzipSync(JSON.stringify({ messageType: 'DATA_MESSAGE', owner: 'o', logGroup: 'g', logStream: 's', logEvents })).toString('base64'),
      ),
    );
    fc.assert(
      fc.property(data, (d) => {
        const out = decodeOrRefuse(() => decodeCloudWatchLogs({ awslogs: { data: d } } as CloudWatchLogsEvent, limits));
        return out === undefined || indexesArePermutation(out);
      }),
      RUNS,
    );
  });

  test('SQS: an object body is the record value as sent, minus the whitespace around it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(jsonSpace(), recordObjectText(3), jsonSpace()), { minLength: 1, maxLength: 10 }), (bodies) => {
        const event = { Records: bodies.map(([a, o, b], i) => ({ messageId: `m${i}`, body: `${a}${o}${b}` })) } as unknown as SQSEvent;
        const out = decodeSqs(event, limits);
        assert.deepEqual(out.rejects, []);
        assert.deepEqual(out.records.map((r) => r.value.toString()), bodies.map(([, o]) => o));
      }),
      RUNS,
    );
  });

  test('SQS: arbitrary message bodies give exactly one outcome per message', () => {
    const body = fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.jsonValue({ maxDepth: 12 }).map((v) => JSON.stringify(v)), fc.anything());
    fc.assert(
      fc.property(fc.array(body, { maxLength: 20 }), (bodies) => {
        const event = { Records: bodies.map((b, i) => ({ messageId: `m${i}`, body: b })) } as unknown as SQSEvent;
        const out = decodeSqs(event, limits);
        return indexesArePermutation(out) && out.records.length + out.rejects.length === bodies.length;
      }),
      RUNS,
    );
  });
});

/** One element of a body written as text, and what kind of record it should become. */
interface TextElement {
  text: string;
  kind: 'object' | 'string' | 'other';
}

/** A record object, a JSON string (a log line) or any other JSON value (rejected), as text. */
function textElement(singleLine: boolean): fc.Arbitrary<TextElement> {
  return fc.oneof(
    { weight: 4, arbitrary: recordObjectText(3, singleLine).map((text) => ({ text, kind: 'object' as const })) },
    { weight: 1, arbitrary: jsonStringText.map((text) => ({ text, kind: 'string' as const })) },
    { weight: 1, arbitrary: jsonValueText(2, singleLine).filter((t) => !t.startsWith('{') && !t.startsWith('"')).map((text) => ({ text, kind: 'other' as const })) },
  );
}

/** The value an element must reach the sink with; undefined when it must be rejected. */
function expectedValue(element: TextElement): Buffer | undefined {
  if (element.kind === 'object') return Buffer.from(element.text, 'utf8');
  if (element.kind === 'string') {
    const line = JSON.parse(element.text) as string;
    return line === '' ? undefined : Buffer.from(line, 'utf8');
  }
  return undefined;
}

type TextFormat = 'array' | 'records' | 'object' | 'ndjson';

interface TextBody {
  body: string;
  elements: TextElement[];
  format: TextFormat;
}

/** A body in one of the formats, written as text with whitespace around and between elements. */
function textBody(): fc.Arbitrary<TextBody> {
  return fc.constantFrom<TextFormat>('array', 'records', 'object', 'ndjson').chain((format): fc.Arbitrary<TextBody> => {
    const singleLine = format === 'ndjson';
    const ws = jsonSpace(singleLine);
    const spaced = fc.tuple(ws, textElement(singleLine), ws);
    if (format === 'ndjson') {
      return fc.array(spaced, { minLength: 1, maxLength: 20 }).map((items) => ({ body: items.map(([a, e, b]) => `${a}${e.text}${b}`).join('\n'), elements: items.map(([, e]) => e), format }));
    }
    if (format === 'object') {
      return fc
        .tuple(ws, recordObjectText(3), ws)
        .filter(([, text]) => !Object.hasOwn(JSON.parse(text) as object, 'records'))
        .map(([a, text, b]) => ({ body: `${a}${text}${b}`, elements: [{ text, kind: 'object' as const }], format }));
    }
    return fc.tuple(fc.array(spaced, { maxLength: 20 }), ws, ws, jsonValueText(2), fc.boolean()).map(([items, before, inside, meta, metaFirst]) => {
      const array = items.length === 0 ? `[${inside}]` : `[${items.map(([a, e, b]) => `${a}${e.text}${b}`).join(',')}]`;
      const records = `"records"${inside}:${before}${array}`;
      const body = format === 'array' ? `${before}${array}${inside}` : `{${metaFirst ? `"meta":${meta},${records}` : `${records},"meta":${meta}`}}`;
      return { body, elements: items.map(([, e]) => e), format };
    });
  });
}

describe('credential fuzzing', () => {
  const tenants = tenantIndex();
  const now = 1_790_000_000_000;
  const good = signRequest({ tenant: 'acme', keyId: 'k2', secret: SECRETS.acmeHmac, method: 'POST', path: '/v1/logs', body: 'x', timestamp: now });

  test('arbitrary Authorization headers never throw and never authenticate', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }).map((s) => `EF-HMAC-SHA256 ${s}`), fc.string().map((s) => `Bearer ${s}`)), (header) => {
        parseAuthorization(header);
        const v = verifyRequest({ method: 'POST', path: '/v1/logs', authorization: header, contentSha256: good['x-ef-content-sha256'] }, { tenants, now, replayWindowMs: 300_000, replay: new ReplayCache(100) });
        return !v.ok;
      }),
      RUNS,
    );
  });

  test('changing any one character of a valid signature makes it invalid', () => {
    const auth = good.authorization!;
    const start = auth.indexOf('Signature=') + 'Signature='.length;
    fc.assert(
      fc.property(fc.integer({ min: start, max: auth.length - 1 }), fc.constantFrom(...'0123456789abcdef'), (pos, ch) => {
        fc.pre(auth[pos] !== ch);
        const header = auth.slice(0, pos) + ch + auth.slice(pos + 1);
        return !verifyRequest({ method: 'POST', path: '/v1/logs', authorization: header, contentSha256: good['x-ef-content-sha256'] }, { tenants, now, replayWindowMs: 300_000, replay: new ReplayCache(100) }).ok;
      }),
      RUNS,
    );
  });
});

describe('handler fuzzing', () => {
  test('arbitrary events and HTTP requests: HTTP and CloudWatch shapes are answered without internal failures, anything else is refused', async () => {
    const { handler, lines } = recordingHandler({ AUTH_MODE: 'none' });
    const arbitraryHttp = fc
      .record({
        path: fc.constantFrom('/v1/logs', '/v1/events', '/x', '/prod/v1/heartbeats'),
        method: fc.constantFrom('POST', 'GET', 'post'),
        body: fc.oneof(fc.string({ maxLength: 500 }), fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b))),
        contentType: fc.option(fc.constantFrom(...CONTENT_TYPES.filter(Boolean) as string[], 'x/y'), { nil: undefined }),
        gzip: fc.boolean(),
        headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 50 }), { maxKeys: 5 }),
      })
      .map((o) => httpEvent(o));
    await fc.assert(
      fc.asyncProperty(fc.oneof(arbitraryHttp, fc.anything({ maxDepth: 3 }), fc.record({ awslogs: fc.record({ data: fc.anything() }) })), async (event) => {
        const served = ['http-v2', 'cloudwatch-logs'].includes(eventShape(event));
        const res = (await (handler(event as never) as Promise<unknown>).catch((err: unknown) => {
          assert.ok(!served && err instanceof UnsupportedEventError, `${eventShape(event)} event threw ${err}`);
          return undefined;
        })) as { statusCode?: number; body?: string } | undefined;
        if (res && 'statusCode' in res) assert.ok(![500, 503].includes(res.statusCode!), `${res.statusCode} ${res.body}`);
      }),
      { ...RUNS, numRuns: 200 },
    );
    assert.ok(!lines.some((l) => l.includes('unexpected failure')), lines.find((l) => l.includes('unexpected failure')));
  });
});
