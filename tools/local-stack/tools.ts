/**
 * Native command line tools used next to the local components.
 * kcat (librdkafka) is the independent consumer/producer that checks what is in a topic and the
 * librdkafka throughput baseline.
 */
import { spawn } from 'node:child_process';
import { defaultLog, indent, type Log, which } from './proc';

const KCAT_HINT =
  'kcat is not installed. Install it with: sudo apt-get install -y kcat (Debian/Ubuntu), ' +
  'brew install kcat (macOS), or see https://github.com/edenhill/kcat';

/** Path of kcat (or its old name kafkacat) on PATH, or undefined. */
export function findKcat(): string | undefined {
  return which('kcat') ?? which('kafkacat');
}

/**
 * Path of kcat. When missing and this process is root on a Debian-like system, installs it
 * with apt-get (non-interactive); otherwise throws an error saying how to install it.
 */
export async function ensureKcat(opts: { log?: Log } = {}): Promise<string> {
  const found = findKcat();
  if (found) return found;
  const log = opts.log ?? defaultLog;
  const apt = which('apt-get');
  if (!apt || process.getuid?.() !== 0) throw new Error(KCAT_HINT);
  log('[kcat] kcat not found; installing it with apt-get (one time, ~1 min)...');
  await run(apt, ['update', '-q'], log);
  await run(apt, ['install', '-y', '-q', '--no-install-recommends', 'kcat'], log);
  const installed = findKcat();
  if (!installed) throw new Error(`apt-get install kcat succeeded but kcat is still not on PATH. ${KCAT_HINT}`);
  log(`[kcat] installed ${installed}`);
  return installed;
}

function run(cmd: string, args: string[], log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const collect = (c: Buffer) => (output = (output + c.toString('utf8')).slice(-8000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const started = Date.now();
    const timer = setInterval(() => log(`[kcat]   ... apt-get ${args[0]} ${Math.round((Date.now() - started) / 1000)}s`), 10_000);
    child.once('error', (err) => {
      clearInterval(timer);
      reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}. ${KCAT_HINT}`));
    });
    child.once('close', (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else {
        const tail = output.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited with code ${code}. ${KCAT_HINT}\n${indent(tail)}`));
      }
    });
  });
}
