/**
 * Smoke test of `npm start` (for CI): runs the real `npm start -- --no-traffic`, waits for
 * /healthz, checks that an anonymous POST is refused, posts three log lines carrying a unique
 * marker with the dev key, finds exactly those lines in the logs topic with kcat (an independent
 * consumer), then signals the npm process (what a user or a supervisor signals, not the node
 * process under it) and expects everything npm start started to be gone within 30 s: every
 * process in its group, the stack's JVMs (unless they were running before) and its ports.
 * Usage: see USAGE (--help).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import * as path from 'node:path';
import { ensureKcat } from './local-stack/tools';
import { DEV_AUTHORIZATION } from './local-functions/traffic';
import { parseCommandLine } from './cli-args';

/** SIGINT and SIGTERM npm forwards to start.ts; SIGHUP and SIGKILL kill npm, and start.ts must notice. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
const FORWARDED_BY_NPM: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

const USAGE = `usage: npx tsx tools/smoke-start.ts [--signal SIGINT|SIGTERM|SIGHUP|SIGKILL]

Smoke test of \`npm start\` (CI): runs \`npm start -- --no-traffic\`, posts three log lines, finds
them in edge.logs with kcat, sends the npm process --signal (default SIGINT) and expects every
process it started, the stack's JVMs and its ports to be gone within 30 s (exit 0 when npm
forwards the signal, SIGINT and SIGTERM).

environment:
  SMOKE_PORT           the HTTP port npm start gets (default 18080)
  LOCAL_STACK_NAME, LOCAL_KAFKA_PORT, LOCAL_DYNAMODB_PORT
                       passed on to npm start (defaults dev, 19092, 18000): another stack name and
                       ports keep the smoke away from a dev stack in use on this machine`;

const cli = parseCommandLine({ usage: USAGE, options: { signal: { type: 'string', default: 'SIGINT' } } });
const stopSignal = cli.convert('signal', (s) => STOP_SIGNALS.find((known) => known === s.toUpperCase()), STOP_SIGNALS.join(', '));

const root = path.resolve(__dirname, '..');
const port = Number(process.env.SMOKE_PORT ?? 18080);
const base = `http://127.0.0.1:${port}`;
const stackName = process.env.LOCAL_STACK_NAME || 'dev';
const kafkaPort = Number(process.env.LOCAL_KAFKA_PORT || 19092);
const dynamoPort = Number(process.env.LOCAL_DYNAMODB_PORT || 18000);
const bootstrap = `127.0.0.1:${kafkaPort}`;
const topic = 'edge.logs';
const STACK_JVMS = `edgeforwarder.instance=(kafka|dynamodb):${stackName.replaceAll('.', '\\.')}[: ]`;

const say = (line: string) => process.stdout.write(`[smoke] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class SmokeFailure extends Error {}
function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new SmokeFailure(message);
}

/** Pids of the stack's JVMs (the launcher tags them with -Dedgeforwarder.instance=<kind>:<name>). */
function stackJvms(): string[] {
  const res = spawnSync('pgrep', ['-f', STACK_JVMS], { encoding: 'utf8' });
  return res.stdout.split('\n').filter(Boolean);
}

/** Pids still in the process group npm start was spawned as (npm itself, node, the JVMs it started). */
function groupMembers(group: number): string[] {
  const res = spawnSync('pgrep', ['-g', String(group)], { encoding: 'utf8' });
  return res.stdout.split('\n').filter(Boolean);
}

async function main(): Promise<void> {
  const kcat = await ensureKcat({ log: say });
  check(!(await fetch(`${base}/healthz`).then(() => true, () => false)), `something already answers on ${base}; set SMOKE_PORT`);
  const stackWasUp = stackJvms().length > 0;
  say(`stack '${stackName}' before: ${stackWasUp ? 'already running (it must be left running)' : 'not running (npm start must start and stop it)'}`);

  say(`starting: PORT=${port} npm start -- --no-traffic`);
  const child = spawn('npm', ['start', '--', '--no-traffic'], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    detached: true, // its own process group: found by it, and killed as a whole if the test fails
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let running = true;
  void exited.then(() => (running = false));
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    let rest = '';
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) process.stdout.write(`  | ${line}\n`);
    });
  }

  try {
    // The first run on a machine downloads Kafka and DynamoDB Local from Maven Central.
    const started = Date.now();
    for (;;) {
      check(running, 'npm start exited before /healthz answered');
      const up = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (up) break;
      check(Date.now() - started < 300_000, '/healthz did not answer within 5 minutes');
      await sleep(500);
    }
    say(`/healthz answered after ${((Date.now() - started) / 1000).toFixed(1)}s`);

    const marker = `smoke-${randomUUID()}`;
    const lines = [
      JSON.stringify({ msg: 'smoke line 1', marker }),
      JSON.stringify({ msg: 'smoke line 2', marker }),
      JSON.stringify(`smoke line 3 (plain) ${marker}`),
    ];
    const anonymous = await fetch(`${base}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
    say(`POST /v1/logs without credentials → HTTP ${anonymous.status}`);
    check(anonymous.status === 401, `ingress must be authenticated, got ${anonymous.status}`);
    const res = await fetch(`${base}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: DEV_AUTHORIZATION }, body: lines.join('\n') });
    const answer = (await res.json()) as { forwarded?: number };
    say(`POST /v1/logs (3 lines, marker ${marker}) → HTTP ${res.status} ${JSON.stringify({ forwarded: answer.forwarded })}`);
    check(res.status === 200 && answer.forwarded === 3, `expected HTTP 200 with 3 forwarded, got ${res.status} ${JSON.stringify(answer)}`);

    const found = await findInTopic(kcat, marker, 3);
    say(`kcat found ${found.length} of 3 lines in ${topic}; e.g. ${JSON.stringify(found[0])}`);
    check(found.length === 3, `expected the 3 marked lines in ${topic}, kcat found ${found.length}`);

    say(`sending ${stopSignal} to the npm process (pid ${child.pid})`);
    const t0 = Date.now();
    process.kill(child.pid!, stopSignal);
    const npmExit = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
    check(npmExit !== 'timeout', `npm did not exit within 30 s of ${stopSignal}`);
    say(`npm exited (${npmExit.signal ?? `code ${npmExit.code}`}) after ${seconds(t0)}`);
    if (FORWARDED_BY_NPM.includes(stopSignal)) {
      check(npmExit.code === 0, `npm forwards ${stopSignal} to start.ts, which must stop cleanly (exit 0); got ${npmExit.signal ?? npmExit.code}`);
    }

    // What npm's death leaves behind must go by itself too: start.ts watches its launchers.
    for (;;) {
      const left = groupMembers(child.pid!);
      const ports = (await Promise.all([port, kafkaPort, dynamoPort].map(async (p) => ((await isListening(p)) ? [p] : [])))).flat();
      const jvms = stackJvms();
      const stackGone = stackWasUp ? ports.every((p) => p !== port) : ports.length === 0 && jvms.length === 0;
      if (left.length === 0 && stackGone) break;
      check(
        Date.now() - t0 < 30_000,
        `30 s after ${stopSignal} to npm, still there: processes ${left.join(', ') || 'none'}, ports ${ports.join(', ') || 'none'}, JVMs ${jvms.join(', ') || 'none'}`,
      );
      await sleep(250);
    }
    say(`every process npm start started has exited and its ports are closed, ${seconds(t0)} after ${stopSignal}`);

    const left = stackJvms();
    if (stackWasUp) check(left.length > 0, `the stack '${stackName}' was running before and is gone now`);
    say(`stack JVMs after exit: ${left.length ? `${left.join(', ')} (running before npm start)` : 'none'}`);
    say('PASS');
  } finally {
    // Whatever is left in npm start's group (npm may be gone while start.ts or a JVM is not).
    if (running || groupMembers(child.pid!).length) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group emptied meanwhile
      }
      if (running) await exited;
    }
  }
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

function isListening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port: p, host: '127.0.0.1' });
    const done = (open: boolean) => (socket.destroy(), resolve(open));
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Records in the topic whose payload contains `marker`, polling until `want` are there (acks=0: give it a moment). */
async function findInTopic(kcat: string, marker: string, want: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = spawnSync(kcat, ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], {
      encoding: 'utf8',
      maxBuffer: 1024 * 1024 * 1024,
      timeout: 60_000,
    });
    check(res.status === 0, `kcat failed (${res.status}): ${res.stderr}`);
    const found = res.stdout
      .split('\n')
      .filter((l) => l.includes(marker))
      .map((l) => JSON.parse(l) as { partition: number; offset: number; payload: string; headers?: string[] })
      .map(({ partition, offset, payload, headers }) => ({ partition, offset, payload, headers }));
    if (found.length >= want || Date.now() > deadline) return found;
    await sleep(1_000);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`FAIL: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
