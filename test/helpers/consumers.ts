/** Helpers for the consumer tests: producing known records, consumer child processes, side-effect files. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../../lib/platform/env';
import { KafkaClient } from '../../lib/adapters/kafka/client';
import type { ForwardRecord } from '../../lib/domain/record';
import { quietLog } from './stack';

/** Sends `ids` to `topic` with the product's reliable (acks=all) producer: real headers, ef-seq included. */
export async function produce(brokers: string[], topic: string, ids: readonly string[]): Promise<void> {
  const client = new KafkaClient(
    { brokers, auth: 'plaintext', clientId: 'test-producer', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, idleReconnectMs: 600_000, maxRequestBytes: 900_000 },
    quietLog,
  );
  const records: ForwardRecord[] = ids.map((id, index) => ({
    id,
    tier: 'critical',
    topic,
    key: `key-${index % 7}`,
    value: Buffer.from(JSON.stringify({ id, n: index })),
    headers: { 'ef-event-id': id, 'ef-source': 'test', 'ef-tenant': 'studio-test' },
    timestamp: Date.now(),
    sourceRef: { source: 'http', index },
  }));
  try {
    const res = await client.producer('reliable').send([{ topic, records }], { deadline: Date.now() + 20_000, compressed: false });
    if (!res.ok) throw new Error(`producing test records failed: ${res.reason}`);
  } finally {
    await client.disconnect();
  }
}

export interface SideEffect {
  id: string;
  partition: number;
  offset: number;
}

export function sideEffects(file: string): SideEffect[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SideEffect);
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

export interface ConsumerChild {
  proc: ChildProcess;
  lines: string[];
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** Latest runner counters the child printed. */
  stats(): { processed: number; duplicates: number; retries: number } | undefined;
  kill(): Promise<void>;
}

/** test/helpers/consumer-child.ts in its own process (see there for the env it reads). */
export function spawnConsumer(env: Env): ConsumerChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'consumer-child.ts')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    lines,
    async waitFor(prefix, timeoutMs = 60_000) {
      await waitUntil(() => lines.some((l) => l.startsWith(prefix)) || proc.exitCode !== null, timeoutMs, `child to print "${prefix}"`);
      const line = lines.find((l) => l.startsWith(prefix));
      if (!line) throw new Error(`child exited (${proc.exitCode}) before printing "${prefix}"; stderr:\n${stderr.slice(-2000)}`);
      return line;
    },
    stats() {
      const line = [...lines].reverse().find((l) => l.startsWith('STATS '));
      return line ? JSON.parse(line.slice(6)) : undefined;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
