import { readAuthConfig, type AuthConfig } from '../auth/config';
import { ConfigError } from './errors';
import { EnvReader, type Env } from './env';
import { DEFAULT_LIMITS, type Limits } from '../domain/limits';
import { tierTopics, type Tier } from '../domain/tiers';
import { parseRules, type RouteRule } from '../domain/router';

export const KAFKA_AUTH_MODES = ['plaintext', 'tls', 'scram', 'iam'] as const;
export type KafkaAuthMode = (typeof KAFKA_AUTH_MODES)[number];

export interface KafkaConfig {
  /** Static bootstrap list (local / self-managed). Exactly one of brokers / mskClusterArn is set. */
  brokers: string[];
  mskClusterArn?: string;
  region?: string;
  auth: KafkaAuthMode;
  scram?: { secretArn?: string; username?: string; password?: string };
  tlsCaFile?: string;
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Largest produce request; must stay under the topics' max.message.bytes (1 MB by default). */
  maxRequestBytes: number;
  /** Reconnect before sending when the connection sat idle longer than this (brokers drop idle sockets). */
  idleReconnectMs: number;
  /**
   * The critical producer's idempotence (default true): it lets the broker drop the copies
   * kafkajs's own retries make; a failed send replaces the producer either way.
   */
  criticalIdempotent?: boolean;
}

/** The critical tier's outbox and relay; present when OUTBOX_TABLE is set. */
export interface OutboxConfig {
  tableName: string;
  /** DynamoDB Local / custom endpoint; unset in AWS. */
  endpoint?: string;
  /** The relay leaves fresh entries to their ingest invocation this long (> the ingest function timeout). */
  graceMs: number;
  leaseMs: number;
  maxAttempts: number;
  relayBatchSize: number;
  /** How long a delivered event id stays known, so a client retry is not sent twice. */
  idempotencyTtlSeconds: number;
}

export interface Config {
  functionName: string;
  /** Tenant of records from AWS-internal sources (CloudWatch Logs, SQS) and of HTTP with AUTH_MODE=none. */
  tenant: string;
  auth: Readonly<AuthConfig>;
  topicPrefix: string;
  topics: Readonly<Record<Tier, string>>;
  rules: readonly RouteRule[];
  limits: Readonly<Limits>;
  kafka: Readonly<KafkaConfig>;
  outbox?: Readonly<OutboxConfig>;
  /** Kept free at the end of an invocation: sends stop this long before Lambda's deadline. */
  sendMarginMs: number;
  metricsNamespace: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Parses and validates the environment once; throws a ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const e = new EnvReader(env);
  const topicPrefix = e.string('TOPIC_PREFIX', 'edge.');
  const topics = tierTopics(topicPrefix);
  const config: Config = {
    functionName: e.string('AWS_LAMBDA_FUNCTION_NAME', 'edge-forwarder-local'),
    tenant: e.string('TENANT_ID', 'default'),
    auth: readAuthConfig(e),
    topicPrefix,
    topics,
    rules: e.json('ROUTING_RULES', parseRules) ?? [],
    limits: {
      maxBodyBytes: e.int('MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes, 1),
      maxDecodedBytes: e.int('MAX_DECODED_BYTES', DEFAULT_LIMITS.maxDecodedBytes, 1),
      maxRecords: e.int('MAX_RECORDS', DEFAULT_LIMITS.maxRecords, 1),
      maxRecordBytes: e.int('MAX_RECORD_BYTES', DEFAULT_LIMITS.maxRecordBytes, 1),
      maxHeaders: e.int('MAX_HEADERS', DEFAULT_LIMITS.maxHeaders, 1, 10_000),
      maxHeaderBytes: e.int('MAX_HEADER_BYTES', DEFAULT_LIMITS.maxHeaderBytes, 64),
      maxJsonDepth: e.int('MAX_JSON_DEPTH', DEFAULT_LIMITS.maxJsonDepth, 1, 1_000),
    },
    kafka: readKafka(e),
    ...readOutbox(e),
    sendMarginMs: e.int('SEND_MARGIN_MS', 300, 0, 60_000),
    metricsNamespace: e.string('METRICS_NAMESPACE', 'EdgeForwarder'),
    logLevel: e.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
  };
  if (!/^[A-Za-z0-9._-]*$/.test(topicPrefix)) {
    e.problems.push(`TOPIC_PREFIX may only contain letters, digits, '.', '_' and '-', got "${topicPrefix}"`);
  }
  if (e.problems.length) throw new ConfigError(e.problems);
  return deepFreeze(config);
}

function readKafka(e: EnvReader): KafkaConfig {
  const brokers = e.list('KAFKA_BROKERS');
  const mskClusterArn = e.string('MSK_CLUSTER_ARN');
  if (!brokers.length && !mskClusterArn) {
    e.problems.push('set KAFKA_BROKERS (host:port,...) or MSK_CLUSTER_ARN (bootstrap brokers are then looked up)');
  }
  if (brokers.length && mskClusterArn) e.problems.push('set only one of KAFKA_BROKERS and MSK_CLUSTER_ARN');
  brokers
    .filter((b) => !/^[^\s:]+:\d{1,5}$/.test(b))
    .forEach((b) => e.problems.push(`KAFKA_BROKERS entry "${b}" is not host:port`));
  const auth = e.oneOf('KAFKA_AUTH', KAFKA_AUTH_MODES, mskClusterArn ? 'iam' : 'plaintext');
  const region = e.string('AWS_REGION') ?? mskClusterArn?.split(':')[3];
  if ((auth === 'iam' || mskClusterArn) && !region) e.problems.push('AWS_REGION is required for MSK');
  // Plaintext carries records (and SASL secrets) in the clear: local brokers only, never MSK.
  if (mskClusterArn && auth === 'plaintext') e.problems.push('KAFKA_AUTH=plaintext is for local brokers only; MSK needs tls, scram or iam');
  const kafka: KafkaConfig = {
    brokers,
    auth,
    clientId: e.string('KAFKA_CLIENT_ID', 'edge-forwarder'),
    connectTimeoutMs: e.int('KAFKA_CONNECT_TIMEOUT_MS', 1_000, 100, 60_000),
    requestTimeoutMs: e.int('KAFKA_REQUEST_TIMEOUT_MS', 5_000, 100, 120_000),
    idleReconnectMs: e.int('KAFKA_IDLE_RECONNECT_MS', 240_000, 1_000),
    maxRequestBytes: e.int('KAFKA_MAX_REQUEST_BYTES', 900_000, 10_000),
    criticalIdempotent: e.bool('KAFKA_CRITICAL_IDEMPOTENT', true),
    ...(mskClusterArn && { mskClusterArn }),
    ...(region && { region }),
  };
  if (auth === 'scram') {
    const secretArn = e.string('KAFKA_SCRAM_SECRET_ARN');
    const username = e.string('KAFKA_SCRAM_USERNAME');
    const password = e.string('KAFKA_SCRAM_PASSWORD');
    if (!secretArn && !(username && password)) {
      e.problems.push('KAFKA_AUTH=scram needs KAFKA_SCRAM_SECRET_ARN, or KAFKA_SCRAM_USERNAME and KAFKA_SCRAM_PASSWORD');
    }
    kafka.scram = { ...(secretArn && { secretArn }), ...(username && { username }), ...(password && { password }) };
  }
  const tlsCaFile = e.string('KAFKA_TLS_CA_FILE');
  if (tlsCaFile) kafka.tlsCaFile = tlsCaFile;
  return kafka;
}

function readOutbox(e: EnvReader): { outbox?: OutboxConfig } {
  const tableName = e.string('OUTBOX_TABLE');
  if (!tableName) return {};
  const endpoint = e.string('DYNAMODB_ENDPOINT');
  const outbox: OutboxConfig = {
    tableName,
    graceMs: e.int('OUTBOX_GRACE_MS', 60_000, 1_000),
    leaseMs: e.int('OUTBOX_LEASE_MS', 60_000, 1_000),
    maxAttempts: e.int('OUTBOX_MAX_ATTEMPTS', 24, 1, 1_000),
    relayBatchSize: e.int('RELAY_BATCH_SIZE', 200, 1, 10_000),
    idempotencyTtlSeconds: e.int('OUTBOX_IDEMPOTENCY_TTL_SECONDS', 86_400, 60),
    ...(endpoint && { endpoint }),
  };
  return { outbox };
}

/** For functions that cannot work without the outbox. */
export function requireOutbox(config: Readonly<Config>): Readonly<OutboxConfig> {
  if (!config.outbox) throw new ConfigError(['OUTBOX_TABLE is required for the critical tier (the DynamoDB outbox table name)']);
  return config.outbox;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
