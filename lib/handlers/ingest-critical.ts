import type { Context } from 'aws-lambda';
import { requireOutbox, type Config } from '../platform/config';
import type { Env } from '../platform/env';
import type { Producer } from '../domain/kafka';
import { createDynamoOutboxStore } from '../adapters/outbox/dynamo-store';
import { outboxRelay, type RelayRun } from '../outbox/relay';
import type { OutboxStats, OutboxStore } from '../outbox/store';
import { createRuntime, type Runtime, type RuntimeOverrides } from './runtime';
import { outboxFirstSink } from '../sinks/outbox-first';
import { InvocationMetrics } from '../platform/telemetry';
import { createIngestHandler, type IngestHandler } from './ingest';
import { deadlineFor } from '../platform/deadline';

/** Tests replace the store or producer with instrumented wrappers (crash points). */
export interface CriticalOverrides extends RuntimeOverrides {
  store?: (real: OutboxStore) => OutboxStore;
  producer?: (real: Producer) => Producer;
}

/** The outbox table of a function's configuration (ingest-critical, the relay, outbox-verify). */
export function dynamoOutboxFor(config: Readonly<Config>): OutboxStore {
  const cfg = requireOutbox(config);
  return createDynamoOutboxStore({
    tableName: cfg.tableName,
    tombstoneTtlSeconds: cfg.idempotencyTtlSeconds,
    ...(cfg.endpoint && { endpoint: cfg.endpoint }),
    ...(config.kafka.region && { region: config.kafka.region }),
  });
}

function outboxStore(runtime: Runtime, overrides: CriticalOverrides): OutboxStore {
  const real = dynamoOutboxFor(runtime.config);
  return overrides.store ? overrides.store(real) : real;
}

function reliableProducer(runtime: Runtime, overrides: CriticalOverrides): Producer {
  const real = runtime.kafka.producer('reliable');
  return overrides.producer ? overrides.producer(real) : real;
}

/** HTTP POST /v1/events and SQS → outbox → critical tier. */
export function createCriticalHandler(env: Env = process.env, overrides: CriticalOverrides = {}): IngestHandler {
  return createIngestHandler(
    {
      routes: [{ path: '/v1/events', kind: 'event' }],
      sinks: (runtime) => [
        outboxFirstSink({
          store: outboxStore(runtime, overrides),
          producer: reliableProducer(runtime, overrides),
          log: runtime.telemetry.log,
          graceMs: requireOutbox(runtime.config).graceMs,
        }),
      ],
    },
    env,
    overrides,
  );
}

export interface RelayResult extends RelayRun {
  stats: OutboxStats;
}

export interface RelayHandler {
  (event?: unknown, context?: Context): Promise<RelayResult>;
  runtime: Runtime;
  store: OutboxStore;
}

/** Scheduled (and on-demand) relay: delivers what ingest left behind, then reports the backlog. */
export function createRelayHandler(env: Env = process.env, overrides: CriticalOverrides = {}): RelayHandler {
  const runtime = createRuntime(env, overrides);
  const cfg = requireOutbox(runtime.config);
  const store = outboxStore(runtime, overrides);
  const run = outboxRelay({
    store,
    producer: reliableProducer(runtime, overrides),
    log: runtime.telemetry.log,
    batchSize: cfg.relayBatchSize,
    leaseMs: cfg.leaseMs,
    maxAttempts: cfg.maxAttempts,
  });
  const handler = (async (_event?: unknown, context?: Context) => {
    const metrics = new InvocationMetrics();
    try {
      const result = await run(deadlineFor(context, runtime.config.sendMarginMs));
      metrics.add('critical', 'forwarded', result.delivered);
      metrics.add('critical', 'sendFailures', result.failed);
      metrics.add('critical', 'dead', result.dead);
      const stats = await store.stats({ now: Date.now() });
      metrics.gauge('critical', 'pending', stats.pending);
      metrics.gauge('critical', 'oldestPendingAgeMs', stats.oldestPendingAgeMs);
      metrics.gauge('critical', 'deadEntries', stats.dead);
      runtime.telemetry.log.info('relay run', { ...result, ...stats });
      return { ...result, stats };
    } finally {
      runtime.telemetry.flush(metrics);
    }
  }) as RelayHandler;
  handler.runtime = runtime;
  handler.store = store;
  return handler;
}
