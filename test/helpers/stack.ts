import { randomBytes } from 'node:crypto';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import type { Env } from '../../lib/platform/env';
import { KafkaClient } from '../../lib/adapters/kafka/client';
import { provisionTopics } from '../../lib/domain/provision';
import { createLogger } from '../../lib/platform/telemetry';

/** Ports of the shared test broker (dev uses 19092; each broker also takes a controller port at +100). */
export const TEST_KAFKA = {
  name: process.env.EF_TEST_KAFKA_NAME ?? 'test',
  basePort: Number(process.env.EF_TEST_KAFKA_PORT ?? 19500),
} as const;
/** Overridable so two people (or agents) can run tests on one machine without sharing a stack. */
export const TEST_DYNAMODB = {
  name: process.env.EF_TEST_DYNAMODB_NAME ?? 'test',
  port: Number(process.env.EF_TEST_DYNAMODB_PORT ?? 18100),
} as const;

/** The shared single-node test broker: reused if the test runner already started it. */
export function sharedKafka(): Promise<LocalKafka> {
  return startLocalKafka({ ...TEST_KAFKA, log: () => undefined });
}

export const quietLog = createLogger({ level: 'error', sink: () => undefined });
/** Handler io for functions under test whose telemetry lines nobody reads. */
export const quiet = { lineSink: () => undefined };

/** A topic prefix no other test uses, so every test reads only its own records. */
export function uniquePrefix(label: string): string {
  return `t.${label}.${randomBytes(4).toString('hex')}.`;
}

/** Creates the tier topics under `prefix` on the given brokers (the same code path as npm start). */
export async function provision(brokers: string[], prefix: string, partitions = 3): Promise<void> {
  const client = new KafkaClient(
    { brokers, auth: 'plaintext', clientId: 'test-admin', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, idleReconnectMs: 600_000, maxRequestBytes: 900_000 },
    quietLog,
  );
  const admin = client.admin();
  try {
    await provisionTopics(admin, { prefix, partitions, log: quietLog });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Environment for a function under test, pointing at the given brokers and topics. Ingress auth
 * is off (AUTH_MODE=none, every request is tenant studio-test): these tests are about delivery;
 * test/integration/security*.test.ts turn it on.
 */
export function functionEnv(brokers: string[], prefix: string, extra: Env = {}): Env {
  return {
    KAFKA_BROKERS: brokers.join(','),
    TOPIC_PREFIX: prefix,
    TENANT_ID: 'studio-test',
    AUTH_MODE: 'none',
    LOG_LEVEL: 'error',
    AWS_LAMBDA_FUNCTION_NAME: 'test-fn',
    ...extra,
  };
}

/** Collects the telemetry lines a handler writes, so tests can assert on metrics too. */
export function lineCollector() {
  const lines: string[] = [];
  const sink = (line: string) => void lines.push(line);
  /** Sum of one EMF metric for one tier over everything flushed so far. */
  const metric = (tier: string, name: string) =>
    lines
      .filter((l) => l.startsWith('{"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((m) => m.Tier === tier)
      .reduce((sum, m) => sum + (typeof m[name] === 'number' ? (m[name] as number) : 0), 0);
  return { lines, sink, metric };
}
