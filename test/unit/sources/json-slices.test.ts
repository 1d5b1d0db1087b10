import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { arrayElementRanges, memberArrayElementRanges, trimJsonSpace } from '../../../lib/sources/json-slices';
import { jsonSpace, jsonValueText, recordObjectText } from '../../helpers/json-text';

const RUNS = { seed: 20_261_212, numRuns: 400 } as const;

/** The texts arrayElementRanges finds in `text` (an array at its first non-space byte). */
function elements(text: string): string[] | undefined {
  const data = Buffer.from(text, 'utf8');
  const open = data.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  return arrayElementRanges(data, open)?.map((r) => data.toString('utf8', r.start, r.end));
}

/** The texts of the "records" array's elements in the object `text`. */
function recordsElements(text: string): string[] | undefined {
  const data = Buffer.from(text, 'utf8');
  return memberArrayElementRanges(data, data.indexOf('{'), 'records')?.map((r) => data.toString('utf8', r.start, r.end));
}

describe('json-slices: array elements', () => {
  test('elements are the exact text, without the whitespace around them', () => {
    assert.deepEqual(elements(' [ 19.90 ,\n1e2,\t-0 , 12345678901234567890,1e999999 ] '), ['19.90', '1e2', '-0', '12345678901234567890', '1e999999']);
    assert.deepEqual(elements('[{"a" : [1, 2] } , "x" ,true,null,false]'), ['{"a" : [1, 2] }', '"x"', 'true', 'null', 'false']);
    assert.deepEqual(elements('[]'), []);
    assert.deepEqual(elements('[ \n ]'), []);
  });

  test('brackets, commas and quotes inside strings do not split or end an element', () => {
    assert.deepEqual(elements('[{"s":"],[{,}\\"]"},"\\\\","\\"",{"t":"\\\\\\""}]'), ['{"s":"],[{,}\\"]"}', '"\\\\"', '"\\""', '{"t":"\\\\\\""}']);
    assert.deepEqual(elements('["caf\\u00e9 \\/ \\uD83C\\uDFAE 🎮 中", "\\ud800"]'), ['"caf\\u00e9 \\/ \\uD83C\\uDFAE 🎮 中"', '"\\ud800"']);
  });

  test('byte offsets count UTF-8 bytes, not characters', () => {
    const data = Buffer.from('["é🎮",{"k":"中"}]', 'utf8');
    const ranges = arrayElementRanges(data, 0);
    assert.deepEqual(ranges, [
      { start: 1, end: 9 },
      { start: 10, end: 21 },
    ]);
  });

  test('100,000 levels of nesting in one element: one range, no stack overflow', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const data = Buffer.from(`[${deep}, {"ok":1}]`);
    assert.deepEqual(arrayElementRanges(data, 0), [
      { start: 1, end: 1 + deep.length },
      { start: 3 + deep.length, end: 11 + deep.length },
    ]);
  });

  for (const bad of ['[', '[1,]', '[,1]', '[1 2]', '["unterminated]', '{"a":1}', '[{"a":1]', '[1,', ' [1]']) {
    test(`not a well-formed array at the offset: ${JSON.stringify(bad)} → undefined`, () => {
      assert.equal(arrayElementRanges(Buffer.from(bad), 0), undefined);
    });
  }

  test('property: for arrays written as text, the ranges are exactly the written elements, and each parses to JSON.parse\'s element', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(jsonSpace(), jsonValueText(3), jsonSpace()), { maxLength: 12 }), jsonSpace(), (items, inside) => {
        const text = items.length === 0 ? `[${inside}]` : `[${items.map((t) => t.join('')).join(',')}]`;
        const found = elements(text);
        assert.deepEqual(found, items.map(([, value]) => value));
        const parsed = JSON.parse(text) as unknown[];
        for (const [i, element] of found!.entries()) assert.deepEqual(JSON.parse(element), parsed[i]);
      }),
      RUNS,
    );
  });

  test('property: arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, at) => {
        const data = Buffer.from([0x5b, ...bytes]);
        arrayElementRanges(data, 0);
        arrayElementRanges(data, at);
        memberArrayElementRanges(Buffer.from([0x7b, ...bytes]), 0, 'records');
      }),
      RUNS,
    );
  });
});

describe('json-slices: the elements of an object member\'s array', () => {
  test('the top-level member, not one nested or inside a string', () => {
    assert.deepEqual(recordsElements('{"meta":{"records":[1]},"note":"\\"records\\":[2]","records" : [ 3.0 , {"a":[4]} ]}'), ['3.0', '{"a":[4]}']);
    assert.equal(recordsElements('{"meta":{"records":[1]}}'), undefined);
    assert.equal(recordsElements('{}'), undefined);
    assert.deepEqual(recordsElements('{"records":[]}'), []);
  });

  test('the last of duplicate members wins, as in JSON.parse, even when it is not an array', () => {
    assert.deepEqual(recordsElements('{"records":[1],"records":[2, 3]}'), ['2', '3']);
    assert.equal(recordsElements('{"records":[1],"records":5}'), undefined);
    assert.deepEqual(recordsElements('{"records":5,"records":[1e2]}'), ['1e2']);
  });

  test('an escaped spelling of the name matches; a different name does not', () => {
    assert.deepEqual(recordsElements('{"rec\\u006frds":[1]}'), ['1']);
    assert.equal(recordsElements('{"Records":[1],"records2":[2]}'), undefined);
  });

  test('property: in objects written as text, the elements found are JSON.parse\'s "records", or none when it is not an array', () => {
    fc.assert(
      fc.property(recordObjectText(3), recordObjectText(2), (before, after) => {
        // The wrapper's other members come from two generated objects (which may hold "records" too).
        const inner = (o: string) => o.trim().slice(1, -1).trim();
        const members = [inner(before), '"records":[1.50, "x"]', inner(after)].filter((m) => m !== '');
        const text = `{${members.join(',')}}`;
        const parsed = JSON.parse(text) as { records: unknown };
        const found = recordsElements(text);
        if (Array.isArray(parsed.records)) assert.deepEqual(found?.map((e) => JSON.parse(e)), parsed.records);
        else assert.equal(found, undefined);
      }),
      RUNS,
    );
  });
});

describe('json-slices: trimJsonSpace', () => {
  test('drops only JSON whitespace around, and returns a view', () => {
    const data = Buffer.from(' \t\r\n{"a": 1 }\n\u00a0', 'utf8');
    const trimmed = trimJsonSpace(data);
    assert.equal(trimmed.toString(), '{"a": 1 }\n\u00a0', 'U+00A0 is not JSON whitespace');
    assert.equal(trimmed.buffer, data.buffer);
    assert.equal(trimJsonSpace(Buffer.from(' \n ')).length, 0);
  });
});
