/**
 * The DynamoDB client as the outbox and dedupe stores use it: short timeouts, DynamoDB Local
 * without AWS configuration, and errors turned into OutboxError with a retriable flag.
 */
import { DescribeTableCommand, DynamoDBClient, type AttributeValue, type TableDescription } from '@aws-sdk/client-dynamodb';
import { OutboxError } from '../../platform/errors';
import { truncateUtf8 } from '../outbox/codec';

export interface DynamoConnection {
  /** A ready client; when given, endpoint/region/credentials are ignored and the caller owns it. */
  client?: DynamoDBClient;
  /** e.g. DynamoDB Local's http://127.0.0.1:8000. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Deliberately short: the critical path must answer "not persisted, retry" within a Lambda's
 * budget when DynamoDB is unreachable or hangs, not wait through the SDK's defaults (3 attempts,
 * no request timeout). throwOnRequestTimeout is required: without it requestTimeout only warns.
 */
export const CLIENT_DEFAULTS = Object.freeze({ maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 2000 });

/** DynamoDB Local accepts any key; v2 requires it to be alphanumeric. */
export const LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'local', secretAccessKey: 'local' });

/**
 * A client with the short timeouts above. A loopback endpoint (DynamoDB Local) gets a default
 * region and dummy credentials, so local runs need no AWS configuration at all.
 */
export function createDynamoClient(conn: Omit<DynamoConnection, 'client'> = {}): DynamoDBClient {
  const local = conn.endpoint !== undefined && isLoopback(conn.endpoint);
  const region = conn.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (local ? 'us-east-1' : undefined);
  const credentials = conn.credentials ?? (local ? { ...LOCAL_CREDENTIALS } : undefined);
  return new DynamoDBClient({
    ...(conn.endpoint !== undefined ? { endpoint: conn.endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    maxAttempts: CLIENT_DEFAULTS.maxAttempts,
    requestHandler: {
      connectionTimeout: CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: CLIENT_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

export async function describeTable(client: DynamoDBClient, TableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName }))).Table;
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

export function isActive(table: TableDescription | undefined): boolean {
  return table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
}

export function num(n: number): AttributeValue {
  return { N: String(n) };
}

export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** Name, code and message, short; DynamoDB error messages never echo item values. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return truncateUtf8(String(err), 300);
  let message = err.message;
  // Node's happy-eyeballs connect failures are AggregateErrors with an empty message.
  if (!message && err instanceof AggregateError) message = err.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  const code = (err as { code?: unknown }).code;
  const codePart = typeof code === 'string' && !message.includes(code) ? ` ${code}` : '';
  return truncateUtf8(`${err.name}${codePart}: ${message || '(no message)'}`, 300);
}

/** Everything except a malformed request can succeed when tried again. */
export function isRetriable(err: unknown): boolean {
  const name = errorName(err);
  return name !== 'ValidationException' && name !== 'ResourceNotFoundException';
}

export function dynamoError(what: string, err: unknown): OutboxError {
  if (err instanceof OutboxError) return err;
  return new OutboxError(`${what} failed: ${describeError(err)}`, isRetriable(err), err);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
