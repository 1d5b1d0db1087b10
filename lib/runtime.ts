import { loadConfig, type Config } from './config';
import type { Env } from './env';
import { KafkaClient } from './kafka/client';
import { createRouter, type Router } from './router';
import { createTelemetry, type Telemetry } from './telemetry';

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

export function createRuntime(env: Env = process.env): Runtime {
  const config = loadConfig(env);
  const telemetry = createTelemetry({
    namespace: config.metricsNamespace,
    functionName: config.functionName,
    level: config.logLevel,
  });
  return {
    config,
    telemetry,
    kafka: new KafkaClient(config.kafka, telemetry.log),
    router: createRouter({ rules: config.rules, topics: config.topics, tenant: config.tenant }),
  };
}
