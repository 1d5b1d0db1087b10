/**
 * The one credential verifier, used by the Lambda authorizer and by the ingest adapter.
 * Pure apart from the replay cache it is handed. Failure reasons are safe to return to the caller
 * and to log: they never contain the key, the signature or the secret.
 */
import type { ReplayCache } from './replay';
import { digestsEqual, hmacSignature, isSha256Hex, parseAuthorization } from './signature';
import { hashApiKey, type Tenant, type TenantIndex } from './tenants';

export type AuthMethod = 'hmac' | 'apikey' | 'iam' | 'none';

export type Verified =
  | { ok: true; tenant: Tenant; method: AuthMethod; contentSha256?: string }
  | { ok: false; reason: string };

export interface VerifyRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The X-EF-Content-SHA256 header (signed requests). */
  contentSha256: string | undefined;
  /** SHA-256 of the body when the verifier has the body (the adapter); the authorizer does not. */
  bodySha256?: string;
}

export interface VerifyDeps {
  tenants: TenantIndex;
  now: number;
  replayWindowMs: number;
  replay: ReplayCache;
}

const fail = (reason: string): Verified => ({ ok: false, reason });

export function verifyRequest(req: VerifyRequest, deps: VerifyDeps): Verified {
  if (req.authorization === undefined || req.authorization === '') {
    return fail('missing credentials: send Authorization: EF-HMAC-SHA256 ... or Authorization: Bearer <api key>');
  }
  const creds = parseAuthorization(req.authorization);
  if (!creds) return fail('malformed Authorization header');

  if (creds.scheme === 'bearer') {
    const tenant = deps.tenants.byApiKeyHash.get(hashApiKey(creds.apiKey));
    // Lookup by hash: the map is keyed by a digest the caller cannot steer, so timing reveals nothing useful.
    return tenant ? { ok: true, tenant, method: 'apikey' } : fail('invalid API key');
  }

  const tenant = deps.tenants.byId.get(creds.tenant);
  const secret = tenant?.hmacKeys.get(creds.keyId);
  if (!tenant || secret === undefined) return fail('unknown tenant or key id');
  if (!isSha256Hex(req.contentSha256)) return fail('signed requests need an X-EF-Content-SHA256 header (hex SHA-256 of the body)');
  const skew = Math.abs(deps.now - creds.timestamp);
  if (skew > deps.replayWindowMs) {
    return fail(`request timestamp is outside the ${Math.round(deps.replayWindowMs / 1000)} s replay window (expired or clock skew)`);
  }
  const expected = hmacSignature(secret, creds, { method: req.method, path: req.path, contentSha256: req.contentSha256 });
  if (!digestsEqual(expected, creds.signature)) return fail('bad signature');
  if (req.bodySha256 !== undefined && !digestsEqual(req.bodySha256, req.contentSha256)) {
    return fail('body does not match X-EF-Content-SHA256');
  }
  // Only a verified signature is remembered, so forged ones cannot fill the cache.
  if (!deps.replay.claim(`${tenant.id}:${creds.signature}`, creds.timestamp + deps.replayWindowMs, deps.now)) {
    return fail('replayed request (this signature was already used)');
  }
  return { ok: true, tenant, method: 'hmac', contentSha256: req.contentSha256 };
}
