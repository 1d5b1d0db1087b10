/**
 * SQS batch → DecodedRecord[] + per-message rejects. Each message body is one record: a JSON
 * object with the usual reserved fields (`id`, `type`, `key`, `tier`, `timestamp`). Pure.
 * Message ids travel as `itemId` so statuses can become `batchItemFailures`. A record without an
 * `id` gets one derived from its messageId (stableEventId), which SQS keeps across redeliveries:
 * the outbox then recognises a redelivered message instead of storing it again.
 */
import { isUtf8 } from 'node:buffer';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { stableEventId } from '../domain/ids';
import { errorMessage } from '../platform/errors';
import type { Limits } from '../domain/limits';
import type { DecodeResult, SourceRef } from '../domain/record';
import type { RecordKind } from '../domain/tiers';
import { tooManyRecords } from './envelope';
import { decodeRecordValue, isReject, rejectRecord, tooLarge, type RecordContext } from './record-fields';

export function decodeSqs(event: SQSEvent, limits: Limits, kind: RecordKind = 'event'): DecodeResult {
  const messages = Array.isArray(event?.Records) ? event.Records : [];
  if (messages.length > limits.maxRecords) throw tooManyRecords(messages.length, limits.maxRecords, 'SQS batch');
  const ctx: RecordContext = { kind, receivedAt: Date.now(), timestampWindow: limits, maxRecordBytes: limits.maxRecordBytes, maxJsonDepth: limits.maxJsonDepth };
  const out: DecodeResult = { records: [], rejects: [] };
  messages.forEach((message, index) => {
    const outcome = decodeMessage(message, { source: 'sqs', index, itemId: String(message?.messageId ?? index) }, ctx, limits.maxRecordBytes);
    if (isReject(outcome)) out.rejects.push(outcome);
    else {
      const messageId: unknown = message?.messageId;
      if (outcome.id === undefined && typeof messageId === 'string' && messageId.length > 0) outcome.id = stableEventId(['sqs', messageId]);
      out.records.push(outcome);
    }
  });
  return out;
}

function decodeMessage(message: SQSRecord | undefined, ref: SourceRef, ctx: RecordContext, maxRecordBytes: number) {
  const body = Buffer.from(typeof message?.body === 'string' ? message.body : '', 'utf8');
  if (body.length > maxRecordBytes) return tooLarge(ref, body.length, maxRecordBytes);
  if (!isUtf8(body)) return rejectRecord(ref, 'body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return rejectRecord(ref, `invalid JSON: ${errorMessage(err)}`);
  }
  return decodeRecordValue(parsed, ref, ctx, typeof parsed === 'object' ? body : undefined);
}
