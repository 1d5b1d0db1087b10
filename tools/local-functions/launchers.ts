/**
 * The processes that launched `npm start` for the user (npm, npx, a `sh -c` wrapper, the tsx CLI)
 * and a watch that reports when one of them is gone.
 *
 * Why: the process a user (or a supervisor) signals is npm, not this one. npm forwards only SIGINT
 * and SIGTERM, and only to its direct child; a `sh -c` wrapper in between dies of SIGTERM and SIGHUP
 * without passing them on, and `kill -9 npm` tells nobody. Each of those leaves this process (and
 * the Kafka and DynamoDB Local JVMs it started) running with no one to stop them. A launcher that
 * is gone is therefore a request to stop. Only launchers are watched, not the user's shell or a
 * supervisor above them: `nohup npm start &` must survive the terminal it was typed in.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '../local-stack/proc';

export interface Launcher {
  pid: number;
  /** Its command line, for the message that says who went away. */
  command: string;
}

interface ProcessInfo {
  ppid: number;
  args: string[];
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash']);
const LAUNCHER_COMMANDS = new Set(['npm', 'npx', 'tsx']);
/** A node process running npm, npx or the tsx CLI (however it was installed). */
const LAUNCHER_SCRIPT = /(?:^|[\\/])(?:npm-cli|npx-cli)\.js$|[\\/]tsx[\\/]dist[\\/]cli\.m?js$|[\\/]\.bin[\\/](?:npm|npx|tsx)$/;
/** Far more than npm → sh → tsx; a bound in case a process table lies. */
const MAX_DEPTH = 8;

/** True for the command line of npm, npx, tsx, a node running one of them, or a non-interactive `sh -c`. */
export function isLauncher(args: readonly string[]): boolean {
  const command = path.basename(args[0] ?? '');
  if (LAUNCHER_COMMANDS.has(command)) return true;
  if (SHELLS.has(command.replace(/^-/, ''))) return args.includes('-c');
  if (command === 'node' || command === 'nodejs') {
    const script = args.slice(1).find((a) => !a.startsWith('-'));
    return script !== undefined && LAUNCHER_SCRIPT.test(script);
  }
  return false;
}

/** The launchers above this process, nearest first; stops at the first process that is not one. */
export function launcherChain(fromPid: number = process.ppid): Launcher[] {
  const chain: Launcher[] = [];
  let pid = fromPid;
  while (pid > 1 && chain.length < MAX_DEPTH) {
    const info = processInfo(pid);
    if (!info || !isLauncher(info.args)) break;
    chain.push({ pid, command: info.args.join(' ') });
    pid = info.ppid;
  }
  return chain;
}

/**
 * Polls the launchers; calls `onGone` once, with the first one found gone. The direct parent is
 * also checked through process.ppid, which changes when this process is re-parented, so a reused
 * pid cannot hide its death. The timer never keeps the process alive.
 */
export function watchLaunchers(launchers: readonly Launcher[], onGone: (gone: Launcher) => void, intervalMs = 500): { stop(): void } {
  const parent = process.ppid;
  const timer = setInterval(() => {
    const reparented = process.ppid !== parent;
    const gone = launchers.find((l) => (l.pid === parent && reparented) || !isAlive(l.pid));
    if (!gone) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    // process.title (npm sets it to "npm start") rewrites cmdline as one space-separated string.
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).flatMap((a) => (a.includes(' ') ? a.split(' ') : [a]));
    return Number.isInteger(ppid) ? { ppid, args } : undefined;
  } catch {
    return processInfoFromPs(pid); // no procfs (macOS)
  }
}

function processInfoFromPs(pid: number): ProcessInfo | undefined {
  try {
    const line = execFileSync('ps', ['-o', 'ppid=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const [ppid, ...args] = line.split(/\s+/);
    return ppid && Number.isInteger(Number(ppid)) ? { ppid: Number(ppid), args } : undefined;
  } catch {
    return undefined;
  }
}
