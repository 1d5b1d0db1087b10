import type { TopicAdmin } from '../../domain/kafka';
import type { KafkaConfig } from '../../platform/config';
import type { Logger } from '../../platform/telemetry';
import { connectionResolver, type Connection } from './connection';
import { KafkajsBackedProducer, type ProducerKind } from './producer';
import { KafkajsTopicAdmin } from './topic-admin';

/**
 * Entry point to Kafka for the rest of the code. Producers are created lazily, once per kind,
 * and reused across invocations.
 */
export class KafkaClient {
  private readonly connect: () => Promise<Connection>;
  private readonly producers = new Map<ProducerKind, KafkajsBackedProducer>();

  constructor(
    private readonly cfg: Readonly<KafkaConfig>,
    private readonly log: Logger,
  ) {
    this.connect = connectionResolver(cfg);
  }

  /** The concrete producer: its connection and flush counters are what the integration tests observe. */
  producer(kind: ProducerKind): KafkajsBackedProducer {
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
}
