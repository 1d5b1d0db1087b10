/**
 * Ingress security against the real broker, checked with kcat: refused requests (unsigned, badly
 * signed, expired, replayed) are 401 and put nothing in Kafka; a tenant writing a tier it lacks
 * gets a per-record 403 and that record is in no topic, while its allowed sibling arrives
 * carrying the authenticated tenant in ef-tenant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { hashApiKey } from '../../lib/auth/tenants';
import type { IngestBase, IngestHandler } from '../../lib/handlers/ingest';
import { logsFunction } from '../helpers/functions';
import { httpEvent, lambdaContext } from '../helpers/events';
import { consumeAll } from '../helpers/kcat';
import { functionEnv, provision, sharedKafka, uniquePrefix } from '../helpers/stack';
import { SECRETS, apiKeyEvent, signedEvent, tenantsFile } from '../helpers/tenants';

let brokers: string[];
let prefix: string;
let logs: IngestHandler;
let logsDeps: IngestBase | undefined;

before(async () => {
  brokers = (await sharedKafka()).brokers;
  prefix = uniquePrefix('sec');
  await provision(brokers, prefix, 1);
  const tenants = {
    tenants: [
      { id: 'acme', tiers: ['logs', 'realtime'], hmacKeys: { k2: SECRETS.acmeHmac } },
      { id: 'logsonly', tiers: ['logs'], apiKeys: [hashApiKey(SECRETS.logsOnlyApiKey)] },
    ],
  };
  const env = functionEnv(brokers, prefix, { AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile(tenants), TENANT_ID: 'not-used-for-http' });
  ({ handler: logs, deps: logsDeps } = logsFunction(env));
});

after(async () => {
  await logsDeps?.close();
});

async function send(event: APIGatewayProxyEventV2) {
  const res = await logs(event, lambdaContext({ remainingMs: 5_000 }));
  return { status: res.statusCode, body: JSON.parse(String(res.body)) as { error?: { message: string }; results?: { status: string; code?: string; reason?: string }[] } };
}

const topicValues = async (tier: string) => (await consumeAll(brokers, `${prefix}${tier}`)).map((m) => ({ value: m.value ?? '', tenant: m.headers['ef-tenant'] }));

describe('authenticated ingress against the real broker', () => {
  test('unsigned, badly signed, expired and replayed requests are 401 and reach no topic', async () => {
    const body = (marker: string) => ({ path: '/v1/logs', body: [{ marker }] });
    assert.equal((await send(httpEvent(body('unsigned')))).status, 401);
    assert.equal((await send(signedEvent({ ...body('bad-sig'), secret: 'an-attacker-guess-an-attacker-guess' }))).status, 401);
    assert.equal((await send(signedEvent({ ...body('expired'), timestamp: Date.now() - 301_000 }))).status, 401);
    const once = signedEvent(body('replayed'));
    const first = await send(once);
    assert.equal(first.status, 200);
    const again = await send(once);
    assert.equal(again.status, 401);
    assert.match(again.body.error!.message, /replayed/);

    const seen = await topicValues('logs');
    for (const marker of ['unsigned', 'bad-sig', 'expired']) assert.ok(!seen.some((m) => m.value.includes(marker)), marker);
    assert.deepEqual(seen.filter((m) => m.value.includes('replayed')), [{ value: '{"marker":"replayed"}', tenant: 'acme' }], 'the original once, never the replay');
  });

  test('a tenant writing to a tier it lacks: per-record 403, nothing in Kafka for that record', async () => {
    const res = await send(apiKeyEvent(SECRETS.logsOnlyApiKey, { path: '/v1/logs', body: [{ m: 'allowed-log' }, { m: 'forbidden-rt', tier: 'realtime' }] }));
    assert.equal(res.status, 207);
    assert.deepEqual(res.body.results!.map((r) => [r.status, r.code]), [['forwarded', undefined], ['rejected', 'forbidden']]);
    assert.match(res.body.results![1]!.reason!, /record 1: forbidden: tenant "logsonly" may not write to the realtime tier/);

    const [logTopic, realtime] = await Promise.all([topicValues('logs'), topicValues('realtime')]);
    assert.ok(!realtime.some((m) => m.value.includes('forbidden-rt')) && !logTopic.some((m) => m.value.includes('forbidden-rt')));
    assert.deepEqual(logTopic.filter((m) => m.value.includes('allowed-log')).map((m) => m.tenant), ['logsonly']);

    // The same record from a tenant that has the tier goes through: the refusal was the policy.
    const ok = await send(signedEvent({ path: '/v1/logs', body: [{ m: 'acme-rt', tier: 'realtime' }] }));
    assert.equal(ok.status, 200);
    assert.deepEqual((await topicValues('realtime')).filter((m) => m.value.includes('acme-rt')).map((m) => m.tenant), ['acme']);
  });
});
