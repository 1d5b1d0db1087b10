/**
 * Same-session baselines on the same broker and topics: kcat (librdkafka) producing the same
 * records from a file with acks=0, and Kafka's own ProducerPerformance tool (Java client).
 * Both run in their own process, so the figures include no Node at all.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runKafkaTool } from '../local-stack/kafka';
import { lines } from './payloads';
import { endOffset, settledOffset, type BenchStack } from './stack';
import { FF_LINE_BYTES } from './fire-and-forget';
import { mb, nowMs, progress, round } from './stats';

export interface BaselineResult {
  tool: 'kcat' | 'ProducerPerformance';
  compression: 'none' | 'gzip';
  topic: string;
  records: number;
  recordBytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Records the topic's end offsets grew by (acks=0: nobody else would notice a loss). */
  arrived: number;
  /** What exactly ran. */
  command: string;
}

/**
 * The headers our records carry on the wire (lib/domain/router.ts + the producer's sequence stamp),
 * with values of the same length, so kcat's records are the same size as ours.
 */
const KCAT_HEADERS = [
  'ef-event-id=01939a4c-5f3e-7b21-9c4d-2a1b3c4d5e6f',
  'ef-source=http',
  'ef-tenant=bench',
  'ef-producer=edge-forwarder-3c4d5e6f7a8b',
  'ef-seq=123456',
];

export interface BaselineFiles {
  dir: string;
  /** key<TAB>value lines for kcat -K '\t' */
  kcatHeartbeats: string;
  kcatLogs: string;
  /** values only, for ProducerPerformance --payload-file */
  logValues: string;
  records: number;
}

/**
 * The same NDJSON lines the handlers get (their 10,000-line batch, keyed by the "key" field),
 * repeated up to `records`, written once per run.
 */
export function writeBaselineFiles(records: number): BaselineFiles {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-forwarder-bench-'));
  const keyed = (kind: 'heartbeat' | 'log') => {
    const batch = lines(kind, 10_000, FF_LINE_BYTES).map((l) => `${/"key":"([^"]+)"/.exec(l)![1]}\t${l}\n`);
    return Array.from({ length: records }, (_, i) => batch[i % batch.length]).join('');
  };
  const files: BaselineFiles = {
    dir,
    kcatHeartbeats: path.join(dir, 'heartbeats.tsv'),
    kcatLogs: path.join(dir, 'logs.tsv'),
    logValues: path.join(dir, 'logs.ndjson'),
    records,
  };
  writeFileSync(files.kcatHeartbeats, keyed('heartbeat'));
  writeFileSync(files.kcatLogs, keyed('log'));
  // ProducerPerformance picks random payloads from the file: a few thousand distinct lines are plenty.
  writeFileSync(files.logValues, lines('log', Math.min(records, 10_000), FF_LINE_BYTES).join('\n') + '\n');
  return files;
}

export function removeBaselineFiles(files: BaselineFiles): void {
  rmSync(files.dir, { recursive: true, force: true });
}

/** kcat -P, acks=0, from a file; wall time of the whole process (start-up amortized over the records). */
export async function kcatBaseline(stack: BenchStack, files: BaselineFiles, compression: 'none' | 'gzip'): Promise<BaselineResult> {
  const topic = stack.topic(compression === 'gzip' ? 'logs' : 'realtime');
  const file = compression === 'gzip' ? files.kcatLogs : files.kcatHeartbeats;
  const args = [
    '-P', '-q', '-b', stack.kafka.bootstrap, '-t', topic, '-K', '\t', '-l',
    '-X', 'acks=0',
    ...(compression === 'gzip' ? ['-z', 'gzip'] : []),
    ...KCAT_HEADERS.flatMap((h) => ['-H', h]),
    file,
  ];
  const before = endOffset(stack, topic);
  const t0 = nowMs();
  await run(stack.kcat, args);
  const seconds = (nowMs() - t0) / 1000;
  const arrived = (await settledOffset(stack, topic, before + files.records)) - before;
  const result: BaselineResult = {
    tool: 'kcat',
    compression,
    topic,
    records: files.records,
    recordBytes: FF_LINE_BYTES,
    seconds: round(seconds, 3),
    recordsPerSec: round(files.records / seconds),
    mbPerSec: round(mb(files.records * FF_LINE_BYTES) / seconds, 2),
    arrived,
    command: `kcat ${args.map((a) => (a === '\t' ? "$'\\t'" : a)).join(' ')}`.replace(file, path.basename(file)),
  };
  progress(`  kcat acks=0 ${compression}: ${result.recordsPerSec.toLocaleString('en-US')} rec/s (${files.records.toLocaleString('en-US')} records in ${result.seconds} s, ${arrived.toLocaleString('en-US')} arrived)`);
  return result;
}

/** org.apache.kafka.tools.ProducerPerformance, acks=0, --throughput -1; its own records/sec figure. */
export async function producerPerformance(stack: BenchStack, files: BaselineFiles, compression: 'none' | 'gzip'): Promise<BaselineResult> {
  const topic = stack.topic(compression === 'gzip' ? 'logs' : 'realtime');
  const records = files.records;
  const payload = compression === 'gzip' ? ['--payload-file', files.logValues] : ['--record-size', String(FF_LINE_BYTES)];
  const args = [
    '--topic', topic,
    '--num-records', String(records),
    ...payload,
    '--throughput', '-1',
    '--producer-props', 'acks=0', `bootstrap.servers=${stack.kafka.bootstrap}`,
    ...(compression === 'gzip' ? ['compression.type=gzip'] : []),
  ];
  const before = endOffset(stack, topic);
  const res = await runKafkaTool('org.apache.kafka.tools.ProducerPerformance', args, { timeoutMs: 180_000 });
  const summary = res.stdout.split('\n').filter((l) => /records sent/.test(l) && /50th/.test(l)).pop();
  const rate = Number(/([\d.]+) records\/sec/.exec(summary ?? '')?.[1]);
  if (res.code !== 0 || !Number.isFinite(rate)) {
    throw new Error(`ProducerPerformance failed (exit ${res.code}):\n${res.stdout.slice(-2000)}${res.stderr.slice(-2000)}`);
  }
  const arrived = (await settledOffset(stack, topic, before + records)) - before;
  const result: BaselineResult = {
    tool: 'ProducerPerformance',
    compression,
    topic,
    records,
    recordBytes: FF_LINE_BYTES,
    seconds: round(records / rate, 3),
    recordsPerSec: round(rate),
    mbPerSec: round(mb(records * FF_LINE_BYTES) * (rate / records), 2),
    arrived,
    command: `ProducerPerformance ${args.join(' ')}`.replace(files.logValues, path.basename(files.logValues)),
  };
  progress(`  ProducerPerformance acks=0 ${compression}: ${result.recordsPerSec.toLocaleString('en-US')} rec/s (${arrived.toLocaleString('en-US')} arrived)`);
  return result;
}

export type BaselineSet = Record<'kcatPlain' | 'kcatGzip' | 'perfPlain' | 'perfGzip', BaselineResult>;

export async function runBaselines(stack: BenchStack, files: BaselineFiles): Promise<BaselineSet> {
  return {
    kcatPlain: await kcatBaseline(stack, files, 'none'),
    kcatGzip: await kcatBaseline(stack, files, 'gzip'),
    perfPlain: await producerPerformance(stack, files, 'none'),
    perfGzip: await producerPerformance(stack, files, 'gzip'),
  };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${stderr}`))));
  });
}
