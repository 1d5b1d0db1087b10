/** outbox-relay (scheduled, and on demand): delivers what ingest-critical left behind, then reports the backlog. */
import type { Context } from 'aws-lambda';
import { requireOutbox, type Config } from '../platform/config';
import type { Producer } from '../domain/kafka';
import { KafkaClient } from '../adapters/kafka/client';
import { outboxRelay, type RelayRun } from '../outbox/relay';
import type { OutboxStats, OutboxStore } from '../outbox/store';
import { invoke } from '../platform/invocation';
import type { Telemetry } from '../platform/telemetry';
import { dynamoOutboxFor } from './ingest-critical';
import { telemetryFor, type HandlerIo } from './runtime';
import { eventShape, refuseEvent, type EventShape } from './event-shapes';

/** Its EventBridge schedule, or a direct invocation (`npm run outbox -- drain`, the console). */
const SERVED: readonly EventShape[] = ['scheduled', 'direct'];

export interface RelayResult extends RelayRun {
  stats: OutboxStats;
}

export type RelayHandler = (event?: unknown, context?: Context) => Promise<RelayResult>;

export interface RelayDeps {
  config: Readonly<Config>;
  telemetry: Telemetry;
  store: OutboxStore;
  producer: Producer;
  /** Releases the Kafka connections and the DynamoDB client. */
  close(): Promise<void>;
}

export function relayDeps(config: Readonly<Config>, io: HandlerIo = {}): RelayDeps {
  requireOutbox(config);
  const telemetry = telemetryFor(config, io);
  const kafka = new KafkaClient(config.kafka, telemetry.log);
  const store = dynamoOutboxFor(config);
  return {
    config,
    telemetry,
    store,
    producer: kafka.producer('reliable'),
    async close() {
      await kafka.disconnect();
      store.close();
    },
  };
}

export function relayHandler(deps: RelayDeps): RelayHandler {
  const { config, telemetry, store, producer } = deps;
  const cfg = requireOutbox(config);
  const run = outboxRelay({ store, producer, log: telemetry.log, batchSize: cfg.relayBatchSize, leaseMs: cfg.leaseMs, maxAttempts: cfg.maxAttempts });
  return (event, context) =>
    invoke(telemetry, context, config.sendMarginMs, async ({ deadline, metrics }) => {
      const shape = eventShape(event);
      if (!SERVED.includes(shape)) refuseEvent(telemetry, config.functionName, shape, SERVED);
      const result = await run(deadline);
      metrics.add('critical', 'forwarded', result.delivered);
      metrics.add('critical', 'sendFailures', result.failed);
      metrics.add('critical', 'dead', result.dead);
      const stats = await store.stats({ now: Date.now() });
      metrics.gauge('critical', 'pending', stats.pending);
      metrics.gauge('critical', 'oldestPendingAgeMs', stats.oldestPendingAgeMs);
      metrics.gauge('critical', 'deadEntries', stats.dead);
      telemetry.log.info('relay run', { ...result, ...stats });
      return { ...result, stats };
    });
}
