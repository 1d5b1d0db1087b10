/**
 * The only module that imports kafkajs (kafkajs is in maintenance mode; everything else sees the
 * small interfaces in ./types, so the client can be swapped).
 */
// First: kafkajs must pick up our single-allocation record encoder when it loads.
import './fast-record-install';
import net from 'node:net';
import tls from 'node:tls';
import {
  CompressionTypes,
  ConfigResourceTypes,
  Kafka,
  Partitioners,
  logLevel,
  type ISocketFactory,
  type KafkaConfig as KafkajsConfig,
  type LogEntry,
  type Producer as KafkajsProducer,
  type SASLOptions,
} from 'kafkajs';
import type { KafkaConfig } from '../../platform/config';
import { errorMessage } from '../../platform/errors';
import { uuidv7 } from '../../domain/ids';
import type { Logger } from '../../platform/telemetry';
import { resolveSecurity } from './security';
import { resolveBrokers } from './bootstrap';
import { HEADER } from '../../domain/record';
import { recordAcks, stablePartitioner } from './acks';
import { SequenceStamper, splitIntoRequests, type WireMessage } from './messages';
import { classifySendError } from './send-errors';
import type { Producer, RecordAck, SendOptions, SendResult, TopicAdmin, TopicBatch } from '../../domain/kafka';
import type { TopicSpec } from '../../domain/tiers';
import { waitDrained, withDeadline } from '../../platform/deadline';

export type ProducerKind = 'best-effort' | 'reliable';

/** Resolved once per container: bootstrap brokers (maybe an MSK lookup) and SASL/TLS. */
interface Connection {
  brokers: string[];
  ssl: KafkajsConfig['ssl'];
  sasl?: SASLOptions;
}

/**
 * Entry point to Kafka for the rest of the code. Producers are created lazily, once per kind,
 * and reused across invocations.
 */
export class KafkaClient {
  private connection?: Promise<Connection>;
  private readonly producers = new Map<ProducerKind, KafkajsBackedProducer>();

  constructor(
    private readonly cfg: Readonly<KafkaConfig>,
    private readonly log: Logger,
  ) {}

  producer(kind: ProducerKind): Producer {
    let p = this.producers.get(kind);
    if (!p) this.producers.set(kind, (p = new KafkajsBackedProducer(kind, this.cfg, () => this.connect(), this.log)));
    return p;
  }

  admin(): TopicAdmin {
    return new KafkajsTopicAdmin(() => this.connect(), this.cfg, this.log);
  }

  async disconnect(): Promise<void> {
    await Promise.all([...this.producers.values()].map((p) => p.disconnect()));
    this.producers.clear();
  }

  private connect(): Promise<Connection> {
    this.connection ??= (async () => {
      const [brokers, security] = await Promise.all([resolveBrokers(this.cfg), resolveSecurity(this.cfg)]);
      return { brokers, ssl: security.ssl, ...(security.sasl && { sasl: security.sasl as SASLOptions }) };
    })().catch((err) => {
      this.connection = undefined; // a failed lookup is retried on the next invocation
      throw err;
    });
    return this.connection;
  }
}

/** Tracks the sockets kafkajs opens, so a send can wait until its bytes left Node's userland buffer. */
function trackingSocketFactory(sockets: Set<net.Socket>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(!net.isIP(host) && { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
}

function kafkajsLogger(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, ...extra } = entry;
      const fields = { component: `kafkajs.${namespace}`, broker: extra.broker, error: extra.error };
      if (level <= logLevel.ERROR) log.error(message, fields);
      else if (level === logLevel.WARN) log.warn(message, fields);
      else log.debug(message, fields);
    };
}

function kafkaFor(conn: Connection, cfg: Readonly<KafkaConfig>, log: Logger, retries: number, sockets: Set<net.Socket>) {
  return new Kafka({
    clientId: cfg.clientId,
    brokers: conn.brokers,
    ssl: conn.ssl,
    ...(conn.sasl && { sasl: conn.sasl }),
    connectionTimeout: cfg.connectTimeoutMs,
    authenticationTimeout: cfg.connectTimeoutMs * 3,
    requestTimeout: cfg.requestTimeoutMs,
    // Cluster-level retries: off for best-effort (no resend may ever duplicate), bounded for reliable.
    retry: { retries, initialRetryTime: 100, maxRetryTime: 2_000 },
    socketFactory: trackingSocketFactory(sockets),
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogger(log),
  });
}

/**
 * best-effort: acks=0, no retries anywhere, the call awaits the socket write and drain within the
 * deadline and never throws. reliable: acks=all, bounded retries, one request in flight, every
 * record's partition and offset taken from the broker's answer; after any failure the producer is
 * thrown away, so the next send starts a new producer session (see discard()).
 */
class KafkajsBackedProducer implements Producer {
  readonly instanceId: string;
  private readonly stamper: SequenceStamper;
  private readonly sockets = new Set<net.Socket>();
  /** Partition kafkajs's partitioner picked for each message of a reliable send (for its ack). */
  private readonly partitionOf = new WeakMap<WireMessage, number>();
  private producer?: KafkajsProducer;
  private connecting?: Promise<KafkajsProducer>;
  /** Bumped by discard(): a connect started before it must not install its producer afterwards. */
  private generation = 0;
  private connectCount = 0;
  private lastUsed = 0;
  private flush?: { bufferedBytes: number; waitedMs: number };

  constructor(
    private readonly kind: ProducerKind,
    private readonly cfg: Readonly<KafkaConfig>,
    private readonly connection: () => Promise<Connection>,
    private readonly log: Logger,
  ) {
    this.instanceId = `${cfg.clientId}-${uuidv7().slice(-12)}`;
    this.stamper = new SequenceStamper(this.instanceId);
  }

  connects(): number {
    return this.connectCount;
  }

  bufferedBytes(): number {
    let total = 0;
    for (const s of this.sockets) total += s.writableLength;
    return total;
  }

  lastFlush() {
    return this.flush;
  }

  async send(batches: readonly TopicBatch[], opts: SendOptions): Promise<SendResult> {
    if (Date.now() >= opts.deadline) return { ok: false, reason: 'no time left in the invocation budget', retriable: true };
    const reliable = this.kind === 'reliable';
    const acks: RecordAck[] = [];
    try {
      const producer = await withDeadline(this.ready(), opts.deadline, 'connecting to Kafka');
      const compression = opts.compressed ? CompressionTypes.GZIP : CompressionTypes.None;
      const flush = { bufferedBytes: 0, waitedMs: 0 };
      for (const request of splitIntoRequests(batches, this.cfg.maxRequestBytes)) {
        const topicMessages = this.stamper.toWire(request);
        if (reliable) {
          const sent = producer.sendBatch({ topicMessages, acks: -1, compression, timeout: this.cfg.requestTimeoutMs });
          const responses = await withDeadline(sent, opts.deadline, 'sending to Kafka');
          acks.push(...recordAcks(topicMessages, responses, (m) => this.partitionOf.get(m)));
          continue;
        }
        await withDeadline(producer.sendBatch({ topicMessages, acks: 0, compression }), opts.deadline, 'sending to Kafka');
        // acks=0 resolves once kafkajs called socket.write(); bytes may still sit in Node's buffer.
        const started = Date.now();
        flush.bufferedBytes = Math.max(flush.bufferedBytes, this.bufferedBytes());
        await withDeadline(waitDrained(this.sockets), opts.deadline, 'flushing the socket');
        flush.waitedMs += Date.now() - started;
      }
      if (!reliable) this.flush = flush;
      this.lastUsed = Date.now();
      return reliable ? { ok: true, acks } : { ok: true };
    } catch (err) {
      if (reliable) this.discard(err);
      const failure = classifySendError(err);
      // Requests of this send that the broker already acknowledged keep their acks.
      return { ok: false, ...failure, ...(acks.length && { acks }) };
    }
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    this.generation++;
    await producer?.disconnect().catch(() => undefined);
  }

  /**
   * After a failed or timed-out request nothing about this producer session is trusted again.
   * kafkajs's idempotent producer rolls its sequence numbers back when a request errors, even one
   * the broker wrote (a stall, a leader move): the next batch then reuses those numbers and the
   * broker answers it as a duplicate with the old batch's offset, without writing it. Its retries
   * of the abandoned request also go on in the background. A new producer gets a new producer id
   * (so new sequences) and the old one is closed, which ends those retries.
   */
  private discard(err: unknown): void {
    const old = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    this.generation++;
    this.log.warn('discarding the reliable Kafka producer after a failed send', { producer: this.kind, error: errorMessage(err) });
    void old?.disconnect().catch(() => undefined);
  }

  /** A connected producer; reconnects after a long idle (a Lambda freeze) or a dropped socket. */
  private async ready(): Promise<KafkajsProducer> {
    if (this.producer && (this.stale() || this.sockets.size === 0)) {
      this.log.info('reconnecting idle Kafka producer', { producer: this.kind, idleMs: Date.now() - this.lastUsed });
      await this.disconnect();
    }
    if (this.producer) return this.producer;
    const generation = this.generation;
    this.connecting ??= this.open().then(
      (p) => {
        if (generation === this.generation) return (this.producer = p);
        void p.disconnect().catch(() => undefined); // discarded while it was connecting
        throw new Error('Kafka producer discarded while connecting');
      },
      (err) => {
        if (generation === this.generation) this.connecting = undefined;
        throw err;
      },
    );
    return this.connecting;
  }

  private stale(): boolean {
    return this.lastUsed > 0 && Date.now() - this.lastUsed > this.cfg.idleReconnectMs;
  }

  private async open(): Promise<KafkajsProducer> {
    const conn = await this.connection();
    const bestEffort = this.kind === 'best-effort';
    const kafka = kafkaFor(conn, this.cfg, this.log, bestEffort ? 0 : 5, this.sockets);
    const keyed = Partitioners.DefaultPartitioner();
    const producer = kafka.producer({
      createPartitioner: bestEffort
        ? Partitioners.DefaultPartitioner
        : () => stablePartitioner(keyed as never, HEADER.eventId, (m, partition) => this.partitionOf.set(m, partition)) as never,
      allowAutoTopicCreation: false,
      idempotent: !bestEffort && (this.cfg.criticalIdempotent ?? true),
      maxInFlightRequests: bestEffort ? undefined : 1,
      retry: bestEffort ? { retries: 0 } : { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) {
        this.producer = undefined;
        this.connecting = undefined;
      }
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.connectCount++;
    this.lastUsed = Date.now();
    return producer;
  }
}

class KafkajsTopicAdmin implements TopicAdmin {
  private admin?: ReturnType<Kafka['admin']>;

  constructor(
    private readonly connection: () => Promise<Connection>,
    private readonly cfg: Readonly<KafkaConfig>,
    private readonly log: Logger,
  ) {}

  async brokerCount(): Promise<number> {
    const admin = await this.client();
    return (await admin.describeCluster()).brokers.length;
  }

  async ensureTopics(specs: readonly TopicSpec[]) {
    const admin = await this.client();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.name,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
          })),
        })
        .catch((err: { type?: string }) => {
          // kafkajs's wait gives up when the broker it asks does not know the new topic yet (seen
          // on a fresh 3-broker cluster); the topics were created: waitForLeaders below waits on.
          if (err?.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
        });
    }
    if (missing.length) await this.waitForLeaders(missing.map((s) => s.name));
    const results: { topic: string; action: 'created' | 'updated' | 'unchanged' }[] = [];
    for (const spec of specs) {
      if (!existing.has(spec.name)) {
        results.push({ topic: spec.name, action: 'created' });
        continue;
      }
      results.push({ topic: spec.name, action: (await this.update(spec)) ? 'updated' : 'unchanged' });
    }
    return results;
  }

  async disconnect(): Promise<void> {
    await this.admin?.disconnect();
    this.admin = undefined;
  }

  /** Until every partition of the topics has a leader, or 60 s. */
  private async waitForLeaders(topics: string[]): Promise<void> {
    const admin = await this.client();
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        const meta = await admin.fetchTopicMetadata({ topics });
        if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
      if (Date.now() > until) throw new Error(`topics ${topics.join(', ')} have no leaders after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Brings an existing topic's configs and partition count up to the spec; true if anything changed. */
  private async update(spec: TopicSpec): Promise<boolean> {
    const admin = await this.client();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.name, configNames: Object.keys(spec.configs) }],
    });
    const current = new Map(described.resources[0]?.configEntries.map((c) => [c.configName, c.configValue]) ?? []);
    const drift = Object.entries(spec.configs).filter(([k, v]) => current.get(k) !== v);
    if (drift.length) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: spec.name,
            configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    }
    const meta = await admin.fetchTopicMetadata({ topics: [spec.name] });
    const partitions = meta.topics[0]?.partitions.length ?? spec.partitions;
    if (partitions < spec.partitions) await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
    return drift.length > 0 || partitions < spec.partitions;
  }

  private async client() {
    if (!this.admin) {
      // Provisioning is off the hot path and often runs right after a cluster starts, when
      // metadata for new topics takes a while to reach every broker: retry patiently.
      const kafka = kafkaFor(await this.connection(), this.cfg, this.log, 10, new Set());
      const admin = kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }
}

// ─── Consumers (issue 7): group members with manual commits, consumer lag, reading a window ────
// A section of its own, apart from the producer code above (which is tuned separately), with its
// imports here for the same reason. lib/consume/* sees only the interfaces in lib/consume/types.
import { AssignerProtocol, type Admin as KafkajsAdmin, type Consumer as KafkajsConsumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type {
  BatchConsumer,
  BatchControl,
  BatchHandler,
  ConsumedRecord,
  ConsumerAdmin,
  ConsumerGroupOptions,
  GroupLag,
  OffsetRange,
  PartitionLag,
  ReadRangesOptions,
  WindowRead,
} from '../../consume/types';

/**
 * Prefix of the throwaway group ids readWindow / readRanges use. IAM grants on group names
 * (infra/serverless/iam.yml, OutboxVerifyRole) are written against it; test/deploy checks they match.
 */
export const windowGroupPrefix = (clientId: string) => `${clientId}-window-`;

/** Consumers and consumer-side admin views of one cluster; bootstrap lookup and auth resolved once. */
export class KafkaConsumerClient implements ConsumerAdmin {
  private connection?: Promise<Connection>;
  private adminClient?: Promise<KafkajsAdmin>;

  constructor(
    private readonly cfg: Readonly<KafkaConfig>,
    private readonly log: Logger,
  ) {}

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

  private connect(): Promise<Connection> {
    this.connection ??= (async () => {
      const [brokers, security] = await Promise.all([resolveBrokers(this.cfg), resolveSecurity(this.cfg)]);
      return { brokers, ssl: security.ssl, ...(security.sasl && { sasl: security.sasl as SASLOptions }) };
    })().catch((err) => {
      this.connection = undefined;
      throw err;
    });
    return this.connection;
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

/** kafkajs message → ConsumedRecord (header values decoded as UTF-8, last value of a repeated name). */
function toConsumedRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(m.headers ?? {})) {
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (v !== undefined) headers[name] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return { topic, partition, offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value, headers };
}

/** Auto-commit off, offsets resolved only by commits: the runner alone decides when records count as consumed. */
class KafkajsBatchConsumer implements BatchConsumer {
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
