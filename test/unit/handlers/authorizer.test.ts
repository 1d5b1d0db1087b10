import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { authorizerFunction } from '../../helpers/functions';
import { ConfigError } from '../../../lib/platform/errors';
import { httpEvent } from '../../helpers/events';
import { parse, recordingHandler } from '../../helpers/fake-handler';
import { SECRETS, apiKeyEvent, signedEvent, tenantsFile } from '../../helpers/tenants';

/** What API Gateway sends the authorizer for a request: no body. */
function authorizerEvent(request: APIGatewayProxyEventV2): APIGatewayRequestAuthorizerEventV2 {
  const { body: _body, isBase64Encoded: _b64, ...rest } = request;
  return { ...rest, type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:1:api/$default/POST/v1/logs', identitySource: [request.headers.authorization ?? ''], cookies: [] } as APIGatewayRequestAuthorizerEventV2;
}

describe('Lambda authorizer', () => {
  const env = () => ({ TENANTS_SOURCE: tenantsFile(), LOG_LEVEL: 'debug' });

  test('allows signed and API-key requests with the tenant (and signed digest) in the context', async () => {
    const authorize = authorizerFunction(env(), { lineSink: () => undefined });
    const signed = signedEvent({ path: '/v1/logs', body: ['a'] });
    assert.deepEqual(await authorize(authorizerEvent(signed)), {
      isAuthorized: true,
      context: { tenant: 'acme', method: 'hmac', contentSha256: signed.headers['x-ef-content-sha256'] },
    });
    const keyed = await authorize(authorizerEvent(apiKeyEvent(SECRETS.logsOnlyApiKey, { path: '/v1/logs', body: ['a'] })));
    assert.deepEqual(keyed.context, { tenant: 'logsonly', method: 'apikey' });
  });

  test('unsigned, badly signed, expired and replayed requests throw Unauthorized (API Gateway answers 401)', async () => {
    const lines: string[] = [];
    const authorize = authorizerFunction(env(), { lineSink: (l) => void lines.push(l) });
    const refuse = (e: APIGatewayProxyEventV2) => assert.rejects(authorize(authorizerEvent(e)), /^Error: Unauthorized$/);
    await refuse(httpEvent({ path: '/v1/logs', body: ['a'] }));
    await refuse(signedEvent({ path: '/v1/logs', body: ['a'], secret: 'wrong-secret-wrong-secret-wrong-secret' }));
    await refuse(signedEvent({ path: '/v1/logs', body: ['a'], timestamp: Date.now() - 10 * 60_000 }));
    const once = signedEvent({ path: '/v1/logs', body: ['a'] });
    await authorize(authorizerEvent(once));
    await refuse(once);
    const reasons = lines.map((l) => (JSON.parse(l) as { reason?: string }).reason);
    assert.deepEqual(reasons.map((r) => r?.split(/[:(]/)[0]?.trim()), ['missing credentials', 'bad signature', 'request timestamp is outside the 300 s replay window', 'replayed request']);
  });

  test('end to end: authorizer context → adapter; a body swapped after authorization is refused', async () => {
    const authorize = authorizerFunction(env(), { lineSink: () => undefined });
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile() });
    const request = signedEvent({ path: '/v1/logs', body: ['a'] });
    const { context } = await authorize(authorizerEvent(request));
    const withAuth = (body: string) => ({ ...request, body, requestContext: { ...request.requestContext, authorizer: { lambda: context } } }) as APIGatewayProxyEventV2;
    assert.equal(parse(await handler(withAuth(request.body!))).statusCode, 200);
    assert.equal(parse(await handler(withAuth('["evil"]'))).statusCode, 401);
    assert.deepEqual(sent.map((r) => r.value.toString()), ['a']);
  });

  test('needs TENANTS_SOURCE; tenant configuration unavailable is an error (500), not a 401', async () => {
    assert.throws(() => authorizerFunction({}), ConfigError);
    const authorize = authorizerFunction({ TENANTS_SOURCE: 'file:/nonexistent.json' }, { lineSink: () => undefined });
    await assert.rejects(authorize(authorizerEvent(signedEvent({ path: '/v1/logs', body: ['a'] }))), /tenant configuration unavailable/);
  });
});
