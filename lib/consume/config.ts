/**
 * Configuration of the Lambda consumers (consume-realtime, audit-critical). They need no Kafka
 * connection of their own (the event source mapping polls MSK), so they do not go through
 * lib/platform/config.ts, which insists on KAFKA_BROKERS / MSK_CLUSTER_ARN. Read once per container;
 * every problem reported together.
 */
import { ConfigError } from '../platform/errors';
import { EnvReader, type Env } from '../platform/env';

export interface DedupeConfig {
  store: 'dynamodb' | 'memory';
  tableName?: string;
  endpoint?: string;
  region?: string;
  /** Event ids are remembered this long; at least the topic's retention, or a late redelivery repeats. */
  ttlSeconds: number;
  /**
   * A claim's lease. Unset: the invocation's remaining time plus 5 s, so a live invocation is
   * never overtaken and a crashed one blocks its records no longer than it could have run.
   */
  leaseMs?: number;
  /** Key prefix: consumers with different purposes dedupe independently in one table. */
  scope: string;
}

export interface ConsumerFunctionConfig {
  functionName: string;
  metricsNamespace: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Records not started this long before the Lambda deadline are handed back (batchItemFailures). */
  marginMs: number;
  /** consume-realtime: one metric per game server (a custom metric each), or only log fields. */
  serverMetrics: boolean;
  dedupe?: DedupeConfig;
}

export function loadConsumerConfig(env: Env = process.env, opts: { dedupe: boolean } = { dedupe: false }): Readonly<ConsumerFunctionConfig> {
  const e = new EnvReader(env);
  const config: ConsumerFunctionConfig = {
    functionName: e.string('AWS_LAMBDA_FUNCTION_NAME', 'edge-forwarder-local'),
    metricsNamespace: e.string('METRICS_NAMESPACE', 'EdgeForwarder'),
    logLevel: e.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
    marginMs: e.int('SEND_MARGIN_MS', 300, 0, 60_000),
    serverMetrics: e.oneOf('SERVER_METRICS', ['on', 'off'], 'on') === 'on',
  };
  if (opts.dedupe) {
    const store = e.oneOf('DEDUPE_STORE', ['dynamodb', 'memory'], 'dynamodb');
    const tableName = e.string('DEDUPE_TABLE');
    if (store === 'dynamodb' && !tableName) {
      e.problems.push('DEDUPE_TABLE is required (the DynamoDB deduplication table; DEDUPE_STORE=memory for local runs only)');
    }
    const endpoint = e.string('DYNAMODB_ENDPOINT');
    const region = e.string('AWS_REGION');
    const leaseMs = e.string('DEDUPE_LEASE_MS') !== undefined ? e.int('DEDUPE_LEASE_MS', 0, 1_000) : undefined;
    config.dedupe = {
      store,
      ttlSeconds: e.int('DEDUPE_TTL_SECONDS', 7 * 86_400, 60),
      ...(leaseMs !== undefined && { leaseMs }),
      scope: e.string('DEDUPE_SCOPE', 'audit'),
      ...(tableName && { tableName }),
      ...(endpoint && { endpoint }),
      ...(region && { region }),
    };
  }
  if (e.problems.length) throw new ConfigError(e.problems);
  return Object.freeze(config);
}
