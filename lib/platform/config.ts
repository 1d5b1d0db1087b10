/**
 * The one configuration loader. Every function reads the sections it needs, once per container
 * at init, and every problem of every section is reported together (ConfigError):
 *   loadConfig          ingest, outbox relay/verify, provision-topics: Kafka + routing + auth (+ outbox)
 *   loadConsumerConfig  consume-realtime, audit-critical: no Kafka client (the event source mapping polls)
 *   loadAuthorizerConfig the Lambda authorizer: auth only
 */
import { readAuthConfig, requireTenantsSource, type AuthConfig } from '../auth/config';
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
  /** outbox-verify audits the events delivered this long ago up to now (the hour since the last run + slack). */
  verifyWindowMinutes: number;
}

/** What every function reads: its name, where metrics go, how much it logs, its time margin. */
export interface FunctionConfig {
  functionName: string;
  metricsNamespace: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Kept free at the end of an invocation: work stops this long before Lambda's deadline. */
  sendMarginMs: number;
  /** AWS_REGION, read once for every client that needs it. */
  region?: string;
}

export interface Config extends FunctionConfig {
  /** Tenant of records from AWS-internal sources (CloudWatch Logs, SQS) and of HTTP with AUTH_MODE=none. */
  tenant: string;
  auth: Readonly<AuthConfig>;
  topicPrefix: string;
  topics: Readonly<Record<Tier, string>>;
  rules: readonly RouteRule[];
  limits: Readonly<Limits>;
  kafka: Readonly<KafkaConfig>;
  outbox?: Readonly<OutboxConfig>;
}

function readFunction(e: EnvReader, defaultName = 'edge-forwarder-local'): FunctionConfig {
  const region = e.string('AWS_REGION');
  return {
    functionName: e.string('AWS_LAMBDA_FUNCTION_NAME', defaultName),
    metricsNamespace: e.string('METRICS_NAMESPACE', 'EdgeForwarder'),
    logLevel: readLogLevel(e),
    sendMarginMs: e.int('SEND_MARGIN_MS', 300, 0, 60_000),
    ...(region && { region }),
  };
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL) name six levels; ours are four. */
const LAMBDA_LOG_LEVELS: Record<string, FunctionConfig['logLevel']> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'error' };

/**
 * LOG_LEVEL, or Lambda's AWS_LAMBDA_LOG_LEVEL; with both, the stricter: Lambda drops the lines
 * below its own level anyway (JSON log format), so writing them would only cost CPU.
 */
function readLogLevel(e: EnvReader): FunctionConfig['logLevel'] {
  const own = e.oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const lambdaRaw = e.string('AWS_LAMBDA_LOG_LEVEL');
  if (lambdaRaw === undefined) return own;
  const lambda = LAMBDA_LOG_LEVELS[lambdaRaw.toUpperCase()];
  if (!lambda) {
    e.problems.push(`AWS_LAMBDA_LOG_LEVEL must be one of ${Object.keys(LAMBDA_LOG_LEVELS).join(', ')}, got "${lambdaRaw}"`);
    return own;
  }
  if (e.string('LOG_LEVEL') === undefined) return lambda;
  return LOG_LEVELS.indexOf(lambda) > LOG_LEVELS.indexOf(own) ? lambda : own;
}

function done<T>(e: EnvReader, config: T): Readonly<T> {
  if (e.problems.length) throw new ConfigError(e.problems);
  return deepFreeze(config);
}

/** Parses and validates the environment once; throws a ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const e = new EnvReader(env);
  const topicPrefix = e.string('TOPIC_PREFIX', 'edge.');
  const topics = tierTopics(topicPrefix);
  const fn = readFunction(e);
  const config: Config = {
    ...fn,
    tenant: e.string('TENANT_ID', 'default'),
    auth: readAuthConfig(e, fn.region),
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
      // Narrower only: the topics' timestamp guards (lib/domain/tiers.ts) are set just outside the
      // default window, so a wider one would have the brokers refuse what the sources kept.
      maxTimestampPastMs: e.int('MAX_TIMESTAMP_PAST_MS', DEFAULT_LIMITS.maxTimestampPastMs, 0, DEFAULT_LIMITS.maxTimestampPastMs),
      maxTimestampFutureMs: e.int('MAX_TIMESTAMP_FUTURE_MS', DEFAULT_LIMITS.maxTimestampFutureMs, 0, DEFAULT_LIMITS.maxTimestampFutureMs),
    },
    kafka: readKafka(e, fn.region),
    ...readOutbox(e),
  };
  if (!/^[A-Za-z0-9._-]*$/.test(topicPrefix)) {
    e.problems.push(`TOPIC_PREFIX may only contain letters, digits, '.', '_' and '-', got "${topicPrefix}"`);
  }
  return done(e, config);
}

function readKafka(e: EnvReader, awsRegion: string | undefined): KafkaConfig {
  const brokers = e.list('KAFKA_BROKERS');
  const mskClusterArn = e.string('MSK_CLUSTER_ARN');
  if (!brokers.length && !mskClusterArn) {
    e.problems.push('set KAFKA_BROKERS (host:port,...) or MSK_CLUSTER_ARN (bootstrap brokers are then looked up)');
  }
  if (brokers.length && mskClusterArn) e.problems.push('set only one of KAFKA_BROKERS and MSK_CLUSTER_ARN');
  brokers
    .filter((b) => !/^[^\s:]+:\d{1,5}$/.test(b))
    .forEach((b) => {
      e.problems.push(`KAFKA_BROKERS entry "${b}" is not host:port`);
    });
  const auth = e.oneOf('KAFKA_AUTH', KAFKA_AUTH_MODES, mskClusterArn ? 'iam' : 'plaintext');
  const region = awsRegion ?? mskClusterArn?.split(':')[3];
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
    verifyWindowMinutes: e.int('OUTBOX_VERIFY_WINDOW_MINUTES', 65, 1, 7 * 24 * 60),
    ...(endpoint && { endpoint }),
  };
  return { outbox };
}

/** For functions that cannot work without the outbox. */
export function requireOutbox(config: Readonly<Config>): Readonly<OutboxConfig> {
  if (!config.outbox) throw new ConfigError(['OUTBOX_TABLE is required for the critical tier (the DynamoDB outbox table name)']);
  return config.outbox;
}

export interface DedupeConfig {
  store: 'dynamodb' | 'memory';
  tableName?: string;
  endpoint?: string;
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

export interface ConsumerConfig extends FunctionConfig {
  /**
   * consume-realtime: how many game servers per invocation get a metric of their own (a custom
   * metric each, and server ids are the senders' choice); 0 = log fields only (SERVER_METRICS=off).
   */
  serverMetricsMax: number;
  /** Only server ids matching this get a metric (SERVER_METRICS_PATTERN, anchored); unset: any. */
  serverMetricsPattern?: RegExp;
  /** audit-critical only. */
  dedupe?: DedupeConfig;
}

/** The Lambda consumers: no KAFKA_BROKERS / MSK_CLUSTER_ARN, the event source mapping polls MSK for them. */
export function loadConsumerConfig(env: Env = process.env, opts: { dedupe: boolean } = { dedupe: false }): Readonly<ConsumerConfig> {
  const e = new EnvReader(env);
  const config: ConsumerConfig = {
    ...readFunction(e),
    serverMetricsMax: e.oneOf('SERVER_METRICS', ['on', 'off'], 'on') === 'on' ? e.int('SERVER_METRICS_MAX', 20, 0, 1_000) : 0,
  };
  const pattern = e.string('SERVER_METRICS_PATTERN');
  if (pattern !== undefined) {
    try {
      config.serverMetricsPattern = new RegExp(`^(?:${pattern})$`);
    } catch (err) {
      e.problems.push(`SERVER_METRICS_PATTERN is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  if (opts.dedupe) config.dedupe = readDedupe(e);
  return done(e, config);
}

function readDedupe(e: EnvReader): DedupeConfig {
  const store = e.oneOf('DEDUPE_STORE', ['dynamodb', 'memory'], 'dynamodb');
  const tableName = e.string('DEDUPE_TABLE');
  if (store === 'dynamodb' && !tableName) {
    e.problems.push('DEDUPE_TABLE is required (the DynamoDB deduplication table; DEDUPE_STORE=memory for local runs only)');
  }
  const endpoint = e.string('DYNAMODB_ENDPOINT');
  const leaseMs = e.string('DEDUPE_LEASE_MS') !== undefined ? e.int('DEDUPE_LEASE_MS', 0, 1_000) : undefined;
  return {
    store,
    ttlSeconds: e.int('DEDUPE_TTL_SECONDS', 7 * 86_400, 60),
    ...(leaseMs !== undefined && { leaseMs }),
    scope: e.string('DEDUPE_SCOPE', 'audit'),
    ...(tableName && { tableName }),
    ...(endpoint && { endpoint }),
  };
}

export interface AuthorizerConfig extends FunctionConfig {
  auth: Readonly<AuthConfig>;
}

/** The authorizer never talks to Kafka: only its own and the auth variables, and a tenant source is required. */
export function loadAuthorizerConfig(env: Env = process.env): Readonly<AuthorizerConfig> {
  const e = new EnvReader(env);
  const fn = readFunction(e, 'edge-forwarder-authorizer');
  const auth = readAuthConfig(e, fn.region);
  if (!auth.tenantsSource) e.problems.push('the authorizer needs TENANTS_SOURCE');
  const config = done(e, { ...fn, auth });
  requireTenantsSource(config.auth);
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
