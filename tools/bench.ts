/**
 * npm run bench: throughput, latency, critical path, cold start, memory and scaling figures of
 * the functions, each next to a baseline measured in the same run on the same broker (kcat,
 * Kafka's ProducerPerformance, bare node). Starts its own Kafka ('bench', :19600) and DynamoDB
 * Local ('bench', :18160), builds the bundles, and stops what it started. Usage: see USAGE (--help).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeBaselineFiles, runBaselines, writeBaselineFiles, type BaselineFiles, type BaselineSet } from './bench/baselines';
import { runColdStart, type ColdStartResult } from './bench/cold-start';
import { newTable, runCritical, runRelay, type CriticalResult, type RelayResult } from './bench/critical';
import { runDynamoBaseline, type DynamoBaseline } from './bench/dynamo-baseline';
import { closeFfHandlers, createFfHandlers, isMainScenario, runFireAndForget, type FfHandlers, type FfResult } from './bench/fire-and-forget';
import { runMemory, type MemoryResult } from './bench/memory';
import { buildRows, formatTable, summarizeBaselines, TARGETS } from './bench/report';
import { runScaling } from './bench/scaling';
import { buildBundles, describeMachine, describeSource, ROOT, startStack, type BenchStack, type Machine } from './bench/stack';
import { elapsedSeconds, progress } from './bench/stats';
import { throughputSvg } from './bench/svg';
import { parseCommandLine } from './cli-args';

const SECTIONS = ['throughput', 'scaling', 'critical', 'relay', 'cold-start', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  quick: boolean;
  keep: boolean;
  relayBacklog: number;
  only: Set<Section>;
}

const DEFAULT_RELAY_BACKLOG = 20_000;
const QUICK_RELAY_BACKLOG = 3_000;

const USAGE = `usage: npm run bench [-- options]

  (no options)             full run (under ten minutes)
  --quick                  short runs, smaller backlog (${QUICK_RELAY_BACKLOG.toLocaleString('en-US')}): for development
  --relay-backlog N        relay drain backlog (default ${DEFAULT_RELAY_BACKLOG.toLocaleString('en-US')})
  --only S1,S2             sections, of: ${SECTIONS.join(' ')}
  --keep                   leave Kafka and DynamoDB Local running afterwards
  --help                   this text

Progress goes to stderr; the table to stdout; bench-results/results.json (everything, machine
readable), bench-results/throughput.svg (chart) and bench-results/table.txt are written.`;

function parseBenchArgs(): Args {
  const cli = parseCommandLine({
    usage: USAGE,
    options: {
      quick: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'relay-backlog': { type: 'string' },
      only: { type: 'string' },
    },
  });
  const { quick, keep } = cli.values;
  const isSection = (name: string): name is Section => (SECTIONS as readonly string[]).includes(name);
  const sections = (list: string) => {
    const picked = list.split(',').map((s) => s.trim()).filter(Boolean);
    return picked.length && picked.every(isSection) ? picked : undefined;
  };
  return {
    quick,
    keep,
    relayBacklog: cli.integer('relay-backlog', { min: 1 }) ?? (quick ? QUICK_RELAY_BACKLOG : DEFAULT_RELAY_BACKLOG),
    only: new Set(cli.convert('only', sections, `a comma-separated list of sections out of ${SECTIONS.join(', ')}`) ?? SECTIONS),
  };
}

interface Results {
  schema: 1;
  startedAt: string;
  durationSeconds: number;
  args: { quick: boolean; relayBacklog: number; sections: Section[] };
  machine?: Machine;
  /** The code measured: HEAD plus however many uncommitted changes were in the working tree. */
  source: ReturnType<typeof describeSource>;
  loadAverageAtEnd: number[];
  targets: typeof TARGETS;
  baselines: { records: number; runs: BaselineSet[]; summary: ReturnType<typeof summarizeBaselines> };
  fireAndForget: FfResult[];
  scaling: FfResult[];
  dynamoBaseline?: DynamoBaseline;
  critical: CriticalResult[];
  relay?: RelayResult;
  coldStart: ColdStartResult[];
  memory: MemoryResult[];
  table: ReturnType<typeof buildRows>;
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // as npm test does
  const on = (s: Section) => args.only.has(s);
  const startedAt = new Date();
  const outDir = path.join(ROOT, 'bench-results');
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'edge-forwarder-bench-events-'));
  const baselineRecords = args.quick ? 100_000 : 200_000;
  const results: Results = {
    schema: 1,
    startedAt: startedAt.toISOString(),
    durationSeconds: 0,
    args: { quick: args.quick, relayBacklog: args.relayBacklog, sections: [...args.only] },
    source: describeSource(),
    loadAverageAtEnd: [],
    targets: TARGETS,
    baselines: { records: baselineRecords, runs: [], summary: undefined },
    fireAndForget: [],
    scaling: [],
    critical: [],
    coldStart: [],
    memory: [],
    table: [],
  };
  progress(`edge-forwarder bench${args.quick ? ' (--quick)' : ''}: ${[...args.only].join(', ')}`);

  let stack: BenchStack | undefined;
  let handlers: FfHandlers | undefined;
  let files: BaselineFiles | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      if (handlers) await closeFfHandlers(handlers).catch(() => undefined);
      if (files) removeBaselineFiles(files);
      rmSync(tmpDir, { recursive: true, force: true });
      await stack?.stop();
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    progress(`${signal}: stopping what the bench started`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    stack = await startStack({ keep: args.keep });
    results.machine = describeMachine(stack);
    if (on('cold-start') || on('memory')) buildBundles();

    if (on('throughput')) {
      files = writeBaselineFiles(baselineRecords);
      progress(`baselines (run 1 of ${args.quick ? 1 : 2}): kcat and ProducerPerformance, ${baselineRecords.toLocaleString('en-US')} records each`);
      results.baselines.runs.push(await runBaselines(stack, files));
    }
    if (on('throughput') || on('scaling')) handlers = createFfHandlers(stack);
    if (on('throughput')) {
      progress('fire-and-forget throughput + latency through ingestHandler');
      results.fireAndForget = await runFireAndForget(stack, handlers!, args);
    }
    if (on('scaling')) {
      progress('scaling: record size × batch size (heartbeats, plain)');
      results.scaling = await runScaling(stack, handlers!, args);
    }
    if (handlers) await closeFfHandlers(handlers);
    handlers = undefined;
    if (interrupted) return;
    if (on('throughput') && !args.quick) {
      progress('baselines (run 2 of 2, after ours: drift shows as a spread between the runs)');
      results.baselines.runs.push(await runBaselines(stack, files!));
    }
    results.baselines.summary = summarizeBaselines(results.baselines.runs);

    let criticalTable: string | undefined;
    if (on('critical') || on('cold-start')) criticalTable = await newTable(stack, 'critical');
    if (on('critical') || on('relay')) {
      progress('DynamoDB Local baseline: raw PutItem / claim UpdateItem / BatchWriteItem rates');
      const table = await newTable(stack, 'raw');
      results.dynamoBaseline = await runDynamoBaseline({ endpoint: stack.dynamo.endpoint, tableName: table, topic: stack.topic('critical'), quick: args.quick });
    }
    if (on('critical')) {
      progress('critical path: criticalHandler with DynamoDB Local, acks=all');
      results.critical = await runCritical(stack, { quick: args.quick, table: criticalTable! });
    }
    if (on('relay')) {
      progress(`relay drain: ${args.relayBacklog.toLocaleString('en-US')} pending entries`);
      results.relay = await runRelay(stack, { backlog: args.relayBacklog });
    }
    // What every function's config asks for, local flavour, so each bundle at least loads (the
    // ones only measured for size and module load too: in-memory dedupe, a tenants file path).
    const tenantsFile = path.join(__dirname, '..', 'config', 'tenants.local.json');
    const bundleEnv = stack.env({
      OUTBOX_TABLE: criticalTable ?? 'bench-unused',
      DYNAMODB_ENDPOINT: stack.dynamo.endpoint,
      DEDUPE_STORE: 'memory',
      TENANTS_SOURCE: `file:${tenantsFile}`,
    });
    if (on('cold-start')) {
      progress('cold start: bundle size, module load (fresh processes), first invocation');
      results.coldStart = await runColdStart({ env: bundleEnv, quick: args.quick, tmpDir });
    }
    if (on('memory')) {
      progress('memory: peak RSS of a fresh process for a 6 MB payload');
      results.memory = await runMemory({ env: bundleEnv, tmpDir });
    }

    results.table = buildRows({
      baselineRuns: results.baselines.runs,
      baselineRecords,
      fireAndForget: results.fireAndForget,
      ...(results.dynamoBaseline && { dynamoBaseline: results.dynamoBaseline }),
      critical: results.critical,
      ...(results.relay && { relay: results.relay }),
      coldStart: results.coldStart,
      memory: results.memory,
      scaling: results.scaling,
    });
    results.durationSeconds = Math.round(elapsedSeconds());
    results.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const m = results.machine;
    const header =
      `edge-forwarder bench ${results.startedAt}${args.quick ? ' (--quick)' : ''} · ${m.cpus} × ${m.model}, ${m.memoryGb} GB · ` +
      `Node ${m.node} · Kafka ${m.kafka} (1 broker) · kafkajs ${m.kafkajs} · kcat ${m.kcat} · load avg ${m.loadAverageAtStart[0]} → ${results.loadAverageAtEnd[0]} · ` +
      `code ${results.source.commit}${results.source.changedFiles ? ` + ${results.source.changedFiles} uncommitted changes` : ''}`;
    const table = `${header}\n\n${formatTable(results.table)}\n`;

    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'table.txt'), table);
    writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (results.fireAndForget.length) writeFileSync(path.join(outDir, 'throughput.svg'), chart(results));
    process.stdout.write(`\n${table}\n`);
    progress(`done in ${results.durationSeconds} s; wrote bench-results/results.json, throughput.svg, table.txt`);
  } finally {
    await cleanup();
  }
}

function chart(results: Results): string {
  const s = results.baselines.summary;
  const blue = '#1f6feb';
  const orange = '#d9480f';
  const m = results.machine!;
  return throughputSvg({
    series: [
      { label: 'ours · heartbeats (plain)', color: blue, points: results.fireAndForget.filter((r) => r.kind === 'heartbeat' && isMainScenario(r)) },
      { label: 'ours · logs (gzip)', color: orange, points: results.fireAndForget.filter((r) => r.kind === 'log' && isMainScenario(r)) },
    ],
    baselines: s
      ? [
          { label: 'kcat, no compr.', recordsPerSec: s.kcatPlain.recordsPerSec, color: blue, dash: '8 5' },
          { label: 'kcat, gzip', recordsPerSec: s.kcatGzip.recordsPerSec, color: orange, dash: '8 5' },
          { label: 'ProducerPerf, no compr.', recordsPerSec: s.perfPlain.recordsPerSec, color: blue, dash: '2 4' },
          { label: 'ProducerPerf, gzip', recordsPerSec: s.perfGzip.recordsPerSec, color: orange, dash: '2 4' },
        ]
      : [],
    subtitle: `${results.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.cpus} × ${m.model} · Node ${m.node} · Kafka ${m.kafka}, 1 local broker`,
  });
}

/** Set on SIGINT / SIGTERM: what fails afterwards is the interruption, not a finding. */
let interrupted = false;

main().catch((err) => {
  if (interrupted) return; // the signal handler exits once everything is stopped
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
