import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RequestError } from '../platform/errors';
import { DEFAULT_LIMITS, type Limits } from '../domain/limits';
import type { RecordStatus, RecordStatusKind } from '../domain/record';
import type { HttpRoute } from '../domain/routes';

export interface HttpRequest {
  route: HttpRoute;
  method: string;
  /** The path as requested (what a signature covers). */
  path: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
}

/**
 * Picks the route, headers and raw body out of an API Gateway v2 / Function URL event, enforcing
 * the header limits (431). A malformed event (a body that is not a string, ...) is a 400, never a throw
 * of anything but RequestError.
 */
export function parseHttpEvent(
  event: APIGatewayProxyEventV2,
  routes: readonly HttpRoute[],
  limits: Pick<Limits, 'maxHeaders' | 'maxHeaderBytes'> = DEFAULT_LIMITS,
): HttpRequest {
  const method = str(event?.requestContext?.http?.method) ?? 'GET';
  const path = str(event?.rawPath) ?? str(event?.requestContext?.http?.path) ?? '/';
  // A named API Gateway stage prefixes the path (/prod/v1/logs), so match on the suffix.
  const route = routes.find((r) => path === r.path || path.endsWith(r.path));
  if (!route) {
    throw new RequestError(404, 'unknown_route', `no route for ${path}; this function serves ${routes.map((r) => `POST ${r.path}`).join(', ')}`);
  }
  if (method !== 'POST') throw new RequestError(405, 'method_not_allowed', `${method} ${path}: only POST is accepted`);
  const headers = readHeaders(event.headers, limits);
  const raw: unknown = event.body ?? '';
  if (typeof raw !== 'string') throw new RequestError(400, 'malformed_body', 'the event body is not a string');
  const base64 = event.isBase64Encoded === true;
  const body = Buffer.from(raw, base64 ? 'base64' : 'utf8');
  // Node skips characters that are not base64, so a corrupt body decodes short: an O(1) check
  // instead of a regex over up to 8 MB.
  if (base64 && (raw.length % 4 !== 0 || body.length !== Buffer.byteLength(raw, 'base64'))) {
    throw new RequestError(400, 'malformed_body', 'the body is flagged base64 but is not valid base64');
  }
  return {
    route,
    method,
    path,
    headers,
    body,
    ...(headers['content-type'] !== undefined && { contentType: headers['content-type'] }),
    ...(headers['content-encoding'] !== undefined && { contentEncoding: headers['content-encoding'] }),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** String-valued headers, lower-cased names (API Gateway already lower-cases them), within the limits. */
function readHeaders(raw: unknown, limits: Pick<Limits, 'maxHeaders' | 'maxHeaderBytes'>): Record<string, string> {
  if (typeof raw !== 'object' || raw === null) return {};
  const entries = Object.entries(raw);
  if (entries.length > limits.maxHeaders) {
    throw new RequestError(431, 'headers_too_large', `${entries.length} request headers; the limit is ${limits.maxHeaders}`);
  }
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let bytes = 0;
  for (const [name, value] of entries) {
    if (typeof value !== 'string') continue;
    bytes += name.length + value.length;
    headers[name.toLowerCase()] = value;
  }
  if (bytes > limits.maxHeaderBytes) {
    throw new RequestError(431, 'headers_too_large', `request headers total ${bytes} bytes; the limit is ${limits.maxHeaderBytes}`);
  }
  return headers;
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
  const allForbidden = statuses.length > 0 && statuses.every((s) => s.code === 'forbidden');
  const statusCode =
    accepted === statuses.length ? 200 : accepted > 0 ? 207 : summary.retry > 0 ? 503 : allForbidden ? 403 : 400;
  return json(statusCode, {
    accepted,
    ...summary,
    results: statuses.map(({ index, status, id, tier, reason, code }) => ({ index, status, id, tier, reason, code })),
  });
}

export function httpError(err: RequestError, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  const allow: Record<string, string> = err.statusCode === 405 ? { allow: 'POST' } : {};
  return json(err.statusCode, { error: { code: err.code, message: err.message } }, { ...allow, ...headers });
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
