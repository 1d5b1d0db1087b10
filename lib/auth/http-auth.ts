/**
 * Who sent an HTTP request, decided in this order:
 *  1. a Lambda authorizer ran (requestContext.authorizer.lambda.tenant): trusted, API Gateway put
 *     it there; the adapter still checks the body against the digest the authorizer verified;
 *  2. IAM auth (requestContext.authorizer.iam): the caller's role/account maps to a tenant;
 *  3. AUTH_MODE=none: the deployment's TENANT_ID;
 *  4. otherwise the adapter verifies the Authorization header itself (same verifier as the authorizer).
 * The tenant id never comes from the body or from an unauthenticated header.
 *
 * With AUTH_MODE=none and no tenant configuration, 1 and 2 have nothing to map against and are
 * taken as they come: the authorizer's tenant, and for IAM the deployment's TENANT_ID. Whether a
 * route has IAM auth is API Gateway's (or the Function URL's) setting, invisible at cold start, so
 * the combination cannot fail there, and a 503 on every IAM request would make `none` mean
 * "refuse AWS callers". With a tenant configuration both are mapped through it, in either mode.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { RequestError, errorMessage } from '../platform/errors';
import type { Logger } from '../platform/telemetry';
import type { AuthConfig } from './config';
import { ReplayCache } from './replay';
import { CONTENT_SHA256_HEADER, HMAC_SCHEME, digestsEqual, isSha256Hex, sha256Hex } from './signature';
import type { TenantDirectory } from './tenant-source';
import { tenantForPrincipal, type Tenant, type TenantIndex } from './tenants';
import { verifyRequest, type AuthMethod } from './verifier';

export interface Identity {
  tenant: string;
  method: AuthMethod | 'authorizer';
  /** The tenant's policy; absent only with AUTH_MODE=none and no tenant configuration for it. */
  policy?: Tenant;
}

/** What the authorizer hands the adapter (API Gateway HTTP API simple response context). */
export interface AuthorizerContext {
  tenant: string;
  method: AuthMethod;
  contentSha256?: string;
}

export interface HttpAuthRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

export const WWW_AUTHENTICATE = `${HMAC_SCHEME}, Bearer`;

const unauthorized = (reason: string) => new RequestError(401, 'unauthorized', reason);
const forbiddenTenant = (reason: string) => new RequestError(403, 'forbidden', reason);

export function createHttpAuthenticator(opts: {
  auth: AuthConfig;
  defaultTenant: string;
  directory?: TenantDirectory;
  log: Logger;
  now?: () => number;
}): (event: APIGatewayProxyEventV2, req: HttpAuthRequest) => Promise<Identity> {
  const replay = new ReplayCache(opts.auth.replayCacheMax);
  const now = opts.now ?? Date.now;
  // AUTH_MODE=none without a tenant configuration: authenticated callers are taken as they come.
  const nothingToMapAgainst = !opts.directory && opts.auth.mode === 'none';

  async function tenants(): Promise<TenantIndex> {
    if (!opts.directory) throw new RequestError(503, 'auth_unavailable', 'no tenant configuration (TENANTS_SOURCE) for this kind of caller');
    try {
      return await opts.directory.get();
    } catch (err) {
      opts.log.error('tenant configuration unavailable', { error: errorMessage(err) });
      throw new RequestError(503, 'auth_unavailable', 'tenant configuration is unavailable; retry later');
    }
  }

  return async (event, req) => {
    const authorizer = (event.requestContext as { authorizer?: { lambda?: Partial<AuthorizerContext>; iam?: { userArn?: string; accountId?: string } } })
      ?.authorizer;
    const fromAuthorizer = authorizer?.lambda?.tenant;
    if (typeof fromAuthorizer === 'string' && fromAuthorizer) {
      const signed = authorizer?.lambda?.contentSha256;
      if (isSha256Hex(signed) && !digestsEqual(sha256Hex(req.body), signed)) {
        throw unauthorized(`body does not match ${CONTENT_SHA256_HEADER}`);
      }
      if (nothingToMapAgainst) return { tenant: fromAuthorizer, method: 'authorizer' };
      const tenant = (await tenants()).byId.get(fromAuthorizer);
      if (!tenant) throw forbiddenTenant(`tenant "${fromAuthorizer}" is not configured here`);
      return { tenant: tenant.id, method: 'authorizer', policy: tenant };
    }
    if (authorizer?.iam) {
      if (nothingToMapAgainst) return { tenant: opts.defaultTenant, method: 'iam' };
      const { userArn, accountId } = authorizer.iam;
      const tenant = tenantForPrincipal(await tenants(), userArn, accountId);
      if (!tenant) throw forbiddenTenant('this IAM principal is not mapped to a tenant');
      return { tenant: tenant.id, method: 'iam', policy: tenant };
    }
    if (opts.auth.mode === 'none') return { tenant: opts.defaultTenant, method: 'none' };

    const authorization = req.headers.authorization;
    const index = await tenants();
    const verified = verifyRequest(
      {
        method: req.method,
        path: req.path,
        authorization,
        contentSha256: req.headers[CONTENT_SHA256_HEADER],
        // Hash the body only for signed requests (6 MB ≈ 10 ms); an API key covers no body.
        ...(authorization?.startsWith(HMAC_SCHEME) && { bodySha256: sha256Hex(req.body) }),
      },
      { tenants: index, now: now(), replayWindowMs: opts.auth.replayWindowMs, replay },
    );
    if (!verified.ok) throw unauthorized(verified.reason);
    return { tenant: verified.tenant.id, method: verified.method, policy: verified.tenant };
  };
}
