import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { RequestError } from '../../../lib/platform/errors';
import { httpResponse, parseHttpEvent } from '../../../lib/handlers/http';
import type { RecordStatus } from '../../../lib/domain/record';

const routes = [{ path: '/v1/logs', kind: 'log' as const }];

function event(method: string, path: string, body = '', base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-ndjson' },
    requestContext: { http: { method, path } },
    body,
    isBase64Encoded: base64,
  } as unknown as APIGatewayProxyEventV2;
}

describe('parseHttpEvent', () => {
  test('matches the route (also behind a stage prefix) and decodes base64 bodies', () => {
    const req = parseHttpEvent(event('POST', '/prod/v1/logs', Buffer.from('{"a":1}').toString('base64'), true), routes);
    assert.equal(req.route.kind, 'log');
    assert.equal(req.body.toString(), '{"a":1}');
    assert.equal(req.contentType, 'application/x-ndjson');
  });

  test('unknown routes are 404 and other methods 405', () => {
    assert.throws(() => parseHttpEvent(event('POST', '/v1/nope'), routes), (e: unknown) => e instanceof RequestError && e.statusCode === 404);
    assert.throws(() => parseHttpEvent(event('GET', '/v1/logs'), routes), (e: unknown) => e instanceof RequestError && e.statusCode === 405);
  });
});

describe('httpResponse', () => {
  const s = (index: number, status: RecordStatus['status']): RecordStatus => ({ index, status });
  const code = (statuses: RecordStatus[]) => httpResponse(statuses).statusCode;

  test('status codes: 200 all accepted, 207 partial, 400 all rejected, 503 nothing persisted', () => {
    assert.equal(code([s(0, 'forwarded'), s(1, 'dropped')]), 200);
    assert.equal(code([s(0, 'forwarded'), s(1, 'rejected')]), 207);
    assert.equal(code([s(0, 'rejected')]), 400);
    assert.equal(code([s(0, 'retry'), s(1, 'rejected')]), 503);
    assert.equal(code([s(0, 'persisted'), s(1, 'retry')]), 207);
    assert.equal(code([]), 200);
  });

  test('the body counts each status and lists per-record results', () => {
    const body = JSON.parse(httpResponse([s(0, 'forwarded'), { index: 1, status: 'rejected', reason: 'record 1: bad' }]).body as string);
    assert.equal(body.accepted, 1);
    assert.equal(body.rejected, 1);
    assert.deepEqual(body.results[1], { index: 1, status: 'rejected', reason: 'record 1: bad' });
  });
});
