/**
 * What the benchmark needs and starts itself: its own Kafka broker ('bench', port 19600) and
 * DynamoDB Local ('bench', port 18160), kcat, the tier topics, the function bundles; plus the
 * machine description that goes next to the figures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DYNAMODB_LOCAL_DEFAULT_VERSION, startDynamoLocal, type DynamoLocal } from '../local-stack/dynamodb';
import { startLocalKafka, type LocalKafka } from '../local-stack/kafka';
import { ensureKcat } from '../local-stack/tools';
import type { Env } from '../../lib/platform/env';
import { topicName } from '../../lib/domain/tiers';
import type { Tier } from '../../lib/domain/tiers';
import { provision } from '../../test/helpers/stack';
import { progress, sleep } from './stats';

export const ROOT = path.resolve(__dirname, '..', '..');
export const KAFKA = { name: 'bench', basePort: 19600 } as const;
export const DYNAMODB = { name: 'bench', port: 18160 } as const;
export const TOPIC_PREFIX = 'bench.';
export const PARTITIONS = 3;

export interface BenchStack {
  kafka: LocalKafka;
  dynamo: DynamoLocal;
  kcat: string;
  topic(tier: Tier): string;
  /** Environment of a function pointed at the bench broker (and outbox table, when given). */
  env(extra?: Env): Env;
  stop(): Promise<void>;
}

const log = (line: string) => progress(line.trim());

export async function startStack(opts: { keep: boolean }): Promise<BenchStack> {
  progress(`starting Kafka '${KAFKA.name}' (127.0.0.1:${KAFKA.basePort}) and DynamoDB Local '${DYNAMODB.name}' (:${DYNAMODB.port})`);
  const [kafka, dynamo, kcat] = await Promise.all([
    // detached only with --keep: otherwise the JVMs also go when this process dies unexpectedly.
    startLocalKafka({ ...KAFKA, heapMb: 1024, detached: opts.keep, log }),
    // 100,000 pending entries (~70 MB with their index) need more than the default 256 MB heap.
    startDynamoLocal({ ...DYNAMODB, heapMb: 1024, detached: opts.keep, log }),
    ensureKcat({ log }),
  ]);
  await provision(kafka.brokers, TOPIC_PREFIX, PARTITIONS);
  progress(`topics ${TOPIC_PREFIX}{logs,realtime,critical} ready (${PARTITIONS} partitions, Kafka ${kafka.version})`);
  let stopped = false;
  return {
    kafka,
    dynamo,
    kcat,
    topic: (tier) => topicName(TOPIC_PREFIX, tier),
    env: (extra = {}) => ({
      KAFKA_BROKERS: kafka.bootstrap,
      TOPIC_PREFIX,
      TENANT_ID: 'bench',
      LOG_LEVEL: 'error',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'edge-forwarder-bench',
      ...extra,
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (opts.keep) {
        progress(`--keep: leaving Kafka '${KAFKA.name}' and DynamoDB Local '${DYNAMODB.name}' running`);
        return;
      }
      progress('stopping Kafka and DynamoDB Local');
      await Promise.allSettled([kafka.stop(), dynamo.stop()]);
      // The broker's data (hundreds of MB of benchmark records) is of no use to the next run.
      rmSync(path.join(kafka.dir), { recursive: true, force: true });
    },
  };
}

/** Sum of the end offsets of a topic's partitions (kcat -Q with timestamp -1 = latest). */
export function endOffset(stack: BenchStack, topic: string): number {
  const args = ['-Q', '-b', stack.kafka.bootstrap];
  for (let p = 0; p < PARTITIONS; p++) args.push('-t', `${topic}:${p}:-1`);
  const out = execFileSync(stack.kcat, args, { encoding: 'utf8', timeout: 15_000 });
  let total = 0;
  for (const m of out.matchAll(/offset (-?\d+)/g)) total += Math.max(0, Number(m[1]));
  return total;
}

/**
 * End offset once the broker has appended what it was sent: acks=0 means the handler returns
 * when the bytes left the process, not when the broker wrote them. Waits (bounded) until the
 * offset reaches `expected` or stops moving.
 */
export async function settledOffset(stack: BenchStack, topic: string, expected: number): Promise<number> {
  let last = endOffset(stack, topic);
  for (let i = 0; i < 20 && last < expected; i++) {
    await sleep(150);
    const now = endOffset(stack, topic);
    if (now === last && i >= 3) break;
    last = now;
  }
  return last;
}

/** Where the measured bundles are kept: a snapshot of dist/ taken right after the build. */
export const BUNDLE_DIR = path.join(ROOT, 'bench-results', 'bundles');

/**
 * npm run build (tools/build.ts): one bundle per function under dist/, then a snapshot of them
 * in bench-results/bundles/ (inside the repo, so node_modules still resolves for the packages the
 * bundles load at run time): dist/ is shared, and a rebuild by someone else during the run must
 * not change what cold start and memory measure.
 */
export function buildBundles(): void {
  progress('building function bundles (tools/build.ts)');
  const res = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'scripts', 'build.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`tools/build.ts failed:\n${res.stdout}${res.stderr}`);
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  for (const fn of readdirSync(path.join(ROOT, 'dist'))) {
    const bundle = path.join(ROOT, 'dist', fn, 'index.js');
    if (!existsSync(bundle)) continue;
    mkdirSync(path.join(BUNDLE_DIR, fn), { recursive: true });
    copyFileSync(bundle, path.join(BUNDLE_DIR, fn, 'index.js'));
  }
}

/** The commit measured, and whether the working tree had changes on top of it. */
export function describeSource(): { commit: string; changedFiles: number } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', changedFiles: git('status', '--porcelain').split('\n').filter(Boolean).length };
}

export interface Machine {
  cpus: number;
  model: string;
  memoryGb: number;
  os: string;
  node: string;
  java: string;
  kafka: string;
  kafkajs: string;
  kcat: string;
  dynamodbLocal: string;
  loadAverageAtStart: number[];
}

export function describeMachine(stack: BenchStack): Machine {
  const cpuinfo = safe(() => readFileSync('/proc/cpuinfo', 'utf8'), '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const kcat = spawnSync(stack.kcat, ['-V'], { encoding: 'utf8' });
  return {
    cpus: os.availableParallelism(),
    model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    java: `${java.stderr ?? ''}${java.stdout ?? ''}`.split('\n')[0]?.trim() ?? 'unknown',
    kafka: stack.kafka.version,
    kafkajs: safe(() => (JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as { version: string }).version, '?'),
    kcat: /Version (\S+).*?(librdkafka \S+)/s.exec(`${kcat.stdout}${kcat.stderr}`)?.slice(1).join(', ') ?? 'unknown',
    dynamodbLocal: process.env.DYNAMODB_LOCAL_VERSION || DYNAMODB_LOCAL_DEFAULT_VERSION,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
