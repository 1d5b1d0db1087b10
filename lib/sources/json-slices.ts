/**
 * Where JSON values sit in a body, as byte ranges, so a record's value can be the exact text the
 * client sent: re-serialising a parsed value changes it (19.90 → 19.9, 1e2 → 100,
 * 12345678901234567890 → 12345678901234567000, 1e999999 → null, "\u00e9" → "é").
 *
 * The callers hand in text JSON.parse has already accepted, so the scanner only finds where values
 * begin and end; it does not validate tokens. It tracks string and escape state (brackets, commas
 * and quotes inside strings are data) and nesting with a counter, never recursion, so no depth can
 * overflow the stack; nesting limits (Limits.maxJsonDepth) are checked on the parsed record. On
 * text that is not JSON it returns undefined rather than throwing. Pure, one pass over the bytes.
 */

/** The bytes [start, end) of one JSON value. */
export interface ByteRange {
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The four bytes JSON allows between tokens (RFC 8259 §2). */
export function isJsonSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** `data` without the JSON whitespace around it; a view, not a copy. */
export function trimJsonSpace(data: Buffer): Buffer {
  let start = 0;
  let end = data.length;
  while (start < end && isJsonSpace(data[start])) start++;
  while (end > start && isJsonSpace(data[end - 1])) end--;
  return start === 0 && end === data.length ? data : data.subarray(start, end);
}

/**
 * The element ranges of the JSON array whose `[` is at `open`, in order, without the whitespace
 * around each element. undefined when `open` is not the start of a well-formed array.
 */
export function arrayElementRanges(data: Buffer, open: number): ByteRange[] | undefined {
  return scanArray(data, open)?.ranges;
}

/**
 * The element ranges of the array that is the value of the member called `name` of the object
 * whose `{` is at `open` (its own members only, not nested ones). With duplicate names the last
 * wins, as in JSON.parse. undefined when there is no such member, its value is not an array, or
 * the object is not well-formed. The array is scanned once, while the object is.
 */
export function memberArrayElementRanges(data: Buffer, open: number, name: string): ByteRange[] | undefined {
  if (data[open] !== OPEN_BRACE) return undefined;
  let found: ByteRange[] | undefined;
  let pos = skipSpace(data, open + 1);
  if (data[pos] === CLOSE_BRACE) return undefined;
  for (;;) {
    if (data[pos] !== QUOTE) return undefined;
    const keyEnd = stringEnd(data, pos);
    if (keyEnd === -1) return undefined;
    const isName = keyEquals(data, pos, keyEnd, name);
    pos = skipSpace(data, keyEnd);
    if (data[pos] !== COLON) return undefined;
    pos = skipSpace(data, pos + 1);
    let end: number;
    if (isName) {
      const array = data[pos] === OPEN_BRACKET ? scanArray(data, pos) : undefined;
      found = array?.ranges;
      end = array?.end ?? valueEnd(data, pos);
    } else {
      end = valueEnd(data, pos);
    }
    if (end === -1) return undefined;
    pos = skipSpace(data, end);
    if (data[pos] === CLOSE_BRACE) return found;
    if (data[pos] !== COMMA) return undefined;
    pos = skipSpace(data, pos + 1);
  }
}

/** The element ranges of the array at `open`, and the index just past its `]`. */
function scanArray(data: Buffer, open: number): { ranges: ByteRange[]; end: number } | undefined {
  if (data[open] !== OPEN_BRACKET) return undefined;
  const ranges: ByteRange[] = [];
  let pos = skipSpace(data, open + 1);
  if (data[pos] === CLOSE_BRACKET) return { ranges, end: pos + 1 };
  for (;;) {
    const end = valueEnd(data, pos);
    if (end === -1) return undefined;
    ranges.push({ start: pos, end });
    pos = skipSpace(data, end);
    if (data[pos] === CLOSE_BRACKET) return { ranges, end: pos + 1 };
    if (data[pos] !== COMMA) return undefined;
    pos = skipSpace(data, pos + 1);
  }
}

function skipSpace(data: Buffer, pos: number): number {
  while (pos < data.length && isJsonSpace(data[pos])) pos++;
  return pos;
}

/** Index just past the value starting at `pos`, or -1. */
function valueEnd(data: Buffer, pos: number): number {
  const first = data[pos];
  if (first === QUOTE) return stringEnd(data, pos);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return containerEnd(data, pos);
  // number, true, false, null: runs to the next delimiter
  let end = pos;
  while (end < data.length && !isDelimiter(data[end]!)) end++;
  return end === pos ? -1 : end;
}

function isDelimiter(byte: number): boolean {
  return byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE || byte === COLON || isJsonSpace(byte);
}

/** Index just past the closing quote of the string whose opening quote is at `pos`, or -1. */
function stringEnd(data: Buffer, pos: number): number {
  const len = data.length;
  for (let i = pos + 1; i < len; i++) {
    const byte = data[i]!;
    if (byte === BACKSLASH) i++; // the escaped byte is never a delimiter (\" \\ \/ \u...)
    else if (byte === QUOTE) return i + 1;
  }
  return -1;
}

/** Index just past the bracket that closes the object/array opened at `pos`, or -1. */
function containerEnd(data: Buffer, pos: number): number {
  const len = data.length;
  let depth = 0;
  for (let i = pos; i < len; i++) {
    const byte = data[i]!;
    if (byte === QUOTE) {
      const end = stringEnd(data, i);
      if (end === -1) return -1;
      i = end - 1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Whether the JSON string at [start, end) (quotes included) decodes to `name`. */
function keyEquals(data: Buffer, start: number, end: number, name: string): boolean {
  const raw = data.toString('latin1', start + 1, end - 1);
  if (raw === name) return true;
  // Only an escaped spelling ("rec\u006frds") can still match; the plain bytes differ.
  if (!raw.includes('\\')) return false;
  try {
    return JSON.parse(data.toString('utf8', start, end)) === name;
  } catch {
    return false;
  }
}
