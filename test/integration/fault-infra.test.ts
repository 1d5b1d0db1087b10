/**
 * The fault-injection tools themselves, on real brokers: a paused (SIGSTOPped) broker, a
 * preferred leader election after a broker restart, and a black-holed / throttled link through
 * the loopback TCP proxy. The critical-tier fault tests build on these, so they must do what
 * they claim.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { kafkaClusterDir, runKafkaTool, startLocalKafka, stopLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import { fetchMetadata } from '../../tools/local-stack/kafka-wire';
import { isPortOpen } from '../../tools/local-stack/proc';
import { startProxiedKafka, waitUntil, type ProxiedKafka } from '../helpers/faults';
import { startTcpProxy } from '../helpers/tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROXIED = { name: 'fault-proxy', basePort: 19610, proxyPort: 19615 } as const;
const ELECTION = { name: 'fault-elect', nodes: 3, basePort: 19620 } as const;

/** The clusters keep their data between runs: every run makes its own topics. */
const uniqueTopic = (label: string) => `fault.${label}.${randomBytes(4).toString('hex')}`;

async function createTopic(bootstrap: string, topic: string, args: string[]): Promise<void> {
  const res = await runKafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', topic, ...args]);
  assert.equal(res.code, 0, `${res.stdout}${res.stderr}`);
}

/** kcat's exit code and output; never rejects. */
async function kcat(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    child.stdin.end(opts.input ?? '');
  });
}

describe('the TCP proxy on its own (an echo server behind it)', () => {
  let echo: net.Server;
  let echoPort: number;

  before(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => echo.close(() => r())));

  /** A client of the proxy that collects what comes back. */
  async function client(port: number) {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('utf8')));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    return { socket, received: () => received, closed };
  }

  test('refuses a target that is not loopback', async () => {
    await assert.rejects(startTcpProxy({ target: { host: '10.0.0.1', port: 9092 } }), /loopback/);
    await assert.rejects(startTcpProxy({ target: { host: 'example.com', port: 9092 } }), /loopback/);
  });

  test("'hold' delivers everything, in order, once released; 'drop' loses bytes and resets that connection on restore", async () => {
    const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: echoPort } });
    try {
      const a = await client(proxy.port);
      a.socket.write('one;');
      await waitUntil('the echo', () => a.received() === 'one;');
      proxy.blackhole('hold');
      a.socket.write('two;');
      a.socket.write('three;');
      await sleep(300);
      assert.equal(a.received(), 'one;', 'nothing comes back while held');
      proxy.blackhole(false);
      await waitUntil('the held bytes', () => a.received() === 'one;two;three;');

      proxy.blackhole('drop');
      a.socket.write('lost;');
      await waitUntil('the proxy to drop them', () => proxy.bytesDropped > 0);
      const b = await client(proxy.port); // a connection made during the black hole, that sends nothing
      proxy.blackhole(false);
      await a.closed; // its stream has a hole now: reset, as TCP would after retransmitting in vain
      b.socket.write('after;');
      await waitUntil('the echo on the intact connection', () => b.received() === 'after;');
      assert.equal(a.received(), 'one;two;three;');
      b.socket.destroy();
    } finally {
      await proxy.close();
    }
  });
});

describe('a single broker behind a TCP proxy', () => {
  let pk: ProxiedKafka;
  let kafka: LocalKafka;
  const topic = uniqueTopic('proxy');

  before(async () => {
    // kcat's first produce creates the topic (saves a topic-tool JVM per topic on a 2-core box)
    pk = await startProxiedKafka({ ...PROXIED, brokerConfig: { 'auto.create.topics.enable': true, 'num.partitions': 1 }, log: () => undefined });
    kafka = pk.kafka;
  });

  after(async () => {
    await pk?.stop();
  });

  test('a paused broker accepts connections but answers nothing; a request sent meanwhile is answered after resume', async () => {
    const port = PROXIED.basePort;
    await kafka.pauseBroker(0);
    try {
      assert.equal(kafka.isPaused(0), true);
      assert.equal(await isPortOpen(port), true, 'the kernel still completes the TCP handshake');
      await assert.rejects(fetchMetadata('127.0.0.1', port, 1500), /no Metadata response/);
      assert.equal(await kafka.isUp(0), false);
      const pending = fetchMetadata('127.0.0.1', port, 60_000);
      await sleep(500);
      await kafka.resumeBroker(0);
      const md = await pending;
      assert.deepEqual(md.brokers.map((b) => b.nodeId), [1]);
    } finally {
      if (kafka.isPaused(0)) await kafka.resumeBroker(0);
    }
    assert.equal(kafka.isPaused(0), false);
    assert.equal(await kafka.isUp(0), true);
  });

  test('through the proxy kcat produces and consumes; every byte of it passes the proxy', async () => {
    const before = pk.proxy.bytesForwarded;
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const produced = await kcat(['-P', '-b', pk.brokers[0]!, '-t', topic], { input: `${values.join('\n')}\n` });
    assert.equal(produced.code, 0, produced.out);
    const consumed = await kcat(['-C', '-b', pk.brokers[0]!, '-t', topic, '-o', 'beginning', '-e', '-q']);
    assert.equal(consumed.code, 0, consumed.out);
    assert.deepEqual(consumed.out.trim().split('\n').slice(0, 20), values);
    assert.ok(pk.proxy.bytesToTarget > 0 && pk.proxy.bytesToClient > 0);
    assert.ok(pk.proxy.bytesForwarded - before > 200);
  });

  test('black hole: drop makes a metadata query fail, hold delays it until released', async () => {
    const metadata = (seconds: number) => kcat(['-L', '-b', pk.brokers[0]!, '-m', String(seconds)], { timeoutMs: (seconds + 10) * 1000 });

    pk.proxy.blackhole('drop');
    const dropped = await metadata(2);
    assert.notEqual(dropped.code, 0, `kcat -L through a black hole: ${dropped.out}`);
    assert.ok(pk.proxy.bytesDropped > 0);
    pk.proxy.blackhole(false);
    const restored = await metadata(5);
    assert.equal(restored.code, 0, restored.out);
    assert.match(restored.out, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${PROXIED.proxyPort}`));

    pk.proxy.blackhole('hold');
    const held = metadata(20);
    await waitUntil('kcat connected to the held proxy', () => pk.proxy.connections > 0);
    const forwarded = pk.proxy.bytesForwarded;
    await sleep(1000);
    assert.equal(pk.proxy.bytesForwarded, forwarded, 'nothing moves while held');
    pk.proxy.blackhole(false);
    const late = await held;
    assert.equal(late.code, 0, late.out);
  });

  test('throttle caps the bytes forwarded per interval, as counted by the proxy', async () => {
    const throttled = uniqueTopic('throttle');
    const count = 150;
    const payload = 'x'.repeat(10_000);
    const produced = await kcat(['-P', '-b', pk.brokers[0]!, '-t', throttled, '-z', 'none'], { input: `${Array(count).fill(payload).join('\n')}\n` });
    assert.equal(produced.code, 0, produced.out);

    const rate = 64 * 1024;
    pk.proxy.throttle(rate);
    const consuming = kcat(['-C', '-b', pk.brokers[0]!, '-t', throttled, '-o', 'beginning', '-e', '-q', '-f', '%o\\n'], { timeoutMs: 60_000 });
    await waitUntil('the consumer to start fetching', () => pk.proxy.bytesToClient > 0);
    const t0 = Date.now();
    const b0 = pk.proxy.bytesToClient;
    await sleep(2000);
    const b1 = pk.proxy.bytesToClient;
    const seconds = (Date.now() - t0) / 1000;
    const perSecond = (b1 - b0) / seconds;
    process.stderr.write(`# throttled at ${rate} B/s: ${b1 - b0} bytes to the client in ${seconds.toFixed(2)} s (${Math.round(perSecond)} B/s)\n`);
    // upper bound: a slower machine only moves fewer bytes; 100 ms of burst allowance
    assert.ok(b1 - b0 <= rate * (seconds + 0.1), `${b1 - b0} bytes in ${seconds} s exceeds ${rate} B/s`);
    assert.ok(b1 > b0, 'a throttled link still moves');
    assert.ok(b1 < count * payload.length, 'the transfer is far from done at this rate');

    pk.proxy.throttle(undefined);
    const consumed = await consuming;
    assert.equal(consumed.code, 0, consumed.out);
    assert.equal(consumed.out.trim().split('\n').length, count);
  });

  test('stop() shuts a paused broker down cleanly: SIGTERM is acted on, not sat out until SIGKILL', async () => {
    await kafka.pauseBroker(0);
    const logFrom = fs.statSync(kafka.logFile(0)).size;
    await kafka.stop();
    assert.equal(await isPortOpen(PROXIED.basePort), false);
    assert.equal(await kafka.isUp(0), false);
    // a SIGKILLed JVM (what terminate() falls back to after 30 s) logs nothing on its way out
    const shutdownLog = fs.readFileSync(kafka.logFile(0), 'utf8').slice(logFrom);
    assert.match(shutdownLog, /shutting down/, 'the broker ran its shutdown hook');
  });
});

describe('preferred leader election on three nodes', () => {
  let kafka: LocalKafka;
  const topic = uniqueTopic('elect');

  before(async () => {
    // empty storage: elections act on every partition, so no topic of an earlier run may be around
    await stopLocalKafka({ name: ELECTION.name, log: () => undefined });
    fs.rmSync(kafkaClusterDir(ELECTION.name), { recursive: true, force: true });
    kafka = await startLocalKafka({ ...ELECTION, log: () => undefined });
    // fixed assignment: node 1 is the preferred leader of partition 0 only
    await createTopic(kafka.bootstrap, topic, ['--replica-assignment', '1:2:3,2:3:1,3:1:2']);
  });

  after(async () => {
    await kafka?.stop();
  });

  const leaders = async () => (await kafka.topicPartitions(topic)).map((p) => p.leader);

  test('after node 1 is killed and restarted, electLeaders() makes it lead partition 0 again', async () => {
    await waitUntil('preferred leaders after creation', async () => (await leaders()).join() === '1,2,3');

    await kafka.killBroker(0);
    // the controller moves leadership once the dead node is fenced (broker.session.timeout.ms)
    await waitUntil(
      'partition 0 to move off node 1',
      async () => {
        const l = await leaders();
        return l[0] !== 1 && l[0] !== -1;
      },
      { timeoutMs: 45_000 },
    );
    await kafka.startBroker(0);
    // node 1 must be back in sync before it can be elected (else PREFERRED_LEADER_NOT_AVAILABLE)
    await waitUntil('node 1 back in every ISR', async () => (await kafka.topicPartitions(topic)).every((p) => p.isr.includes(1)));
    assert.notEqual((await leaders())[0], 1, 'a restarted node does not take leadership back by itself');

    const result = await kafka.electLeaders();
    assert.deepEqual(result.elected, [`${topic}-0`], result.output);
    await waitUntil('node 1 to lead partition 0 again', async () => (await leaders()).join() === '1,2,3');
  });

  test('an election with nothing to do succeeds, for all partitions and for a named topic', async () => {
    const all = await kafka.electLeaders();
    assert.deepEqual(all.elected, [], all.output);
    // named partitions (here every one of the topic) each come back ElectionNotNeeded: no failure
    const whole = await kafka.electLeaders({ topic });
    assert.deepEqual(whole.elected, [], whole.output);
    assert.deepEqual(whole.notNeeded.sort(), [0, 1, 2].map((p) => `${topic}-${p}`), whole.output);
  });
});
