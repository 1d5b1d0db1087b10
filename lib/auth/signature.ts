/**
 * Request signing (pure, node:crypto only): the one verifier shared by the Lambda authorizer and
 * the ingest adapter, and the signer used by clients, tests and the local traffic generator.
 *
 *   Authorization: EF-HMAC-SHA256 Credential=<tenant>/<keyId>, Timestamp=<epoch ms>, Signature=<hex>
 *   X-EF-Content-SHA256: <hex sha256 of the body bytes exactly as sent (gzip included)>
 *
 *   signature = hex(HMAC-SHA256(secret, "EF-HMAC-SHA256\n<tenant>/<keyId>\n<timestamp>\n<METHOD>\n<path>\n<content sha256>"))
 *
 * The body is signed through its digest header because an API Gateway authorizer never sees the
 * body: the authorizer checks the signature over the declared digest, the adapter checks that the
 * body matches it (like SigV4's x-amz-content-sha256).
 *
 *   Authorization: Bearer <api key>       (API keys; the tenant config holds only their SHA-256)
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const HMAC_SCHEME = 'EF-HMAC-SHA256';
export const CONTENT_SHA256_HEADER = 'x-ef-content-sha256';
/** Longest Authorization header we even look at; a real one is ~200 characters. */
export const MAX_AUTHORIZATION_LENGTH = 1024;

const HEX64 = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type Credentials =
  | { scheme: 'hmac'; tenant: string; keyId: string; timestamp: number; signature: string }
  | { scheme: 'bearer'; apiKey: string };

/** What is signed, besides the credential itself. */
export interface SignedRequest {
  method: string;
  /** The path as requested (with a stage prefix if there is one), no query string. */
  path: string;
  /** Lower-case hex SHA-256 of the body bytes as sent. */
  contentSha256: string;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function stringToSign(c: { tenant: string; keyId: string; timestamp: number }, req: SignedRequest): string {
  return [HMAC_SCHEME, `${c.tenant}/${c.keyId}`, String(c.timestamp), req.method.toUpperCase(), req.path, req.contentSha256].join('\n');
}

export function hmacSignature(secret: string, c: { tenant: string; keyId: string; timestamp: number }, req: SignedRequest): string {
  return createHmac('sha256', secret).update(stringToSign(c, req)).digest('hex');
}

/** The headers a client sends for a signed request. */
export function signRequest(opts: {
  tenant: string;
  keyId: string;
  secret: string;
  method: string;
  path: string;
  body: Buffer | string;
  timestamp?: number;
}): Record<string, string> {
  const timestamp = opts.timestamp ?? Date.now();
  const contentSha256 = sha256Hex(opts.body);
  const c = { tenant: opts.tenant, keyId: opts.keyId, timestamp };
  const signature = hmacSignature(opts.secret, c, { method: opts.method, path: opts.path, contentSha256 });
  return {
    authorization: `${HMAC_SCHEME} Credential=${opts.tenant}/${opts.keyId}, Timestamp=${timestamp}, Signature=${signature}`,
    [CONTENT_SHA256_HEADER]: contentSha256,
  };
}

/**
 * Parses an Authorization header; undefined when it is absent or not one of ours. Never echoes
 * the header in an error: callers say "malformed", not what was sent.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header.length === 0 || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const space = header.indexOf(' ');
  if (space === -1) return undefined;
  const scheme = header.slice(0, space);
  const rest = header.slice(space + 1).trim();
  if (scheme.toLowerCase() === 'bearer') {
    return rest.length >= 16 && rest.length <= 256 && !/\s/.test(rest) ? { scheme: 'bearer', apiKey: rest } : undefined;
  }
  if (scheme.toUpperCase() !== HMAC_SCHEME) return undefined;
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) return undefined;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (fields.has(name)) return undefined;
    fields.set(name, part.slice(eq + 1).trim());
  }
  const credential = fields.get('credential') ?? '';
  const slash = credential.indexOf('/');
  const tenant = credential.slice(0, slash);
  const keyId = credential.slice(slash + 1);
  const ts = fields.get('timestamp') ?? '';
  const signature = (fields.get('signature') ?? '').toLowerCase();
  if (slash === -1 || !ID.test(tenant) || !ID.test(keyId) || !/^\d{1,15}$/.test(ts) || !HEX64.test(signature)) return undefined;
  return { scheme: 'hmac', tenant, keyId, timestamp: Number(ts), signature };
}

/** Constant-time comparison of two hex digests (length is not secret: both are 64). */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}
