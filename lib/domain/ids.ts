import { createHash, randomUUID } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): time-ordered, so ids sort by creation and consumers can reason about age
 * from the id alone. Built from randomUUID(), whose batched entropy is ~10x cheaper per id than
 * randomBytes(16): this runs once per record without an id, on the hot path.
 */
export function uuidv7(now: number = Date.now()): string {
  const ts = now.toString(16).padStart(12, '0');
  // v4 layout: xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep its random bits and variant, set version 7.
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

// The namespace of stableEventId's names (RFC 9562 §6.5): fixed forever, or every derived id changes.
const STABLE_ID_NAMESPACE = Buffer.from('5c0b3f6e4d2a4e8f9a1b7c3d2e4f6a8b', 'hex');

/**
 * The event id of a record that came without one, derived from its source's identity of it (an
 * SQS messageId, a Kinesis stream + shard + sequence number + position, a CloudWatch Logs event
 * id): a redelivery of the same item gets the same id, so the outbox and consumers recognise it.
 *
 * A name-based UUID, RFC 9562 version 8 over SHA-256 (its Appendix B.2): the same shape as the
 * uuidv7 ids (36 ASCII characters, a valid header value, far below the 128-character id limit),
 * without revealing the identity. The parts are hashed as a JSON array, so no choice of part
 * values can make two different identities hash the same text ("a:b","c" vs "a","b:c").
 */
export function stableEventId(identity: readonly string[]): string {
  const hash = createHash('sha256').update(STABLE_ID_NAMESPACE).update(JSON.stringify(identity)).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80; // version 8
  hash[8] = (hash[8]! & 0x3f) | 0x80; // variant 10 (RFC 9562)
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
