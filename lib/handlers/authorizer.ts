/**
 * API Gateway HTTP API Lambda authorizer (REQUEST type, payload 2.0, simple responses).
 * Verifies the Authorization header with the same verifier as the adapter and hands the tenant
 * to the integration in the context. Refusals throw "Unauthorized", which API Gateway turns into
 * a 401 (`isAuthorized: false` would be a 403). The authorizer never sees the body, so a signed
 * request's body digest travels in the context and the adapter checks the body against it.
 *
 * Deploy with authorizer result caching OFF (resultTtlInSeconds: 0): a cached "allow" would let a
 * replayed request through without reaching the replay check.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { ConfigError, errorMessage } from '../platform/errors';
import type { Env } from '../platform/env';
import { createLogger, type Logger, type LineSink } from '../platform/telemetry';
import { loadAuthConfig } from '../auth/config';
import type { AuthorizerContext } from '../auth/http-auth';
import { ReplayCache } from '../auth/replay';
import { CONTENT_SHA256_HEADER } from '../auth/signature';
import { loaderFor } from '../adapters/aws/tenant-documents';
import { createTenantDirectory, type TenantDirectory } from '../auth/tenant-source';
import { verifyRequest } from '../auth/verifier';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

export interface AuthorizerHandler {
  (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult>;
  log: Logger;
}

export function createAuthorizer(
  env: Env = process.env,
  overrides: { directory?: TenantDirectory; lineSink?: LineSink; now?: () => number } = {},
): AuthorizerHandler {
  const auth = loadAuthConfig(env);
  if (!auth.tenantsSource && !overrides.directory) throw new ConfigError(['the authorizer needs TENANTS_SOURCE']);
  const level = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === env.LOG_LEVEL) ?? 'info';
  const log = createLogger({ level, base: { fn: env.AWS_LAMBDA_FUNCTION_NAME ?? 'edge-forwarder-authorizer' }, ...(overrides.lineSink && { sink: overrides.lineSink }) });
  const directory =
    overrides.directory ?? createTenantDirectory({ load: loaderFor(auth.tenantsSource!, auth.region), ttlMs: auth.tenantsTtlMs, log });
  const replay = new ReplayCache(auth.replayCacheMax);
  const now = overrides.now ?? Date.now;

  const handler = (async (event) => {
    let tenants;
    try {
      tenants = await directory.get();
    } catch (err) {
      log.error('tenant configuration unavailable', { error: errorMessage(err) });
      throw new Error('tenant configuration unavailable'); // API Gateway: 500, the caller retries
    }
    const headers = event?.headers ?? {};
    const verified = verifyRequest(
      {
        method: event?.requestContext?.http?.method ?? '',
        path: event?.rawPath ?? '',
        authorization: headers.authorization,
        contentSha256: headers[CONTENT_SHA256_HEADER],
      },
      { tenants, now: now(), replayWindowMs: auth.replayWindowMs, replay },
    );
    if (!verified.ok) {
      log.info('request refused', { reason: verified.reason, path: event?.rawPath });
      throw new Error('Unauthorized');
    }
    const context: AuthorizerContext = {
      tenant: verified.tenant.id,
      method: verified.method,
      ...(verified.contentSha256 && { contentSha256: verified.contentSha256 }),
    };
    return { isAuthorized: true, context };
  }) as AuthorizerHandler;
  handler.log = log;
  return handler;
}
