/**
 * Start / stop / inspect the local components from a shell.
 *
 *   npx tsx tools/local-stack/cli.ts kafka start [--nodes 1|3] [--name dev] [--port 19092] [--heap 512] [--version 3.9.1]
 *   npx tsx tools/local-stack/cli.ts kafka stop|status [--name dev]
 *   npx tsx tools/local-stack/cli.ts dynamodb start [--name dev] [--port 18000] [--persistent]
 *   npx tsx tools/local-stack/cli.ts dynamodb stop|status [--name dev]
 *   npx tsx tools/local-stack/cli.ts fetch      resolve every jar into the cache (CI warm-up)
 *   npx tsx tools/local-stack/cli.ts kcat       make sure kcat is installed, print its path
 *
 * Components started here run in the background until `stop`.
 */
import { parseArgs } from 'node:util';
import { dynamoLocalJars, dynamoLocalStatus, startDynamoLocal, stopDynamoLocal } from './dynamodb';
import { MissingToolError } from './jvm';
import { kafkaClasspath, kafkaVersion, localKafkaStatus, startLocalKafka, stopLocalKafka } from './kafka';
import { cacheRoot } from './proc';
import { ensureKcat } from './tools';

const USAGE = `usage: npx tsx tools/local-stack/cli.ts <command>

  kafka start [--nodes 1|3] [--name dev] [--port 19092] [--heap 512] [--version ${kafkaVersion()}]
  kafka stop [--name dev]
  kafka status [--name NAME]            all clusters when --name is omitted
  dynamodb start [--name dev] [--port 18000] [--persistent]
  dynamodb stop [--name dev]
  dynamodb status [--name NAME]
  fetch [--version KAFKA_VERSION]       resolve all jars into ${cacheRoot()} (CI warm-up)
  kcat                                  install kcat if missing (root + apt-get), print its path

Started components keep running in the background until 'stop'.
Env: KAFKA_VERSION, DYNAMODB_LOCAL_VERSION, EDGE_FORWARDER_CACHE.`;

const say = (line: string) => process.stdout.write(`${line}\n`);

function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      nodes: { type: 'string' },
      port: { type: 'string' },
      heap: { type: 'string' },
      version: { type: 'string' },
      persistent: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

class UsageError extends Error {}

async function kafka(action: string | undefined, v: ReturnType<typeof options>['values']): Promise<void> {
  const name = v.name;
  switch (action) {
    case 'start': {
      const nodes = int(v.nodes, '--nodes') ?? 1;
      if (nodes !== 1 && nodes !== 3) throw new UsageError('--nodes must be 1 or 3');
      const k = await startLocalKafka({
        name,
        nodes,
        basePort: int(v.port, '--port'),
        heapMb: int(v.heap, '--heap'),
        version: v.version,
        detached: true,
      });
      say(`Kafka ${k.version} '${k.name}' is ${k.reused ? 'already running' : 'up'} (${k.nodes} node(s)).`);
      say(`  bootstrap: ${k.bootstrap}`);
      say(`  logs:      ${k.dir}/node-*/server.log`);
      say(`  check:     kcat -b ${k.bootstrap} -L`);
      say(`  stop:      npx tsx tools/local-stack/cli.ts kafka stop --name ${k.name}`);
      return;
    }
    case 'stop': {
      const n = await stopLocalKafka({ name });
      say(n ? `Stopped Kafka '${name ?? 'dev'}' (${n} node(s)).` : `Kafka '${name ?? 'dev'}' was not running.`);
      return;
    }
    case 'status': {
      const all = await localKafkaStatus({ name });
      if (!all.length) say('No local Kafka clusters (start one: npx tsx tools/local-stack/cli.ts kafka start).');
      for (const c of all) {
        const up = c.nodes.filter((n) => n.up).length;
        say(`Kafka '${c.name}' (${c.version ?? '?'}, cluster id ${c.clusterId ?? '?'}): ${up}/${c.nodes.length} node(s) up`);
        for (const n of c.nodes) {
          const state = n.up ? 'up' : n.pid ? 'starting/unresponsive' : 'stopped';
          say(`  node ${n.nodeId}  ${n.broker}  ${n.pid ? `pid ${n.pid}` : '-'}  ${state}  ${n.logFile}`);
        }
      }
      return;
    }
    default:
      throw new UsageError(`unknown kafka action '${action ?? ''}'`);
  }
}

async function dynamodb(action: string | undefined, v: ReturnType<typeof options>['values']): Promise<void> {
  const name = v.name;
  switch (action) {
    case 'start': {
      const d = await startDynamoLocal({ name, port: int(v.port, '--port'), inMemory: !v.persistent, detached: true });
      say(`DynamoDB Local '${d.name}' is ${d.reused ? 'already running' : 'up'} (${d.inMemory ? 'in memory' : 'persistent'}).`);
      say(`  endpoint: ${d.endpoint}  (any region / credentials: it runs with -sharedDb)`);
      say(`  log:      ${d.logFile}`);
      say(`  stop:     npx tsx tools/local-stack/cli.ts dynamodb stop --name ${d.name}`);
      return;
    }
    case 'stop': {
      const stopped = await stopDynamoLocal({ name });
      say(stopped ? `Stopped DynamoDB Local '${name ?? 'dev'}'.` : `DynamoDB Local '${name ?? 'dev'}' was not running.`);
      return;
    }
    case 'status': {
      const all = await dynamoLocalStatus({ name });
      if (!all.length) say('No local DynamoDB instances (start one: npx tsx tools/local-stack/cli.ts dynamodb start).');
      for (const d of all) {
        const state = d.up ? 'up' : d.pid ? 'starting/unresponsive' : 'stopped';
        const mode = d.inMemory === undefined ? '' : d.inMemory ? ' in memory' : ' persistent';
        say(`DynamoDB Local '${d.name}': ${state}  ${d.endpoint ?? '?'}${mode}  ${d.pid ? `pid ${d.pid}` : ''}  ${d.logFile}`);
      }
      return;
    }
    default:
      throw new UsageError(`unknown dynamodb action '${action ?? ''}'`);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = options(argv);
    const [command, action] = positionals;
    if (values.help || !command || command === 'help') {
      say(USAGE);
      return command || values.help ? 0 : 1;
    }
    switch (command) {
      case 'kafka':
        await kafka(action, values);
        break;
      case 'dynamodb':
        await dynamodb(action, values);
        break;
      case 'fetch': {
        const cp = await kafkaClasspath({ version: values.version });
        const ddb = await dynamoLocalJars();
        say(`Jars cached in ${cacheRoot()}:`);
        say(`  Kafka ${kafkaVersion(values.version)}:  ${cp}`);
        say(`  DynamoDB Local: ${ddb}`);
        break;
      }
      case 'kcat':
        say(await ensureKcat());
        break;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    const e = err as Error;
    process.stderr.write(`${e instanceof MissingToolError ? '' : 'error: '}${e.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
