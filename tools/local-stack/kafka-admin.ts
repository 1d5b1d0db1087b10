/**
 * Admin operations fault tests need on a local cluster, done the way an operator would:
 *  - electLeaders: Kafka's own kafka-leader-election tool (LeaderElectionCommand),
 *  - topicPartitions: who leads / replicates / is in sync for each partition of a topic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runKafkaTool } from './kafka-jars';
import { fetchMetadata, type PartitionMetadata } from './kafka-wire';
import { indent, localDir } from './proc';

const TAG = '[kafka]';

/**
 * The tool moved from core (Scala) to kafka-tools in 3.6 (KAFKA-14595); 3.9.x and 4.x have only
 * the first one. Tried in this order, so the version needs no table.
 */
const ELECTION_MAIN_CLASSES = ['org.apache.kafka.tools.LeaderElectionCommand', 'kafka.admin.LeaderElectionCommand'];

const TOOL_JVM_ARGS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

export type ElectionType = 'preferred' | 'unclean';

export interface ElectLeadersOptions {
  /** Only this topic (every partition of it unless `partition` is given). Default: all topics. */
  topic?: string;
  /** Only this partition of `topic`. */
  partition?: number;
  /** Default 'preferred'. */
  type?: ElectionType;
  /** Kafka version of the tool (the cluster's). Default as runKafkaTool. */
  version?: string;
}

export interface ElectionResult {
  /** 'topic-partition' names whose leader changed. */
  elected: string[];
  /** 'topic-partition' names that already had the leader asked for (ElectionNotNeeded). */
  notNeeded: string[];
  /** What the tool printed (stdout then stderr). */
  output: string;
}

/**
 * Run a leader election with kafka-leader-election (--election-type PREFERRED|UNCLEAN), for all
 * partitions, one topic or one partition. A partition that already has its preferred leader is
 * not an error. Throws with the tool's output when any partition could not be elected, e.g.
 * PREFERRED_LEADER_NOT_AVAILABLE while the preferred replica is not back in the ISR yet.
 *
 * With all partitions (no topic), a KRaft controller leaves out the partitions that need no
 * election, so "nothing to do" comes back as `{ elected: [], notNeeded: [] }`.
 */
export async function electLeaders(bootstrap: string, opts: ElectLeadersOptions = {}): Promise<ElectionResult> {
  if (opts.partition !== undefined && opts.topic === undefined) throw new Error('electLeaders: partition needs a topic');
  const args = ['--bootstrap-server', bootstrap, '--election-type', (opts.type ?? 'preferred').toUpperCase()];
  let jsonFile: string | undefined;
  if (opts.topic !== undefined && opts.partition !== undefined) {
    args.push('--topic', opts.topic, '--partition', String(opts.partition));
  } else if (opts.topic !== undefined) {
    // the tool's --topic needs --partition; a whole topic goes in as a partition list
    const partitions = (await topicPartitions(bootstrap, opts.topic)).map((p) => ({ topic: opts.topic, partition: p.partition }));
    jsonFile = localDir('kafka', `election-${process.pid}-${Date.now()}.json`);
    fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
    fs.writeFileSync(jsonFile, JSON.stringify({ partitions }));
    args.push('--path-to-json-file', jsonFile);
  } else {
    args.push('--all-topic-partitions');
  }
  try {
    return await runElection(args, opts.version);
  } finally {
    if (jsonFile) fs.rmSync(jsonFile, { force: true });
  }
}

async function runElection(args: string[], version: string | undefined): Promise<ElectionResult> {
  for (const mainClass of ELECTION_MAIN_CLASSES) {
    // a short-lived client: C1 only starts faster, which counts on a busy 2-core machine
    const res = await runKafkaTool(mainClass, args, { version, timeoutMs: 90_000, jvmArgs: TOOL_JVM_ARGS });
    const output = `${res.stdout}${res.stderr}`.trim();
    if (res.code !== 0 && /Could not find or load main class/.test(res.stderr)) continue;
    const result = parseElection(res.stdout, output);
    if (res.code === 0 || onlyNotNeeded(res.stdout)) return result;
    throw new Error(`${TAG} leader election (${args.join(' ')}) failed with exit code ${res.code}:\n${indent(output)}`);
  }
  throw new Error(`${TAG} no LeaderElectionCommand in the Kafka jars (tried ${ELECTION_MAIN_CLASSES.join(', ')})`);
}

/**
 * The tool prints one summary line per outcome:
 *   Successfully completed leader election (PREFERRED) for partitions t-0, t-2
 *   Valid replica already elected for partitions t-1
 *   Error completing leader election (PREFERRED) for partition: t-1: <exception>
 */
function parseElection(stdout: string, output: string): ElectionResult {
  const list = (re: RegExp) =>
    stdout
      .split('\n')
      .map((l) => re.exec(l.trim())?.[1])
      .filter((m): m is string => m !== undefined)
      .flatMap((m) => m.split(', ').map((s) => s.trim()))
      .filter(Boolean);
  const notNeededErrors = list(/^Error completing leader election \(\w+\) for partition: (\S+): .*ElectionNotNeeded/);
  return {
    elected: list(/^Successfully completed leader election \(\w+\) for partitions (.*)$/),
    notNeeded: [...list(/^Valid replica already elected for partitions (.*)$/), ...notNeededErrors],
    output,
  };
}

/** Versions that report ElectionNotNeeded as a per-partition error exit 1; that is no failure. */
function onlyNotNeeded(stdout: string): boolean {
  const errors = stdout.split('\n').filter((l) => l.startsWith('Error completing leader election'));
  return errors.length > 0 && errors.every((l) => /ElectionNotNeeded/.test(l));
}

/**
 * Leader, replicas (replicas[0] = preferred leader) and ISR of every partition of `topic`, as
 * the first broker of `bootstrap` that answers within 1.5 s reports them (a paused or dead one
 * is skipped). Throws when no broker answers or the topic is unknown.
 */
export async function topicPartitions(bootstrap: string, topic: string): Promise<PartitionMetadata[]> {
  const errors: string[] = [];
  for (const hostPort of bootstrap.split(',')) {
    const [host, port] = splitHostPort(hostPort);
    try {
      const md = await fetchMetadata(host, port, 1500, [topic]);
      const t = md.topics.find((x) => x.name === topic);
      if (t?.errorCode !== 0) {
        errors.push(`${hostPort}: topic error ${t?.errorCode ?? 'missing'}`);
        continue;
      }
      return t.partitions;
    } catch (err) {
      errors.push(`${hostPort}: ${(err as Error).message}`);
    }
  }
  throw new Error(`${TAG} no metadata for topic '${topic}' (${errors.join('; ')})`);
}

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) throw new Error(`${TAG} bad broker address '${hostPort}'`);
  return [hostPort.slice(0, i), port];
}
