/**
 * IAM-authorized HTTP requests under each AUTH_MODE, with the event shapes AWS documents for them:
 * an API Gateway HTTP API route with IAM auth (payload format 2.0) and a Lambda Function URL with
 * AuthType AWS_IAM. Both put the SigV4 caller in requestContext.authorizer.iam; AWS has already
 * verified the signature and the caller's permission before the function runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parse, recordingHandler } from '../../helpers/fake-handler';
import { tenantsFile } from '../../helpers/tenants';

/** The caller as requestContext.authorizer.iam names it (an assumed role's session, or a user). */
interface IamCaller {
  accountId: string;
  userArn: string;
}

/** acme's iamPrincipals list arn:aws:iam::111122223333:role/game/acme-servers (test/helpers/tenants.ts). */
const ACME_SERVER: IamCaller = { accountId: '111122223333', userArn: 'arn:aws:sts::111122223333:assumed-role/acme-servers/i-0abc123' };
/** Neither its role nor its account is in any tenant's iamPrincipals. */
const STRANGER: IamCaller = { accountId: '999988887777', userArn: 'arn:aws:iam::999988887777:user/someone' };

const BODY = JSON.stringify([{ msg: 'from inside AWS' }]);

function iamAuthorizer(caller: IamCaller) {
  return {
    iam: {
      accessKey: 'ASIAEXAMPLEACCESSKEY',
      accountId: caller.accountId,
      callerId: 'AROAEXAMPLEROLEID:i-0abc123',
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: caller.userArn,
      userId: 'AROAEXAMPLEROLEID:i-0abc123',
    },
  };
}

/** API Gateway HTTP API, payload format 2.0, route `POST /v1/logs` with AuthorizationType AWS_IAM. */
function httpApiIamEvent(caller: IamCaller): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/logs',
    rawPath: '/v1/logs',
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(Buffer.byteLength(BODY)),
      'content-type': 'application/json',
      host: 'r3pmxmplak.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'aws-sdk-js/3.0.0',
      'x-amz-date': '20260101T120000Z',
      'x-amz-security-token': 'IQoJb3JpZ2luX2VjEXAMPLE',
      'x-amzn-trace-id': 'Root=1-695661a0-0123456789abcdef01234567',
      'x-forwarded-for': '10.0.1.23',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'r3pmxmplak',
      authorizer: iamAuthorizer(caller),
      domainName: 'r3pmxmplak.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'r3pmxmplak',
      http: { method: 'POST', path: '/v1/logs', protocol: 'HTTP/1.1', sourceIp: '10.0.1.23', userAgent: 'aws-sdk-js/3.0.0' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'POST /v1/logs',
      stage: '$default',
      time: '01/Jan/2026:12:00:00 +0000',
      timeEpoch: 1767268800000,
    },
    body: BODY,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

/** Lambda Function URL with AuthType AWS_IAM: payload 2.0, route `$default`, no stage in the path. */
function functionUrlIamEvent(caller: IamCaller): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/logs',
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(Buffer.byteLength(BODY)),
      'content-type': 'application/json',
      host: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-west-2.on.aws',
      'user-agent': 'aws-sdk-js/3.0.0',
      'x-amz-date': '20260101T120000Z',
      'x-amzn-tls-cipher-suite': 'TLS_AES_128_GCM_SHA256',
      'x-amzn-tls-version': 'TLSv1.3',
      'x-amzn-trace-id': 'Root=1-695661a0-0123456789abcdef01234567',
      'x-forwarded-for': '10.0.1.23',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      authorizer: iamAuthorizer(caller),
      domainName: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-west-2.on.aws',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: { method: 'POST', path: '/v1/logs', protocol: 'HTTP/1.1', sourceIp: '10.0.1.23', userAgent: 'aws-sdk-js/3.0.0' },
      requestId: 'f9e8d7c6-b5a4-4321-9876-0123456789ab',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:12:00:00 +0000',
      timeEpoch: 1767268800000,
    },
    body: BODY,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

const SHAPES = [
  { name: 'HTTP API IAM route', event: httpApiIamEvent },
  { name: 'Function URL AWS_IAM', event: functionUrlIamEvent },
] as const;

async function send(env: Record<string, string>, event: APIGatewayProxyEventV2) {
  const { handler, sent } = recordingHandler(env);
  const res = parse(await handler(event));
  return { status: res.statusCode, error: res.body.error, tenants: sent.map((r) => r.headers['ef-tenant']) };
}

for (const shape of SHAPES) {
  describe(`${shape.name}: requestContext.authorizer.iam`, () => {
    test('AUTH_MODE=none without a tenant configuration: every IAM caller is TENANT_ID (no 503)', async () => {
      const env = { AUTH_MODE: 'none', TENANT_ID: 'solo' };
      for (const caller of [ACME_SERVER, STRANGER]) {
        const res = await send(env, shape.event(caller));
        assert.deepEqual(res, { status: 200, error: undefined, tenants: ['solo'] }, caller.userArn);
      }
    });

    test('AUTH_MODE=none with a tenant configuration: IAM callers are mapped through it', async () => {
      const env = { AUTH_MODE: 'none', TENANT_ID: 'solo', TENANTS_SOURCE: tenantsFile() };
      assert.deepEqual(await send(env, shape.event(ACME_SERVER)), { status: 200, error: undefined, tenants: ['acme'] });
      const stranger = await send(env, shape.event(STRANGER));
      assert.deepEqual([stranger.status, stranger.error?.code, stranger.tenants], [403, 'forbidden', []]);
      assert.match(stranger.error!.message, /IAM principal is not mapped to a tenant/);
      // Without an AWS-side identity the request is still TENANT_ID: none asks for no credentials.
      const anonymous = shape.event(ACME_SERVER);
      delete (anonymous.requestContext as { authorizer?: unknown }).authorizer;
      assert.deepEqual(await send(env, anonymous), { status: 200, error: undefined, tenants: ['solo'] });
    });

    test('AUTH_MODE=required: a mapped role is its tenant, an unmapped one is 403', async () => {
      const env = { AUTH_MODE: 'required', TENANT_ID: 'solo', TENANTS_SOURCE: tenantsFile() };
      assert.deepEqual(await send(env, shape.event(ACME_SERVER)), { status: 200, error: undefined, tenants: ['acme'] });
      const stranger = await send(env, shape.event(STRANGER));
      assert.deepEqual([stranger.status, stranger.error?.code, stranger.tenants], [403, 'forbidden', []]);
    });
  });
}
