/**
 * Start / stop / inspect the local components from a shell. Usage: see USAGE (--help).
 * Components started here run in the background until `stop`.
 */
import { parseCommandLine, type CommandLine } from '../cli-args';
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
  help, --help                          this text

Started components keep running in the background until 'stop'.
Env: KAFKA_VERSION, DYNAMODB_LOCAL_VERSION, EDGE_FORWARDER_CACHE.`;

const say = (line: string) => process.stdout.write(`${line}\n`);

const OPTIONS = {
  name: { type: 'string' },
  nodes: { type: 'string' },
  port: { type: 'string' },
  heap: { type: 'string' },
  version: { type: 'string' },
  persistent: { type: 'boolean' },
} as const;
type Cli = CommandLine<typeof OPTIONS>;

/** The options each command takes (as in USAGE): any other is a mistake, not something to ignore. */
const COMMAND_OPTIONS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  'kafka start': ['nodes', 'name', 'port', 'heap', 'version'],
  'kafka stop': ['name'],
  'kafka status': ['name'],
  'dynamodb start': ['name', 'port', 'persistent'],
  'dynamodb stop': ['name'],
  'dynamodb status': ['name'],
  fetch: ['version'],
  kcat: [],
  help: [],
};
const WITH_ACTIONS = ['kafka', 'dynamodb'];

/** The command ('kafka start', 'fetch', ...) once its words, options and values are all right. */
function checkedCommand(cli: Cli): string {
  const [command, ...words] = cli.positionals;
  if (!command) return cli.fail('name a command');
  const hasAction = WITH_ACTIONS.includes(command);
  const key = hasAction ? `${command} ${words.shift() ?? ''}` : command;
  const allowed = COMMAND_OPTIONS[key] ?? cli.fail(hasAction ? `${command} takes an action: start, stop or status; got '${key.slice(command.length + 1)}'` : `unknown command '${command}'`);
  if (words.length) cli.fail(`${key} takes no further arguments, got: ${words.join(' ')}`);
  cli.only(allowed, key);
  return key;
}

const port = (cli: Cli) => cli.integer('port', { min: 1, max: 65_535 });

async function kafka(action: string, cli: Cli): Promise<void> {
  const name = cli.values.name;
  switch (action) {
    case 'start': {
      const nodes = cli.convert('nodes', (text) => (text === '1' ? 1 : text === '3' ? 3 : undefined), '1 or 3') ?? 1;
      const k = await startLocalKafka({
        name,
        nodes,
        basePort: port(cli),
        heapMb: cli.integer('heap', { min: 1 }),
        version: cli.values.version,
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
  }
}

async function dynamodb(action: string, cli: Cli): Promise<void> {
  const name = cli.values.name;
  switch (action) {
    case 'start': {
      const d = await startDynamoLocal({ name, port: port(cli), inMemory: !cli.values.persistent, detached: true });
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
  }
}

/** Exits at once on bad arguments (2, with the usage) and after --help; otherwise the command's exit code. */
export async function main(argv: string[]): Promise<number> {
  const cli = parseCommandLine({ usage: USAGE, args: argv, positionals: true, options: OPTIONS });
  const command = checkedCommand(cli);
  const [group, action = ''] = command.split(' ');
  const { values } = cli;
  try {
    switch (group) {
      case 'help':
        say(USAGE);
        break;
      case 'kafka':
        await kafka(action, cli);
        break;
      case 'dynamodb':
        await dynamodb(action, cli);
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
    }
    return 0;
  } catch (err) {
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
