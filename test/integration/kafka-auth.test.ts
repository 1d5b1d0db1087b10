/**
 * Kafka auth modes against a real broker: SCRAM-SHA-512 over TLS and TLS produce through the
 * real handler (kcat, on the broker's plaintext setup listener, checks what arrived); wrong
 * credentials, an untrusted CA and plaintext-to-TLS fail fast, with a clear reason, without a
 * retry storm (connections counted by a TCP proxy) and without the password in any log line.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Env } from '../../lib/platform/env';
import { logsFunction } from '../helpers/functions';
import { KafkaClient } from '../../lib/adapters/kafka/client';
import { loadConfig } from '../../lib/platform/config';
import type { ForwardRecord } from '../../lib/domain/record';
import { createLogger } from '../../lib/platform/telemetry';
import type { LocalKafka } from '../../tools/local-stack/kafka';
import { httpEvent, lambdaContext } from '../helpers/events';
import { AUTH_KAFKA, SCRAM_USER, makeTlsMaterial, startAuthKafka, type TlsMaterial } from '../helpers/kafka-auth';
import { consumeAll } from '../helpers/kcat';
import { functionEnv, provision, uniquePrefix } from '../helpers/stack';

let kafka: LocalKafka;
let tls: TlsMaterial;
let prefix: string;

before(async () => {
  tls = makeTlsMaterial();
  kafka = await startAuthKafka(tls);
  prefix = uniquePrefix('auth');
  await provision(kafka.brokers, prefix, 1);
});

after(async () => {
  await kafka?.stop();
});

/** A TCP relay that counts connections, so "no retry storm" is a number, not a hope. */
async function countingProxy(targetPort: number) {
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function logsHandler(env: Env) {
  const lines: string[] = [];
  const { handler, deps } = logsFunction(env, { lineSink: (l) => void lines.push(l) });
  return { handler, deps, lines };
}

async function post(env: Env, messages: string[]) {
  const { handler, deps, lines } = logsHandler(env);
  const started = Date.now();
  try {
    const res = await handler(httpEvent({ path: '/v1/logs', body: messages.map((m) => ({ msg: m })) }), lambdaContext({ remainingMs: 15_000 }));
    return { ms: Date.now() - started, body: JSON.parse(String(res.body)) as { forwarded: number; dropped: number; results: { reason?: string }[] }, lines };
  } finally {
    await deps.close();
  }
}

const scramEnv = (over: Env = {}) =>
  functionEnv([`127.0.0.1:${AUTH_KAFKA.scramPort}`], prefix, {
    KAFKA_AUTH: 'scram',
    KAFKA_SCRAM_USERNAME: SCRAM_USER.username,
    KAFKA_SCRAM_PASSWORD: SCRAM_USER.password,
    KAFKA_TLS_CA_FILE: tls.caFile,
    LOG_LEVEL: 'debug',
    ...over,
  });
const tlsEnv = (over: Env = {}) => functionEnv([`127.0.0.1:${AUTH_KAFKA.tlsPort}`], prefix, { KAFKA_AUTH: 'tls', KAFKA_TLS_CA_FILE: tls.caFile, LOG_LEVEL: 'debug', ...over });

describe('producing with authentication', () => {
  test('SCRAM-SHA-512 over TLS: best-effort records arrive', async () => {
    const { body } = await post(scramEnv(), ['scram-1', 'scram-2']);
    assert.equal(body.forwarded, 2, JSON.stringify(body));
    const seen = (await consumeAll(kafka.brokers, `${prefix}logs`)).filter((m) => m.value?.includes('scram-'));
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.headers['ef-tenant'], 'studio-test');
  });

  test('SCRAM-SHA-512: the reliable producer (acks=all, idempotent) is acknowledged', async () => {
    const client = new KafkaClient(loadConfig(scramEnv()).kafka, createLogger({ level: 'error', sink: () => undefined }));
    const record: ForwardRecord = { id: 'scram-critical-1', tier: 'critical', topic: `${prefix}critical`, key: 'k', value: Buffer.from('{"c":1}'), headers: { 'ef-event-id': 'scram-critical-1' }, timestamp: Date.now(), sourceRef: { source: 'http', index: 0 } };
    try {
      const sent = await client.producer('reliable').send([{ topic: record.topic, records: [record] }], { deadline: Date.now() + 15_000, compressed: false });
      assert.ok(sent.ok, JSON.stringify(sent));
      assert.equal(sent.acks?.length, 1, 'acknowledged with an offset');
      assert.equal(sent.acks[0]!.topic, record.topic);
    } finally {
      await client.disconnect();
    }
    assert.equal((await consumeAll(kafka.brokers, `${prefix}critical`)).filter((m) => m.headers['ef-event-id'] === 'scram-critical-1').length, 1);
  });

  test('TLS: records arrive over a broker certificate signed by the configured CA', async () => {
    const { body } = await post(tlsEnv(), ['tls-1', 'tls-2', 'tls-3']);
    assert.equal(body.forwarded, 3, JSON.stringify(body));
    assert.equal((await consumeAll(kafka.brokers, `${prefix}logs`)).filter((m) => m.value?.includes('tls-')).length, 3);
  });
});

describe('refused connections fail fast and clearly', () => {
  test('wrong SCRAM password: dropped in well under a second per invocation, one connection each, password never logged', async () => {
    const proxy = await countingProxy(AUTH_KAFKA.scramPort);
    try {
      const env = scramEnv({ KAFKA_BROKERS: `127.0.0.1:${proxy.port}`, KAFKA_SCRAM_PASSWORD: 'wrong-password-do-not-log-me' });
      for (let i = 0; i < 3; i++) {
        const { ms, body, lines } = await post(env, ['nope']);
        assert.equal(body.dropped, 1);
        assert.match(body.results[0]!.reason!, /SASL SCRAM SHA512 authentication failed/i);
        assert.ok(ms < 3_000, `took ${ms} ms`);
        assert.ok(!lines.join('\n').includes('wrong-password-do-not-log-me'));
      }
      assert.ok(proxy.connections() <= 3, `${proxy.connections()} connections for 3 invocations`);

      const client = new KafkaClient(loadConfig(env).kafka, createLogger({ level: 'error', sink: () => undefined }));
      const before = proxy.connections();
      const started = Date.now();
      const rec: ForwardRecord = { id: 'x', tier: 'critical', topic: `${prefix}critical`, key: null, value: Buffer.from('x'), headers: {}, timestamp: Date.now(), sourceRef: { source: 'http', index: 0 } };
      const res = await client.producer('reliable').send([{ topic: rec.topic, records: [rec] }], { deadline: Date.now() + 15_000, compressed: false });
      await client.disconnect();
      // Not the record's fault: the relay keeps such entries pending (with backoff) until the
      // credentials are fixed, instead of dead-lettering them after three runs.
      assert.ok(!res.ok && res.retriable, 'authentication failure fails the send, and the records stay retriable');
      assert.match(res.reason, /SASL SCRAM SHA512 authentication failed/i);
      assert.ok(Date.now() - started < 3_000);
      assert.ok(proxy.connections() - before <= 1, `reliable producer opened ${proxy.connections() - before} connections`);
    } finally {
      await proxy.close();
    }
  });

  test('a broker certificate from an untrusted CA is refused', async () => {
    const { ms, body } = await post(tlsEnv({ KAFKA_TLS_CA_FILE: tls.otherCaFile }), ['untrusted']);
    assert.equal(body.dropped, 1);
    assert.match(body.results[0]!.reason!, /certificate/i);
    assert.ok(ms < 3_000, `took ${ms} ms`);
  });

  test('plaintext to the TLS listener is refused (and TLS to a plaintext listener fails fast)', async () => {
    const plain = await post(functionEnv([`127.0.0.1:${AUTH_KAFKA.tlsPort}`], prefix, { KAFKA_AUTH: 'plaintext' }), ['in-the-clear']);
    assert.equal(plain.body.dropped, 1);
    assert.ok(plain.ms < 3_000, `took ${plain.ms} ms`);
    const tlsToPlain = await post(tlsEnv({ KAFKA_BROKERS: kafka.brokers[0]! }), ['tls-to-plain']);
    assert.equal(tlsToPlain.body.dropped, 1);
    assert.ok(tlsToPlain.ms < 3_000, `took ${tlsToPlain.ms} ms`);
    assert.equal((await consumeAll(kafka.brokers, `${prefix}logs`)).filter((m) => /in-the-clear|tls-to-plain|untrusted|nope/.test(m.value ?? '')).length, 0);
  });
});
