import type { TopicAdmin } from '../../domain/kafka';
import type { TopicSpec } from '../../domain/tiers';
import type { KafkaConfig } from '../../platform/config';
import type { Logger } from '../../platform/telemetry';
import { kafkaFor, type Connection } from './connection';
import { ConfigResourceTypes, ConfigSource, type Kafka } from './kafkajs';

export class KafkajsTopicAdmin implements TopicAdmin {
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
      resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.name }],
    });
    const entries = described.resources[0]?.configEntries ?? [];
    const current = new Map(entries.map((c) => [c.configName, c.configValue]));
    const drift = Object.entries(spec.configs).filter(([k, v]) => current.get(k) !== v);
    if (drift.length) {
      // kafkajs has only the non-incremental AlterConfigs: every topic override it does not name
      // is reset to the broker default. Overrides outside the spec (an operator's) are sent back.
      const kept = entries.filter(
        (c) => c.configSource === ConfigSource.TOPIC_CONFIG && !(c.configName in spec.configs) && !c.isSensitive && c.configValue !== null,
      );
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: spec.name,
            configEntries: [
              ...kept.map((c) => ({ name: c.configName, value: c.configValue })),
              ...Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
            ],
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
