/**
 * The only module that imports kafkajs (kafkajs is in maintenance mode; everything else sees the
 * small interfaces in ./types, so the client can be swapped).
 */
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
import type { KafkaConfig } from '../config';
import { errorMessage } from '../errors';
import { uuidv7 } from '../ids';
import type { Logger } from '../telemetry';
import { resolveSecurity } from './auth';
import { resolveBrokers } from './bootstrap';
import { SequenceStamper, splitIntoRequests } from './messages';
import type { Producer, SendOptions, SendResult, TopicAdmin, TopicBatch, TopicSpec } from './types';
import { waitDrained, withDeadline } from './deadline';

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
 * deadline and never throws. reliable: acks=all, idempotent producer, bounded retries.
 */
class KafkajsBackedProducer implements Producer {
  readonly instanceId: string;
  private readonly stamper: SequenceStamper;
  private readonly sockets = new Set<net.Socket>();
  private producer?: KafkajsProducer;
  private connecting?: Promise<KafkajsProducer>;
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
    try {
      const producer = await withDeadline(this.ready(), opts.deadline, 'connecting to Kafka');
      const compression = opts.compressed ? CompressionTypes.GZIP : CompressionTypes.None;
      const flush = { bufferedBytes: 0, waitedMs: 0 };
      for (const request of splitIntoRequests(batches, this.cfg.maxRequestBytes)) {
        const topicMessages = this.stamper.toWire(request);
        const sent =
          this.kind === 'best-effort'
            ? producer.sendBatch({ topicMessages, acks: 0, compression })
            : producer.sendBatch({ topicMessages, acks: -1, compression, timeout: this.cfg.requestTimeoutMs });
        await withDeadline(sent, opts.deadline, 'sending to Kafka');
        // acks=0 resolves once kafkajs called socket.write(); bytes may still sit in Node's buffer.
        if (this.kind === 'best-effort') {
          const started = Date.now();
          flush.bufferedBytes = Math.max(flush.bufferedBytes, this.bufferedBytes());
          await withDeadline(waitDrained(this.sockets), opts.deadline, 'flushing the socket');
          flush.waitedMs += Date.now() - started;
        }
      }
      this.flush = flush;
      this.lastUsed = Date.now();
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: errorMessage(err), retriable: isRetriable(err) };
    }
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  /** A connected producer; reconnects after a long idle (a Lambda freeze) or a dropped socket. */
  private async ready(): Promise<KafkajsProducer> {
    if (this.producer && (this.stale() || this.sockets.size === 0)) {
      this.log.info('reconnecting idle Kafka producer', { producer: this.kind, idleMs: Date.now() - this.lastUsed });
      await this.disconnect();
    }
    if (this.producer) return this.producer;
    this.connecting ??= this.open().then(
      (p) => (this.producer = p),
      (err) => {
        this.connecting = undefined;
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
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: !bestEffort,
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

function isRetriable(err: unknown): boolean {
  // kafkajs marks permanent failures (auth, message too large, invalid topic) non-retriable.
  return !(err && typeof err === 'object' && 'retriable' in err && err.retriable === false);
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
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    }
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
      const kafka = kafkaFor(await this.connection(), this.cfg, this.log, 3, new Set());
      const admin = kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }
}
