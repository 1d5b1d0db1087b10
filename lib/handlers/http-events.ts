/**
 * The HTTP fronts besides API Gateway HTTP API / Function URL (payload 2.0): API Gateway REST
 * APIs (payload 1.0, chosen for WAF and usage plans) and Application Load Balancer targets.
 * Their events are read as the 2.0 shape the rest of the code understands, and the answer is
 * written back in the shape each front expects; bodies, limits and statuses are the same.
 */
import { STATUS_CODES } from 'node:http';
import type { ALBEvent, ALBResult, APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

type V1OrAlb = APIGatewayProxyEvent | ALBEvent;

/** A REST API (1.0) or ALB event as payload 2.0: method, path, lower-cased headers, body, auth context. */
export function asPayloadV2(event: V1OrAlb): APIGatewayProxyEventV2 {
  const rc = (event.requestContext ?? {}) as Partial<APIGatewayProxyEvent['requestContext']>;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: event.path,
    rawQueryString: '',
    headers: mergedHeaders(event),
    ...(event.body !== null && event.body !== undefined && { body: event.body }),
    isBase64Encoded: event.isBase64Encoded === true,
    requestContext: {
      http: { method: event.httpMethod, path: event.path, protocol: 'HTTP/1.1', sourceIp: rc.identity?.sourceIp ?? '', userAgent: '' },
      ...authorizerOf(rc),
    },
  } as unknown as APIGatewayProxyEventV2;
}

/**
 * Multi-value headers (REST APIs always send them; ALB when the target group enables them)
 * joined as HTTP joins repeated headers; names lower-cased as payload 2.0 has them.
 */
function mergedHeaders(event: V1OrAlb): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (typeof value === 'string') out[name.toLowerCase()] = value;
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (Array.isArray(values) && values.length) out[name.toLowerCase()] = values.join(', ');
  }
  return out;
}

/**
 * REST API auth as payload 2.0 carries it: IAM (AWS_IAM authorization puts the caller in
 * `identity`) → `authorizer.iam`; a Lambda authorizer's context → `authorizer.lambda`. Only API
 * Gateway writes requestContext, so a client cannot forge either.
 */
function authorizerOf(rc: Partial<APIGatewayProxyEvent['requestContext']>): { authorizer?: Record<string, unknown> } {
  if (rc.authorizer && typeof rc.authorizer === 'object') {
    const { principalId: _p, integrationLatency: _l, ...context } = rc.authorizer as Record<string, unknown>;
    return { authorizer: { lambda: context } };
  }
  if (rc.identity?.userArn) return { authorizer: { iam: { userArn: rc.identity.userArn, accountId: rc.identity.accountId } } };
  return {};
}

/** The 2.0-shaped answer in the shape the front expects. */
export function answerFor(shape: 'http-v1' | 'alb', event: V1OrAlb, result: APIGatewayProxyStructuredResultV2): APIGatewayProxyResult | ALBResult {
  const statusCode = result.statusCode ?? 200;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = result.body ?? '';
  if (shape === 'http-v1') return { statusCode, headers, body, isBase64Encoded: false };
  const statusDescription = `${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trim();
  // A target group with multi-value headers on ignores `headers` in the answer.
  if (event.multiValueHeaders) {
    return { statusCode, statusDescription, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), body, isBase64Encoded: false };
  }
  return { statusCode, statusDescription, headers, body, isBase64Encoded: false };
}
