/**
 * A live loss estimate for the dashboard: `npm run loss-report` (lib/consume/loss.ts) over the
 * last minutes of the tier topics, kept up to date by cheap incremental reads.
 *
 * Each read fetches only what arrived since the previous one (per-partition cursors, headers
 * only, through the same throwaway-group readRanges the loss report uses) and keeps the
 * ef-producer / ef-seq / ef-event-id headers of the records read in the window; the estimate is
 * lossReport over what is kept. The first read of a topic goes back one window (readWindow).
 * A record leaves the window by when it was read, not by its Kafka timestamp: a record may carry
 * its sender's (older) timestamp. An idle topic costs one end-offset lookup per read.
 */
import { lossReport, type LossInput, type TopicLoss } from '../../lib/consume/loss';
import type { ConsumedRecord, ConsumerAdmin, WindowRead } from '../../lib/consume/types';
import { HEADER } from '../../lib/domain/record';
import { errorMessage } from '../../lib/platform/errors';

export interface LossWatchOptions {
  reader: Pick<ConsumerAdmin, 'readWindow' | 'readRanges'>;
  topics: readonly string[];
  windowMs: number;
  intervalMs: number;
  /** Per topic and read. */
  readTimeoutMs?: number;
  /** Headers kept at most (oldest dropped first): memory stays bounded under a benchmark. */
  maxRecords?: number;
  now?: () => number;
}

export interface LossEstimate {
  windowMs: number;
  intervalMs: number;
  /** When the last read finished; absent before the first one. */
  readAt?: number;
  /** False when the last read hit its time limit or found records already removed by retention. */
  complete: boolean;
  error?: string;
  topics: TopicLoss[];
}

interface Kept {
  seenAt: number;
  input: LossInput;
}

const KEPT_HEADERS = [HEADER.producer, HEADER.sequence, HEADER.eventId] as const;
/** Past every end offset: readRanges clamps a range to what the partition holds when the read starts. */
const TO_THE_END = Number.MAX_SAFE_INTEGER;

export class LossWatch {
  private readonly cursors = new Map<string, Map<number, number>>();
  private kept: Kept[] = [];
  private last: LossEstimate;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: LossWatchOptions) {
    this.now = opts.now ?? Date.now;
    this.last = { windowMs: opts.windowMs, intervalMs: opts.intervalMs, complete: true, topics: [] };
  }

  /** Reads now, then every intervalMs after each read finished (reads never overlap). */
  start(): void {
    const tick = () => {
      this.running = this.readOnce().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  estimate(): LossEstimate {
    return this.last;
  }

  /** One incremental read of every topic, then the estimate over the window. Never throws. */
  async readOnce(): Promise<void> {
    let complete = true;
    let error: string | undefined;
    for (const topic of this.opts.topics) {
      try {
        const read = await this.readNew(topic);
        complete &&= read.complete;
        const seenAt = this.now();
        for (const r of read.records) this.kept.push({ seenAt, input: lossInput(r) });
      } catch (err) {
        error = `${topic}: ${errorMessage(err)}`;
      }
    }
    const to = this.now();
    const from = to - this.opts.windowMs;
    const firstInWindow = this.kept.findIndex((k) => k.seenAt >= from);
    this.kept = firstInWindow < 0 ? [] : this.kept.slice(firstInWindow);
    const max = this.opts.maxRecords ?? 200_000;
    if (this.kept.length > max) this.kept = this.kept.slice(-max);
    const report = lossReport(
      this.kept.map((k) => k.input),
      { from, to },
    );
    this.last = {
      windowMs: this.opts.windowMs,
      intervalMs: this.opts.intervalMs,
      readAt: to,
      complete,
      ...(error !== undefined && { error }),
      topics: report.topics,
    };
  }

  private async readNew(topic: string): Promise<WindowRead> {
    const timeoutMs = this.opts.readTimeoutMs ?? 20_000;
    const cursor = this.cursors.get(topic);
    const read = cursor
      ? await this.opts.reader.readRanges(
          topic,
          [...cursor].map(([partition, start]) => ({ partition, start, end: TO_THE_END })),
          { timeoutMs, headersOnly: true },
        )
      : await this.opts.reader.readWindow(topic, { since: this.now() - this.opts.windowMs, timeoutMs });
    this.cursors.set(topic, nextCursor(read));
    return read;
  }
}

/**
 * Where the next read of each partition starts: the end of what was asked when all of it was read,
 * else one past the last record read (a partition is read in offset order).
 */
function nextCursor(read: WindowRead): Map<number, number> {
  const lastRead = new Map<number, number>();
  for (const r of read.records) lastRead.set(r.partition, Math.max(lastRead.get(r.partition) ?? -1, r.offset));
  return new Map(read.ranges.map((range) => [range.partition, read.complete ? range.end : (lastRead.get(range.partition) ?? range.start - 1) + 1]));
}

function lossInput(r: ConsumedRecord): LossInput {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = r.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { topic: r.topic, timestamp: r.timestamp, headers };
}
