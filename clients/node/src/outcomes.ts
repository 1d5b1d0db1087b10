/**
 * What happened to each record of a request, from the server's answer (README "Wire protocol",
 * "Statuses"). Pure: the client acts on the outcomes, this only reads the answer.
 */
import type { HttpAnswer } from './transport';

export type RecordOutcome =
  | { kind: 'sent'; status: 'forwarded' | 'persisted' }
  | { kind: 'rejected'; reason: string; code?: string }
  /** Critical only: send it again (same id, same bytes) after a backoff. */
  | { kind: 'retry'; reason: string }
  /** Best effort only: not delivered and never resent. `server`: the server said dropped. */
  | { kind: 'dropped'; cause: 'server' | 'sendFailed'; reason: string };

export type Exchange = { ok: true; answer: HttpAnswer } | { ok: false; error: string };

interface ResultEntry {
  index?: unknown;
  status?: unknown;
  reason?: unknown;
  code?: unknown;
}

/** One outcome per record of the batch, in batch order. */
export function recordOutcomes(exchange: Exchange, count: number, critical: boolean): RecordOutcome[] {
  // A failure whose effect on the server is unknown: at-least-once resends, at-most-once does not.
  const failed = (reason: string): RecordOutcome => (critical ? { kind: 'retry', reason } : { kind: 'dropped', cause: 'sendFailed', reason });
  if (!exchange.ok) return Array.from({ length: count }, () => failed(`network error: ${exchange.error}`));

  const { status, body } = exchange.answer;
  const doc = parseJson(body);
  const error = isObject(doc) && isObject(doc.error) ? doc.error : undefined;
  const message = typeof error?.message === 'string' ? `: ${error.message}` : '';
  const code = typeof error?.code === 'string' ? error.code : undefined;

  const byStatus = (): RecordOutcome => {
    if (status === 429 || status >= 500) return failed(`HTTP ${status}${message}`);
    if (status >= 400) return { kind: 'rejected', reason: `HTTP ${status}${message}`, ...(code !== undefined && { code }) };
    // A 2xx (or anything else) without a result for the record: an answer not in the protocol.
    return failed(`HTTP ${status} without a result for this record`);
  };

  const results = isObject(doc) && Array.isArray(doc.results) ? (doc.results as unknown[]) : undefined;
  if (!results) return Array.from({ length: count }, byStatus);
  const byIndex = new Map<number, ResultEntry>();
  for (const r of results) if (isObject(r) && Number.isInteger(r.index)) byIndex.set(r.index as number, r);
  return Array.from({ length: count }, (_, i) => {
    const r = byIndex.get(i);
    return (r && fromResult(r, critical, failed)) ?? byStatus();
  });
}

function fromResult(r: ResultEntry, critical: boolean, failed: (reason: string) => RecordOutcome): RecordOutcome | undefined {
  const reason = typeof r.reason === 'string' ? r.reason : String(r.status);
  switch (r.status) {
    case 'forwarded':
    case 'persisted':
      return { kind: 'sent', status: r.status };
    case 'dropped':
      // The server never drops a critical record; if it said so, resending the same id is the safe reading.
      return critical ? failed(reason) : { kind: 'dropped', cause: 'server', reason };
    case 'rejected':
      return { kind: 'rejected', reason, ...(typeof r.code === 'string' && { code: r.code }) };
    case 'retry':
      return failed(reason);
    default:
      return undefined;
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
