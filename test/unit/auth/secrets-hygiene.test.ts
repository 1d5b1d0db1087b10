/**
 * Secrets never reach a log line, an error message or a response: a run with real-looking
 * credentials (valid, wrong, replayed, expired, malformed; authorizer and adapter; a broken
 * tenant document; Kafka SCRAM/IAM failures) captures everything written (telemetry sinks,
 * stdout, stderr, console) and greps it for every secret, signature and token involved.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { authorizerFunction } from '../../helpers/functions';
import { createIamTokenProvider, parseScramSecret, resolveSecurity } from '../../../lib/adapters/kafka/security';
import { KafkaClient } from '../../../lib/adapters/kafka/client';
import { mskIamAuthToken } from '../../../lib/adapters/kafka/msk-iam-token';
import { loadConfig } from '../../../lib/platform/config';
import { createLogger, redact } from '../../../lib/platform/telemetry';
import { httpEvent } from '../../helpers/events';
import { recordingHandler } from '../../helpers/fake-handler';
import { SECRETS, apiKeyEvent, signedEvent, tenantsFile } from '../../helpers/tenants';

const SCRAM_PASSWORD = 'scram-pw-V3ry5ecret-9d8c7b6a';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRETzz';
const AWS_SESSION = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENzz';

test('the logger masks secret-named fields and secret-looking text (defence in depth)', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: (l) => void lines.push(l) });
  log.error('connect failed: Authorization: Bearer ef_acme_abcdef123456 rejected', {
    authorization: 'EF-HMAC-SHA256 Credential=a/b, Timestamp=1, Signature=abc',
    nested: { password: SCRAM_PASSWORD, list: [{ apiKey: 'k' }], count: 3 },
    error: `GET https://kafka.eu-west-1.amazonaws.com/?X-Amz-Security-Token=${AWS_SESSION}&X-Amz-Signature=deadbeef failed`,
    url: 'sasl: password=hunter2, user=bob',
    tier: 'logs',
  });
  const text = lines.join('\n');
  for (const s of ['ef_acme_abcdef123456', 'Signature=abc', SCRAM_PASSWORD, AWS_SESSION, 'deadbeef', 'hunter2']) assert.ok(!text.includes(s), s);
  const entry = JSON.parse(text);
  assert.equal(entry.nested.count, 3);
  assert.equal(entry.tier, 'logs');
  assert.equal(entry.url, 'sasl: password=[redacted], user=bob');
  assert.deepEqual(redact({ token: undefined }), { token: undefined }, 'absent stays absent');
});

test('a run with secrets, good and bad, leaves none of them in any output', async () => {
  const captured: string[] = [];
  const write = (chunk: unknown) => void captured.push(String(chunk));
  const saved = { out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, warn: console.warn };
  // Tee, not swallow: the test runner reports through this process's stdout too.
  process.stdout.write = ((c: unknown, ...rest: never[]) => (write(c), saved.out.call(process.stdout, c as string, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((c: unknown, ...rest: never[]) => (write(c), saved.err.call(process.stderr, c as string, ...rest))) as typeof process.stderr.write;
  console.log = console.error = console.warn = (...a: unknown[]) => (write(a.join(' ')), saved.log(...a));
  const signatures: string[] = [];
  const responses: string[] = [];
  try {
    const env = { AUTH_MODE: 'required', TENANTS_SOURCE: tenantsFile(), LOG_LEVEL: 'debug' };
    const { handler, lines } = recordingHandler(env);
    const authorize = authorizerFunction(env, { lineSink: (l) => void lines.push(l) });
    const body = { path: '/v1/logs', body: ['a'] };
    const events: APIGatewayProxyEventV2[] = [
      signedEvent(body),
      signedEvent({ ...body, secret: `${SECRETS.acmeHmac}-wrong` }),
      signedEvent({ ...body, timestamp: Date.now() - 3_600_000 }),
      signedEvent({ ...body, keyId: 'k1', secret: SECRETS.acmeHmacOld }),
      apiKeyEvent(SECRETS.acmeApiKey, body),
      apiKeyEvent(`${SECRETS.logsOnlyApiKey}x`, body),
      apiKeyEvent(SECRETS.logsOnlyApiKey, { path: '/v1/events', body: [{ tier: 'critical' }] }),
      httpEvent({ ...body, headers: { authorization: `EF-HMAC-SHA256 ${SECRETS.acmeHmac}` } }),
      httpEvent({ ...body, headers: { authorization: `Bearer ${SECRETS.acmeHmac}` } }),
    ];
    const replayed = signedEvent(body);
    events.push(replayed, replayed);
    for (const e of events) {
      const sig = /Signature=(\w+)/.exec(e.headers.authorization ?? '');
      if (sig) signatures.push(sig[1]!);
      responses.push(JSON.stringify(await handler(e)));
      const { body: _b, ...rest } = e;
      await authorize({ ...rest, type: 'REQUEST', routeArn: 'arn', identitySource: [], cookies: [] } as APIGatewayRequestAuthorizerEventV2).then(
        (r) => responses.push(JSON.stringify(r)),
        (err: Error) => responses.push(err.message),
      );
    }
    // A tenant document that is not JSON (its text holds a secret): named, never quoted.
    const broken = recordingHandler({ ...env, TENANTS_SOURCE: tenantsFile(`{"hmacKeys":{"k":"${SECRETS.acmeHmac}"`) });
    responses.push(JSON.stringify(await broken.handler(apiKeyEvent(SECRETS.acmeApiKey, body))));
    lines.push(...broken.lines);

    // Kafka credentials: a malformed SCRAM secret, a failed IAM refresh, a SCRAM connect to nowhere.
    assert.throws(() => parseScramSecret(`{"username":"u","password":"${SCRAM_PASSWORD}"`, 'arn:s'), (e: Error) => (responses.push(e.message), true));
    const creds = { accessKeyId: 'ASIAEXAMPLEEXAMPLE12', secretAccessKey: AWS_SECRET, sessionToken: AWS_SESSION };
    const url = Buffer.from(mskIamAuthToken('eu-west-1', creds).token, 'base64url').toString();
    const failing = createIamTokenProvider({ region: 'eu-west-1', generate: async () => { throw new Error(`signer failed for ${url}`); } });
    await failing().catch((e: Error) => {
      responses.push(e.message);
      createLogger({ level: 'debug', sink: (l) => void lines.push(l) }).error('token refresh', { error: e.message, url });
    });
    const cfg = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_AUTH: 'scram', KAFKA_SCRAM_USERNAME: 'svc', KAFKA_SCRAM_PASSWORD: SCRAM_PASSWORD, KAFKA_CONNECT_TIMEOUT_MS: '200' }).kafka;
    assert.equal((await resolveSecurity(cfg)).sasl?.mechanism, 'scram-sha-512');
    const client = new KafkaClient(cfg, createLogger({ level: 'debug', sink: (l) => void lines.push(l) }));
    const record = { id: 'i', tier: 'logs' as const, topic: 't', key: null, value: Buffer.from('x'), headers: {}, timestamp: 1, sourceRef: { source: 'http' as const, index: 0 } };
    const sent = await client.producer('best-effort').send([{ topic: 't', records: [record] }], { deadline: Date.now() + 2_000, compressed: false });
    responses.push(JSON.stringify(sent));
    await client.disconnect();

    captured.push(...lines);
  } finally {
    Object.assign(process.stdout, { write: saved.out });
    Object.assign(process.stderr, { write: saved.err });
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
  }
  const everything = [...captured, ...responses].join('\n');
  assert.ok(captured.length > 10, 'the run did log');
  for (const seen of [/bad signature/, /replayed request/, /invalid API key/, /replay window/, /tenant document .* is not valid JSON/, /MSK IAM token refresh failed/, /forbidden/]) {
    assert.ok(seen.test(everything), `the run exercised ${seen.source}`);
  }
  assert.ok(signatures.length >= 6);
  for (const secret of [...Object.values(SECRETS), ...signatures, SCRAM_PASSWORD, AWS_SECRET, AWS_SESSION]) {
    assert.ok(!everything.includes(secret), `leaked: ${secret.slice(0, 12)}…`);
  }
});
