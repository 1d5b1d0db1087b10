import { uuidv7 } from '../../domain/ids';
import type { BatchConsumer, ConsumedRecord, ConsumerAdmin, ConsumerGroupOptions, GroupLag, OffsetRange, PartitionLag, ReadRangesOptions, WindowRead } from '../../consume/types';
import type { KafkaConfig } from '../../platform/config';
import type { Logger } from '../../platform/telemetry';
import { KafkajsBatchConsumer, toConsumedRecord } from './batch-consumer';
import { connectionResolver, kafkaFor, type Connection } from './connection';
import { AssignerProtocol, type Admin as KafkajsAdmin } from './kafkajs';

/**
 * Prefix of the throwaway group ids readWindow / readRanges use. IAM grants on group names
 * (infra/serverless/iam.yml, OutboxVerifyRole) are written against it; test/deploy checks they match.
 */
export const windowGroupPrefix = (clientId: string) => `${clientId}-window-`;

/** Consumers and consumer-side admin views of one cluster; bootstrap lookup and auth resolved once. */
export class KafkaConsumerClient implements ConsumerAdmin {
  private readonly connect: () => Promise<Connection>;
  private adminClient?: Promise<KafkajsAdmin>;

  constructor(
    private readonly cfg: Readonly<KafkaConfig>,
    private readonly log: Logger,
  ) {
    this.connect = connectionResolver(cfg);
  }

  consumer(opts: ConsumerGroupOptions): BatchConsumer {
    return new KafkajsBatchConsumer(opts, async () => kafkaFor(await this.connect(), this.cfg, this.log, 5, new Set()), this.log);
  }

  async groupLag(groupId: string, topics?: readonly string[]): Promise<GroupLag> {
    const admin = await this.admin();
    const [group] = (await admin.describeGroups([groupId])).groups;
    // Without topics the broker lists only partitions with a commit; asking per topic lists them
    // all. So: the topics given, else those with commits plus those assigned to live members.
    const assigned = (group?.members ?? []).flatMap((m) => {
      try {
        return Object.keys(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {});
      } catch {
        return [];
      }
    });
    const names = topics ? [...topics] : [...new Set([...(await admin.fetchOffsets({ groupId })).map((t) => t.topic), ...assigned])];
    const committed = names.length ? await admin.fetchOffsets({ groupId, topics: names }) : [];
    const partitions: PartitionLag[] = [];
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      for (const p of t.partitions) {
        const end = ends.find((e) => e.partition === p.partition);
        const [low, high, offset] = [Number(end?.low ?? 0), Number(end?.high ?? 0), Number(p.offset)];
        const has = offset >= 0;
        partitions.push({ topic: t.topic, partition: p.partition, committed: has ? offset : null, low, high, lag: Math.max(0, high - (has ? offset : low)) });
      }
    }
    partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return { groupId, state: group?.state ?? 'Unknown', members: group?.members.length ?? 0, partitions };
  }

  /** Reads [first offset with timestamp >= since, end offset now) of every partition (readRanges). */
  async readWindow(topic: string, { since, timeoutMs = 60_000 }: { since: number; timeoutMs?: number }): Promise<WindowRead> {
    const admin = await this.admin();
    const [starts, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, since), admin.fetchTopicOffsets(topic)]);
    const ranges = ends.map((e) => ({ partition: e.partition, start: Number(starts.find((s) => s.partition === e.partition)?.offset ?? e.high), end: Number(e.high) }));
    return this.readRanges(topic, ranges, { timeoutMs });
  }

  /**
   * Reads [start, end) of each given partition (one range per partition) with a throwaway group:
   * nothing committed, the group deleted afterwards. Ranges are clamped to what each partition
   * holds when the read starts (ConsumerAdmin.readRanges). Partitions not asked for, and those
   * read to their end, are paused: with a fresh group they would otherwise be fetched from the
   * beginning of the topic for nothing.
   */
  async readRanges(topic: string, asked: readonly OffsetRange[], { timeoutMs = 60_000, headersOnly = false }: ReadRangesOptions = {}): Promise<WindowRead> {
    if (new Set(asked.map((r) => r.partition)).size !== asked.length) throw new Error(`readRanges(${topic}): one range per partition`);
    const admin = await this.admin();
    const bounds = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    const belowLogStart: number[] = [];
    const ranges = asked.map(({ partition, start, end }) => {
      const b = bounds.get(partition);
      if (!b) return { partition, start, end: start }; // the topic has no such partition: nothing there
      if (start < end && start < b.low) belowLogStart.push(partition);
      const from = Math.max(start, b.low);
      return { partition, start: from, end: Math.max(from, Math.min(end, b.high)) };
    });
    if (belowLogStart.length) this.log.warn('ranges start below the log start (records removed); the read is incomplete', { topic, partitions: belowLogStart });
    const records: ConsumedRecord[] = [];
    const open = new Map(ranges.filter((r) => r.start < r.end).map((r) => [r.partition, { ...r, next: r.start }]));
    if (!open.size) return { records, complete: !belowLogStart.length, ranges };

    const groupId = `${windowGroupPrefix(this.cfg.clientId)}${uuidv7().slice(-12)}`;
    const kafka = kafkaFor(await this.connect(), this.cfg, this.log, 5, new Set());
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const r = open.get(batch.partition);
          if (!r) return;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            // Before the seek took effect, or past the end captured above: not asked for.
            if (offset < r.next || offset >= r.end) continue;
            const record = toConsumedRecord(topic, batch.partition, m);
            if (headersOnly) [record.key, record.value] = [null, null];
            records.push(record);
            r.next = offset + 1;
          }
          if (r.next >= r.end || Number(batch.lastOffset()) >= r.end - 1) {
            open.delete(batch.partition);
            consumer.pause([{ topic, partitions: [batch.partition] }]);
            if (!open.size) finished();
          }
        },
      });
      const idle = [...bounds.keys()].filter((p) => !open.has(p));
      if (idle.length) consumer.pause([{ topic, partitions: idle }]);
      for (const r of open.values()) consumer.seek({ topic, partition: r.partition, offset: String(r.start) });
      const inTime = await Promise.race([done.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
      records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
      return { records, complete: inTime && !belowLogStart.length, ranges };
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  async disconnect(): Promise<void> {
    const admin = this.adminClient;
    this.adminClient = undefined;
    await (await admin?.catch(() => undefined))?.disconnect();
  }

  private admin(): Promise<KafkajsAdmin> {
    this.adminClient ??= (async () => {
      const admin = kafkaFor(await this.connect(), this.cfg, this.log, 3, new Set()).admin();
      await admin.connect();
      return admin;
    })().catch((err) => {
      this.adminClient = undefined;
      throw err;
    });
    return this.adminClient;
  }
}
