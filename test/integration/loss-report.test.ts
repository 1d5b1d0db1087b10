/**
 * Measured acks=0 loss. Heartbeats go through the real ingest handler to a broker of this file's
 * own; for a window the broker is frozen (SIGSTOP) while the handler keeps sending, then killed
 * (SIGKILL) and restarted. The handler reports those heartbeats as forwarded — their bytes were
 * handed to the socket, which is all acks=0 can know — yet the broker never stored them. That is
 * the loss no producer callback sees; the loss report must find exactly it as a sequence gap.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import type { LossReport } from '../../lib/consume/loss';
import type { IngestBase, IngestHandler } from '../../lib/handlers/ingest';
import { heartbeatsFunction } from '../helpers/functions';
import { httpEvent, lambdaContext } from '../helpers/events';
import { consumeAll } from '../helpers/kcat';
import { functionEnv, provision, uniquePrefix } from '../helpers/stack';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const BATCH = 20;

let kafka: LocalKafka;
let prefix: string;
let topic: string;
const started: IngestBase[] = [];

before(async () => {
  kafka = await startLocalKafka({ name: 'loss', basePort: 19570, log: () => undefined });
  prefix = uniquePrefix('loss');
  topic = `${prefix}realtime`;
  await provision(kafka.brokers, prefix, 3);
});
after(async () => {
  for (const deps of started) await deps.close();
  await kafka?.stop();
});

/** A heartbeats function (a container of its own) and the id of its producer. */
function heartbeatHandler(): { handler: IngestHandler; producerId: string } {
  const { handler, deps } = heartbeatsFunction(functionEnv(kafka.brokers, prefix));
  started.push(deps);
  return { handler, producerId: deps.kafka.producer('best-effort').instanceId };
}

/** One invocation with BATCH heartbeats; returns how many the handler reported forwarded. */
async function send(handler: IngestHandler, label: string): Promise<number> {
  const body = Array.from({ length: BATCH }, (_, i) => ({ id: `${label}-${i}`, key: `server-${i % 4}`, serverId: `srv-${i % 4}`, players: i }));
  const res = await handler(httpEvent({ path: '/v1/heartbeats', body, contentType: 'application/json' }), lambdaContext({ remainingMs: 5_000 }));
  const results = (JSON.parse(res.body as string) as { results: { status: string }[] }).results;
  return results.filter((r) => r.status === 'forwarded').length;
}

async function lossReportCli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bin/loss-report.ts', '--topic', topic, '--since', '10m', '--brokers', kafka.bootstrap, ...args], { cwd: root });
  return stdout;
}

/** After a restart: every partition of the topic has a leader again (kcat's view). */
async function leadersBack(): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const { stdout } = await run('kcat', ['-L', '-b', kafka.bootstrap, '-t', topic, '-J'], { timeout: 10_000 });
      const md = JSON.parse(stdout) as { topics: { partitions: { leader: number }[] }[] };
      if (md.topics[0]?.partitions.length === 3 && md.topics[0].partitions.every((p) => p.leader > 0)) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > until) throw new Error('partitions have no leader 60 s after the restart');
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('heartbeats lost in a broker crash appear as exactly that many sequence gaps; replays appear as duplicates', async () => {
  const first = heartbeatHandler();
  let forwardedBefore = 0;
  for (let i = 0; i < 10; i++) forwardedBefore += await send(first.handler, `before-${i}`);
  assert.equal(forwardedBefore, 200);
  await new Promise((r) => setTimeout(r, 1_000)); // let the broker append them

  const pid = Number(readFileSync(path.join(kafka.dir, 'node-1', 'kafka.pid'), 'utf8').trim());
  process.kill(pid, 'SIGSTOP');
  let lost = 0;
  try {
    for (let i = 0; i < 3; i++) lost += await send(first.handler, `lost-${i}`);
  } finally {
    await kafka.killBroker(0); // SIGKILL of the frozen broker: what sat in its socket buffers is gone
  }
  assert.equal(lost, 60, 'acks=0: the handler saw these as forwarded (written to the socket)');
  await kafka.startBroker(0);
  await leadersBack();

  // The same producer instance goes on (its next sequence numbers expose the hole); a new
  // container's producer starts its own sequence at 0.
  const second = heartbeatHandler();
  let forwardedAfter = 0;
  for (let i = 0; i < 3; i++) forwardedAfter += await send(first.handler, `after-${i}`);
  for (let i = 0; i < 2; i++) forwardedAfter += await send(second.handler, `new-${i}`);
  assert.equal(forwardedAfter, 100);
  await new Promise((r) => setTimeout(r, 500));

  // Independent count (kcat): which heartbeats the broker really holds.
  const arrived = await consumeAll(kafka.brokers, topic);
  const ids = new Set(arrived.map((m) => m.headers['ef-event-id']!));
  assert.equal(arrived.length, 300);
  assert.equal([...ids].filter((id) => id.startsWith('lost-')).length, 0);
  const knownLoss = 200 + 60 + 100 - arrived.length;
  assert.equal(knownLoss, lost);

  const text = await lossReportCli();
  process.stderr.write(`# npm run loss-report -- --topic ${topic} --since 10m --brokers ${kafka.bootstrap}\n${text.replace(/^/gm, '# ')}\n`);
  const report = JSON.parse(await lossReportCli('--json')) as LossReport;
  const [t] = report.topics;
  assert.equal(t!.records, 300);
  assert.equal(t!.missing, knownLoss, 'the report finds exactly the heartbeats the broker never stored');
  assert.equal(t!.duplicateSeqs, 0);
  assert.equal(t!.duplicateEventIds, 0);
  const p1 = t!.producers.find((p) => p.producer === first.producerId)!;
  const p2 = t!.producers.find((p) => p.producer === second.producerId)!;
  assert.deepEqual([p1.records, p1.firstSeq, p1.lastSeq, p1.missing, p1.gaps], [260, 0, 319, 60, [[200, 259]]]);
  assert.deepEqual([p2.records, p2.firstSeq, p2.lastSeq, p2.missing], [40, 0, 39, 0]);
  assert.ok(Math.abs(t!.lossRate - 60 / 360) < 1e-9);

  // Replay ten stored heartbeats byte for byte (same headers) with an independent producer.
  const replayed = arrived.slice(0, 10);
  for (const m of replayed) {
    const headers = Object.entries(m.headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
    execFileSync('kcat', ['-P', '-b', kafka.bootstrap, '-t', topic, '-k', m.key ?? '', ...headers], { input: `${m.value}\n`, timeout: 20_000 });
  }
  const again = (JSON.parse(await lossReportCli('--json')) as LossReport).topics[0]!;
  assert.equal(again.records, 310);
  assert.equal(again.duplicateSeqs, 10);
  assert.equal(again.duplicateEventIds, 10);
  assert.equal(again.missing, knownLoss, 'a duplicate does not fill a gap');
});
