/**
 * A local stand-in for API Gateway (HTTP API, payload format 2.0): each request becomes the
 * event API Gateway would send, the matching Lambda handler runs in-process, and its result is
 * written back as the HTTP response.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from './functions';

/** Lambda's synchronous invocation payload limit. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface BridgeRoute {
  functionName: string;
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
}

export interface BridgeStats {
  requests: number;
  byStatus: Map<number, number>;
}

export interface BridgeOptions {
  routes: Readonly<Record<string, BridgeRoute>>;
  /** Answer of GET /healthz. */
  health: () => Record<string, unknown>;
  /** The functions' timeout: getRemainingTimeInMillis counts down from it. */
  timeoutMs: number;
  /** Called when a handler throws (Lambda would log it and API Gateway answer 500). */
  onError: (route: string, err: unknown) => void;
  /**
   * GET / HEAD answers that run no function and need no credentials (the local dashboard): the
   * server only listens on 127.0.0.1. Undefined for a path it does not serve.
   */
  pages?: (path: string, host: string | undefined) => BridgePage | undefined;
  /** Sees every function answer before it is written (the dashboard keeps the last rejects). */
  onResult?: (route: string, result: APIGatewayProxyStructuredResultV2) => void;
}

export interface BridgePage {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export function createHttpBridge(opts: BridgeOptions) {
  const stats: BridgeStats = { requests: 0, byStatus: new Map() };
  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    res.setHeader('apigw-requestid', requestId);
    res.on('finish', () => {
      stats.requests++;
      stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
    });
    handle(req, res, requestId).catch((err: unknown) => {
      opts.onError(req.url ?? '/', err);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'Method Not Allowed' }, { allow: 'GET' });
      return send(res, 200, { status: 'ok', ...opts.health() });
    }
    const page = req.method === 'GET' || req.method === 'HEAD' ? opts.pages?.(url.pathname, req.headers.host) : undefined;
    if (page) return void res.writeHead(page.status, page.headers).end(req.method === 'HEAD' ? undefined : page.body);
    const route = opts.routes[url.pathname];
    if (!route) {
      const known = Object.keys(opts.routes).map((p) => `POST ${p}`);
      const gets = opts.pages ? 'GET / (dashboard), GET /healthz' : 'GET /healthz';
      return send(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${url.pathname}; try ${known.join(', ')} or ${gets}` } });
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      // The rest of the body is not read: answer and close the connection.
      res.setHeader('connection', 'close');
      return send(res, 413, { message: `Request Entity Too Large: the limit is ${MAX_BODY_BYTES} bytes` });
    }
    const event = toApiGatewayEvent(req, url, body, requestId);
    const context = lambdaContext(route.functionName, requestId, opts.timeoutMs);
    let result: APIGatewayProxyStructuredResultV2;
    try {
      result = await withTimeout(route.handler(event, context), opts.timeoutMs + 1_000);
    } catch (err) {
      opts.onError(url.pathname, err);
      return send(res, 500, { message: 'Internal Server Error' });
    }
    opts.onResult?.(url.pathname, result);
    writeResult(res, result);
  }

  return { server, stats };
}

/** The body, or undefined as soon as it passes `max` bytes (nothing past that is buffered). */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        chunks.length = 0;
        resolve(undefined);
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** What API Gateway HTTP API (payload format 2.0, $default route and stage) passes to Lambda. */
export function toApiGatewayEvent(req: http.IncomingMessage, url: URL, body: Buffer, requestId: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value; // Node already lower-cases names
  }
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: true,
    ...(cookies?.length && { cookies }),
    ...(url.search && { queryStringParameters: queryParameters(url) }),
    ...(body.length > 0 && { body: body.toString('base64') }),
  };
  return event;
}

/** API Gateway joins repeated query parameters with commas. */
function queryParameters(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  return out;
}

function writeResult(res: http.ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
  const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode ?? 200).end(body);
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`function did not return within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** "12/Mar/2020:19:03:58 +0000", the format of requestContext.time. */
function apiGatewayTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
