/**
 * What a failed produce means for the records in it. kafkajs's own `retriable` flag answers a
 * different question (whether *its* retry loop should go on): it calls exhausted retries,
 * out-of-order sequence numbers, lock timeouts and a refused connection non-retriable, and an
 * outbox that believed it would dead-letter healthy events during an ordinary broker outage.
 * For a record only a refusal of the record itself is permanent; everything else can succeed
 * on a later attempt, with a fresh connection and producer identity.
 */

/** Kafka error codes (by kafkajs's `type` name) that refuse the records themselves. */
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
]);

export interface SendFailure {
  reason: string;
  retriable: boolean;
}

/** Walks kafkajs's wrappers (`cause`, `originalError`) to the error types underneath. */
function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && typeof e === 'object' && chain.length < 8 && !chain.includes(e); ) {
    chain.push(e);
    const next = e as { cause?: unknown; originalError?: unknown };
    e = next.cause ?? next.originalError;
  }
  return chain.length ? chain : [err];
}

export function classifySendError(err: unknown): SendFailure {
  const chain = errorChain(err);
  const refusal = chain.find((e) => RECORD_REFUSALS.has(String((e as { type?: unknown } | null | undefined)?.type)));
  const messages = chain.map((e) => (e instanceof Error ? e.message : String(e))).filter((m, i, all) => m && all.indexOf(m) === i);
  const type = (refusal as { type?: string } | undefined)?.type;
  return { reason: (type ? `${type}: ` : '') + (messages.join(': ') || 'unknown produce error'), retriable: refusal === undefined };
}
