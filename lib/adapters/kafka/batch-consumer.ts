import type { BatchConsumer, BatchControl, BatchHandler, ConsumedRecord, ConsumerGroupOptions } from '../../consume/types';
import { errorMessage } from '../../platform/errors';
import type { Logger } from '../../platform/telemetry';
import type { kafkaFor } from './connection';
import type { Consumer as KafkajsConsumer, EachBatchPayload, KafkaMessage } from './kafkajs';

/** kafkajs message → ConsumedRecord (header values decoded as UTF-8, last value of a repeated name). */
export function toConsumedRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(m.headers ?? {})) {
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (v !== undefined) headers[name] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return { topic, partition, offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value, headers };
}

/** Auto-commit off, offsets resolved only by commits: the runner alone decides when records count as consumed. */
export class KafkajsBatchConsumer implements BatchConsumer {
  private consumer?: KafkajsConsumer;

  constructor(
    private readonly opts: ConsumerGroupOptions,
    private readonly kafka: () => Promise<ReturnType<typeof kafkaFor>>,
    private readonly log: Logger,
  ) {}

  async run(handler: BatchHandler): Promise<void> {
    if (this.consumer) throw new Error('consumer already running');
    const consumer = (await this.kafka()).consumer({
      groupId: this.opts.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1_000,
      ...(this.opts.sessionTimeoutMs && { sessionTimeout: this.opts.sessionTimeoutMs }),
      ...(this.opts.maxBytesPerPartition && { maxBytesPerPartition: this.opts.maxBytesPerPartition }),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.log.error('consumer crashed', { group: this.opts.groupId, error: errorMessage(payload.error), restart: payload.restart }),
    );
    // Starting offsets of a new group (earliest / latest) are fixed during the first fetch.
    const firstFetch = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.FETCH, () => (off(), resolve()));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.opts.topics], fromBeginning: this.opts.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const records = batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m));
        await handler({ topic: batch.topic, partition: batch.partition, records, highWatermark: Number(batch.highWatermark) }, control(consumer, payload));
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000)));
    if (await Promise.race([firstFetch.then(() => false), slow])) {
      this.log.warn('consumer started, but its first fetch is taking more than 30 s', { group: this.opts.groupId });
    }
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect(); // waits for the batch in progress, then leaves the group
  }
}

function control(consumer: KafkajsConsumer, payload: EachBatchPayload): BatchControl {
  const { topic, partition } = payload.batch;
  return {
    async commit(nextOffset) {
      await consumer.commitOffsets([{ topic, partition, offset: String(nextOffset) }]);
      payload.resolveOffset(String(nextOffset - 1)); // the session's position follows the commit
    },
    retryAfter(ms) {
      const resume = payload.pause();
      setTimeout(resume, ms).unref();
    },
    heartbeat: () => payload.heartbeat(),
    isRunning: () => payload.isRunning() && !payload.isStale(),
  };
}
