/**
 * Consumer runners: where the commit sits relative to processing decides the guarantee.
 *
 *   at-most-once   commit the polled offsets, then process. A crash after the commit skips
 *                  those records; nothing is ever processed twice. For logs and heartbeats.
 *   at-least-once  process, then commit. A crash before the commit redelivers the records;
 *                  with a DedupeStore keyed by ef-event-id they still take effect once.
 *                  For the critical tier.
 *
 * Both depend only on the BatchConsumer interface (kafkajs lives in lib/adapters/kafka/).
 */
import { errorMessage } from '../platform/errors';
import { HEADER } from '../domain/record';
import type { Logger } from '../platform/telemetry';
import { processOnce, type DedupeStore } from './dedupe';
import type { BatchConsumer, BatchControl, ConsumedRecord, PolledBatch } from './types';

export type RecordHandler = (record: ConsumedRecord) => Promise<void>;

export interface RunnerStats {
  /** Records whose handler completed. */
  processed: number;
  /** at-most-once: handler failures (never retried). */
  failed: number;
  /** at-least-once: failed attempts (each one is retried). */
  retries: number;
  /** at-least-once with dedupe: records skipped because their event id was already done. */
  duplicates: number;
  /** Records covered by commits. */
  committed: number;
}

export interface Runner {
  /** Joins the group; resolves once polling started (see BatchConsumer.run). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: Readonly<RunnerStats>;
}

interface CommonOptions {
  consumer: BatchConsumer;
  handle: RecordHandler;
  log: Logger;
  /** A polled batch is committed (at-most-once) or processed (at-least-once) in slices of this many records. Default 500. */
  maxBatchRecords?: number;
}

export interface AtLeastOnceOptions extends CommonOptions {
  /** Skips records whose ef-event-id was processed before. Records without one are processed as they come. */
  dedupe?: DedupeStore;
  /** How long a claim on an event id holds; must exceed one record's processing. Default 60 s. */
  leaseMs?: number;
  /** Backoff before a failed record is polled again: initial, doubling up to max. Default 200 ms … 10 s. */
  retryBackoffMs?: { initial: number; max: number };
}

function newStats(): RunnerStats {
  return { processed: 0, failed: 0, retries: 0, duplicates: 0, committed: 0 };
}

function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function runner(consumer: BatchConsumer, stats: RunnerStats, onBatch: (b: PolledBatch, c: BatchControl) => Promise<void>): Runner {
  return { start: () => consumer.run(onBatch), stop: () => consumer.stop(), stats };
}

const position = (r: ConsumedRecord) => ({ topic: r.topic, partition: r.partition, offset: r.offset });

export function atMostOnce(opts: CommonOptions): Runner {
  const stats = newStats();
  const size = opts.maxBatchRecords ?? 500;
  return runner(opts.consumer, stats, async (batch, ctl) => {
    for (const slice of slices(batch.records, size)) {
      if (!ctl.isRunning()) return;
      // Commit first. If this throws nothing below runs: the slice is polled again, still unprocessed.
      await ctl.commit(slice[slice.length - 1]!.offset + 1);
      stats.committed += slice.length;
      for (const record of slice) {
        try {
          await opts.handle(record);
          stats.processed++;
        } catch (err) {
          // Already committed: a retry would be a second delivery, which this tier never makes.
          stats.failed++;
          opts.log.warn('record failed; not retried (at-most-once)', { ...position(record), error: errorMessage(err) });
        }
      }
      await ctl.heartbeat();
    }
  });
}

export function atLeastOnce(opts: AtLeastOnceOptions): Runner {
  const stats = newStats();
  const size = opts.maxBatchRecords ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  const backoff = opts.retryBackoffMs ?? { initial: 200, max: 10_000 };
  const attempts = new Map<string, number>(); // failed attempts per topic/partition@offset

  async function processOne(record: ConsumedRecord): Promise<void> {
    const id = record.headers[HEADER.eventId];
    const handle = () => opts.handle(record);
    const outcome = opts.dedupe && id ? await processOnce(id, opts.dedupe, leaseMs, handle) : await handle().then(() => 'processed' as const);
    if (outcome === 'duplicate') stats.duplicates++;
    else stats.processed++;
  }

  return runner(opts.consumer, stats, async (batch, ctl) => {
    for (const slice of slices(batch.records, size)) {
      let done = 0;
      for (const record of slice) {
        if (!ctl.isRunning()) break;
        const key = `${record.topic}/${record.partition}@${record.offset}`;
        try {
          await processOne(record);
          attempts.delete(key);
          done++;
        } catch (err) {
          const n = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, n);
          stats.retries++;
          const wait = Math.min(backoff.max, backoff.initial * 2 ** (n - 1));
          opts.log.warn('record failed; retrying (at-least-once)', { ...position(record), attempt: n, retryInMs: wait, error: errorMessage(err) });
          // Keep what succeeded before it, then poll again from the failed record.
          if (done > 0) await commitThrough(ctl, slice[done - 1]!, done);
          ctl.retryAfter(wait);
          return;
        }
      }
      if (done > 0) await commitThrough(ctl, slice[done - 1]!, done);
      if (done < slice.length) return; // stopping
      await ctl.heartbeat();
    }
  });

  async function commitThrough(ctl: BatchControl, last: ConsumedRecord, count: number) {
    await ctl.commit(last.offset + 1);
    stats.committed += count;
  }
}
