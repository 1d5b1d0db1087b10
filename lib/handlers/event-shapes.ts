/**
 * What kind of event a Lambda invocation carries, from the documented shapes of each AWS
 * source. Every function serves a few of these and refuses the rest loudly: answering
 * "success" to an event it did not understand would let Lambda checkpoint a stream or delete
 * a queue message that was never handled.
 */
import type { Telemetry } from '../platform/telemetry';

export type EventShape =
  | 'http-v2' // API Gateway HTTP API payload 2.0, Lambda Function URL
  | 'http-v1' // API Gateway REST API, HTTP API payload 1.0
  | 'alb'
  | 'sqs'
  | 'kinesis'
  | 'dynamodb-stream'
  | 'sns'
  | 's3'
  | 'cloudwatch-logs'
  | 'msk'
  | 'self-managed-kafka'
  | 'scheduled' // EventBridge schedule
  | 'eventbridge'
  | 'custom-resource' // CloudFormation
  | 'authorizer-v2' // HTTP API Lambda authorizer (REQUEST, payload 2.0)
  | 'direct' // an invocation with no event, or {} (the console, `serverless invoke`, a CLI)
  | 'unknown';

type Loose = Record<string, unknown> & { Records?: unknown; requestContext?: Record<string, unknown> };

export function eventShape(event: unknown): EventShape {
  if (event === undefined || event === null) return 'direct';
  if (typeof event !== 'object' || Array.isArray(event)) return 'unknown';
  const e = event as Loose;
  if (Object.keys(e).length === 0) return 'direct';
  if (Array.isArray(e.Records)) return recordsShape(e.Records[0]);
  // A broken awslogs envelope is still CloudWatch's: decoded and dropped with a reason, not refused.
  if (typeof e.awslogs === 'object' && e.awslogs !== null) return 'cloudwatch-logs';
  if (e.eventSource === 'aws:kafka' && typeof e.records === 'object') return 'msk';
  if (e.eventSource === 'SelfManagedKafka' && typeof e.records === 'object') return 'self-managed-kafka';
  if (typeof e.RequestType === 'string' && typeof e.ResponseURL === 'string') return 'custom-resource';
  if (typeof e['detail-type'] === 'string' && typeof e.source === 'string') return e['detail-type'] === 'Scheduled Event' ? 'scheduled' : 'eventbridge';
  const ctx = e.requestContext;
  if (e.type === 'REQUEST' && typeof e.routeArn === 'string') return 'authorizer-v2';
  if (ctx && typeof ctx === 'object') {
    if (typeof (ctx.elb as { targetGroupArn?: unknown } | undefined)?.targetGroupArn === 'string') return 'alb';
    if (e.version === '2.0' && typeof ctx.http === 'object') return 'http-v2';
    if (typeof e.httpMethod === 'string') return 'http-v1';
  }
  return 'unknown';
}

function recordsShape(first: unknown): EventShape {
  const r = (first ?? {}) as Record<string, unknown>;
  switch (r.eventSource ?? r.EventSource) {
    case 'aws:sqs':
      return 'sqs';
    case 'aws:kinesis':
      return 'kinesis';
    case 'aws:dynamodb':
      return 'dynamodb-stream';
    case 'aws:sns':
      return 'sns';
    case 'aws:s3':
      return 's3';
    default:
      return 'unknown';
  }
}

export const HTTP_SHAPES: readonly EventShape[] = ['http-v2', 'http-v1', 'alb'];

/** Thrown for an event a function does not serve: Lambda then retries or dead-letters it. */
export class UnsupportedEventError extends Error {
  override name = 'UnsupportedEventError';
  constructor(
    readonly shape: EventShape,
    readonly served: readonly EventShape[],
    functionName: string,
  ) {
    super(`${functionName} does not handle ${shape === 'unknown' ? 'this kind of' : `a ${shape}`} event; it serves ${served.join(', ')}`);
  }
}

/**
 * Logs, counts (EMF `UnsupportedEvents`, alarmed with the function's Errors) and throws: the
 * invocation fails, so the event source retries or dead-letters instead of checkpointing.
 */
export function refuseEvent(telemetry: Telemetry, functionName: string, shape: EventShape, served: readonly EventShape[]): never {
  const err = new UnsupportedEventError(shape, served, functionName);
  telemetry.log.error('unsupported event refused', { shape, served, error: err.message });
  telemetry.emit({ dimensions: { FunctionName: functionName }, metrics: { UnsupportedEvents: { value: 1, unit: 'Count' } } });
  throw err;
}
