/** The same ingest handler behind API Gateway REST APIs (payload 1.0) and ALB targets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ALBResult, APIGatewayProxyResult } from 'aws-lambda';
import { albEvent, restApiEvent } from '../../helpers/aws-events';
import { gzip } from '../../helpers/events';
import { recordingHandler } from '../../helpers/fake-handler';
import { SECRETS, tenantsFile } from '../../helpers/tenants';

const body = (res: { body?: string }) => JSON.parse(res.body ?? '') as { accepted?: number; error?: { code: string } };

describe('API Gateway REST API (payload 1.0)', () => {
  test('an NDJSON body: records forwarded as sent, answered as a 1.0 proxy result', async () => {
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'none', TENANT_ID: 'solo' });
    const res = (await handler(restApiEvent({ path: '/v1/logs', body: '{"msg":"a"}\n{"msg":"b"}\n' }))) as APIGatewayProxyResult;
    assert.equal(res.statusCode, 200);
    assert.equal(res.isBase64Encoded, false);
    assert.equal(res.headers?.['content-type'], 'application/json');
    assert.equal(body(res).accepted, 2);
    assert.deepEqual(sent.map((r) => r.value.toString()), ['{"msg":"a"}', '{"msg":"b"}']);
    assert.equal(sent[0]!.headers['ef-tenant'], 'solo');
  });

  test('the stage prefix, mixed-case and multi-value headers, a gzip base64 body', async () => {
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'none' });
    const event = restApiEvent({ path: '/v1/logs', body: gzip('line one\nline two\n').toString('base64'), headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' } });
    const res = (await handler({ ...event, isBase64Encoded: true })) as APIGatewayProxyResult;
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(sent.map((r) => r.value.toString()), ['line one', 'line two']);
  });

  test('IAM authorization: the caller in requestContext.identity is mapped to its tenant; an unknown role is 403', async () => {
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile() });
    const ok = (await handler(restApiEvent({ path: '/v1/logs', body: '"a"\n', userArn: 'arn:aws:sts::111122223333:assumed-role/acme-servers/i-0abc' }))) as APIGatewayProxyResult;
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(sent[0]!.headers['ef-tenant'], 'acme');
    const stranger = (await handler(restApiEvent({ path: '/v1/logs', body: '"a"\n', userArn: 'arn:aws:sts::999988887777:assumed-role/x/y' }))) as APIGatewayProxyResult;
    assert.equal(stranger.statusCode, 403);
  });

  test('an API key checked by the function itself; none at all is 401 with WWW-Authenticate', async () => {
    const { handler } = recordingHandler({ AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile() });
    const keyed = (await handler(restApiEvent({ path: '/v1/logs', body: '"a"\n', headers: { Authorization: `Bearer ${SECRETS.logsOnlyApiKey}` } }))) as APIGatewayProxyResult;
    assert.equal(keyed.statusCode, 200, keyed.body);
    const anonymous = (await handler(restApiEvent({ path: '/v1/logs', body: '"a"\n' }))) as APIGatewayProxyResult;
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers?.['www-authenticate']), /Bearer/);
  });

  test('limits and routes as on HTTP APIs: 405 for GET, 404 for another path', async () => {
    const { handler } = recordingHandler({ AUTH_MODE: 'none' });
    assert.equal(((await handler(restApiEvent({ path: '/v1/logs', body: '', method: 'GET' }))) as APIGatewayProxyResult).statusCode, 405);
    assert.equal(((await handler(restApiEvent({ path: '/v2/other', body: 'a' }))) as APIGatewayProxyResult).statusCode, 404);
  });
});

describe('Application Load Balancer target', () => {
  test('answers with statusDescription and headers', async () => {
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'none' });
    const res = (await handler(albEvent({ path: '/v1/logs', body: '{"msg":"a"}\n' }))) as ALBResult;
    assert.deepEqual([res.statusCode, res.statusDescription, res.isBase64Encoded], [200, '200 OK', false]);
    assert.equal(res.headers?.['content-type'], 'application/json');
    assert.equal(res.multiValueHeaders, undefined);
    assert.equal(sent.length, 1);
  });

  test('with multi-value headers enabled the answer uses multiValueHeaders (ALB ignores headers then)', async () => {
    const { handler } = recordingHandler({ AUTH_MODE: 'none', MAX_BODY_BYTES: '8' });
    const res = (await handler(albEvent({ path: '/v1/logs', body: '{"msg":"too long"}\n', multiValue: true }))) as ALBResult;
    assert.deepEqual([res.statusCode, res.statusDescription], [413, '413 Payload Too Large']);
    assert.deepEqual(res.multiValueHeaders?.['content-type'], ['application/json']);
    assert.equal(res.headers, undefined);
    assert.equal(body(res).error?.code, 'body_too_large');
  });
});

describe('request-scoped telemetry', () => {
  test('the invocation\'s metrics and log lines carry its request id and, once authenticated, the tenant', async () => {
    const { handler, lines } = recordingHandler({ AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile() });
    const context = { awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', getRemainingTimeInMillis: () => 5_000 } as never;
    await handler(restApiEvent({ path: '/v1/logs', body: '"a"\n', headers: { Authorization: `Bearer ${SECRETS.logsOnlyApiKey}` } }), context);
    await handler(restApiEvent({ path: '/v1/logs', body: '"a"\n' }), context);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(parsed.length >= 3, lines.join('\n'));
    assert.ok(parsed.every((p) => p.requestId === 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef'), 'every line has the request id');
    const [firstEmf] = parsed.filter((p) => '_aws' in p);
    assert.equal(firstEmf?.tenant, 'logsonly');
    const refused = parsed.find((p) => p.message === 'request refused');
    assert.equal(refused?.tenant, undefined, 'a refused caller has no tenant');
  });
});
