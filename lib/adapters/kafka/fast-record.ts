/**
 * A drop-in for kafkajs's per-record encoder (KAFKAJS_RECORD_MODULE) that encodes a record into ONE buffer.
 * kafkajs builds an Encoder per record and per header, each starting with a zeroed 512-byte
 * buffer: with five headers that is six allocations per record, most of the producer's CPU and
 * GC time (BENCHMARKS.md). The bytes are identical to kafkajs's (a property test compares them);
 * ./fast-record-install puts it in place for kafkajs, and tools/build.ts does the same in bundles.
 *
 * Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *           Key:varint-bytes Value:varint-bytes Headers:[Key:varint-string Value:varint-bytes]
 */
type Bytes = Buffer | string | number | null | undefined;

/** The kafkajs module this one replaces: the one definition both installers use. */
export const KAFKAJS_RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0';

export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
}

/** What kafkajs's writeEncoderArray accepts: an object with `buf` and `buffer`. */
export interface EncodedRecord {
  buf: Buffer;
  readonly buffer: Buffer;
}

const toBytes = (v: Bytes): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));

/** Same arithmetic as kafkajs's Encoder.encodeZigZag / writeUVarInt (32-bit). */
const zigzag32 = (n: number) => (n << 1) ^ (n >> 31);
function uvarintSize(v: number): number {
  let bytes = 1;
  while ((v & 0xffffff80) !== 0) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}
function writeUVarInt(buf: Buffer, at: number, v: number): number {
  while ((v & 0xffffff80) !== 0) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v & 0x7f;
  return at;
}

/** 64-bit zigzag varint for safe integers (timestamp deltas), as kafkajs's writeVarLong. */
function varlongBytes(n: number): number[] {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const bytesSize = (b: Buffer | null) => (b === null ? uvarintSize(zigzag32(-1)) : uvarintSize(zigzag32(b.length)) + b.length);
function writeBytes(buf: Buffer, at: number, b: Buffer | null): number {
  if (b === null) return writeUVarInt(buf, at, zigzag32(-1));
  at = writeUVarInt(buf, at, zigzag32(b.length));
  b.copy(buf, at);
  return at + b.length;
}

export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordInput): EncodedRecord {
  const k = toBytes(key);
  const v = toBytes(value);
  const hs: [Buffer, Buffer | null][] = [];
  for (const name of Object.keys(headers)) {
    const hv = headers[name];
    for (const one of Array.isArray(hv) ? hv : [hv]) hs.push([Buffer.from(name, 'utf8'), toBytes(one)]);
  }
  const ts = varlongBytes(timestampDelta);
  let body = 1 + ts.length + uvarintSize(zigzag32(offsetDelta)) + bytesSize(k) + bytesSize(v) + uvarintSize(zigzag32(hs.length));
  for (const [hk, hv] of hs) body += uvarintSize(zigzag32(hk.length)) + hk.length + bytesSize(hv);

  const buf = Buffer.allocUnsafe(uvarintSize(zigzag32(body)) + body);
  let at = writeUVarInt(buf, 0, zigzag32(body));
  buf[at++] = 0; // attributes
  for (const b of ts) buf[at++] = b;
  at = writeUVarInt(buf, at, zigzag32(offsetDelta));
  at = writeBytes(buf, at, k);
  at = writeBytes(buf, at, v);
  at = writeUVarInt(buf, at, zigzag32(hs.length));
  // A header key is a varint-string: encoded exactly like varint-bytes of its UTF-8.
  for (const [hk, hv] of hs) at = writeBytes(buf, writeBytes(buf, at, hk), hv);
  return { buf, buffer: buf };
}
