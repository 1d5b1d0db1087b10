import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A message as an independent client (kcat, i.e. librdkafka) sees it in the topic. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning to its current end with kcat: a different client library
 * and a different process from the code under test, so what it counts is what the broker holds.
 */
export async function consumeAll(brokers: string[], topic: string): Promise<ConsumedMessage[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-J', '-X', 'enable.partition.eof=true'],
    { maxBuffer: 512 * 1024 * 1024, timeout: 60_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const m = JSON.parse(line) as {
        topic: string;
        partition: number;
        offset: number;
        key: string | null;
        payload: string | null;
        headers?: string[];
      };
      const headers: Record<string, string> = {};
      for (let i = 0; m.headers && i < m.headers.length; i += 2) headers[m.headers[i]!] = m.headers[i + 1]!;
      return { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers };
    });
}

/** Event ids seen more than once, with their counts. */
export function duplicateIds(messages: readonly ConsumedMessage[], header = 'ef-event-id'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const id = m.headers[header];
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return new Map([...counts].filter(([, n]) => n > 1));
}
