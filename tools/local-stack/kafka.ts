/**
 * A real Apache Kafka broker (KRaft, combined broker+controller nodes) on 127.0.0.1, started
 * from jars resolved out of Maven Central (see kafka-pom.xml). 1 node for most tests, 3 nodes
 * for replication / min.insync / broker-failure tests.
 *
 *   const kafka = await startLocalKafka({ name: 'test', nodes: 3 });
 *   kafka.brokers;              // ['127.0.0.1:19092', '127.0.0.1:19093', '127.0.0.1:19094']
 *   await kafka.killBroker(2);  // SIGKILL node.id 3 (index 2)
 *   await kafka.startBroker(2);
 *   await kafka.pauseBroker(1); // SIGSTOP: a stall, the port stays open but nothing answers
 *   await kafka.resumeBroker(1);
 *   await kafka.electLeaders(); // preferred leader election (kafka-leader-election)
 *   await kafka.stop();
 *
 * Broker indexes are 0-based (`brokers[i]`); the Kafka node.id of index i is i + 1.
 * State lives in `<repo>/.local/kafka/<name>/` (config, data, server.log, pid files).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { electLeaders, type ElectionResult, type ElectLeadersOptions, topicPartitions } from './kafka-admin';
import { brokerProperties, type BrokerConfigValue } from './kafka-config';
import {
  isLog4j2,
  KAFKA_PURPOSE,
  kafkaClasspath,
  kafkaVersion,
  logConfig,
  logConfigArg,
  writeIfChanged,
} from './kafka-jars';
import { type JavaInfo, requireJava, runJava, spawnJvm } from './jvm';
import { fetchMetadata, type PartitionMetadata } from './kafka-wire';
import {
  assertPortsFree,
  defaultLog,
  forgetPid,
  indent,
  isStopped,
  kill,
  livePid,
  processOfPidFileAlive,
  localDir,
  type Log,
  pauseProcess,
  removeFile,
  resumeProcess,
  sleep,
  tailFile,
  terminate,
  waitForPortClosed,
  withLock,
} from './proc';

export { KAFKA_DEFAULT_VERSION, kafkaClasspath, kafkaVersion, runKafkaTool } from './kafka-jars';
export { electLeaders, topicPartitions } from './kafka-admin';
export type { ElectionResult, ElectionType, ElectLeadersOptions } from './kafka-admin';
export type { BrokerConfigValue } from './kafka-config';
export type { PartitionMetadata } from './kafka-wire';

export const KAFKA_DEFAULT_BASE_PORT = 19092;
/**
 * Default controller listener of index i: basePort + CONTROLLER_PORT_OFFSET + i (clusters
 * formatted before this default changed keep their recorded controller ports).
 */
export const CONTROLLER_PORT_OFFSET = 1000;
const LEGACY_CONTROLLER_PORT_OFFSET = 100;

const TAG = '[kafka]';

export interface LocalKafkaOptions {
  /** Cluster name, i.e. the directory `.local/kafka/<name>`. Default 'dev'. */
  name?: string;
  /** 1 (default) or 3 combined broker+controller nodes. */
  nodes?: 1 | 3;
  /** Broker port of node index 0; index i listens on basePort + i. Default 19092. */
  basePort?: number;
  /** KRaft controller port of node index 0 (index i: + i). Default basePort + 1000. */
  controllerBasePort?: number;
  /** JVM heap per node. Default 512. */
  heapMb?: number;
  /** Kafka version. Default: env KAFKA_VERSION, else 3.9.1. */
  version?: string;
  /** Extra JVM options per node, e.g. ['-XX:+UseG1GC'] (replaces the default -XX:+UseSerialGC). */
  jvmArgs?: string[];
  /** Extra / overriding server.properties entries (same for every node). */
  brokerConfig?: Record<string, BrokerConfigValue>;
  /**
   * false (default): the JVMs get SIGTERM when this node process exits, in case stop() is never
   * called. true: they keep running in the background until `stop` (used by the CLI).
   */
  detached?: boolean;
  /** How long to wait for the cluster to answer. Default 120 s. */
  timeoutMs?: number;
  /** Progress lines. Default: stderr. */
  log?: Log;
}

export interface LocalKafka {
  name: string;
  /** 'host:port' per node, index i = node.id i + 1. */
  brokers: string[];
  /** brokers.join(','), for kcat -b / bootstrap.servers. */
  bootstrap: string;
  nodes: number;
  /** node.id of each index: [1] or [1, 2, 3]. */
  nodeIds: number[];
  version: string;
  clusterId: string;
  /** `.local/kafka/<name>` */
  dir: string;
  /** True when an already running cluster was picked up instead of starting a new one. */
  reused: boolean;
  /** server.log of node index i (broker stdout/stderr). */
  logFile(i: number): string;
  /** Clean shutdown (SIGTERM, wait) of all nodes, paused ones included. */
  stop(): Promise<void>;
  /** Clean shutdown of one node (paused or not); resolves when its process is gone and its port closed. */
  stopBroker(i: number): Promise<void>;
  /** SIGKILL one node (paused or not); resolves when its process is gone and its port closed. */
  killBroker(i: number): Promise<void>;
  /** (Re)start a stopped/killed node with the same data dir; resolves when it serves metadata. */
  startBroker(i: number): Promise<void>;
  /**
   * SIGSTOP node i's JVM: a stall (long GC pause, frozen VM). Its ports stay open and the kernel
   * still accepts connections into the backlog, but no request is answered and it sends no
   * heartbeats (in a 3-node cluster the controller fences it after broker.session.timeout.ms,
   * 6 s). Resolves once the process is stopped. Throws when the node is not running.
   */
  pauseBroker(i: number): Promise<void>;
  /**
   * SIGCONT a paused node; resolves when it answers a Metadata request listing itself again. That
   * is "serving requests", not "back in the ISR": a fenced node of 3 answers from its own (stale)
   * metadata at once; wait on topicPartitions(...).isr for that.
   */
  resumeBroker(i: number): Promise<void>;
  /** Node i's process exists and is SIGSTOPped. */
  isPaused(i: number): boolean;
  /** Process alive and answering a Metadata request that lists itself (false after 1.5 s of silence). */
  isUp(i: number): Promise<boolean>;
  /**
   * Leader election with Kafka's kafka-leader-election tool; default: preferred, every partition.
   * "Already the preferred leader" is success. Throws with the tool's output otherwise.
   */
  electLeaders(opts?: Omit<ElectLeadersOptions, 'version'>): Promise<ElectionResult>;
  /** Leader, replicas (replicas[0] = preferred) and ISR per partition, from the first node that answers. */
  topicPartitions(topic: string): Promise<PartitionMetadata[]>;
}

interface ClusterState {
  version: string;
  nodes: number;
  basePort: number;
  /** Missing in clusters formatted when controllers were at basePort + 100. */
  controllerBasePort?: number;
  clusterId: string;
  brokerConfig: Record<string, BrokerConfigValue>;
}

const controllerBaseOf = (st: ClusterState) => st.controllerBasePort ?? st.basePort + LEGACY_CONTROLLER_PORT_OFFSET;

interface Resolved {
  name: string;
  dir: string;
  nodes: number;
  basePort: number;
  controllerBasePort: number;
  heapMb: number;
  version: string;
  brokerConfig: Record<string, BrokerConfigValue>;
  jvmArgs: string[];
  detached: boolean;
  timeoutMs: number;
  log: Log;
}

export function kafkaClusterDir(name = 'dev'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`invalid Kafka cluster name '${name}'`);
  return localDir('kafka', name);
}

// ---------------------------------------------------------------------------------------------
// cluster

class Cluster implements LocalKafka {
  readonly name: string;
  readonly brokers: string[];
  readonly bootstrap: string;
  readonly nodes: number;
  readonly nodeIds: number[];
  readonly version: string;
  readonly dir: string;

  constructor(
    private readonly cfg: Resolved,
    readonly clusterId: string,
    public reused: boolean,
    private readonly classpath: string,
    private readonly java: JavaInfo,
  ) {
    this.name = cfg.name;
    this.nodes = cfg.nodes;
    this.nodeIds = range(cfg.nodes).map((i) => i + 1);
    this.brokers = range(cfg.nodes).map((i) => `127.0.0.1:${this.port(i)}`);
    this.bootstrap = this.brokers.join(',');
    this.version = cfg.version;
    this.dir = cfg.dir;
  }

  port(i: number): number {
    return this.cfg.basePort + i;
  }

  controllerPort(i: number): number {
    return this.cfg.controllerBasePort + i;
  }

  nodeDir(i: number): string {
    return path.join(this.dir, `node-${i + 1}`);
  }

  logFile(i: number): string {
    this.check(i);
    return path.join(this.nodeDir(i), 'server.log');
  }

  pid(i: number): number | undefined {
    return livePid(path.join(this.nodeDir(i), 'kafka.pid'), nodeMarker(this.name, i));
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.nodes) {
      throw new RangeError(`broker index must be 0..${this.nodes - 1} (node.id = index + 1), got ${i}`);
    }
  }

  /** server.properties of index i. */
  serverProperties(i: number): string {
    return brokerProperties({
      nodes: this.nodes,
      index: i,
      brokerPort: (j) => this.port(j),
      controllerPort: (j) => this.controllerPort(j),
      dataDir: path.join(this.nodeDir(i), 'data'),
      overrides: this.cfg.brokerConfig,
    });
  }

  writeConfig(i: number): void {
    fs.mkdirSync(path.join(this.nodeDir(i), 'data'), { recursive: true });
    writeIfChanged(path.join(this.nodeDir(i), 'server.properties'), this.serverProperties(i));
    writeIfChanged(
      this.logConfigFile(i),
      logConfig(this.version, 'INFO', ['kafka.request.logger', 'state.change.logger', 'org.apache.zookeeper']),
    );
  }

  private logConfigFile(i: number): string {
    return path.join(this.nodeDir(i), isLog4j2(this.version) ? 'log4j2.properties' : 'log4j.properties');
  }

  isFormatted(i: number): boolean {
    return fs.existsSync(path.join(this.nodeDir(i), 'data', 'meta.properties'));
  }

  async format(i: number): Promise<void> {
    const res = await runJava(this.java, [
      logConfigArg(this.version, this.logConfigFile(i)),
      '-cp',
      this.classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      this.clusterId,
      '-c',
      path.join(this.nodeDir(i), 'server.properties'),
      '--ignore-formatted',
    ]);
    if (res.code !== 0) {
      throw new Error(`${TAG} formatting the storage of node ${i + 1} failed:\n${indent(`${res.stdout}${res.stderr}`.trim())}`);
    }
  }

  /** Spawn node i (config must exist). */
  spawn(i: number): number {
    const heap = this.cfg.heapMb;
    return spawnJvm({
      marker: nodeMarker(this.name, i),
      java: this.java,
      classpath: this.classpath,
      mainClass: 'kafka.Kafka',
      args: [path.join(this.nodeDir(i), 'server.properties')],
      jvmArgs: [
        `-Xms${Math.min(heap, 256)}m`,
        `-Xmx${heap}m`,
        ...(this.cfg.jvmArgs.some((a) => /^-XX:\+Use\w+GC$/.test(a)) ? [] : ['-XX:+UseSerialGC']),
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${this.nodeDir(i)}`,
        logConfigArg(this.version, this.logConfigFile(i)),
        ...this.cfg.jvmArgs,
      ],
      cwd: this.nodeDir(i),
      logFile: path.join(this.nodeDir(i), 'server.log'),
      pidFile: path.join(this.nodeDir(i), 'kafka.pid'),
      detached: this.cfg.detached,
    });
  }

  /** Wait until node i answers Metadata listing itself (and `all` brokers if asked). */
  async waitReady(i: number, all: boolean, timeoutMs = this.cfg.timeoutMs): Promise<void> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      const pid = this.pid(i);
      if (pid === undefined && Date.now() < started + 5_000 && processOfPidFileAlive(path.join(this.nodeDir(i), 'kafka.pid'))) {
        // Forked but not yet exec'd into java: its command line does not carry the marker yet.
        await sleep(50);
        continue;
      }
      if (pid === undefined) {
        throw new Error(
          `${TAG} Kafka node ${i + 1} of cluster '${this.name}' exited during start-up. ` +
            `Broker log: ${this.logFile(i)}\n${indent(tailFile(this.logFile(i), 30))}`,
        );
      }
      // it would never answer; e.g. a cluster reused while a test had a node paused
      if (isStopped(pid)) throw new Error(`${TAG} Kafka node ${i + 1} of cluster '${this.name}' is paused (SIGSTOP); resumeBroker(${i}) first`);
      try {
        const md = await fetchMetadata('127.0.0.1', this.port(i), 2000);
        const ids = md.brokers.map((b) => b.nodeId);
        if (ids.includes(i + 1) && (!all || ids.length >= this.nodes)) return;
        last = `metadata lists brokers [${ids.join(', ')}]`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${TAG} Kafka node ${i + 1} of cluster '${this.name}' (127.0.0.1:${this.port(i)}) did not become ready ` +
            `within ${Math.round(timeoutMs / 1000)}s (${last}). Broker log: ${this.logFile(i)}\n` +
            indent(tailFile(this.logFile(i), 30)),
        );
      }
      await sleep(250);
    }
  }

  async isUp(i: number): Promise<boolean> {
    this.check(i);
    if (this.pid(i) === undefined) return false;
    try {
      const md = await fetchMetadata('127.0.0.1', this.port(i), 1500);
      return md.brokers.some((b) => b.nodeId === i + 1);
    } catch {
      return false;
    }
  }

  async startBroker(i: number): Promise<void> {
    this.check(i);
    if (this.isPaused(i)) throw new Error(`${TAG} Kafka node ${i + 1} of cluster '${this.name}' is paused; resumeBroker(${i}) resumes it`);
    if (this.pid(i) === undefined) {
      await assertPortsFree([this.port(i), this.controllerPort(i)], `Kafka node ${i + 1}`);
      this.writeConfig(i);
      this.spawn(i);
    }
    await this.waitReady(i, false);
  }

  async stopBroker(i: number): Promise<void> {
    this.check(i);
    await this.stopNode(i, 'SIGTERM');
  }

  async killBroker(i: number): Promise<void> {
    this.check(i);
    await this.stopNode(i, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await stopNodes(this.name, this.cfg.log);
  }

  async pauseBroker(i: number): Promise<void> {
    this.check(i);
    const pid = this.pid(i);
    if (pid === undefined) throw new Error(`${TAG} cannot pause Kafka node ${i + 1} of cluster '${this.name}': it is not running`);
    await pauseProcess(pid);
  }

  async resumeBroker(i: number): Promise<void> {
    this.check(i);
    const pid = this.pid(i);
    if (pid === undefined) throw new Error(`${TAG} cannot resume Kafka node ${i + 1} of cluster '${this.name}': it is not running`);
    resumeProcess(pid);
    await this.waitReady(i, false);
  }

  isPaused(i: number): boolean {
    this.check(i);
    const pid = this.pid(i);
    return pid !== undefined && isStopped(pid);
  }

  electLeaders(opts: Omit<ElectLeadersOptions, 'version'> = {}): Promise<ElectionResult> {
    return electLeaders(this.bootstrap, { ...opts, version: this.version });
  }

  topicPartitions(topic: string): Promise<PartitionMetadata[]> {
    return topicPartitions(this.bootstrap, topic);
  }

  private async stopNode(i: number, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const pid = this.pid(i);
    if (pid !== undefined) {
      if (how === 'SIGKILL') await kill(pid);
      else await terminate(pid, shutdownGraceMs(this.nodes, livingNodes(this.name).length));
      forgetPid(pid);
    }
    removeFile(path.join(this.nodeDir(i), 'kafka.pid'));
    await waitForPortClosed(this.port(i), 10_000);
  }
}

function nodeMarker(name: string, i: number): string {
  return `kafka:${name}:${i + 1}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function readState(dir: string): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function sameLayout(state: ClusterState, cfg: Resolved): boolean {
  return (
    state.version === cfg.version &&
    state.nodes === cfg.nodes &&
    state.basePort === cfg.basePort &&
    (cfg.controllerBasePort === 0 || controllerBaseOf(state) === cfg.controllerBasePort) &&
    JSON.stringify(state.brokerConfig ?? {}) === JSON.stringify(cfg.brokerConfig)
  );
}

function describe(state: ClusterState): string {
  return `${state.nodes} node(s), Kafka ${state.version}, port ${state.basePort}`;
}

/** Kafka-style random cluster id: 16 random bytes, base64url without padding. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Start (or pick up, when already running) the local cluster `opts.name`.
 * Resolves when every node answers a Metadata request listing all nodes.
 */
export async function startLocalKafka(opts: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const name = opts.name ?? 'dev';
  const log = opts.log ?? defaultLog;
  // one starter at a time per cluster name (parallel test files); later ones pick it up
  return withLock(
    localDir('kafka', `.${name}.lock`),
    () => start(name, opts),
    (owner) => log(`${TAG} process ${owner} is starting cluster '${name}'; waiting for it...`),
  );
}

async function start(name: string, opts: LocalKafkaOptions): Promise<LocalKafka> {
  const started = Date.now();
  const cfg: Resolved = {
    name,
    dir: kafkaClusterDir(name),
    nodes: opts.nodes ?? 1,
    basePort: opts.basePort ?? KAFKA_DEFAULT_BASE_PORT,
    controllerBasePort: 0,
    heapMb: opts.heapMb ?? 512,
    version: kafkaVersion(opts.version),
    brokerConfig: opts.brokerConfig ?? {},
    jvmArgs: opts.jvmArgs ?? [],
    detached: opts.detached ?? false,
    timeoutMs: opts.timeoutMs ?? 120_000,
    log: opts.log ?? defaultLog,
  };
  if (cfg.nodes !== 1 && cfg.nodes !== 3) throw new Error(`nodes must be 1 or 3, got ${cfg.nodes}`);
  const { log } = cfg;
  const state = readState(cfg.dir);
  // an existing cluster keeps its controller ports (they are in its quorum config) unless asked otherwise
  cfg.controllerBasePort =
    opts.controllerBasePort ??
    (state && sameLayout(state, cfg) ? controllerBaseOf(state) : cfg.basePort + CONTROLLER_PORT_OFFSET);
  const live = range(cfg.nodes).map((i) => livePid(path.join(cfg.dir, `node-${i + 1}`, 'kafka.pid'), nodeMarker(name, i)));
  const anyLive = live.some((p) => p !== undefined) || runningNodeCount(name) > 0;

  if (anyLive && (!state || !sameLayout(state, cfg))) {
    throw new Error(
      `${TAG} Kafka cluster '${name}' is already running with a different layout ` +
        `(${state ? describe(state) : 'unknown'}; wanted ${cfg.nodes} node(s), Kafka ${cfg.version}, port ${cfg.basePort}` +
        `${Object.keys(cfg.brokerConfig).length ? ', custom brokerConfig' : ''}). ` +
        `Stop it first: npx tsx tools/local-stack/cli.ts kafka stop --name ${name}`,
    );
  }

  const java = requireJava(KAFKA_PURPOSE);
  const classpath = await kafkaClasspath({ version: cfg.version, log });

  if (anyLive && state) {
    const cluster = new Cluster(cfg, state.clusterId, true, classpath, java);
    try {
      for (const i of range(cfg.nodes)) if (live[i] === undefined) await cluster.startBroker(i);
      await Promise.all(range(cfg.nodes).map((i) => cluster.waitReady(i, true)));
      log(`${TAG} reusing running cluster '${name}' (${cluster.bootstrap})`);
      return cluster;
    } catch (err) {
      // it was shutting down (e.g. its owner process just exited): start a fresh one below
      if (runningNodeCount(name) > 0) throw err;
      log(`${TAG} the running cluster '${name}' went away; starting it again`);
    }
  }

  const cluster = new Cluster(cfg, state && sameLayout(state, cfg) ? state.clusterId : newClusterId(), false, classpath, java);
  for (const other of otherRunningClusters(name)) {
    const ports = range(other.nodes).flatMap((i) => [other.basePort + i, controllerBaseOf(other) + i]);
    const clash = range(cfg.nodes).some((i) => ports.includes(cluster.port(i)) || ports.includes(cluster.controllerPort(i)));
    if (clash) {
      throw new Error(
        `${TAG} cannot start '${name}' on port ${cfg.basePort}: local Kafka cluster '${other.name}' is running on ` +
          `${other.basePort}. Reuse it (name: '${other.name}'), pick another basePort, or stop it: ` +
          `npx tsx tools/local-stack/cli.ts kafka stop --name ${other.name}`,
      );
    }
  }
  await assertPortsFree(
    range(cfg.nodes).flatMap((i) => [cluster.port(i), cluster.controllerPort(i)]),
    `Kafka cluster '${name}'`,
  );
  const fresh = !state || !sameLayout(state, cfg) || range(cfg.nodes).some((i) => !cluster.isFormatted(i));
  if (fresh) {
    fs.rmSync(cfg.dir, { recursive: true, force: true });
    fs.mkdirSync(cfg.dir, { recursive: true });
  }
  for (const i of range(cfg.nodes)) cluster.writeConfig(i);
  if (fresh) {
    log(`${TAG} formatting KRaft storage of '${name}' (${cfg.nodes} node(s), cluster id ${cluster.clusterId})`);
    await Promise.all(range(cfg.nodes).map((i) => cluster.format(i)));
    const st: ClusterState = {
      version: cfg.version,
      nodes: cfg.nodes,
      basePort: cfg.basePort,
      controllerBasePort: cfg.controllerBasePort,
      clusterId: cluster.clusterId,
      brokerConfig: cfg.brokerConfig,
    };
    fs.writeFileSync(path.join(cfg.dir, 'cluster.json'), `${JSON.stringify(st, null, 2)}\n`);
  }
  log(`${TAG} starting Kafka ${cfg.version} '${name}' on ${cluster.bootstrap} (logs: ${cfg.dir}/node-*/server.log)`);
  try {
    for (const i of range(cfg.nodes)) cluster.spawn(i);
    await Promise.all(range(cfg.nodes).map((i) => cluster.waitReady(i, true)));
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  log(`${TAG} '${name}' ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${cluster.bootstrap}`);
  return cluster;
}

/** Layout of every other cluster under .local/kafka that has a live node. */
function otherRunningClusters(name: string): (ClusterState & { name: string })[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(localDir('kafka')).filter((n) => n !== name);
  } catch {
    return [];
  }
  const out: (ClusterState & { name: string })[] = [];
  for (const n of names) {
    const state = readState(path.join(localDir('kafka'), n));
    if (state && livingNodes(n).length > 0) out.push({ ...state, name: n });
  }
  return out;
}

/** Node directories with a live process, whatever the recorded layout. */
function runningNodeCount(name: string): number {
  return livingNodes(name).length;
}

function livingNodes(name: string): { index: number; pid: number }[] {
  const dir = kafkaClusterDir(name);
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir).filter((e) => /^node-\d+$/.test(e));
  } catch {
    return [];
  }
  const out: { index: number; pid: number }[] = [];
  for (const e of entries) {
    const index = Number(e.slice(5)) - 1;
    const pid = livePid(path.join(dir, e, 'kafka.pid'), nodeMarker(name, index));
    if (pid !== undefined) out.push({ index, pid });
  }
  return out;
}

/**
 * How long a SIGTERMed node may take before SIGKILL. A node that has lost its controller quorum
 * (e.g. the last survivor of 3) cannot finish a controlled shutdown and would hang: 5 s then.
 */
function shutdownGraceMs(nodes: number, living: number): number {
  return nodes > 1 && living < Math.floor(nodes / 2) + 1 ? 5_000 : 30_000;
}

/** Stop every node of cluster `name`: SIGTERM to all at once (they go down together). */
async function stopNodes(name: string, log: Log): Promise<number> {
  const dir = kafkaClusterDir(name);
  const living = livingNodes(name);
  const grace = shutdownGraceMs(readState(dir)?.nodes ?? 1, living.length);
  const results = await Promise.all(
    living.map(async ({ index, pid }) => {
      const how = await terminate(pid, grace);
      forgetPid(pid);
      return { index, how };
    }),
  );
  for (const { index, how } of results) {
    removeFile(path.join(dir, `node-${index + 1}`, 'kafka.pid'));
    if (how === 'killed') log(`${TAG} node ${index + 1} of '${name}' did not stop within ${grace / 1000}s and was killed`);
  }
  const state = readState(dir);
  if (state) {
    await Promise.all(range(state.nodes).map((i) => waitForPortClosed(state.basePort + i, 10_000)));
  }
  return living.length;
}

/** Stop a cluster started earlier (found through its pid files), e.g. by the CLI. */
export async function stopLocalKafka(opts: { name?: string; log?: Log } = {}): Promise<number> {
  const name = opts.name ?? 'dev';
  return stopNodes(name, opts.log ?? defaultLog);
}

export interface LocalKafkaStatus {
  name: string;
  dir: string;
  version?: string;
  clusterId?: string;
  nodes: { nodeId: number; broker: string; pid?: number; up: boolean; logFile: string }[];
}

/** What is recorded / running for cluster `name` (or every cluster under .local/kafka). */
export async function localKafkaStatus(opts: { name?: string } = {}): Promise<LocalKafkaStatus[]> {
  let names: string[];
  if (opts.name) names = [opts.name];
  else {
    try {
      names = fs.readdirSync(localDir('kafka')).filter((n) => fs.existsSync(path.join(localDir('kafka'), n, 'cluster.json')));
    } catch {
      names = [];
    }
  }
  const out: LocalKafkaStatus[] = [];
  for (const name of names) {
    const dir = kafkaClusterDir(name);
    const state = readState(dir);
    const nodes: LocalKafkaStatus['nodes'] = [];
    for (const i of range(state?.nodes ?? 0)) {
      const port = (state?.basePort ?? KAFKA_DEFAULT_BASE_PORT) + i;
      const pid = livePid(path.join(dir, `node-${i + 1}`, 'kafka.pid'), nodeMarker(name, i));
      let up = false;
      if (pid !== undefined) {
        try {
          up = (await fetchMetadata('127.0.0.1', port, 1500)).brokers.some((b) => b.nodeId === i + 1);
        } catch {
          up = false;
        }
      }
      nodes.push({ nodeId: i + 1, broker: `127.0.0.1:${port}`, pid, up, logFile: path.join(dir, `node-${i + 1}`, 'server.log') });
    }
    out.push({ name, dir, version: state?.version, clusterId: state?.clusterId, nodes });
  }
  return out;
}
