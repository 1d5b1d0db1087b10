/**
 * Request signing, the client's own implementation of the server's scheme (README "Wire
 * protocol"): this package imports nothing from the server, so a test checks it against the
 * server's verifier.
 */
import { createHash, createHmac } from 'node:crypto';

export const HMAC_SCHEME = 'EF-HMAC-SHA256';
export const CONTENT_SHA256_HEADER = 'x-ef-content-sha256';

export interface HmacKey {
  tenant: string;
  keyId: string;
  secret: string;
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function canonicalString(key: Pick<HmacKey, 'tenant' | 'keyId'>, timestamp: number, method: string, path: string, contentSha256: string): string {
  return [HMAC_SCHEME, `${key.tenant}/${key.keyId}`, String(timestamp), method.toUpperCase(), path, contentSha256].join('\n');
}

/** Authorization and X-EF-Content-SHA256 for one request; `body` is the bytes as sent (gzipped if it is). */
export function hmacHeaders(key: HmacKey, timestamp: number, method: string, path: string, body: Buffer): Record<string, string> {
  const contentSha256 = sha256Hex(body);
  const signature = createHmac('sha256', key.secret).update(canonicalString(key, timestamp, method, path, contentSha256)).digest('hex');
  return {
    authorization: `${HMAC_SCHEME} Credential=${key.tenant}/${key.keyId}, Timestamp=${timestamp}, Signature=${signature}`,
    [CONTENT_SHA256_HEADER]: contentSha256,
  };
}

/**
 * Epoch milliseconds that never repeat: the server refuses a signature it has already seen, and
 * two identical bodies signed in the same millisecond would have the same one.
 */
export function signingClock(now: () => number = Date.now): () => number {
  let last = 0;
  return () => (last = Math.max(now(), last + 1));
}
