import { loadConfig, type Config } from '../platform/config';
import type { Env } from '../platform/env';
import { KafkaClient } from '../adapters/kafka/client';
import { createRouter, type Router } from '../domain/router';
import { createTelemetry, type LineSink, type Telemetry } from '../platform/telemetry';

/**
 * What a function builds once per container (module scope) and reuses on every invocation:
 * validated config, telemetry, the Kafka client and the router.
 */
export interface Runtime {
  config: Readonly<Config>;
  telemetry: Telemetry;
  kafka: KafkaClient;
  router: Router;
}

/** What a caller may replace: where telemetry lines go (stdout in Lambda). */
export interface RuntimeOverrides {
  lineSink?: LineSink;
}

/** The function's telemetry as its configuration sets it up (namespace, function name, level). */
export function telemetryFor(config: Readonly<Config>, lineSink?: LineSink): Telemetry {
  return createTelemetry({
    namespace: config.metricsNamespace,
    functionName: config.functionName,
    level: config.logLevel,
    ...(lineSink && { sink: lineSink }),
  });
}

export function createRuntime(env: Env = process.env, overrides: RuntimeOverrides = {}): Runtime {
  const config = loadConfig(env);
  const telemetry = telemetryFor(config, overrides.lineSink);
  return {
    config,
    telemetry,
    kafka: new KafkaClient(config.kafka, telemetry.log),
    router: createRouter({ rules: config.rules, topics: config.topics, tenant: config.tenant }),
  };
}
