/**
 * fast-check arbitraries that write JSON text directly, never through JSON.stringify, so the text
 * holds what clients really send and a parse + re-serialise would change: numbers in non-canonical
 * forms (19.90, 1e2, -0, 12345678901234567890, 1e999999), escapes (\u00e9, \/, surrogate pairs,
 * lone surrogates), raw non-ASCII, and brackets, commas and quotes inside strings.
 */
import fc from 'fast-check';

/** Whitespace JSON allows between tokens; `singleLine` leaves out LF (for NDJSON lines). */
export function jsonSpace(singleLine = false): fc.Arbitrary<string> {
  return fc.constantFrom('', '', ' ', '\t', '\r', '  ', ...(singleLine ? [] : ['\n', '\r\n', '\n  ']));
}

/** Numbers as text: canonical and not (trailing zeros, exponents, -0, beyond float64 range and precision). */
export const jsonNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('19.90', '1e2', '1E+2', '-0', '-0.0', '12345678901234567890', '1e999999', '-1e999999', '1e-999999', '0.1000', '5e-324', '123456789012345678901234567890.000', '1.0', '0'),
  fc
    .record({
      sign: fc.constantFrom('', '-'),
      int: fc.oneof(fc.constant('0'), fc.bigInt({ min: 1n, max: 10n ** 25n }).map(String)),
      frac: fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined }),
      exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 400 })), { nil: undefined }),
    })
    .map(({ sign, int, frac, exp }) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : exp.join('')}`),
);

/** One character of a JSON string's body, as written in the text. */
const stringPiece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'Z', '0', ' ', '[', ']', '{', '}', ',', ':', '#', "'") },
  { weight: 3, arbitrary: fc.constantFrom('\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u00e9', '\\u0000', '\\uD83C\\uDFAE', '\\ud800', '\\udfff', '\\u005c', '\\u0022') },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ü', '中', '🎮', '\u2028', '\u00a0') },
  // Raw characters a JSON string may hold unescaped: no quote, backslash or control character.
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }).filter((s) => [...s].every((c) => c !== '"' && c !== '\\' && c.codePointAt(0)! >= 0x20)) },
);

/** A JSON string as text, quotes included. */
export const jsonStringText: fc.Arbitrary<string> = fc.array(stringPiece, { maxLength: 12 }).map((pieces) => `"${pieces.join('')}"`);

/** An object key that never decodes to a reserved field name (id, type, key, tier, timestamp). */
const payloadKeyText = fc.oneof(
  jsonStringText.map((s) => `"k${s.slice(1)}`),
  fc.constantFrom('"__proto__"', '"constructor"', '"records"', '"\\u0069d2"'),
);

/** Any JSON value as text, nested at most `depth` levels. */
export function jsonValueText(depth: number, singleLine = false): fc.Arbitrary<string> {
  const ws = jsonSpace(singleLine);
  const scalar = fc.oneof(jsonNumberText, jsonStringText, fc.constantFrom('true', 'false', 'null'));
  if (depth <= 0) return scalar;
  const inner = jsonValueText(depth - 1, singleLine);
  return fc.oneof(
    { weight: 3, arbitrary: scalar },
    { weight: 1, arbitrary: jsonArrayText(inner, ws) },
    { weight: 1, arbitrary: jsonObjectText(inner, ws) },
  );
}

/** A record object as text: payload keys only, so the decoder accepts it; nested at most `depth` levels. */
export function recordObjectText(depth = 3, singleLine = false): fc.Arbitrary<string> {
  return jsonObjectText(jsonValueText(depth - 1, singleLine), jsonSpace(singleLine));
}

function jsonArrayText(value: fc.Arbitrary<string>, ws: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(ws, value, ws), { maxLength: 4 })
    .chain((items) => ws.map((inside) => (items.length === 0 ? `[${inside}]` : `[${items.map((t) => t.join('')).join(',')}]`)));
}

function jsonObjectText(value: fc.Arbitrary<string>, ws: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(ws, payloadKeyText, ws, ws, value, ws), { maxLength: 5 })
    .chain((members) =>
      ws.map((inside) =>
        members.length === 0 ? `{${inside}}` : `{${members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}`,
      ),
    );
}
