/**
 * The outbox audit (`npm run outbox -- verify`, functions/outbox-verify.ts): makes visible a loss
 * the producer cannot see. Every tombstone records where the broker acknowledged its event
 * (acks=all); the audit reads those offsets back and checks that the record there carries the
 * event's id. A broker can acknowledge a batch it did not write (kafkajs's idempotent producer
 * rolls its sequence numbers back after a failed request; the broker takes the next batch for a
 * duplicate, drops it, and answers with an offset): that event shows up here as `missing`,
 * although the critical path said yes.
 *
 * Pure: tombstones and a reader come in, a report goes out. lib/handlers/outbox-verify.ts and
 * bin/outbox.ts wire in DynamoDB and Kafka.
 */
import type { ConsumerAdmin, OffsetRange } from '../consume/types';
import { HEADER } from '../domain/record';
import type { DeliveredEntry, OutboxStore } from './store';

/** What the audit needs of a record: where it is and its headers (ef-event-id). */
export interface AuditedRecord {
  partition: number;
  offset: number;
  headers: Readonly<Record<string, string>>;
}

export interface RangeRead {
  records: readonly AuditedRecord[];
  /** False when the reader could not read everything it was asked (time limit, records removed). */
  complete: boolean;
  /** What was actually read, when the reader clamps what it was asked to what the partitions hold. */
  ranges?: readonly OffsetRange[];
}

/** Reads [start, end) of each partition of one topic. */
export type RangeReader = (topic: string, ranges: OffsetRange[]) => Promise<RangeRead>;

export interface AuditReport {
  /** The window checked: tombstones with deliveredAt in [from, to). */
  from: number;
  to: number;
  /** Tombstones in the window: present + misplaced + missing + unverifiable + unread. */
  checked: number;
  /** At their recorded offset; a tombstone without a location counts here when its id was found anywhere read. */
  present: number;
  /** Not at the recorded offset but elsewhere in what was read: in Kafka, with a wrong offset on record. */
  misplaced: number;
  /** Acknowledged, yet neither at their offset nor anywhere read: lost. */
  missing: string[];
  /**
   * Tombstones without a location (written before offsets were recorded) whose id is not in what
   * was read. Nothing says where to look, so they are not counted as missing.
   */
  unverifiable: number;
  /** Only with an incomplete read: located entries beyond what the read reached (neither present nor missing). */
  unread: number;
  /** Topic partitions read, and records read from them. */
  partitionsRead: number;
  messagesRead: number;
  /** False when any read ran out of time or could not read all it was asked: never a clean result. */
  complete: boolean;
}

export type AuditProgress =
  | { step: 'listed'; entries: number; unlocated: number }
  | { step: 'reading'; topic: string; ranges: OffsetRange[] }
  | { step: 'read'; topic: string; messages: number; complete: boolean };

export interface AuditOptions {
  from: number;
  to: number;
  onProgress?: (progress: AuditProgress) => void;
}

/** Nothing missing, and everything asked for was read. */
export const isClean = (report: AuditReport): boolean => report.complete && report.missing.length === 0;

interface Located extends DeliveredEntry {
  topic: string;
  partition: number;
  offset: number;
}

/** A tombstone that says where its event is; a negative offset or partition is no location. */
function located(e: DeliveredEntry): e is Located {
  return e.topic !== undefined && e.partition !== undefined && e.offset !== undefined && e.partition >= 0 && e.offset >= 0;
}

/**
 * Reads, per topic and partition, [lowest recorded offset, highest + 1) and classifies each entry.
 * Topics are read one after the other, so one read at a time holds its records.
 */
export async function auditDeliveries(entries: readonly DeliveredEntry[], read: RangeReader, opts: AuditOptions): Promise<AuditReport> {
  const withLocation = entries.filter(located);
  const byTopic = new Map<string, Map<number, { min: number; max: number }>>();
  for (const e of withLocation) {
    const partitions = byTopic.get(e.topic) ?? new Map<number, { min: number; max: number }>();
    const span = partitions.get(e.partition);
    partitions.set(e.partition, span ? { min: Math.min(span.min, e.offset), max: Math.max(span.max, e.offset) } : { min: e.offset, max: e.offset });
    byTopic.set(e.topic, partitions);
  }

  // topic → partition → offset → event id there; every id read, whatever topic or offset.
  const idAt = new Map<string, Map<number, Map<number, string | undefined>>>();
  const idsRead = new Set<string>();
  const reached = new Map<string, ReadExtent>();
  let partitionsRead = 0;
  let messagesRead = 0;
  for (const [topic, partitions] of byTopic) {
    const ranges = [...partitions].map(([partition, { min, max }]) => ({ partition, start: min, end: max + 1 })).sort((a, b) => a.partition - b.partition);
    opts.onProgress?.({ step: 'reading', topic, ranges });
    const result = await read(topic, ranges);
    const offsets = new Map<number, Map<number, string | undefined>>();
    const highest = new Map<number, number>();
    for (const r of result.records) {
      const id = r.headers[HEADER.eventId];
      const inPartition = offsets.get(r.partition) ?? new Map<number, string | undefined>();
      inPartition.set(r.offset, id);
      offsets.set(r.partition, inPartition);
      highest.set(r.partition, Math.max(highest.get(r.partition) ?? -1, r.offset));
      if (id !== undefined) idsRead.add(id);
    }
    idAt.set(topic, offsets);
    reached.set(topic, { complete: result.complete, highest, starts: new Map((result.ranges ?? []).map((r) => [r.partition, r.start])) });
    partitionsRead += ranges.length;
    messagesRead += result.records.length;
    opts.onProgress?.({ step: 'read', topic, messages: result.records.length, complete: result.complete });
  }

  const report: AuditReport = {
    from: opts.from,
    to: opts.to,
    checked: entries.length,
    present: 0,
    misplaced: 0,
    missing: [],
    unverifiable: 0,
    unread: 0,
    partitionsRead,
    messagesRead,
    complete: [...reached.values()].every((r) => r.complete),
  };
  for (const e of entries) {
    if (!located(e)) {
      if (idsRead.has(e.id)) report.present++;
      else report.unverifiable++;
      continue;
    }
    if (idAt.get(e.topic)?.get(e.partition)?.get(e.offset) === e.id) report.present++;
    else if (idsRead.has(e.id)) report.misplaced++;
    else if (wasReached(reached.get(e.topic), e)) report.missing.push(e.id);
    else report.unread++;
  }
  return report;
}

/** How far the read of one topic got. */
interface ReadExtent {
  complete: boolean;
  /** Per partition, the highest offset read. */
  highest: Map<number, number>;
  /** Per partition, where the read started, when the reader said (above what was asked: records removed). */
  starts: Map<number, number>;
}

/**
 * Whether the read covered the entry's offset, so not finding it there means it is not in Kafka:
 * not below where the read started, and (unless the read completed) not beyond the last record read.
 */
function wasReached(extent: ReadExtent | undefined, e: Located): boolean {
  if (!extent) return false;
  if (e.offset < (extent.starts.get(e.partition) ?? 0)) return false;
  return extent.complete || (extent.highest.get(e.partition) ?? -1) >= e.offset;
}

/** Lists the window's tombstones and audits them. */
export async function verifyOutboxWindow(store: Pick<OutboxStore, 'listDelivered'>, read: RangeReader, opts: AuditOptions): Promise<AuditReport> {
  const entries = await store.listDelivered({ from: opts.from, to: opts.to });
  opts.onProgress?.({ step: 'listed', entries: entries.length, unlocated: entries.filter((e) => !located(e)).length });
  return auditDeliveries(entries, read, opts);
}

/**
 * A RangeReader over ConsumerAdmin.readRanges: headers and offsets only (payloads are dropped as
 * they arrive, and never printed), each read bounded by the time left until `deadline`.
 */
export function rangeReader(admin: Pick<ConsumerAdmin, 'readRanges'>, deadline: number, now: () => number = Date.now): RangeReader {
  return (topic, ranges) => admin.readRanges(topic, ranges, { timeoutMs: Math.max(0, deadline - now()), headersOnly: true });
}
