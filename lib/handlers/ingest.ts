/**
 * The ingest functions' core (ingest-logs, ingest-heartbeats; ingest-critical adds its outbox
 * sink): HTTP (API Gateway v2 / Function URL), CloudWatch Logs and SQS → pipeline → sinks.
 * ingestDeps(config) builds what the function holds for the container's life; ingestHandler(deps)
 * is the Lambda handler over them.
 */
import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  CloudWatchLogsEvent,
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { requireTenantsSource } from '../auth/config';
import { createHttpAuthenticator, WWW_AUTHENTICATE, type Identity } from '../auth/http-auth';
import { loaderFor } from '../adapters/aws/tenant-documents';
import { KafkaClient } from '../adapters/kafka/client';
import { createTenantDirectory, type TenantDirectory } from '../auth/tenant-source';
import type { Config } from '../platform/config';
import { RequestError, errorMessage } from '../platform/errors';
import { runPipeline, type PipelineDeps } from '../domain/pipeline';
import type { DecodeResult, RecordStatus } from '../domain/record';
import type { RecordKind } from '../domain/tiers';
import { createRouter, type Router } from '../domain/router';
import { INGEST_ROUTES, type HttpRoute, type IngestFunction } from '../domain/routes';
import { fireAndForgetSink } from '../sinks/fire-and-forget';
import type { Sink } from '../domain/sink';
import { decodeCloudWatchLogs } from '../sources/cloudwatch-logs';
import { decodeHttpBody } from '../sources/http-body';
import { decodeKinesis } from '../sources/kinesis';
import { decodeSqs } from '../sources/sqs';
import { HTTP_SHAPES, eventShape, refuseEvent, type EventShape } from './event-shapes';
import { answerFor, asPayloadV2 } from './http-events';
import { batchItemFailures } from './batch-response';
import type { Logger, Telemetry } from '../platform/telemetry';
import { invoke, type Invocation } from '../platform/invocation';
import { tierTopics } from '../domain/tiers';
import { httpError, httpResponse, parseHttpEvent } from './http';
import { telemetryFor, type HandlerIo } from './runtime';

export type IngestEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent | ALBEvent | CloudWatchLogsEvent | SQSEvent | KinesisStreamEvent;

export interface IngestHandler {
  (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2>;
  (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult>;
  (event: ALBEvent, context?: Context): Promise<ALBResult>;
  (event: CloudWatchLogsEvent, context?: Context): Promise<void>;
  (event: SQSEvent, context?: Context): Promise<SQSBatchResponse>;
  (event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse>;
}

/**
 * What each ingest function accepts besides HTTP, and the record kind those records get (HTTP
 * records take their route's). CloudWatch Logs carries log lines only: sent to another function
 * it is refused, never decoded into a tier that would then reject every line.
 */
const SOURCES: Record<IngestFunction, { shapes: readonly EventShape[]; kind: RecordKind }> = {
  'ingest-logs': { shapes: [...HTTP_SHAPES, 'cloudwatch-logs', 'sqs', 'kinesis'], kind: 'log' },
  'ingest-heartbeats': { shapes: [...HTTP_SHAPES, 'sqs', 'kinesis'], kind: 'heartbeat' },
  'ingest-critical': { shapes: [...HTTP_SHAPES, 'sqs', 'kinesis'], kind: 'event' },
};

export type Authenticate = ReturnType<typeof createHttpAuthenticator>;

/** What an ingest function holds for the life of its container. */
export interface IngestDeps {
  config: Readonly<Config>;
  telemetry: Telemetry;
  routes: readonly HttpRoute[];
  /** The event shapes served and the kind of records from the non-HTTP ones. */
  sources: { shapes: readonly EventShape[]; kind: RecordKind };
  authenticate: Authenticate;
  sinks: readonly Sink[];
}

/** The parts every ingest function has; the sinks (and what they send through) are the function's own. */
export interface IngestBase extends Omit<IngestDeps, 'sinks'> {
  kafka: KafkaClient;
  /** Releases what the function holds open (Kafka connections; the outbox's client for ingest-critical). */
  close(): Promise<void>;
}

export function ingestBase(config: Readonly<Config>, fn: IngestFunction, io: HandlerIo = {}): IngestBase {
  const telemetry = telemetryFor(config, io);
  const kafka = new KafkaClient(config.kafka, telemetry.log);
  return {
    config,
    telemetry,
    routes: [INGEST_ROUTES[fn]],
    sources: SOURCES[fn],
    authenticate: createHttpAuthenticator({
      auth: config.auth,
      defaultTenant: config.tenant,
      directory: tenantDirectory(config, telemetry.log),
      log: telemetry.log,
    }),
    kafka,
    close: () => kafka.disconnect(),
  };
}

/** ingest-logs and ingest-heartbeats: fire-and-forget to the logs and realtime tiers. */
export function ingestDeps(config: Readonly<Config>, fn: 'ingest-logs' | 'ingest-heartbeats', io: HandlerIo = {}): IngestDeps & IngestBase {
  const base = ingestBase(config, fn, io);
  return { ...base, sinks: [fireAndForgetSink({ producer: base.kafka.producer('best-effort'), log: base.telemetry.log })] };
}

/** Where HTTP callers' tenants are looked up; required unless AUTH_MODE=none (fails the cold start otherwise). */
function tenantDirectory(config: Readonly<Config>, log: Logger): TenantDirectory | undefined {
  const source = requireTenantsSource(config.auth);
  if (!source) return undefined;
  return createTenantDirectory({ load: loaderFor(source, config.auth.region), ttlMs: config.auth.tenantsTtlMs, log });
}

/**
 * The pipeline for an authenticated tenant: its own ef-tenant header and topic prefix, and its
 * policy checked per record. Routers are cached per tenant (a handful per container).
 */
function tenantPipelines(config: Readonly<Config>, sinks: readonly Sink[]): (identity: Identity) => PipelineDeps | undefined {
  const routers = new Map<string, Router>();
  return (identity) => {
    if (!identity.policy && identity.tenant === config.tenant) return undefined;
    const topicPrefix = identity.policy?.topicPrefix ?? config.topicPrefix;
    const cacheKey = `${identity.tenant}\n${topicPrefix}`;
    let router = routers.get(cacheKey);
    if (!router) {
      if (routers.size > 1_000) routers.clear();
      const topics = tierTopics(topicPrefix);
      routers.set(cacheKey, (router = createRouter({ rules: config.rules, topics, tenant: identity.tenant })));
    }
    const policy = identity.policy && { tenant: identity.tenant, tiers: identity.policy.tiers, kinds: identity.policy.kinds, topicPrefix };
    return { router, sinks, ...(policy && { policy }) };
  };
}

export function ingestHandler(deps: IngestDeps): IngestHandler {
  const { config, telemetry, sinks, routes, authenticate, sources } = deps;
  const log = telemetry.log;
  const pipeline: PipelineDeps = { router: createRouter({ rules: config.rules, topics: config.topics, tenant: config.tenant }), sinks };
  const tenantDeps = tenantPipelines(config, sinks);
  const run = (decoded: DecodeResult, pipe: PipelineDeps, { deadline, metrics }: Invocation) =>
    runPipeline(decoded, pipe, deadline).then((statuses) => (metrics.addStatuses(statuses), statuses));

  const http = (event: APIGatewayProxyEventV2, context?: Context) =>
    invoke(telemetry, context, config.sendMarginMs, async (inv): Promise<APIGatewayProxyStructuredResultV2> => {
      try {
        const req = parseHttpEvent(event, routes, config.limits);
        const identity = await authenticate(event, req);
        telemetry.setTenant(identity.tenant);
        const decoded = decodeHttpBody({ ...req, kind: req.route.kind, receivedAt: Date.now() }, config.limits);
        return httpResponse(await run(decoded, tenantDeps(identity) ?? pipeline, inv));
      } catch (err) {
        if (err instanceof RequestError) {
          inv.metrics.add('unrouted', 'rejected');
          log.info('request refused', { code: err.code, status: err.statusCode, reason: err.message });
          return httpError(err, err.statusCode === 401 ? { 'www-authenticate': WWW_AUTHENTICATE } : {});
        }
        log.error('unexpected failure', { error: errorMessage(err) });
        return httpError(new RequestError(503, 'internal_error', 'unexpected failure; retry later'));
      }
    });

  /**
   * CloudWatch Logs invokes asynchronously and retries a failed invocation, which would
   * duplicate what was already sent: so this path never throws, it counts and drops.
   */
  const cloudWatch = (event: CloudWatchLogsEvent, context?: Context) =>
    invoke(telemetry, context, config.sendMarginMs, async (inv): Promise<RecordStatus[]> => {
      telemetry.setTenant(config.tenant); // AWS-internal sources write as the deployment's tenant
      try {
        const statuses = await run(decodeCloudWatchLogs(event, config.limits), pipeline, inv);
        for (const s of statuses.filter((s) => s.status === 'rejected')) log.warn('log event rejected', { index: s.index, reason: s.reason });
        return statuses;
      } catch (err) {
        inv.metrics.add('logs', 'dropped');
        log.error('CloudWatch Logs envelope dropped', { error: errorMessage(err) });
        return [];
      }
    });

  /**
   * SQS redelivers what we list in batchItemFailures: only records the outbox could not take.
   * Anything else thrown here would redeliver the whole batch, so nothing is.
   */
  const sqs = (event: SQSEvent, context?: Context) =>
    invoke(telemetry, context, config.sendMarginMs, async (inv): Promise<SQSBatchResponse> => {
      telemetry.setTenant(config.tenant); // AWS-internal sources write as the deployment's tenant
      try {
        const statuses = await run(decodeSqs(event, config.limits, sources.kind), pipeline, inv);
        for (const s of statuses.filter((s) => s.status === 'rejected')) log.warn('SQS message rejected (not retried)', { messageId: s.itemId, reason: s.reason });
        return batchItemFailures(statuses);
      } catch (err) {
        log.error('SQS batch refused; every message will be redelivered', { error: errorMessage(err) });
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      }
    });

  /**
   * Kinesis re-reads a failed batch from the lowest sequence number handed back: only records the
   * outbox could not take are, so the best-effort tiers never cause a re-read (and duplicates).
   */
  const kinesis = (event: KinesisStreamEvent, context?: Context) =>
    invoke(telemetry, context, config.sendMarginMs, async (inv): Promise<KinesisStreamBatchResponse> => {
      telemetry.setTenant(config.tenant); // AWS-internal sources write as the deployment's tenant
      const statuses = await run(decodeKinesis(event, config.limits, sources.kind), pipeline, inv);
      for (const s of statuses.filter((s) => s.status === 'rejected')) log.warn('Kinesis record rejected (not retried)', { sequenceNumber: s.itemId, reason: s.reason });
      return batchItemFailures(statuses);
    });

  return (async (event: IngestEvent, context?: Context) => {
    const shape = eventShape(event);
    if (!sources.shapes.includes(shape)) return refuseEvent(telemetry, config.functionName, shape, sources.shapes);
    switch (shape) {
      case 'cloudwatch-logs':
        return void (await cloudWatch(event as CloudWatchLogsEvent, context));
      case 'sqs':
        return sqs(event as SQSEvent, context);
      case 'kinesis':
        return kinesis(event as KinesisStreamEvent, context);
      case 'http-v1':
      case 'alb':
        return answerFor(shape, event as APIGatewayProxyEvent | ALBEvent, await http(asPayloadV2(event as APIGatewayProxyEvent | ALBEvent), context));
      default:
        return http(event as APIGatewayProxyEventV2, context);
    }
  }) as IngestHandler;
}
