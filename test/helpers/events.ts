/**
 * Realistic Lambda event factories shared by unit and integration tests.
 *
 * Shapes follow the real payloads: API Gateway HTTP API payload format 2.0 (also what Lambda
 * Function URLs send: header names lower-cased, duplicate headers comma-joined, body base64 when
 * binary or compressed) and CloudWatch Logs subscription events (`awslogs.data` = base64 of gzip
 * of the JSON envelope).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type {
  APIGatewayProxyEventV2,
  CloudWatchLogsDecodedData,
  CloudWatchLogsEvent,
  Context,
} from 'aws-lambda';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';

/** gzip a buffer or string (default compression level, like most HTTP clients). */
export function gzip(input: Buffer | string): Buffer {
  return gzipSync(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
}

/** NDJSON text: strings are written as-is (so a test can plant a bad line), anything else is JSON. */
export function ndjson(lines: readonly unknown[]): string {
  return lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';
}

export interface HttpEventOptions {
  method?: string;
  path: string;
  /** object[] → JSON array (Content-Type application/json unless given); string/Buffer → sent as-is. */
  body?: string | Buffer | readonly unknown[];
  /** Content-Type header; omitted when undefined (except for object[] bodies); null forces no header. */
  contentType?: string | null;
  /** gzip the body and send Content-Encoding: gzip (the body is then base64-encoded, as API Gateway does). */
  gzip?: boolean;
  /** Extra headers (any case; lower-cased like API Gateway). Later wins over the defaults. */
  headers?: Record<string, string>;
  /** Force isBase64Encoded (default: true for gzip or Buffer bodies). */
  base64?: boolean;
  query?: Record<string, string>;
  sourceIp?: string;
  /** Default `${method} ${path}` (an explicit HTTP API route); use '$default' for a Function URL. */
  routeKey?: string;
  /** Request time, epoch ms (default now). */
  timeEpoch?: number;
}

export function httpEvent(opts: HttpEventOptions): APIGatewayProxyEventV2 {
  const method = (opts.method ?? 'POST').toUpperCase();
  const now = opts.timeEpoch ?? Date.now();
  const apiId = 'r3pmxmplak';
  const domainName = `${apiId}.execute-api.${REGION}.amazonaws.com`;
  const userAgent = 'game-server/1.4.2 (linux; node)';
  const sourceIp = opts.sourceIp ?? '203.0.113.10';

  let bytes: Buffer | undefined;
  let contentType = opts.contentType ?? undefined;
  if (Array.isArray(opts.body)) {
    bytes = Buffer.from(JSON.stringify(opts.body), 'utf8');
    if (opts.contentType === undefined) contentType = 'application/json';
  } else if (typeof opts.body === 'string') {
    bytes = Buffer.from(opts.body, 'utf8');
  } else if (Buffer.isBuffer(opts.body)) {
    bytes = opts.body;
  }
  const binary = Buffer.isBuffer(opts.body);
  if (bytes !== undefined && opts.gzip) bytes = gzip(bytes);
  const isBase64Encoded = opts.base64 ?? Boolean(opts.gzip || binary);

  const headers: Record<string, string> = {
    accept: '*/*',
    host: domainName,
    'user-agent': userAgent,
    'x-amzn-trace-id': `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    'x-forwarded-for': sourceIp,
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  if (bytes !== undefined) headers['content-length'] = String(bytes.length);
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (opts.gzip) headers['content-encoding'] = 'gzip';
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;

  const routeKey = opts.routeKey ?? `${method} ${opts.path}`;
  const rawQueryString = new URLSearchParams(opts.query ?? {}).toString();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: opts.path,
    rawQueryString,
    headers,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId,
      domainName,
      domainPrefix: apiId,
      http: { method, path: opts.path, protocol: 'HTTP/1.1', sourceIp, userAgent },
      requestId: randomBytes(11).toString('base64'),
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: bytes !== undefined && isBase64Encoded,
  };
  if (opts.query !== undefined) event.queryStringParameters = { ...opts.query };
  // API Gateway leaves `body` out when the request has none.
  if (bytes !== undefined && bytes.length > 0) {
    event.body = event.isBase64Encoded ? bytes.toString('base64') : bytes.toString('utf8');
  }
  return event;
}

/** The raw body bytes an adapter should see for an httpEvent (decodes base64 when flagged). */
export function httpEventBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

export interface LambdaContextOptions {
  /** Time left when the context is created; counts down in real time (default 30,000 ms). */
  remainingMs?: number;
  functionName?: string;
  memoryLimitInMB?: number;
}

export function lambdaContext(opts: LambdaContextOptions = {}): Context {
  const functionName = opts.functionName ?? 'edge-forwarder-dev-ingest-logs';
  const deadline = Date.now() + (opts.remainingMs ?? 30_000);
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const notSupported = (name: string) => () => {
    throw new Error(`context.${name}() is a legacy callback API; handlers here return promises`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(opts.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: notSupported('done'),
    fail: notSupported('fail'),
    succeed: notSupported('succeed'),
  };
}

export interface CloudWatchLogsOptions {
  logGroup?: string;
  logStream?: string;
  owner?: string;
  messages: readonly string[];
  /** A CONTROL_MESSAGE (CloudWatch Logs probing the destination) instead of data. */
  control?: boolean;
  /** Timestamp of the first event (default now); each next event is 1 ms later. */
  timestamp?: number;
  subscriptionFilters?: string[];
}

let cwlSequence = 0;

/** The decoded JSON envelope a CloudWatch Logs subscription delivers (before gzip/base64). */
export function cloudWatchLogsPayload(opts: CloudWatchLogsOptions): CloudWatchLogsDecodedData {
  const start = opts.timestamp ?? Date.now();
  if (opts.control) {
    return {
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [{ id: '', timestamp: start, message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda.' }],
    };
  }
  const logGroup = opts.logGroup ?? '/aws/lambda/game-server';
  return {
    messageType: 'DATA_MESSAGE',
    owner: opts.owner ?? ACCOUNT_ID,
    logGroup,
    logStream: opts.logStream ?? `2024/05/01/[$LATEST]${'a1b2c3d4'.repeat(4)}`,
    subscriptionFilters: opts.subscriptionFilters ?? [`${logGroup.split('/').pop() ?? 'logs'}-to-kafka`],
    logEvents: opts.messages.map((message, i) => ({ id: cloudWatchEventId(start + i), timestamp: start + i, message })),
  };
}

/** Wrap any payload (also deliberately malformed ones) the way CloudWatch Logs delivers it. */
export function encodeAwsLogs(payload: unknown): CloudWatchLogsEvent {
  return { awslogs: { data: gzip(JSON.stringify(payload)).toString('base64') } };
}

export function cloudWatchLogsEvent(opts: CloudWatchLogsOptions): CloudWatchLogsEvent {
  return encodeAwsLogs(cloudWatchLogsPayload(opts));
}

/** Log event ids are 56-digit decimal strings, unique per event. */
function cloudWatchEventId(timestamp: number): string {
  cwlSequence = (cwlSequence + 1) % 1e9;
  const ts = String(timestamp).padStart(16, '0');
  const rand = BigInt(`0x${randomBytes(8).toString('hex')}`).toString().padStart(20, '0');
  return `3${ts}${rand}${String(cwlSequence).padStart(19, '0')}`.slice(0, 56);
}

function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
