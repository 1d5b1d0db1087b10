import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { startDynamoLocal, type DynamoLocal } from '../../tools/local-stack/dynamodb';
import type { Env } from '../../lib/platform/env';
import type { RelayHandler } from '../../lib/handlers/outbox-relay';
import { lambdaContext } from './events';
import { ensureOutboxTable } from '../../lib/adapters/outbox/ensure-table';
import { functionEnv, TEST_DYNAMODB } from './stack';
import { uniqueTableName } from './dynamo';

/** The shared DynamoDB Local of the test run (reused if the runner started it). */
export function sharedDynamo(): Promise<DynamoLocal> {
  return startDynamoLocal({ ...TEST_DYNAMODB, log: () => undefined });
}

/** A fresh outbox table of this test's own. */
export async function newOutboxTable(endpoint: string, label: string): Promise<string> {
  const tableName = uniqueTableName(label);
  await ensureOutboxTable({ endpoint, tableName });
  return tableName;
}

/** Env for the critical functions; grace and lease are short so the relay picks up within a test. */
export function criticalEnv(brokers: string[], prefix: string, endpoint: string, table: string, extra: Env = {}): Env {
  return functionEnv(brokers, prefix, {
    OUTBOX_TABLE: table,
    DYNAMODB_ENDPOINT: endpoint,
    OUTBOX_GRACE_MS: '1000',
    OUTBOX_LEASE_MS: '1000',
    ...extra,
  });
}

export type CrashPoint = 'after-persist' | 'after-ack' | 'relay-after-send';

/** A handler running in its own process (test/helpers/crash-child.ts), to be SIGKILLed from here. */
export interface Child {
  proc: ChildProcess;
  /** Lines the child printed so far. */
  lines: string[];
  /** Resolves when the child prints a line starting with `prefix`. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  kill(): Promise<void>;
}

export function spawnChild(mode: 'ingest' | 'ingest-loop' | 'relay' | 'relay-loop', env: Env, opts: { crashAt?: CrashPoint; events?: object[] } = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'crash-child.ts')], {
    env: {
      ...process.env,
      ...env,
      EF_CHILD_MODE: mode,
      EF_CRASH_AT: opts.crashAt ?? '',
      EF_CHILD_EVENTS: JSON.stringify(opts.events ?? []),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => line.startsWith(w.prefix))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    lines,
    waitFor(prefix, timeoutMs = 30_000) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child never printed "${prefix}"; stderr:\n${stderr.slice(-2000)}`)), timeoutMs);
        waiters.push({ prefix, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the relay until nothing is pending (waiting out grace, leases and backoff), bounded. */
export async function drain(relay: RelayHandler, timeoutMs = 60_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let delivered = 0;
  for (;;) {
    const run = await relay(undefined, lambdaContext({ remainingMs: 10_000 }));
    delivered += run.delivered;
    if (run.stats.pending === 0) return delivered;
    if (Date.now() > until) throw new Error(`outbox still has ${run.stats.pending} pending after ${timeoutMs} ms (last error: ${run.lastError})`);
    await sleep(500);
  }
}
