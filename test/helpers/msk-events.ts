/**
 * MSK event source fixtures, in the shape Lambda delivers (what lib/sources/msk.ts decodes):
 *
 *   { eventSource: "aws:kafka", eventSourceArn, bootstrapServers,
 *     records: { "<topic>-<partition>": [{ topic, partition, offset, timestamp, timestampType,
 *                                          key: base64, value: base64, headers: [{ name: [bytes] }] }] } }
 *
 * key/value are left out when null (a null key; a tombstone). Header bytes are written the way
 * Lambda's Java poller serialises byte[]: signed, so UTF-8 bytes >= 0x80 appear as negatives.
 */
import type { MSKEvent } from 'aws-lambda';
import { ACCOUNT_ID, REGION } from './events';

export interface MskRecordInput {
  topic?: string;
  partition?: number;
  /** Default: the next offset of its partition in this event (starting at `firstOffset`). */
  offset?: number;
  timestamp?: number;
  timestampType?: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string | Buffer | null;
  /** Objects become JSON. */
  value?: string | Buffer | object | null;
  headers?: Record<string, string>;
}

export interface MskEventOptions {
  selfManaged?: boolean;
  /** First offset per partition when records give none. Default 100. */
  firstOffset?: number;
  /** Header bytes as 0..255 instead of Java's signed -128..127. */
  unsignedHeaderBytes?: boolean;
}

export const MSK_CLUSTER_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT_ID}:cluster/edge-msk/7f3c2a91-58d4-4c1e-9b2a-0d6e5f4a3b21-3`;
export const MSK_BOOTSTRAP = [1, 2, 3].map((n) => `b-${n}.edgemsk.q1w2e3.c3.kafka.${REGION}.amazonaws.com:9098`).join(',');

const toBuffer = (v: string | Buffer | object): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');

/** Java's byte[] as JSON numbers. */
export function headerBytes(value: string, unsigned = false): number[] {
  return [...Buffer.from(value, 'utf8')].map((b) => (unsigned || b < 0x80 ? b : b - 0x100));
}

export function mskEvent(inputs: readonly MskRecordInput[], opts: MskEventOptions = {}): MSKEvent {
  const records: Record<string, unknown[]> = {};
  const nextOffset = new Map<string, number>();
  const now = Date.now();
  for (const r of inputs) {
    const topic = r.topic ?? 'edge.critical';
    const partition = r.partition ?? 0;
    const pk = `${topic}-${partition}`;
    const offset = r.offset ?? nextOffset.get(pk) ?? opts.firstOffset ?? 100;
    nextOffset.set(pk, offset + 1);
    const record: Record<string, unknown> = {
      topic,
      partition,
      offset,
      timestamp: r.timestamp ?? now,
      timestampType: r.timestampType ?? 'CREATE_TIME',
      headers: Object.entries(r.headers ?? {}).map(([name, v]) => ({ [name]: headerBytes(v, opts.unsignedHeaderBytes) })),
    };
    if (r.key !== undefined && r.key !== null) record.key = toBuffer(r.key).toString('base64');
    if (r.value !== undefined && r.value !== null) record.value = toBuffer(r.value).toString('base64');
    (records[pk] ??= []).push(record);
  }
  const event = opts.selfManaged
    ? { eventSource: 'SelfManagedKafka', bootstrapServers: MSK_BOOTSTRAP, records }
    : { eventSource: 'aws:kafka', eventSourceArn: MSK_CLUSTER_ARN, bootstrapServers: MSK_BOOTSTRAP, records };
  return event as unknown as MSKEvent;
}

/** The headers edge-forwarder stamps on every record (lib/domain/record.ts HEADER). */
export function forwardedHeaders(h: { eventId: string; producer?: string; seq?: number; tenant?: string; source?: string }): Record<string, string> {
  return {
    'ef-event-id': h.eventId,
    'ef-source': h.source ?? 'http',
    'ef-tenant': h.tenant ?? 'studio-test',
    'ef-producer': h.producer ?? 'edge-forwarder-0a1b2c3d4e5f',
    'ef-seq': String(h.seq ?? 0),
  };
}
