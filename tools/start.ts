/**
 * npm start: the product on a laptop. Starts (or reuses) a local Kafka broker and DynamoDB Local,
 * provisions the tier topics and the outbox table, runs the real Lambda handlers in-process
 * behind an API-Gateway-like HTTP server, runs the relay on a timer, simulates game servers,
 * and shows a live per-tier view. Ctrl-C, SIGINT / SIGTERM / SIGHUP, or npm going away stops what
 * it started.
 */
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { startDynamoLocal, type DynamoLocal } from './local-stack/dynamodb';
import { startLocalKafka, type LocalKafka } from './local-stack/kafka';
import { localDir } from './local-stack/proc';
import { loadConfig, requireOutbox } from '../lib/platform/config';
import { EnvReader, type Env } from '../lib/platform/env';
import { ConfigError, errorMessage } from '../lib/platform/errors';
import { ensureOutboxTable } from '../lib/adapters/outbox/ensure-table';
import { KafkaClient } from '../lib/adapters/kafka/client';
import { provisionTopics } from '../lib/domain/provision';
import { createLogger, type Logger } from '../lib/platform/telemetry';
import { openLogFile } from './local-functions/functions';
import { createLocalServer } from './local-functions/local-server';
import { startLiveView, type ViewInfo, type ViewSources } from './local-functions/live-view';
import { startTraffic } from './local-functions/traffic';
import { launcherChain, watchLaunchers } from './local-functions/launchers';
import { parseCommandLine } from './cli-args';

const USAGE = `usage: npm start [-- options]

Starts local Kafka (127.0.0.1:19092) and DynamoDB Local (127.0.0.1:18000), provisions the tier
topics and the outbox table, and serves the ingest functions on http://127.0.0.1:8080 (and a
dashboard at http://127.0.0.1:8080/).

options:
  --no-traffic     do not simulate game servers
  --servers N      simulated game servers (default 4)
  --rate N         heartbeats per second per server (default 5)
  --keep-stack     leave Kafka and DynamoDB Local running on exit (the next start reuses them)
  --help           this text

environment:
  PORT                 HTTP port (default 8080)
  RELAY_INTERVAL_MS    relay schedule (default 5000)
  LOCAL_STACK_NAME     Kafka cluster and DynamoDB Local instance name under .local/ (default dev)
  LOCAL_KAFKA_PORT     Kafka broker port (default 19092; its KRaft controller listens 1000 above)
  LOCAL_DYNAMODB_PORT  DynamoDB Local port (default 18000)
  TOPIC_PREFIX, OUTBOX_TABLE, OUTBOX_GRACE_MS, LOG_LEVEL, ROUTING_RULES, MAX_* ...
                       function settings (lib/platform/config.ts), passed to every function; KAFKA_BROKERS
                       and DYNAMODB_ENDPOINT always point at the local stack.
Function logs and EMF metrics go to .local/logs/functions.log.`;

interface Options {
  traffic: boolean;
  servers: number;
  rate: number;
  keepStack: boolean;
  port: number;
  relayIntervalMs: number;
  stack: StackLocation;
}

/** Where the local Kafka and DynamoDB Local live: another name and ports let two stacks share a machine. */
interface StackLocation {
  name: string;
  kafkaPort: number;
  dynamoPort: number;
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Bad arguments exit here (2, with the usage); bad settings in `env` throw a ConfigError. */
function parseOptions(env: Env): Options {
  const cli = parseCommandLine({
    usage: USAGE,
    options: {
      'no-traffic': { type: 'boolean', default: false },
      servers: { type: 'string', default: '4' },
      rate: { type: 'string', default: '5' },
      'keep-stack': { type: 'boolean', default: false },
    },
  });
  const e = new EnvReader(env);
  const opts: Options = {
    traffic: !cli.values['no-traffic'],
    servers: cli.integer('servers', { min: 1, max: 100 }),
    rate: cli.number('rate', { min: 0.1, max: 100 }),
    keepStack: cli.values['keep-stack'],
    port: e.int('PORT', 8080, 1, 65_535),
    relayIntervalMs: e.int('RELAY_INTERVAL_MS', 5_000, 100, 3_600_000),
    stack: {
      name: e.string('LOCAL_STACK_NAME', 'dev'),
      kafkaPort: e.int('LOCAL_KAFKA_PORT', 19_092, 1_024, 64_535),
      dynamoPort: e.int('LOCAL_DYNAMODB_PORT', 18_000, 1_024, 65_535),
    },
  };
  if (!STACK_NAME.test(opts.stack.name)) e.problems.push(`LOCAL_STACK_NAME must match ${STACK_NAME.source}`);
  if (e.problems.length) throw new ConfigError(e.problems);
  return opts;
}

/** Every function's environment: local defaults < the caller's environment < the local stack. */
function functionEnv(bootstrap: string, dynamoEndpoint: string): Env {
  return {
    TOPIC_PREFIX: 'edge.',
    OUTBOX_TABLE: 'edge-forwarder-outbox-local',
    OUTBOX_GRACE_MS: '10000',
    TENANT_ID: 'local',
    // Ingress auth on, with the committed dev-only tenants (config/tenants.local.json).
    TENANTS_SOURCE: `file:${path.join(__dirname, '..', 'config', 'tenants.local.json')}`,
    ...Object.fromEntries(Object.entries(process.env).filter(([, v]) => v?.trim())),
    KAFKA_BROKERS: bootstrap,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
  };
}

const say = (line: string) => process.stdout.write(`${line}\n`);

// The AWS SDK is pinned to versions that support Node 20 (package.json); its
// "newer versions will need Node 22" notice is noise here. Set the variable to 'false' to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

class Interrupted extends Error {}

/** Each one starts the same clean shutdown; a second one (after the first second) forces the exit. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What to undo on exit, in reverse order of start. */
const cleanups: { label?: string; run: () => unknown }[] = [];

let requestStop!: () => void;
const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
/** Startup steps give way to Ctrl-C (whatever they started is cleaned up or dies with us). */
const untilStopped = <T>(work: Promise<T>) => {
  work.catch(() => undefined); // a step abandoned on Ctrl-C may still fail later: not a crash
  return Promise.race([work, stopRequested.then((): never => { throw new Interrupted(); })]);
};

async function run(opts: Options): Promise<void> {
  const startedAt = Date.now();
  await checkPortFree(opts.port); // before minutes of JVM start-up, not after
  const logFile = openLogFile(localDir('logs', 'functions.log'));
  cleanups.push({ run: () => logFile.close() });
  const log = createLogger({ level: 'info', base: { function_name: 'npm-start' }, sink: logFile.sink });
  say('starting local Kafka and DynamoDB Local (the first run downloads their jars from Maven Central)...');
  const { kafka, dynamo } = await untilStopped(startStack(opts.stack, opts.keepStack));

  const env = functionEnv(kafka.bootstrap, dynamo.endpoint);
  const config = loadConfig(env);
  const table = requireOutbox(config).tableName;
  await untilStopped(provision(config.kafka, config.topicPrefix, log));
  const { created } = await untilStopped(ensureOutboxTable({ endpoint: dynamo.endpoint, tableName: table }));
  say(`[dynamodb] outbox table ${table}: ${created ? 'created' : 'exists'}`);

  const local = createLocalServer({
    env,
    config,
    relayIntervalMs: opts.relayIntervalMs,
    lineSink: logFile.sink,
    log,
    health: () => ({ kafka: kafka.bootstrap, dynamodb: dynamo.endpoint, outboxTable: table, topics: config.topics }),
  });
  cleanups.push(...local.cleanups);
  await listen(local.server, opts.port);
  cleanups.push({ label: `closing the HTTP server on 127.0.0.1:${opts.port}`, run: () => closeServer(local.server) });

  const traffic = opts.traffic ? startTraffic({ baseUrl: `http://127.0.0.1:${opts.port}`, servers: opts.servers, rate: opts.rate }) : undefined;
  if (traffic) cleanups.push({ label: 'stopping the traffic generator', run: () => traffic.stop() });

  const shown = path.relative(process.cwd(), logFile.file);
  const info: ViewInfo = {
    startedAt,
    port: opts.port,
    topics: config.topics,
    bootstrap: kafka.bootstrap,
    stack:
      `Kafka ${kafka.version} '${kafka.name}' ${kafka.bootstrap} (${kafka.reused ? 'already running' : 'started here'}) · ` +
      `DynamoDB Local '${dynamo.name}' ${dynamo.endpoint} (${dynamo.reused ? 'already running' : 'started here'}), table ${table}`,
    logFile: shown.startsWith('..') ? logFile.file : shown,
    relayIntervalMs: opts.relayIntervalMs,
    ...(traffic && { traffic: { servers: opts.servers, rate: opts.rate } }),
  };
  const sources: ViewSources = { metrics: local.metrics, http: local.http, ...(traffic && { traffic: traffic.stats }) };
  local.dashboard.show({ info, sources });
  const view = startLiveView({ info, sources, out: process.stdout, tty: process.stdout.isTTY === true });
  cleanups.push({ run: () => view.stop() });
}

async function startStack(stack: StackLocation, keepStack: boolean): Promise<{ kafka: LocalKafka; dynamo: DynamoLocal }> {
  // detached: the JVMs outlive this process (--keep-stack); otherwise they die with it at the latest.
  const [kafka, dynamo] = await Promise.allSettled([
    startLocalKafka({ name: stack.name, basePort: stack.kafkaPort, detached: keepStack, log: say }),
    startDynamoLocal({ name: stack.name, port: stack.dynamoPort, detached: keepStack, log: say }),
  ]);
  const nameArg = stack.name === 'dev' ? '' : ` --name ${stack.name}`;
  if (kafka.status === 'fulfilled') cleanups.push(stackCleanup(`Kafka '${kafka.value.name}' (${kafka.value.bootstrap})`, kafka.value, keepStack, `npm run kafka -- stop${nameArg}`));
  if (dynamo.status === 'fulfilled') cleanups.push(stackCleanup(`DynamoDB Local '${dynamo.value.name}' (${dynamo.value.endpoint})`, dynamo.value, keepStack, `npx tsx tools/local-stack/cli.ts dynamodb stop${nameArg}`));
  if (kafka.status === 'rejected') throw kafka.reason;
  if (dynamo.status === 'rejected') throw dynamo.reason;
  return { kafka: kafka.value, dynamo: dynamo.value };
}

function stackCleanup(what: string, c: { reused: boolean; stop(): Promise<void> }, keepStack: boolean, stopCmd: string) {
  if (!c.reused && !keepStack) return { label: `stopping ${what}, started by this process`, run: () => c.stop() };
  const why = c.reused ? 'it was already running when npm start began' : '--keep-stack';
  return { label: `leaving ${what} running (${why}); stop it with: ${stopCmd}`, run: () => undefined };
}

async function provision(kafkaConfig: ReturnType<typeof loadConfig>['kafka'], prefix: string, log: Logger): Promise<void> {
  const show = (msg: string) => say(`[topics] ${msg}`);
  const client = new KafkaClient(kafkaConfig, log);
  const admin = client.admin();
  try {
    await provisionTopics(admin, { prefix, log: { ...log, info: show, warn: show } });
  } finally {
    await admin.disconnect();
  }
}

async function checkPortFree(port: number): Promise<void> {
  const probe = createServer();
  await listen(probe, port);
  await new Promise((resolve) => probe.close(resolve));
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; pick another one, e.g. PORT=${port + 1} npm start`) : err),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), 5_000);
  await closed;
  clearTimeout(timer);
}

async function shutdown(): Promise<void> {
  for (const step of cleanups.reverse()) {
    if (step.label) say(`  ${step.label}`);
    try {
      await step.run();
    } catch (err) {
      say(`    failed: ${errorMessage(err)}`);
    }
  }
}

async function main(): Promise<number> {
  // Every settings problem at once: npm start's own and the functions' (before any JVM starts).
  const problems: string[] = [];
  const check = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const opts = check(() => parseOptions(process.env));
  check(() => requireOutbox(loadConfig(functionEnv('127.0.0.1:19092', 'http://127.0.0.1:18000'))));
  if (!opts || problems.length) {
    process.stderr.write(`npm start: ${new ConfigError(problems).message}\n(npm start -- --help for usage)\n`);
    return 1;
  }

  // Stop on whatever stops the process the user sees, npm: the signals it forwards (SIGINT,
  // SIGTERM), a terminal's SIGHUP, and its death when nothing is forwarded (`kill -HUP` or
  // `kill -9` of npm, a `sh -c` wrapper killed in between): see launchers.ts. The start script
  // is `exec node --import tsx ...` so that npm's child is this process: npm forwards signals to
  // its child only, and the `sh -c` npm runs scripts in holds SIGINT back until its own child
  // exits, so through a shell a `kill -INT <npm>` reached nobody.
  let stoppingSince = 0;
  const beginStop = (why: string) => {
    stoppingSince = Date.now();
    say(`\n${why}: shutting down (press Ctrl-C again to force)`);
    requestStop();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince === 0) return beginStop(signal);
    // A terminal's Ctrl-C reaches the whole foreground group, and npm forwards its copy a few ms
    // later: that copy is not a second Ctrl-C.
    if (Date.now() - stoppingSince < 1_000) return;
    say(`\n${signal} again: exiting now`);
    process.exit(130);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  watchLaunchers(launcherChain(), (gone) => {
    if (stoppingSince === 0) beginStop(`${gone.command} (pid ${gone.pid}), which started this, is gone`);
  });
  // Once the terminal is gone (SIGHUP) writes fail with EIO or EPIPE; the cleanup must still run.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

  let code = 0;
  try {
    await run(opts);
    await stopRequested;
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`npm start: ${err.message}\n`);
    else if (!(err instanceof Interrupted)) {
      const detail = err instanceof Error ? (process.env.DEBUG ? (err.stack ?? err.message) : err.message) : String(err);
      process.stderr.write(`npm start failed: ${detail}\n`);
    }
    code = err instanceof Interrupted ? 130 : 1;
  }
  await shutdown();
  say(code === 1 ? 'stopped (see above).' : 'stopped.');
  return code;
}

void main().then((code) => process.exit(code));
