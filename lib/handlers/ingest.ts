import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  CloudWatchLogsEvent,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { requireTenantsSource } from '../auth/config';
import { createHttpAuthenticator, WWW_AUTHENTICATE, type Identity } from '../auth/http-auth';
import { loaderFor } from '../adapters/aws/tenant-documents';
import { createTenantDirectory, type TenantDirectory } from '../auth/tenant-source';
import type { Env } from '../platform/env';
import { RequestError, errorMessage } from '../platform/errors';
import { runPipeline, type PipelineDeps } from '../domain/pipeline';
import type { RecordStatus } from '../domain/record';
import { createRouter, type Router } from '../domain/router';
import { createRuntime, type Runtime, type RuntimeOverrides } from './runtime';
import { fireAndForgetSink } from '../sinks/fire-and-forget';
import type { Sink } from '../domain/sink';
import { decodeCloudWatchLogs } from '../sources/cloudwatch-logs';
import { decodeHttpBody } from '../sources/http-body';
import { decodeSqs } from '../sources/sqs';
import { batchItemFailures } from './batch-response';
import { InvocationMetrics, type Logger } from '../platform/telemetry';
import { tierTopics } from '../domain/tiers';
import { httpError, httpResponse, parseHttpEvent, type HttpRoute } from './http';
import { deadlineFor } from '../platform/deadline';

export type IngestEvent = APIGatewayProxyEventV2 | CloudWatchLogsEvent | SQSEvent;

export interface IngestHandler {
  (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2>;
  (event: CloudWatchLogsEvent, context?: Context): Promise<void>;
  (event: SQSEvent, context?: Context): Promise<SQSBatchResponse>;
  runtime: Runtime;
}

export interface IngestOptions {
  routes: readonly HttpRoute[];
  /** Builds the sinks from the runtime; defaults to the fire-and-forget sink for logs + realtime. */
  sinks?: (runtime: Runtime) => Sink[];
}

/** Where HTTP callers' tenants are looked up; required unless AUTH_MODE=none (fails the cold start otherwise). */
function tenantDirectory(config: Runtime['config'], log: Logger): TenantDirectory | undefined {
  const source = requireTenantsSource(config.auth);
  if (!source) return undefined;
  return createTenantDirectory({ load: loaderFor(source, config.auth.region), ttlMs: config.auth.tenantsTtlMs, log });
}

/**
 * The pipeline for an authenticated tenant: its own ef-tenant header and topic prefix, and its
 * policy checked per record. Routers are cached per tenant (a handful per container).
 */
function tenantPipelines(runtime: Runtime, sinks: Sink[]): (identity: Identity) => PipelineDeps | undefined {
  const { config } = runtime;
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

export function isCloudWatchLogsEvent(event: unknown): event is CloudWatchLogsEvent {
  return typeof event === 'object' && event !== null && 'awslogs' in event;
}

export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as SQSEvent | null)?.Records;
  return Array.isArray(records) && records.length > 0 && records[0]?.eventSource === 'aws:sqs';
}

/** Builds a handler for HTTP (API Gateway v2 / Function URL) and CloudWatch Logs events. */
export function createIngestHandler(opts: IngestOptions, env: Env = process.env, overrides: RuntimeOverrides = {}): IngestHandler {
  const runtime = createRuntime(env, overrides);
  const { config, telemetry } = runtime;
  const sinks = opts.sinks?.(runtime) ?? [
    fireAndForgetSink({ producer: runtime.kafka.producer('best-effort'), log: telemetry.log }),
  ];
  const deps: PipelineDeps = { router: runtime.router, sinks };
  const authenticate = createHttpAuthenticator({
    auth: config.auth,
    defaultTenant: config.tenant,
    directory: tenantDirectory(config, telemetry.log),
    log: telemetry.log,
  });
  const tenantDeps = tenantPipelines(runtime, sinks);

  async function http(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
    const metrics = new InvocationMetrics();
    try {
      const req = parseHttpEvent(event, opts.routes, config.limits);
      const identity = await authenticate(event, req);
      const decoded = decodeHttpBody({ ...req, kind: req.route.kind, receivedAt: Date.now() }, config.limits);
      const statuses = await runPipeline(decoded, tenantDeps(identity) ?? deps, deadlineFor(context, config.sendMarginMs), metrics);
      return httpResponse(statuses);
    } catch (err) {
      if (err instanceof RequestError) {
        metrics.add('unrouted', 'rejected');
        telemetry.log.info('request refused', { code: err.code, status: err.statusCode, reason: err.message });
        return httpError(err, err.statusCode === 401 ? { 'www-authenticate': WWW_AUTHENTICATE } : {});
      }
      telemetry.log.error('unexpected failure', { error: errorMessage(err) });
      return httpError(new RequestError(503, 'internal_error', 'unexpected failure; retry later'));
    } finally {
      telemetry.flush(metrics);
    }
  }

  /**
   * CloudWatch Logs invokes asynchronously and retries a failed invocation, which would
   * duplicate what was already sent: so this path never throws, it counts and drops.
   */
  async function cloudWatch(event: CloudWatchLogsEvent, context?: Context): Promise<RecordStatus[]> {
    const metrics = new InvocationMetrics();
    try {
      const decoded = decodeCloudWatchLogs(event, config.limits);
      const statuses = await runPipeline(decoded, deps, deadlineFor(context, config.sendMarginMs), metrics);
      for (const s of statuses.filter((s) => s.status === 'rejected')) {
        telemetry.log.warn('log event rejected', { index: s.index, reason: s.reason });
      }
      return statuses;
    } catch (err) {
      metrics.add('logs', 'dropped');
      telemetry.log.error('CloudWatch Logs envelope dropped', { error: errorMessage(err) });
      return [];
    } finally {
      telemetry.flush(metrics);
    }
  }

  /**
   * SQS redelivers what we list in batchItemFailures: only records the outbox could not take.
   * Anything else thrown here would redeliver the whole batch, so nothing is.
   */
  async function sqs(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    const metrics = new InvocationMetrics();
    try {
      const decoded = decodeSqs(event, config.limits);
      const statuses = await runPipeline(decoded, deps, deadlineFor(context, config.sendMarginMs), metrics);
      for (const s of statuses.filter((s) => s.status === 'rejected')) {
        telemetry.log.warn('SQS message rejected (not retried)', { messageId: s.itemId, reason: s.reason });
      }
      return batchItemFailures(statuses);
    } catch (err) {
      telemetry.log.error('SQS batch refused; every message will be redelivered', { error: errorMessage(err) });
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    } finally {
      telemetry.flush(metrics);
    }
  }

  const handler = (async (event: IngestEvent, context?: Context) => {
    if (isCloudWatchLogsEvent(event)) return void (await cloudWatch(event, context));
    if (isSqsEvent(event)) return sqs(event, context);
    return http(event as APIGatewayProxyEventV2, context);
  }) as IngestHandler;
  handler.runtime = runtime;
  return handler;
}
