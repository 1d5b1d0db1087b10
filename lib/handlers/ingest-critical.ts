/** ingest-critical: HTTP POST /v1/events and SQS → outbox (DynamoDB) → critical tier, acks=all. */
import { requireOutbox, type Config } from '../platform/config';
import type { Producer } from '../domain/kafka';
import { createDynamoOutboxStore, type DynamoOutboxStore } from '../adapters/outbox/dynamo-store';
import type { OutboxStore } from '../outbox/store';
import { outboxFirstSink } from '../sinks/outbox-first';
import { ingestBase, ingestHandler, type IngestBase, type IngestHandler } from './ingest';
import type { HandlerIo } from './runtime';

/** The outbox table of a function's configuration (ingest-critical, the relay, outbox-verify). */
export function dynamoOutboxFor(config: Readonly<Config>): DynamoOutboxStore {
  const cfg = requireOutbox(config);
  return createDynamoOutboxStore({
    tableName: cfg.tableName,
    tombstoneTtlSeconds: cfg.idempotencyTtlSeconds,
    ...(cfg.endpoint && { endpoint: cfg.endpoint }),
    ...(config.kafka.region && { region: config.kafka.region }),
  });
}

export interface CriticalDeps extends IngestBase {
  store: OutboxStore;
  producer: Producer;
}

export function criticalDeps(config: Readonly<Config>, io: HandlerIo = {}): CriticalDeps {
  requireOutbox(config);
  const base = ingestBase(config, 'ingest-critical', io);
  const store = dynamoOutboxFor(config);
  return {
    ...base,
    store,
    producer: base.kafka.producer('reliable'),
    async close() {
      await base.kafka.disconnect();
      store.close();
    },
  };
}

export function criticalHandler(deps: CriticalDeps): IngestHandler {
  const { store, producer, telemetry, config } = deps;
  return ingestHandler({
    ...deps,
    sinks: [outboxFirstSink({ store, producer, log: telemetry.log, graceMs: requireOutbox(config).graceMs })],
  });
}
