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
import type { Context } from 'aws-lambda';
import type { AuthorizerConfig } from '../platform/config';
import { errorMessage } from '../platform/errors';
import type { Telemetry } from '../platform/telemetry';
import { telemetryFor, type HandlerIo } from './runtime';
import { eventShape, refuseEvent } from './event-shapes';
import type { AuthorizerContext } from '../auth/http-auth';
import { ReplayCache } from '../auth/replay';
import { CONTENT_SHA256_HEADER } from '../auth/signature';
import { loaderFor } from '../adapters/aws/tenant-documents';
import { createTenantDirectory, type TenantDirectory } from '../auth/tenant-source';
import { verifyRequest } from '../auth/verifier';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEventV2, context?: Context) => Promise<AuthorizerResult>;

export interface AuthorizerDeps {
  config: Readonly<AuthorizerConfig>;
  telemetry: Telemetry;
  directory: TenantDirectory;
  replay: ReplayCache;
  now: () => number;
}

export function authorizerDeps(config: Readonly<AuthorizerConfig>, io: HandlerIo = {}): AuthorizerDeps {
  const telemetry = telemetryFor(config, io);
  const { auth } = config;
  return {
    config,
    telemetry,
    directory: createTenantDirectory({ load: loaderFor(auth.tenantsSource!, auth.region), ttlMs: auth.tenantsTtlMs, log: telemetry.log }),
    replay: new ReplayCache(auth.replayCacheMax),
    now: Date.now,
  };
}

export function authorizerHandler(deps: AuthorizerDeps): AuthorizerHandler {
  const { config, telemetry, directory, replay, now } = deps;
  const { auth } = config;
  const log = telemetry.log;

  return async (event, context) => {
    telemetry.startInvocation(context?.awsRequestId);
    const shape = eventShape(event);
    if (shape !== 'authorizer-v2') refuseEvent(telemetry, config.functionName, shape, ['authorizer-v2']);
    let tenants: Awaited<ReturnType<TenantDirectory['get']>>;
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
    const forIntegration: AuthorizerContext = {
      tenant: verified.tenant.id,
      method: verified.method,
      ...(verified.contentSha256 && { contentSha256: verified.contentSha256 }),
    };
    return { isAuthorized: true, context: forIntegration };
  };
}
