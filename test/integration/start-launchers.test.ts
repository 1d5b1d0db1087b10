/**
 * `npm start` stops when the process the user sees goes away: tools/local-functions/launchers.ts
 * against real process chains (sh wrappers killed the ways npm's is: SIGTERM, SIGHUP, SIGKILL).
 * No broker needed; the whole `npm start` is covered by tools/smoke-start.ts (CI), which signals
 * the npm process itself.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { isLauncher, type Launcher } from '../../tools/local-functions/launchers';

const FIXTURE = path.join(__dirname, '..', 'helpers', 'launcher-child.ts');
const NODE_FIXTURE = `'${process.execPath}' --import tsx '${FIXTURE}'`;
const spawned: ChildProcess[] = [];
const extraPids: number[] = [];

after(() => {
  for (const pid of [...spawned.map((c) => c.pid), ...extraPids]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

interface Started {
  wrapper: ChildProcess;
  chain: Launcher[];
  /** The fixture's next GONE line (its pid), or 'exited' / 'timeout'. */
  gone(timeoutMs: number): Promise<number | 'exited' | 'timeout'>;
}

/** argv under a wrapper we spawn; resolves once the fixture printed its chain. */
async function start(argv: string[]): Promise<Started> {
  const wrapper = spawn(argv[0]!, argv.slice(1), { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  spawned.push(wrapper);
  let out = '';
  const waiters: (() => void)[] = [];
  wrapper.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of waiters.splice(0)) w();
  });
  // The fixture lives on after its wrapper dies: its stdout closes when it exits.
  let closed = false;
  wrapper.stdout!.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  const until = async <T>(pick: () => T | undefined, timeoutMs: number): Promise<T | 'exited' | 'timeout'> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = pick();
      if (found !== undefined) return found;
      if (closed) return 'exited';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  };
  const chain = await until(() => {
    const line = /^CHAIN (.*)$/m.exec(out);
    return line ? (JSON.parse(line[1]!) as Launcher[]) : undefined;
  }, 20_000);
  assert.ok(Array.isArray(chain), `the fixture did not print its chain (${chain}); output: ${out}`);
  return {
    wrapper,
    chain,
    gone: (timeoutMs) =>
      until(() => {
        const line = /^GONE (\d+)$/m.exec(out);
        return line ? Number(line[1]) : undefined;
      }, timeoutMs),
  };
}

describe('launcher classification', () => {
  test('npm, npx, tsx, node running them and `sh -c` wrappers are launchers; shells and other programs are not', () => {
    const launchers = [
      ['npm', 'start'],
      ['npm', 'start', '--no-traffic'],
      ['/usr/bin/npx', 'tsx', 'tools/start.ts'],
      ['sh', '-c', 'exec', 'node', '--import', 'tsx', 'tools/start.ts'],
      ['/bin/bash', '-c', 'tsx tools/start.ts'],
      ['node', '/work/main/node_modules/.bin/tsx', 'tools/start.ts'],
      ['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'start'],
      ['node', '/x/node_modules/tsx/dist/cli.mjs', 'tools/start.ts'],
    ];
    const others = [
      ['-bash'],
      ['bash'],
      ['/usr/bin/zsh', '-l'],
      ['node', '--import', 'tsx', '--test', 'test/unit/x.test.ts'],
      ['node', 'tools/smoke-start.ts'],
      ['tmux', 'new-session'],
      ['systemd', '--user'],
      [],
    ];
    for (const args of launchers) assert.ok(isLauncher(args), args.join(' '));
    for (const args of others) assert.ok(!isLauncher(args), args.join(' '));
  });
});

describe('the launcher watch (real processes)', () => {
  test('the chain is the sh wrapper and stops there: the test runner above it is not a launcher', async () => {
    const { wrapper, chain } = await start(['sh', '-c', `${NODE_FIXTURE}; exit $?`]);
    assert.deepEqual(chain.map((l) => l.pid), [wrapper.pid]);
    assert.ok(!chain.some((l) => l.pid === process.pid));
  });

  test('run directly by a program that is not a launcher: nothing is watched', async () => {
    const { chain } = await start([process.execPath, '--import', 'tsx', FIXTURE]);
    assert.deepEqual(chain, []);
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
    test(`${signal} kills the sh wrapper (which passes nothing on): the child notices within 2 s`, async () => {
      const { wrapper, gone } = await start(['sh', '-c', `${NODE_FIXTURE}; exit $?`]);
      const t0 = Date.now();
      process.kill(wrapper.pid!, signal);
      assert.equal(await gone(2_000), wrapper.pid);
      assert.ok(Date.now() - t0 < 2_000);
    });
  }

  test('kill -9 of the outer launcher while the inner wrapper lives on (npm → sh → node): noticed too', async () => {
    const { wrapper, chain, gone } = await start(['sh', '-c', `sh -c "${NODE_FIXTURE}; exit \\$?"; exit $?`]);
    assert.equal(chain.length, 2, JSON.stringify(chain));
    const [inner, outer] = chain as [Launcher, Launcher];
    assert.equal(outer.pid, wrapper.pid);
    extraPids.push(inner.pid);
    process.kill(outer.pid, 'SIGKILL');
    assert.equal(await gone(2_000), outer.pid);
  });
});
