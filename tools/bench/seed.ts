/**
 * Bench-only outbox seeding: BatchWriteItem (25 items per call, many calls in parallel) of items
 * built by the store's own codec (encodePending), so they are exactly what store.put writes,
 * without put's one conditional PutItem per record. Entries are due in the past: the relay
 * picks all of them up at once.
 */
import { BatchWriteItemCommand, DeleteTableCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { SHARDS } from '../../lib/adapters/outbox/table';
import { uuidv7 } from '../../lib/domain/ids';
import { encodePending } from '../../lib/adapters/outbox/codec';
import { createDynamoClient } from '../../lib/adapters/aws/dynamodb';
import { HEADER, type ForwardRecord } from '../../lib/domain/record';
import { line } from './payloads';
import { nowMs, prng, sleep } from './stats';

const BATCH = 25;

/** A routed critical record as the router would build it (same headers, an event line as value). */
export function criticalRecord(i: number, topic: string, rnd: () => number, now: number): ForwardRecord {
  const value = line('event', i, 200, rnd);
  const id = /"id":"([^"]+)"/.exec(value)?.[1] ?? uuidv7(now);
  return {
    id,
    tier: 'critical',
    topic,
    key: `match-${i % 50}`,
    value: Buffer.from(value),
    headers: { [HEADER.eventId]: id, [HEADER.source]: 'http', [HEADER.tenant]: 'bench' },
    timestamp: now,
    sourceRef: { source: 'http', index: i % 100 },
  };
}

export async function seedPending(opts: {
  endpoint: string;
  tableName: string;
  topic: string;
  count: number;
  concurrency?: number;
  onProgress?: (written: number) => void;
}): Promise<{ seconds: number }> {
  const client = createDynamoClient({ endpoint: opts.endpoint });
  const rnd = prng(7);
  const now = Date.now();
  // Created two minutes ago and due a minute ago: past any grace period, not leased.
  const createdAt = now - 120_000;
  const dueAt = now - 60_000;
  let next = 0;
  let written = 0;
  let lastReport = 0;
  const t0 = nowMs();
  const worker = async () => {
    while (next < opts.count) {
      const start = next;
      const end = Math.min(opts.count, start + BATCH);
      next = end;
      let requests: WriteRequest[] = [];
      for (let i = start; i < end; i++) {
        const item = encodePending(criticalRecord(i, opts.topic, rnd, createdAt), { now: createdAt, dueAt, shards: SHARDS });
        requests.push({ PutRequest: { Item: item } });
      }
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`seeding: ${requests.length} items still unprocessed after ${attempt} attempts`);
        if (attempt > 0) await sleep(20 * attempt);
        const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [opts.tableName]: requests } }));
        requests = res.UnprocessedItems?.[opts.tableName] ?? [];
      }
      written += end - start;
      if (written - lastReport >= 10_000) {
        lastReport = written;
        opts.onProgress?.(written);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  } finally {
    client.destroy();
  }
  return { seconds: (nowMs() - t0) / 1000 };
}

export async function dropTable(endpoint: string, tableName: string): Promise<void> {
  const client = createDynamoClient({ endpoint });
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } finally {
    client.destroy();
  }
}
