import type net from 'node:net';
import type { Producer, RecordAck, SendOptions, SendResult, TopicBatch } from '../../domain/kafka';
import { uuidv7 } from '../../domain/ids';
import { HEADER } from '../../domain/record';
import type { KafkaConfig } from '../../platform/config';
import { waitDrained, withDeadline } from '../../platform/deadline';
import { errorMessage } from '../../platform/errors';
import type { Logger } from '../../platform/telemetry';
import { recordAcks, stablePartitioner } from './acks';
import { kafkaFor, type Connection } from './connection';
import { CompressionTypes, Partitioners, type Producer as KafkajsProducer } from './kafkajs';
import { SequenceStamper, splitIntoRequests, type WireMessage } from './messages';
import { classifySendError } from './send-errors';

export type ProducerKind = 'best-effort' | 'reliable';

/**
 * best-effort: acks=0, no retries anywhere, the call awaits the socket write and drain within the
 * deadline and never throws. reliable: acks=all, bounded retries, one request in flight, every
 * record's partition and offset taken from the broker's answer; after any failure the producer is
 * thrown away, so the next send starts a new producer session (see discard()).
 */
export class KafkajsBackedProducer implements Producer {
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
