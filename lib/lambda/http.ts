import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RequestError } from '../errors';
import type { RecordKind, RecordStatus, RecordStatusKind } from '../record';

/** The HTTP routes and the record kind each one implies. */
export interface HttpRoute {
  path: string;
  kind: RecordKind;
}

export interface HttpRequest {
  route: HttpRoute;
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
}

/** Picks the route and the raw body out of an API Gateway v2 / Function URL event. */
export function parseHttpEvent(event: APIGatewayProxyEventV2, routes: readonly HttpRoute[]): HttpRequest {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
  // A named API Gateway stage prefixes the path (/prod/v1/logs), so match on the suffix.
  const route = routes.find((r) => path === r.path || path.endsWith(r.path));
  if (!route) {
    throw new RequestError(404, 'unknown_route', `no route for ${path}; this function serves ${routes.map((r) => `POST ${r.path}`).join(', ')}`);
  }
  if (method !== 'POST') throw new RequestError(405, 'method_not_allowed', `${method} ${path}: only POST is accepted`);
  const headers = event.headers ?? {};
  const raw = event.body ?? '';
  return {
    route,
    body: Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8'),
    ...(headers['content-type'] !== undefined && { contentType: headers['content-type'] }),
    ...(headers['content-encoding'] !== undefined && { contentEncoding: headers['content-encoding'] }),
  };
}

type Summary = Record<RecordStatusKind, number>;

/**
 * 200 all accepted · 207 some accepted, some not · 400 every record rejected ·
 * 503 nothing accepted and some could be retried (the outbox could not persist).
 */
export function httpResponse(statuses: readonly RecordStatus[]): APIGatewayProxyStructuredResultV2 {
  const summary: Summary = { forwarded: 0, persisted: 0, dropped: 0, rejected: 0, retry: 0 };
  for (const s of statuses) summary[s.status]++;
  const accepted = summary.forwarded + summary.persisted + summary.dropped;
  const statusCode =
    accepted === statuses.length ? 200 : accepted > 0 ? 207 : summary.retry > 0 ? 503 : 400;
  return json(statusCode, {
    accepted,
    ...summary,
    results: statuses.map(({ index, status, id, tier, reason }) => ({ index, status, id, tier, reason })),
  });
}

export function httpError(err: RequestError, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  const allow: Record<string, string> = err.statusCode === 405 ? { allow: 'POST' } : {};
  return json(err.statusCode, { error: { code: err.code, message: err.message } }, { ...allow, ...headers });
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
