/**
 * Smoke test of `npm start` (for CI): starts it in a child process without traffic, waits for
 * /healthz, posts three log lines carrying a unique marker, finds exactly those lines in the
 * logs topic with kcat (an independent consumer), then sends start.ts SIGINT and expects a clean
 * exit 0 within 30 s, with the dev stack's JVMs gone (unless they were running before).
 * Usage: see USAGE (--help).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { ensureKcat } from './local-stack/tools';
import { DEV_AUTHORIZATION } from './local-functions/traffic';
import { parseCommandLine } from './cli-args';

const USAGE = `usage: npx tsx tools/smoke-start.ts

Smoke test of \`npm start\` (CI): starts it without traffic, posts three log lines, finds them in
edge.logs with kcat, stops it with SIGINT and expects exit 0 with the dev stack's JVMs gone.
Takes no arguments. Environment: SMOKE_PORT, the HTTP port npm start gets (default 18080).`;

parseCommandLine({ usage: USAGE, options: {} });

const root = path.resolve(__dirname, '..');
const port = Number(process.env.SMOKE_PORT ?? 18080);
const base = `http://127.0.0.1:${port}`;
const bootstrap = '127.0.0.1:19092';
const topic = 'edge.logs';
const DEV_JVMS = 'edgeforwarder.instance=(kafka|dynamodb):dev';

const say = (line: string) => process.stdout.write(`[smoke] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class SmokeFailure extends Error {}
function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new SmokeFailure(message);
}

/** Pids of the dev stack's JVMs (the launcher tags them with -Dedgeforwarder.instance=...). */
function devJvms(): string[] {
  const res = spawnSync('pgrep', ['-f', DEV_JVMS], { encoding: 'utf8' });
  return res.stdout.split('\n').filter(Boolean);
}

async function main(): Promise<void> {
  const kcat = await ensureKcat({ log: say });
  check(!(await fetch(`${base}/healthz`).then(() => true, () => false)), `something already answers on ${base}; set SMOKE_PORT`);
  const stackWasUp = devJvms().length > 0;
  say(`dev stack before: ${stackWasUp ? 'already running (it must be left running)' : 'not running (npm start must start and stop it)'}`);

  say(`starting: PORT=${port} npx tsx tools/start.ts --no-traffic`);
  const child = spawn('npx', ['tsx', 'tools/start.ts', '--no-traffic'], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    detached: true, // its own process group: found by it, and killed as a whole if the test fails
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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

    const target = startProcess(child.pid!);
    say(`sending SIGINT to the start.ts process (pid ${target})`);
    process.kill(target, 'SIGINT');
    const t0 = Date.now();
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
    check(code !== 'timeout', 'npm start did not exit within 30 s of SIGINT');
    say(`npm start exited with code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    check(code === 0, `expected exit code 0, got ${code}`);

    const left = devJvms();
    if (stackWasUp) check(left.length > 0, 'the dev stack was running before and is gone now');
    else check(left.length === 0, `dev stack JVMs still running after exit: ${left.join(', ')}`);
    say(`dev stack JVMs after exit: ${left.length ? left.join(', ') : 'none'}`);
    say('PASS');
  } finally {
    if (running) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  }
}

/**
 * The node process running start.ts under npx → sh → tsx. Signalled directly, as a supervisor
 * would: a SIGINT to the whole group (a terminal's Ctrl-C) also reaches sh and npm, which then
 * report death-by-SIGINT (130) whatever start.ts exits with.
 */
function startProcess(group: number): number {
  const res = spawnSync('pgrep', ['-g', String(group), '-f', 'preflight.*tools/start.ts'], { encoding: 'utf8' });
  const pids = res.stdout.split('\n').filter(Boolean).map(Number);
  check(pids.length === 1, `expected one start.ts node process in group ${group}, found ${pids.length}`);
  return pids[0]!;
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
