import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logsFunction } from '../../helpers/functions';
import { hashApiKey } from '../../../lib/auth/tenants';
import { ConfigError } from '../../../lib/platform/errors';
import { httpEvent } from '../../helpers/events';
import { parse, recordingHandler } from '../../helpers/fake-handler';
import { SECRETS, apiKeyEvent, signedEvent, tenantsFile } from '../../helpers/tenants';

const env = () => ({ AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile(), TOPIC_PREFIX: 'edge.' });
const logs = (body: unknown[]) => ({ path: '/v1/logs', body });

describe('HTTP ingress authentication (adapter verifies)', () => {
  test('unsigned, badly signed, expired and replayed requests get 401 and reach no sink', async () => {
    const { handler, sent } = recordingHandler(env());
    const unsigned = parse(await handler(httpEvent(logs(['a']))));
    assert.equal(unsigned.statusCode, 401);
    assert.equal(unsigned.headers['www-authenticate'], 'EF-HMAC-SHA256, Bearer');
    assert.match(unsigned.body.error!.message, /missing credentials/);

    const bad = parse(await handler(signedEvent({ ...logs(['a']), secret: 'not-the-secret-but-long-enough-to-pass' })));
    assert.deepEqual([bad.statusCode, bad.body.error?.message], [401, 'bad signature']);

    const expired = parse(await handler(signedEvent({ ...logs(['a']), timestamp: Date.now() - 301_000 })));
    assert.equal(expired.statusCode, 401);
    assert.match(expired.body.error!.message, /replay window/);

    const once = signedEvent(logs(['a']));
    assert.equal((await handler(once)).statusCode, 200);
    const replayed = parse(await handler(once));
    assert.equal(replayed.statusCode, 401);
    assert.match(replayed.body.error!.message, /replayed/);
    assert.equal(sent.length, 1, 'only the first, valid request was forwarded');
  });

  test('a body swapped under a valid signature is refused', async () => {
    const { handler } = recordingHandler(env());
    const event = signedEvent(logs(['original']));
    event.body = JSON.stringify(['tampered']);
    assert.equal((await handler(event)).statusCode, 401);
  });

  test('signed and API-key requests carry the authenticated tenant in ef-tenant, whatever the body says', async () => {
    const { handler, sent } = recordingHandler(env());
    const spoof = [{ msg: 'hi', tenant: 'logsonly', 'ef-tenant': 'logsonly', headers: { 'ef-tenant': 'logsonly' } }];
    assert.equal((await handler(signedEvent({ ...logs(spoof), gzip: true }))).statusCode, 200);
    assert.equal((await handler(apiKeyEvent(SECRETS.acmeApiKey, logs(spoof)))).statusCode, 200);
    assert.deepEqual(sent.map((r) => r.headers['ef-tenant']), ['acme', 'acme']);
  });

  test('a tenant writing a tier it lacks gets a per-record 403 reason; its allowed siblings go through', async () => {
    const { handler, sent } = recordingHandler(env());
    const res = parse(await handler(apiKeyEvent(SECRETS.logsOnlyApiKey, logs([{ n: 0 }, { n: 1, tier: 'critical' }, { n: 2, tier: 'realtime' }]))));
    assert.equal(res.statusCode, 207);
    assert.deepEqual(res.body.results!.map((r) => [r.status, r.code]), [['forwarded', undefined], ['rejected', 'forbidden'], ['rejected', 'forbidden']]);
    assert.equal(res.body.results![1]!.reason, 'record 1: forbidden: tenant "logsonly" may not write to the critical tier');
    assert.deepEqual(sent.map((r) => r.sourceRef.index), [0]);

    const none = parse(await handler(apiKeyEvent(SECRETS.logsOnlyApiKey, { path: '/v1/heartbeats', body: [{ hb: 1 }] })));
    assert.equal(none.statusCode, 403, 'every record forbidden: 403');
    assert.match(none.body.results![0]!.reason!, /may not send heartbeat records/);
    assert.equal(sent.length, 1);
  });

  test('a tenant topic prefix puts its records under its own topics', async () => {
    const doc = { tenants: [{ id: 'iso', tiers: ['logs'], topicPrefix: 'iso.', apiKeys: [] as string[] }] };
    doc.tenants[0]!.apiKeys.push(hashApiKey('iso-tenant-api-key-123456'));
    const { handler, sent } = recordingHandler({ ...env(), TENANTS_SOURCE: tenantsFile(doc) });
    assert.equal((await handler(apiKeyEvent('iso-tenant-api-key-123456', logs(['x'])))).statusCode, 200);
    assert.equal(sent[0]!.topic, 'iso.logs');
  });

  test('a rule routing outside the tenant prefix is forbidden, not followed', async () => {
    const rules = JSON.stringify([{ kind: 'log', tier: 'logs', topic: 'other.audit' }]);
    const { handler, sent } = recordingHandler({ ...env(), ROUTING_RULES: rules });
    const res = parse(await handler(apiKeyEvent(SECRETS.logsOnlyApiKey, logs(['x']))));
    assert.equal(res.statusCode, 403);
    assert.match(res.body.results![0]!.reason!, /topic "other.audit" is outside tenant "logsonly"'s prefix "edge."/);
    assert.equal(sent.length, 0);
  });
});

describe('HTTP ingress behind an authorizer or IAM', () => {
  function withContext(event: APIGatewayProxyEventV2, authorizer: unknown): APIGatewayProxyEventV2 {
    return { ...event, requestContext: { ...event.requestContext, authorizer } } as APIGatewayProxyEventV2;
  }

  test('the Lambda authorizer context is trusted for the tenant; the body must still match the signed digest', async () => {
    const { handler, sent } = recordingHandler(env());
    const event = signedEvent(logs(['a']));
    const digest = event.headers['x-ef-content-sha256'];
    assert.equal((await handler(withContext(httpEvent(logs(['a'])), { lambda: { tenant: 'acme', method: 'hmac', contentSha256: digest } }))).statusCode, 200);
    assert.equal(sent[0]!.headers['ef-tenant'], 'acme');
    const swapped = withContext(httpEvent(logs(['b'])), { lambda: { tenant: 'acme', method: 'hmac', contentSha256: digest } });
    assert.equal((await handler(swapped)).statusCode, 401);
    const unknown = withContext(httpEvent(logs(['a'])), { lambda: { tenant: 'ghost', method: 'apikey' } });
    assert.equal((await handler(unknown)).statusCode, 403);
  });

  test('IAM callers are mapped to their tenant; an unmapped principal is 403', async () => {
    const { handler, sent } = recordingHandler(env());
    const iam = (userArn: string, accountId: string) => ({ iam: { userArn, accountId, accessKey: 'AKIA', callerId: 'x', userId: 'x' } });
    const ok = withContext(httpEvent(logs(['a'])), iam('arn:aws:sts::111122223333:assumed-role/acme-servers/i-1', '111122223333'));
    assert.equal((await handler(ok)).statusCode, 200);
    assert.equal(sent[0]!.headers['ef-tenant'], 'acme');
    const stranger = withContext(httpEvent(logs(['a'])), iam('arn:aws:sts::999988887777:assumed-role/x/y', '999988887777'));
    assert.equal((await handler(stranger)).statusCode, 403);
  });
});

describe('configuration', () => {
  test('AUTH_MODE=required without TENANTS_SOURCE fails the cold start; AUTH_MODE=none uses TENANT_ID', async () => {
    assert.throws(
      () => logsFunction({ KAFKA_BROKERS: 'h:1', AUTH_MODE: 'required' }),
      (e: unknown) => e instanceof ConfigError && /TENANTS_SOURCE/.test(e.message),
    );
    const { handler, sent } = recordingHandler({ AUTH_MODE: 'none', TENANT_ID: 'solo' });
    assert.equal((await handler(httpEvent(logs(['a'])))).statusCode, 200);
    assert.equal(sent[0]!.headers['ef-tenant'], 'solo');
  });

  test('a file tenants source is refused inside Lambda (the committed dev keys are public)', () => {
    assert.throws(
      () => recordingHandler({ ...env(), AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }),
      /TENANTS_SOURCE=file:... is for local runs/,
    );
  });

  test('tenant configuration unavailable: 503, so callers retry', async () => {
    const { handler } = recordingHandler({ ...env(), TENANTS_SOURCE: 'file:/nonexistent/tenants.json' });
    const res = parse(await handler(apiKeyEvent(SECRETS.acmeApiKey, logs(['a']))));
    assert.deepEqual([res.statusCode, res.body.error?.code], [503, 'auth_unavailable']);
  });
});

describe('AUTH_MODE default', () => {
  test('required in Lambda (no tenant source: the cold start fails), required with a tenant source, none only locally without one', async () => {
    const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };
    assert.throws(() => recordingHandler(lambda), (e: unknown) => e instanceof ConfigError && /AUTH_MODE=required \(the default in Lambda\) needs TENANTS_SOURCE/.test(e.message));
    const withSource = recordingHandler({ TENANTS_SOURCE: tenantsFile() });
    assert.equal((await withSource.handler(httpEvent(logs(['a'])))).statusCode, 401);
    const local = recordingHandler({});
    assert.equal((await local.handler(httpEvent(logs(['a'])))).statusCode, 200);
  });
});
