/**
 * The consumer side as lib/consume sees it: small interfaces, implemented with kafkajs in
 * lib/adapters/kafka/ (consumer-admin.ts, batch-consumer.ts) and by the MSK event decoder (lib/sources/msk.ts).
 */

/** One Kafka record, whichever client or Lambda event source delivered it. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** int64 in Kafka; a JS number is exact up to 2^53, far beyond any real partition. */
  offset: number;
  /** Epoch ms (CreateTime as the producer stamped it, or LogAppendTime). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8; for a repeated name the last value wins (Java's lastHeader). */
  headers: Record<string, string>;
}

/** The records of one partition returned by one poll, in offset order. */
export interface PolledBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** The partition's log end offset when fetched: lag after this batch = highWatermark - last offset - 1. */
  highWatermark: number;
}

/** What a runner may do with the batch it is handed. */
export interface BatchControl {
  /**
   * Commits `nextOffset` (the offset of the next record to read, Kafka's convention) for the
   * batch's partition and resolves once the group coordinator accepted it. Also moves this
   * session's position, so the next poll of the partition starts there.
   */
  commit(nextOffset: number): Promise<void>;
  /** Pauses the partition for `ms`; it is then polled again from its position (the last commit). */
  retryAfter(ms: number): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
}

export type BatchHandler = (batch: PolledBatch, control: BatchControl) => Promise<void>;

export interface ConsumerGroupOptions {
  groupId: string;
  topics: readonly string[];
  /**
   * Where a group without a committed offset starts. Default false: the log end ("latest", right
   * for telemetry: a new consumer does not replay an hour of heartbeats). Critical consumers set
   * true (the beginning), so a new group misses nothing the topic still holds.
   */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
}

/**
 * A group member with manual commits (auto-commit off): offsets move only when a runner calls
 * `commit`. Batches of one partition are handed over one at a time, in order.
 */
export interface BatchConsumer {
  /** Joins the group and starts polling; resolves after the first poll (starting offsets are then fixed). */
  run(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Committed offset (next to read), or null when the group never committed on this partition. */
  committed: number | null;
  /** Log start and end offsets. */
  low: number;
  high: number;
  /** Records behind: high - committed (high - low without a commit). */
  lag: number;
}

export interface GroupLag {
  groupId: string;
  /** Coordinator's view: Stable, Empty, PreparingRebalance, Dead, ... */
  state: string;
  members: number;
  partitions: PartitionLag[];
}

/** Offsets [start, end) of one partition. */
export interface OffsetRange {
  partition: number;
  start: number;
  end: number;
}

export interface WindowRead {
  records: ConsumedRecord[];
  /**
   * False when the time limit ran out before every partition reached its end offset, or when a
   * range asked of readRanges starts below its partition's log start (those records are gone:
   * retention), so what was asked could not all be read.
   */
  complete: boolean;
  /** Per partition: [start, end) offsets that were read (readRanges: clamped to what the partition holds). */
  ranges: OffsetRange[];
}

export interface ReadRangesOptions {
  /** How long the whole call may take, joining the throwaway group included; default 60 s. */
  timeoutMs?: number;
  /** Drop key and value as records arrive: for reads that only look at headers and offsets (memory). */
  headersOnly?: boolean;
}

/** Admin-side views: lag per group, and reading one topic over a time window without joining a real group. */
export interface ConsumerAdmin {
  groupLag(groupId: string, topics?: readonly string[]): Promise<GroupLag>;
  /** Every record of `topic` with timestamp >= since, up to the end offsets at call time. */
  readWindow(topic: string, opts: { since: number; timeoutMs?: number }): Promise<WindowRead>;
  /**
   * The records at offsets [start, end) of each given partition. Offsets at or past a partition's
   * end offset do not exist yet and are not waited for (an acks=all acknowledgement is always
   * below the high watermark), and a partition the topic does not have holds nothing.
   */
  readRanges(topic: string, ranges: readonly OffsetRange[], opts?: ReadRangesOptions): Promise<WindowRead>;
  disconnect(): Promise<void>;
}
