import type { RouteName } from './routes';

/** Either an HMAC signing key (preferred: replay-protected) or an API key (a bearer token). */
export type ClientAuth = { hmac: { tenant: string; keyId: string; secret: string } } | { apiKey: string };

export interface RetryOptions {
  /** Ceiling of the first retry's delay; it doubles per attempt. Default 100. */
  initialMs?: number;
  /** No retry waits longer. Default 10 000. */
  maxMs?: number;
  /** Sends of one critical record before it is given up (dropped, its promise rejected). Default: no limit until close(). */
  maxAttempts?: number;
}

/** A record the server refused; it is never sent again. */
export interface Rejection {
  route: RouteName;
  /** The event id (events only). */
  id?: string;
  /** The record's NDJSON line, as sent. */
  record: string;
  reason: string;
  /** The server's code, e.g. "forbidden", when it gave one. */
  code?: string;
  httpStatus: number;
}

export interface ClientOptions {
  /** Base URL, e.g. "https://abc.execute-api.eu-west-1.amazonaws.com/prod" (a stage path is kept and signed). */
  endpoint: string;
  auth: ClientAuth;
  /** How long a batch waits for more records after its first one. Default 5. */
  lingerMs?: number;
  /** A batch is sent once its NDJSON body (before gzip) reaches this size. Default 32 768. */
  maxBatchBytes?: number;
  /** Records per request; keep it under the server's MAX_RECORDS (10 000). Default 1 000. */
  maxBatchRecords?: number;
  /** Bodies of at least this many bytes are gzipped. Default 8 192. */
  gzipAboveBytes?: number;
  /** Records held at once (waiting, in flight or waiting to retry), all routes together. Default 10 000. */
  maxQueue?: number;
  /** Requests in flight per route. Default 4. */
  maxInFlight?: number;
  /** A request without a complete answer by then counts as a network error. Default 10 000. */
  requestTimeoutMs?: number;
  retry?: RetryOptions;
  /** Called once per rejected record (the client counts it and never resends it). */
  onRejected?: (rejection: Rejection) => void;
}

export interface ResolvedOptions {
  base: URL;
  /** The endpoint's path without a trailing slash ("" or "/prod"): the routes are appended to it. */
  basePath: string;
  auth: ClientAuth;
  lingerMs: number;
  maxBatchBytes: number;
  maxBatchRecords: number;
  gzipAboveBytes: number;
  maxQueue: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  retry: { initialMs: number; maxMs: number; maxAttempts: number };
  onRejected: (rejection: Rejection) => void;
}

// The server's rule for tenant and key ids; checked here so a typo fails at start, not as 401s.
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Fills in the defaults; throws a TypeError naming every invalid option. */
export function resolveOptions(o: ClientOptions): ResolvedOptions {
  const problems: string[] = [];
  const int = (name: string, value: number | undefined, fallback: number, min: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < min) problems.push(`${name} must be an integer ≥ ${min}`);
    return v;
  };
  const base = parseEndpoint(o.endpoint, problems);
  checkAuth(o.auth, problems);
  const resolved: ResolvedOptions = {
    base,
    basePath: base.pathname.replace(/\/+$/, ''),
    auth: o.auth,
    lingerMs: int('lingerMs', o.lingerMs, 5, 0),
    maxBatchBytes: int('maxBatchBytes', o.maxBatchBytes, 32_768, 1),
    maxBatchRecords: int('maxBatchRecords', o.maxBatchRecords, 1_000, 1),
    gzipAboveBytes: int('gzipAboveBytes', o.gzipAboveBytes, 8_192, 0),
    maxQueue: int('maxQueue', o.maxQueue, 10_000, 1),
    maxInFlight: int('maxInFlight', o.maxInFlight, 4, 1),
    requestTimeoutMs: int('requestTimeoutMs', o.requestTimeoutMs, 10_000, 1),
    retry: {
      initialMs: int('retry.initialMs', o.retry?.initialMs, 100, 1),
      maxMs: int('retry.maxMs', o.retry?.maxMs, 10_000, 1),
      maxAttempts: o.retry?.maxAttempts === undefined ? Number.POSITIVE_INFINITY : int('retry.maxAttempts', o.retry.maxAttempts, 0, 1),
    },
    onRejected: o.onRejected ?? (() => undefined),
  };
  if (resolved.retry.maxMs < resolved.retry.initialMs) problems.push('retry.maxMs must be ≥ retry.initialMs');
  if (problems.length) throw new TypeError(`invalid edge-forwarder client options: ${problems.join('; ')}`);
  return resolved;
}

function parseEndpoint(endpoint: string, problems: string[]): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    problems.push('endpoint must be an absolute http(s) URL');
    return new URL('http://invalid.invalid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('endpoint must be http: or https:');
  // The signature covers the path without a query string, so a query would break every request.
  if (url.search || url.hash) problems.push('endpoint must not have a query string or fragment');
  return url;
}

function checkAuth(auth: ClientAuth | undefined, problems: string[]): void {
  if (auth && 'hmac' in auth) {
    const { tenant, keyId, secret } = auth.hmac;
    if (typeof tenant !== 'string' || !ID.test(tenant)) problems.push(`auth.hmac.tenant must match ${ID.source}`);
    if (typeof keyId !== 'string' || !ID.test(keyId)) problems.push(`auth.hmac.keyId must match ${ID.source}`);
    if (typeof secret !== 'string' || secret.length === 0) problems.push('auth.hmac.secret must be a non-empty string');
  } else if (auth && 'apiKey' in auth) {
    // The server's parser: 16-256 characters, no whitespace.
    if (typeof auth.apiKey !== 'string' || !/^\S{16,256}$/.test(auth.apiKey)) problems.push('auth.apiKey must be 16-256 characters without whitespace');
  } else {
    problems.push('auth must be { hmac: { tenant, keyId, secret } } or { apiKey }');
  }
}
