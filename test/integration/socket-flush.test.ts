/**
 * DESIGN.md: with acks=0, kafkajs resolves send() once it called socket.write(); a large batch
 * can still sit in Node's userland socket buffer then, and a Lambda freeze would strand it.
 * The best-effort producer waits for the buffer to drain within the budget. Proven here through
 * a throttling TCP proxy (the broker advertises the proxy, so every byte goes through it).
 *
 * Found on the way: sent as one request, a 30,000-record batch never arrived at all. The broker
 * refuses a record batch above message.max.bytes (1 MB) and under acks=0 nobody hears of it.
 * The producer therefore splits sends into requests under KAFKA_MAX_REQUEST_BYTES.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import { loadConfig } from '../../lib/platform/config';
import { KafkaClient } from '../../lib/adapters/kafka/client';
import { createRouter } from '../../lib/domain/router';
import { consumeAll } from '../helpers/kcat';
import { functionEnv, provision, quietLog, uniquePrefix } from '../helpers/stack';

const BROKER_PORT = 19520;
const PROXY_PORT = 19525;

/** Forwards to the broker, reading from the client at most `bytesPerSecond`. */
function throttlingProxy(bytesPerSecond: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(BROKER_PORT, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      client.pause();
      setTimeout(() => client.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    upstream.pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  return {
    listen: () => new Promise<void>((r) => server.listen(PROXY_PORT, '127.0.0.1', r)),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

let kafka: LocalKafka;
let client: KafkaClient;
const proxy = throttlingProxy(4 * 1024 * 1024);

before(async () => {
  await proxy.listen();
  kafka = await startLocalKafka({
    name: 'flush',
    basePort: BROKER_PORT,
    brokerConfig: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${PROXY_PORT}` },
    log: () => undefined,
  });
});
after(async () => {
  await client?.disconnect();
  proxy.close();
  await kafka?.stop();
});

test('a 30,000-record acks=0 batch is fully flushed from userland before send() returns, and all of it arrives', async () => {
  const brokers = [`127.0.0.1:${PROXY_PORT}`];
  const prefix = uniquePrefix('flush');
  await provision(brokers, prefix, 1);
  const config = loadConfig(functionEnv(brokers, prefix));
  client = new KafkaClient(config.kafka, quietLog);
  const producer = client.producer('best-effort');
  const route = createRouter({ rules: [], topics: config.topics, tenant: 't' });
  const records = Array.from({ length: 30_000 }, (_, i) =>
    route({ kind: 'heartbeat', value: Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(200) })), timestamp: Date.now(), sourceRef: { source: 'http', index: i } }),
  );
  const topic = records[0]!.topic;
  const bytes = records.reduce((n, r) => n + r.value.length, 0);
  assert.ok(bytes > 6_000_000);

  // Warm up the connection and metadata so the measured send is only produce requests.
  assert.deepEqual(await producer.send([{ topic, records: records.slice(0, 1) }], { deadline: Date.now() + 10_000, compressed: false }), { ok: true });
  const result = await producer.send([{ topic, records }], { deadline: Date.now() + 60_000, compressed: false });
  assert.deepEqual(result, { ok: true });
  assert.equal(producer.bufferedBytes(), 0, 'nothing may be left in userland when send() returns');
  const flush = producer.lastFlush()!;
  process.stderr.write(
    `# acks=0 send of ${records.length} records (${(bytes / 1e6).toFixed(1)} MB) through a 4 MB/s link: ` +
      `up to ${flush.bufferedBytes} bytes still in userland when kafkajs resolved; flush waits took ${flush.waitedMs} ms\n`,
  );
  assert.ok(flush.bufferedBytes > 0, 'on a congested socket kafkajs resolves before the bytes left the process');
  assert.ok(flush.waitedMs > 0);

  const arrived = await consumeAll(brokers, topic);
  assert.equal(arrived.length, 30_001);
});
