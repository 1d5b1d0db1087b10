/**
 * DynamoDB Local (the official AWS emulator, from Maven Central; see dynamodb-pom.xml) for the
 * outbox. Runs with -sharedDb, so every access key / region sees the same tables.
 *
 *   const ddb = await startDynamoLocal({ name: 'test' });
 *   new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1',
 *                        credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 *
 * State (pid file, dynamodb.log, data for inMemory: false) lives in `<repo>/.local/dynamodb/<name>/`.
 * Note: DynamoDB Local has no bind-address option; it listens on all interfaces.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { classpathOf, type JavaInfo, requireJava, resolveJars, spawnJvm } from './jvm';
import {
  assertPortsFree,
  defaultLog,
  forgetPid,
  indent,
  kill,
  livePid,
  localDir,
  type Log,
  removeFile,
  sleep,
  tailFile,
  terminate,
  waitForPortClosed,
  withLock,
} from './proc';

export const DYNAMODB_LOCAL_DEFAULT_VERSION = '2.6.1';
export const DYNAMODB_LOCAL_DEFAULT_PORT = 18000;

const TAG = '[dynamodb]';
const PURPOSE = 'DynamoDB Local';
const MAIN = 'com.amazonaws.services.dynamodbv2.local.main.ServerRunner';

export interface DynamoLocalOptions {
  /** Instance name, i.e. the directory `.local/dynamodb/<name>`. Default 'dev'. */
  name?: string;
  /** Default 18000. */
  port?: number;
  /** true (default): -inMemory, data is lost on stop. false: -dbPath .local/dynamodb/<name>/data. */
  inMemory?: boolean;
  /** DynamoDB Local version. Default: env DYNAMODB_LOCAL_VERSION, else 2.6.1. */
  version?: string;
  heapMb?: number;
  /** See LocalKafkaOptions.detached. Default false. */
  detached?: boolean;
  timeoutMs?: number;
  log?: Log;
}

export interface DynamoLocal {
  name: string;
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  inMemory: boolean;
  reused: boolean;
  logFile: string;
  /** Clean stop (SIGTERM, wait). */
  stop(): Promise<void>;
  /** SIGKILL (fault tests); resolves when the port is closed. */
  kill(): Promise<void>;
  /** Stop (if running) and start again on the same port (in-memory data is gone afterwards). */
  restart(): Promise<void>;
  /** Answers ListTables. */
  isUp(): Promise<boolean>;
}

interface InstanceState {
  port: number;
  inMemory: boolean;
  version: string;
}

function dynamoVersion(version?: string): string {
  return version || process.env.DYNAMODB_LOCAL_VERSION || DYNAMODB_LOCAL_DEFAULT_VERSION;
}

function instanceDir(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`invalid DynamoDB Local name '${name}'`);
  return localDir('dynamodb', name);
}

const marker = (name: string) => `dynamodb:${name}`;
const pidFileOf = (name: string) => path.join(instanceDir(name), 'dynamodb.pid');

/** Resolve (once) the DynamoDB Local jars + sqlite4java native library; returns the cache dir. */
export async function dynamoLocalJars(opts: { version?: string; log?: Log } = {}): Promise<string> {
  const version = dynamoVersion(opts.version);
  return resolveJars(
    {
      key: `dynamodb-local-${version}`,
      tag: TAG,
      title: `DynamoDB Local ${version}`,
      size: '~50 MB',
      purpose: PURPOSE,
      pom: path.join(__dirname, 'dynamodb-pom.xml'),
      args: [
        `-Dddb.version=${version}`,
        '-Dout.dir={out}',
        'dependency:copy-dependencies@libs',
        'dependency:copy-dependencies@native',
      ],
    },
    opts.log ?? defaultLog,
  );
}

/** One signed-looking ListTables call (DynamoDB Local checks the header's shape, not the signature). */
export function listTables(endpoint: string, timeoutMs = 2000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const body = '{}';
    const req = http.request(
      `${endpoint}/`,
      {
        method: 'POST',
        timeout: timeoutMs,
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': 'DynamoDB_20120810.ListTables',
          Authorization:
            'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(text) as { TableNames?: string[] };
            if (res.statusCode === 200 && Array.isArray(parsed.TableNames)) resolve(parsed.TableNames);
            else reject(new Error(`ListTables: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          } catch {
            reject(new Error(`ListTables: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`ListTables: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

class Instance implements DynamoLocal {
  readonly endpoint: string;
  readonly logFile: string;
  readonly port: number;
  readonly inMemory: boolean;
  readonly name: string;

  constructor(
    private readonly opts: Required<Omit<DynamoLocalOptions, 'log'>> & { log: Log },
    private readonly java: JavaInfo,
    private readonly home: string,
    public reused: boolean,
  ) {
    this.name = opts.name;
    this.port = opts.port;
    this.inMemory = opts.inMemory;
    this.endpoint = `http://127.0.0.1:${opts.port}`;
    this.logFile = path.join(instanceDir(opts.name), 'dynamodb.log');
  }

  pid(): number | undefined {
    return livePid(pidFileOf(this.name), marker(this.name));
  }

  async start(): Promise<void> {
    const dir = instanceDir(this.name);
    await assertPortsFree([this.port], `DynamoDB Local '${this.name}'`);
    const dataDir = path.join(dir, 'data');
    if (!this.inMemory) fs.mkdirSync(dataDir, { recursive: true });
    spawnJvm({
      marker: marker(this.name),
      java: this.java,
      classpath: classpathOf(this.home),
      mainClass: MAIN,
      args: [
        '-port',
        String(this.port),
        '-sharedDb',
        '-disableTelemetry',
        ...(this.inMemory ? ['-inMemory'] : ['-dbPath', dataDir]),
      ],
      jvmArgs: [
        `-Xmx${this.opts.heapMb}m`,
        '-XX:+UseSerialGC',
        '-XX:+ExitOnOutOfMemoryError',
        `-Djava.library.path=${path.join(this.home, 'native')}`,
      ],
      cwd: dir,
      logFile: this.logFile,
      pidFile: pidFileOf(this.name),
      detached: this.opts.detached,
    });
    try {
      await this.waitReady();
    } catch (err) {
      await this.kill().catch(() => undefined);
      throw err;
    }
  }

  async waitReady(): Promise<void> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (this.pid() === undefined) {
        throw new Error(
          `${TAG} DynamoDB Local '${this.name}' exited during start-up. Log: ${this.logFile}\n` +
            indent(tailFile(this.logFile, 30)),
        );
      }
      try {
        await listTables(this.endpoint, 1500);
        return;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${TAG} DynamoDB Local '${this.name}' (${this.endpoint}) did not answer within ` +
            `${Math.round(this.opts.timeoutMs / 1000)}s (${last}). Log: ${this.logFile}\n${indent(tailFile(this.logFile, 30))}`,
        );
      }
      await sleep(200);
    }
  }

  async isUp(): Promise<boolean> {
    if (this.pid() === undefined) return false;
    return listTables(this.endpoint, 1500).then(
      () => true,
      () => false,
    );
  }

  async stop(): Promise<void> {
    await stopInstance(this.name, this.port, 'SIGTERM');
  }

  async kill(): Promise<void> {
    await stopInstance(this.name, this.port, 'SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

async function stopInstance(name: string, port: number | undefined, how: 'SIGTERM' | 'SIGKILL'): Promise<boolean> {
  const pid = livePid(pidFileOf(name), marker(name));
  if (pid !== undefined) {
    if (how === 'SIGKILL') await kill(pid);
    else await terminate(pid, 15_000);
    forgetPid(pid);
  }
  removeFile(pidFileOf(name));
  if (port !== undefined) await waitForPortClosed(port, 10_000);
  return pid !== undefined;
}

function readState(name: string): InstanceState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(instanceDir(name), 'instance.json'), 'utf8')) as InstanceState;
  } catch {
    return undefined;
  }
}

/** Start DynamoDB Local `opts.name`, or pick it up when it is already running with the same settings. */
export async function startDynamoLocal(opts: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  const name = opts.name ?? 'dev';
  const log = opts.log ?? defaultLog;
  return withLock(
    localDir('dynamodb', `.${name}.lock`),
    () => start(opts),
    (owner) => log(`${TAG} process ${owner} is starting DynamoDB Local '${name}'; waiting for it...`),
  );
}

async function start(opts: DynamoLocalOptions): Promise<DynamoLocal> {
  const started = Date.now();
  const o = {
    name: opts.name ?? 'dev',
    port: opts.port ?? DYNAMODB_LOCAL_DEFAULT_PORT,
    inMemory: opts.inMemory ?? true,
    version: dynamoVersion(opts.version),
    heapMb: opts.heapMb ?? 256,
    detached: opts.detached ?? false,
    timeoutMs: opts.timeoutMs ?? 60_000,
    log: opts.log ?? defaultLog,
  };
  const dir = instanceDir(o.name);
  const state = readState(o.name);
  const running = livePid(pidFileOf(o.name), marker(o.name));
  const wanted: InstanceState = { port: o.port, inMemory: o.inMemory, version: o.version };
  if (running !== undefined && JSON.stringify(state) !== JSON.stringify(wanted)) {
    throw new Error(
      `${TAG} DynamoDB Local '${o.name}' is already running with other settings (${JSON.stringify(state)}). ` +
        `Stop it first: npx tsx tools/local-stack/cli.ts dynamodb stop --name ${o.name}`,
    );
  }
  const java = requireJava(PURPOSE);
  const home = await dynamoLocalJars({ version: o.version, log: o.log });
  const instance = new Instance(o, java, home, running !== undefined);
  if (running !== undefined) {
    try {
      await instance.waitReady();
      o.log(`${TAG} reusing running DynamoDB Local '${o.name}' (${instance.endpoint})`);
      return instance;
    } catch (err) {
      if (instance.pid() !== undefined) throw err;
      o.log(`${TAG} the running DynamoDB Local '${o.name}' went away; starting it again`);
      instance.reused = false;
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'instance.json'), `${JSON.stringify(wanted, null, 2)}\n`);
  o.log(`${TAG} starting DynamoDB Local ${o.version} '${o.name}' on ${instance.endpoint} (log: ${instance.logFile})`);
  await instance.start();
  o.log(`${TAG} '${o.name}' ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${instance.endpoint}`);
  return instance;
}

/** Stop an instance started earlier (found through its pid file), e.g. by the CLI. */
export async function stopDynamoLocal(opts: { name?: string } = {}): Promise<boolean> {
  const name = opts.name ?? 'dev';
  return stopInstance(name, readState(name)?.port, 'SIGTERM');
}

export interface DynamoLocalStatus {
  name: string;
  endpoint?: string;
  inMemory?: boolean;
  pid?: number;
  up: boolean;
  logFile: string;
}

/** What is recorded / running for instance `name` (or every instance under .local/dynamodb). */
export async function dynamoLocalStatus(opts: { name?: string } = {}): Promise<DynamoLocalStatus[]> {
  let names: string[];
  if (opts.name) names = [opts.name];
  else {
    try {
      names = fs.readdirSync(localDir('dynamodb')).filter((n) => readState(n) !== undefined);
    } catch {
      names = [];
    }
  }
  const out: DynamoLocalStatus[] = [];
  for (const name of names) {
    const state = readState(name);
    const pid = livePid(pidFileOf(name), marker(name));
    const endpoint = state ? `http://127.0.0.1:${state.port}` : undefined;
    const up = pid !== undefined && endpoint !== undefined && (await listTables(endpoint, 1500).then(() => true, () => false));
    out.push({ name, endpoint, inMemory: state?.inMemory, pid, up, logFile: path.join(instanceDir(name), 'dynamodb.log') });
  }
  return out;
}
