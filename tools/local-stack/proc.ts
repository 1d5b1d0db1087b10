/**
 * Process, pid-file and port helpers shared by the local Kafka / DynamoDB Local launchers.
 * Node built-ins only.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type Log = (line: string) => void;

/** Progress goes to stderr so it never mixes with a test reporter's stdout. */
export const defaultLog: Log = (line) => process.stderr.write(`${line}\n`);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Repository root (tools/local-stack/ is two levels below it). */
export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** Git-ignored state of local components: `<repo>/.local/...`. */
export function localDir(...parts: string[]): string {
  return path.join(projectRoot(), '.local', ...parts);
}

/** Jar cache, outside git: `${EDGE_FORWARDER_CACHE:-$HOME/.cache/edge-forwarder}`. */
export function cacheRoot(): string {
  return process.env.EDGE_FORWARDER_CACHE || path.join(os.homedir(), '.cache', 'edge-forwarder');
}

/** Absolute path of an executable found on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Last `lines` lines of a (possibly large) text file; '' when missing. */
export function tailFile(file: string, lines = 40): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// pids

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no procfs (macOS): trust kill(0)
  }
}

/** The command line of a process ('' when unknown). */
function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }
}

/**
 * Pid stored in `pidFile` if that process is alive AND its command line carries `marker`
 * (guards against a stale pid file whose pid was reused by an unrelated process).
 */
export function livePid(pidFile: string, marker: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return commandLine(pid).includes(marker) ? pid : undefined;
}

/** The process named in `pidFile` is alive, whatever its command line (e.g. between fork and exec). */
export function processOfPidFileAlive(pidFile: string): boolean {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid);
  } catch {
    return false;
  }
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Wait until `pid` is gone; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the process is really gone.
 * Returns how it ended. Works on a SIGSTOPped process too (see `termSignals`).
 */
export async function terminate(pid: number, graceMs: number): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'not-running';
  termSignals(pid);
  if (await waitForExit(pid, graceMs)) return 'terminated';
  await kill(pid);
  return 'killed';
}

/** SIGKILL and wait until the process is gone. */
export async function kill(pid: number): Promise<void> {
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 10_000))) throw new Error(`process ${pid} survived SIGKILL for 10s`);
}

/**
 * SIGTERM followed by SIGCONT: a stopped process (pauseProcess) keeps SIGTERM pending and would
 * sit out the whole grace period; SIGCONT lets it run and act on it. A no-op for running ones.
 */
function termSignals(pid: number): void {
  signal(pid, 'SIGTERM');
  signal(pid, 'SIGCONT');
}

/** True while the process is stopped by a signal (SIGSTOP), i.e. alive but not running at all. */
export function isStopped(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'T';
  } catch {
    try {
      return execFileSync('ps', ['-o', 'state=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('T');
    } catch {
      return false;
    }
  }
}

/**
 * SIGSTOP: every thread of the process freezes (a stall like a long GC pause). Its listening
 * sockets stay open, so the kernel still completes TCP handshakes into the backlog, but nothing
 * reads or answers. Resolves once the kernel reports it stopped.
 */
export async function pauseProcess(pid: number): Promise<void> {
  signal(pid, 'SIGSTOP');
  const deadline = Date.now() + 5_000;
  while (!isStopped(pid)) {
    if (!isAlive(pid)) throw new Error(`process ${pid} exited instead of stopping`);
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop within 5 s of SIGSTOP`);
    await sleep(10);
  }
}

/** SIGCONT: a stopped process runs again. */
export function resumeProcess(pid: number): void {
  signal(pid, 'SIGCONT');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const lockChains = new Map<string, Promise<unknown>>();

/**
 * Run `fn` holding a lock shared by all processes (a directory holding the owner's pid) and by
 * concurrent callers in this process. A lock whose owner died is taken over. `onWait` is
 * called once when another live process holds it.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, onWait?: (ownerPid: number) => void): Promise<T> {
  const previous = lockChains.get(lockDir) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => withFileLock(lockDir, fn, onWait));
  lockChains.set(lockDir, run);
  try {
    return await run;
  } finally {
    if (lockChains.get(lockDir) === run) lockChains.delete(lockDir);
  }
}

async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, onWait?: (ownerPid: number) => void): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = Number.NaN;
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lockDir).mtimeMs;
        owner = Number.parseInt(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'), 10);
      } catch {
        // being created right now (no pid yet), or just released
      }
      const live = Number.isInteger(owner) && owner !== process.pid && isAlive(owner);
      const young = !Number.isInteger(owner) && age < 2000;
      if (live || young) {
        if (live && !waited) onWait?.(owner);
        waited = waited || live;
        await sleep(200);
      } else {
        fs.rmSync(lockDir, { recursive: true, force: true }); // left behind by a dead process
      }
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// children that must not outlive the node process (tests); the CLI starts detached ones instead

const ownedPids = new Set<number>();
let exitHookInstalled = false;

/** SIGTERM `pid` when this node process exits (normally or via process.exit), paused or not. */
export function stopOnExit(pid: number): void {
  ownedPids.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of ownedPids) termSignals(p);
  });
}

export function forgetPid(pid: number): void {
  ownedPids.delete(pid);
}

// ---------------------------------------------------------------------------------------------
// ports

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Throws a clear error when something else already listens on one of `ports`. */
export async function assertPortsFree(ports: number[], what: string): Promise<void> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (!free) {
      throw new Error(
        `${what}: port ${port} on 127.0.0.1 is already in use by another process ` +
          `(see: ss -ltnp 'sport = :${port}'). Stop it or choose another port.`,
      );
    }
  }
}

export async function waitForPortClosed(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await isPortOpen(port)) {
    if (Date.now() > deadline) throw new Error(`port ${port} still open after ${timeoutMs} ms`);
    await sleep(100);
  }
}
